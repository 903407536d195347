"""`change_external_contact` events: customers added, edited, deleted, transferred (doc 92130)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events.base import Event, register, xml_field


@dataclass(frozen=True, kw_only=True)
class ExternalContactEvent(Event):
    """Fields shared by every change_external_contact event."""

    event: str = xml_field("Event")
    change_type: str = xml_field("ChangeType")
    user_id: str = xml_field("UserID")
    external_userid: str = xml_field("ExternalUserID")


@dataclass(frozen=True, kw_only=True)
class ContactAdded(ExternalContactEvent):
    """A customer and a staff member became contacts, fully or half (the two events below);
    `state` is the channel code's state, if any. `welcome_code` is empty when a native welcome
    is configured or the chat already began."""

    state: str = xml_field("State")
    welcome_code: str = xml_field("WelcomeCode")


@register("event", "change_external_contact", "add_external_contact")
@dataclass(frozen=True, kw_only=True)
class AddExternalContact(ContactAdded):
    """A staff member added a customer."""


@register("event", "change_external_contact", "add_half_external_contact")
@dataclass(frozen=True, kw_only=True)
class AddHalfExternalContact(ContactAdded):
    """A customer added a no-verify staff member who has not confirmed yet."""


@register("event", "change_external_contact", "edit_external_contact")
@dataclass(frozen=True, kw_only=True)
class EditExternalContact(ExternalContactEvent):
    """A staff member edited a customer's remark, description or tags in the client."""


@register("event", "change_external_contact", "del_external_contact")
@dataclass(frozen=True, kw_only=True)
class DelExternalContact(ExternalContactEvent):
    """A staff member deleted a customer (`source` is DELETE_BY_TRANSFER after a transfer)."""

    source: str = xml_field("Source")


@register("event", "change_external_contact", "del_follow_user")
@dataclass(frozen=True, kw_only=True)
class DelFollowUser(ExternalContactEvent):
    """The customer deleted the staff member: a churn signal."""


@register("event", "change_external_contact", "transfer_fail")
@dataclass(frozen=True, kw_only=True)
class TransferFail(ExternalContactEvent):
    """A customer transfer failed: `fail_reason` customer_refused or customer_limit_exceed."""

    fail_reason: str = xml_field("FailReason")
