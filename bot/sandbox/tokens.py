"""Access tokens: one per secret, 7200 s by the sandbox clock, revocable on demand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.sandbox.limits import ApiError

TOKEN_LIFETIME = 7200
APP = "app"
CONTACT = "contact"
ARCHIVE = "archive"  # the 会话内容存档 app's secret


@dataclass
class Token:
    """An access token issued for one secret (`kind` is `app` or `contact`)."""

    value: str
    kind: str
    issued_at: float
    expires_at: float
    revoked: bool = False


class TokenStore:
    """Issues and checks the access tokens of one sandbox corp."""

    def __init__(self, clock: Callable[[], float], new_id: Callable[[str, int], str]) -> None:
        self._clock = clock
        self._new_id = new_id
        self._tokens: dict[str, Token] = {}
        self._current: dict[str, Token] = {}  # kind -> the token gettoken hands out now

    def issue(self, kind: str) -> Token:
        """The current token of `kind`, or a fresh one once it expired or was revoked.

        WeCom answers repeated gettoken calls with the same token while it is valid.
        """
        now = self._clock()
        current = self._current.get(kind)
        if current is not None and not current.revoked and now < current.expires_at:
            return current
        token = Token(
            value=self._new_id("", 64),
            kind=kind,
            issued_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )
        self._tokens[token.value] = token
        self._current[kind] = token
        return token

    def check(self, value: str | None) -> Token:
        """The token for `value`, or the documented error: 41001, 40014 or 42001."""
        if not value:
            raise ApiError(41001)
        token = self._tokens.get(value)
        if token is None or token.revoked:
            raise ApiError(40014)
        if self._clock() >= token.expires_at:
            raise ApiError(42001)
        return token

    def revoke(self, kind: str | None = None, value: str | None = None) -> int:
        """Invalidate tokens early (→ 40014): by value, by kind, or all. Returns how many."""
        return self._update(kind, value, revoke=True)

    def expire(self, kind: str | None = None, value: str | None = None) -> int:
        """Make tokens expire now (→ 42001): by value, by kind, or all. Returns how many."""
        return self._update(kind, value, revoke=False)

    def _update(self, kind: str | None, value: str | None, *, revoke: bool) -> int:
        now = self._clock()
        count = 0
        for token in self._tokens.values():
            if (value is None or token.value == value) and (kind is None or token.kind == kind):
                if revoke:
                    token.revoked = True
                else:
                    token.expires_at = min(token.expires_at, now)
                count += 1
        return count

    def clear(self) -> None:
        self._tokens.clear()
        self._current.clear()

    def all(self) -> list[Token]:
        return list(self._tokens.values())
