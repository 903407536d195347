"""Fault injection: make the next N calls of an API fail, answer an HTTP error, or stall.

A fault matches by path (`externalcontact/send_welcome_msg`, without `/cgi-bin/`) or `*` for
every path. Faults of one path are consumed in the order they were added.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


def normalise_path(path: str) -> str:
    """`/cgi-bin/message/send` and `message/send` name the same API."""
    path = path.strip().lstrip("/")
    if path.startswith("cgi-bin/"):
        path = path[len("cgi-bin/") :]
    return path.split("?", 1)[0]


@dataclass
class Fault:
    """What to do to the next `times` calls of `path`.

    `delay` seconds pass first; then `status` (an HTTP status other than 200) or `errcode`
    (a WeCom error answer) replaces the real answer. With neither, the call proceeds after
    the delay, which is how a slow WeCom is imitated.
    """

    id: int
    path: str
    times: int = 1
    errcode: int | None = None
    errmsg: str | None = None
    status: int | None = None
    delay: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """The faults armed on one sandbox."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._next_id = 1

    def add(
        self,
        path: str,
        *,
        errcode: int | None = None,
        errmsg: str | None = None,
        status: int | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> Fault:
        """Arm a fault for the next `times` calls of `path` (or `*`)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        if status is not None and not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code")
        if delay < 0:
            raise ValueError("delay must not be negative")
        if errcode == 0:
            raise ValueError("errcode 0 is not a fault; use delay alone for a slow answer")
        fault = Fault(
            id=self._next_id,
            path="*" if path == "*" else normalise_path(path),
            times=times,
            errcode=errcode,
            errmsg=errmsg,
            status=status,
            delay=delay,
        )
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def take(self, path: str) -> Fault | None:
        """The fault that applies to this call of `path`, counting it down."""
        for fault in self._faults:
            if fault.path in (path, "*"):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def remove(self, fault_id: int) -> bool:
        """Disarm one fault before its calls are used up (the end of a fault window); False
        when it is no longer armed."""
        for fault in self._faults:
            if fault.id == fault_id:
                self._faults.remove(fault)
                return True
        return False

    def clear(self) -> None:
        self._faults.clear()

    def pending(self) -> list[Fault]:
        return list(self._faults)

    def __len__(self) -> int:
        return len(self._faults)
