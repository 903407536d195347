"""`customer_acquisition` events (获客助手, doc 97299): the quota running low or out, coming
back, about to expire; a link unusable or deleted. Registered under the Event alone, so every
ChangeType parses to this one class (`change_type` says which)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events.base import Event, register, xml_field


@register("event", "customer_acquisition")
@dataclass(frozen=True, kw_only=True)
class CustomerAcquisition(Event):
    """balance_low (under 20 left), balance_exhausted, balance_increased, quota_expire_soon,
    link_unavailable, delete_link (with `link_id`) …"""

    event: str = xml_field("Event")
    change_type: str = xml_field("ChangeType")
    link_id: str = xml_field("LinkId")
