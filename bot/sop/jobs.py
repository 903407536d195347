"""The ids of SOP jobs: everything a job needs to run is in its id, so a scheduled reminder
costs one sorted-set entry and scheduling it twice keeps one.

- `sop|<rule>|<step>|<staff>|<target>|<trigger at>`: one step for one staff member and one
  customer (or group; `*` for a calendar customer SOP covering all their customers);
- `sopfire|<rule>|<occurrence>`: a calendar rule's next occurrence, which expands into steps.
"""

from __future__ import annotations

from dataclasses import dataclass

STEP = "sop"
FIRE = "sopfire"


@dataclass(frozen=True, slots=True)
class StepJob:
    """One step of one rule for one staff member and target."""

    rule_id: str
    index: int
    staff: str
    target: str
    trigger_at: int

    @property
    def id(self) -> str:
        return step_id(self.rule_id, self.index, self.staff, self.target, self.trigger_at)


def step_id(rule_id: str, index: int, staff: str, target: str, trigger_at: float) -> str:
    return f"{STEP}|{rule_id}|{index}|{staff}|{target}|{int(trigger_at)}"


def parse_step(job_id: str) -> StepJob | None:
    parts = job_id.split("|")
    if len(parts) != 6 or parts[0] != STEP or not parts[2].isdigit() or not parts[5].isdigit():
        return None
    return StepJob(parts[1], int(parts[2]), parts[3], parts[4], int(parts[5]))


def fire_id(rule_id: str, occurrence: float) -> str:
    return f"{FIRE}|{rule_id}|{int(occurrence)}"


def parse_fire(job_id: str) -> tuple[str, int] | None:
    parts = job_id.split("|")
    if len(parts) != 3 or parts[0] != FIRE or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2])


def rule_pattern(rule_id: str) -> str:
    return f"{STEP}|{rule_id}|*"


def fire_pattern(rule_id: str) -> str:
    return f"{FIRE}|{rule_id}|*"
