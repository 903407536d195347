"""Who takes over which customers: the assignment rules (pure functions, so they are tested
alone). Each returns takeover member -> customers, every customer once.

- `one`: all to the first member;
- `round_robin`: in turn, so the members get as many each (±1);
- `department`: to the members who share a department with the one leaving (in turn among them;
  everyone in turn when none does);
- `least`: each customer to the member holding the fewest customers so far (their current
  count plus what this assignment gave them), ties to the listed order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

RULES = ("one", "round_robin", "department", "least")
RULE_NAMES = {
    "one": "全部给一人",
    "round_robin": "轮流分配",
    "department": "同部门优先",
    "least": "客户最少者优先",
}


def assign(
    rule: str,
    customers: Sequence[str],
    takers: Sequence[str],
    *,
    departments: Mapping[str, Sequence[int]] | None = None,
    handover_departments: Sequence[int] = (),
    held: Mapping[str, int] | None = None,
) -> dict[str, list[str]]:
    """Split `customers` among `takers` by `rule`."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}")
    if not takers:
        raise ValueError("no takeover member")
    if rule == "one":
        return {takers[0]: list(customers)}
    if rule == "department":
        near = [
            t for t in takers if set((departments or {}).get(t, ())) & set(handover_departments)
        ]
        return _in_turn(customers, near or takers)
    if rule == "least":
        return _least(customers, takers, held or {})
    return _in_turn(customers, takers)


def _in_turn(customers: Sequence[str], takers: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {t: [] for t in takers}
    for n, customer in enumerate(customers):
        out[takers[n % len(takers)]].append(customer)
    return {t: c for t, c in out.items() if c}


def _least(
    customers: Sequence[str], takers: Sequence[str], held: Mapping[str, int]
) -> dict[str, list[str]]:
    load = {t: held.get(t, 0) for t in takers}
    order = {t: n for n, t in enumerate(takers)}
    out: dict[str, list[str]] = {}
    for customer in customers:
        taker = min(takers, key=lambda t: (load[t], order[t]))
        out.setdefault(taker, []).append(customer)
        load[taker] += 1
    return out
