"""A record of every API call the sandbox answered, for tests to assert on."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bot.sandbox.faults import normalise_path

REDACTED = "REDACTED"
SECRET_PARAMS = ("access_token", "corpsecret")


def redact(query: dict[str, str]) -> dict[str, str]:
    """The query string with tokens and secrets replaced, so records can be printed."""
    return {k: (REDACTED if k in SECRET_PARAMS else v) for k, v in query.items()}


@dataclass
class Call:
    """One API call: what came in and what the sandbox answered.

    `body` is the JSON payload (None for GET or unparsable bodies), `upload` the metadata of
    an uploaded file, `errcode` None when the answer was not a WeCom JSON answer (an injected
    HTTP status), `fault` the id of the injected fault that shaped the answer, if any.
    """

    method: str
    path: str
    query: dict[str, str]
    body: Any
    time: float
    status: int = 200
    errcode: int | None = None
    response: dict[str, Any] | None = None
    upload: dict[str, Any] | None = None
    fault: int | None = None
    secret_kind: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.errcode == 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class CallRecorder:
    """Calls in arrival order, with accessors by path."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    def add(self, call: Call) -> None:
        self.calls.append(call)

    def clear(self) -> None:
        self.calls.clear()

    def to(self, path: str) -> list[Call]:
        wanted = normalise_path(path)
        return [call for call in self.calls if call.path == wanted]

    def last(self, path: str | None = None) -> Call:
        calls = self.to(path) if path is not None else self.calls
        if not calls:
            raise LookupError(f"no call recorded{f' to {path}' if path else ''}")
        return calls[-1]

    def __len__(self) -> int:
        return len(self.calls)
