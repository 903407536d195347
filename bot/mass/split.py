"""Who sends a mass message to whom, in tasks WeCom accepts (doc 92135).

A customer goes through one member only. When several follow them, the member they added most
recently (and are still connected with) sends — the relation most likely to be read; ties go to
the smallest userid, so the choice is stable. Each member's recipients are then cut into tasks
of at most 10,000 customers (or 2,000 groups), WeCom's limits per `add_msg_template`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MAX_CUSTOMERS = 10_000
MAX_GROUPS = 2_000


def owners(follows: Mapping[str, Iterable[tuple[str, int]]]) -> dict[str, list[str]]:
    """member -> their customers, from customer -> [(member, added at)] of live relations."""
    by_member: dict[str, list[str]] = {}
    for customer, relations in follows.items():
        ranked = sorted(relations, key=lambda rel: (-rel[1], rel[0]))
        if ranked:
            by_member.setdefault(ranked[0][0], []).append(customer)
    return {member: sorted(customers) for member, customers in sorted(by_member.items())}


def tasks(
    by_member: Mapping[str, list[str]], chat_type: str = "single"
) -> list[tuple[str, list[str]]]:
    """(member, recipients) for each task, no task over WeCom's limit."""
    size = MAX_GROUPS if chat_type == "group" else MAX_CUSTOMERS
    return [
        (member, targets[start : start + size])
        for member, targets in sorted(by_member.items())
        for start in range(0, len(targets), size)
    ]
