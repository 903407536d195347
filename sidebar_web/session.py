"""Signed-in sidebar sessions, kept in Redis with a TTL, and the OAuth2 states already used.

The browser holds only a random session id in an HttpOnly cookie; Redis holds its SHA-256, so a
copy of Redis gives nobody a usable cookie. (States in flight are signed, not stored: see
`sidebar_web.oauth_state`.) Every session
carries its own CSRF token, which the page sends back as a header on every POST.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from redis.asyncio import Redis

from bot.keys import RedisKeys

SESSION_SECONDS = 8 * 3600  # a working day: staff reopen the sidebar each morning
SESSION_COOKIE = "scrm_sidebar"
OAUTH_COOKIE = "scrm_sidebar_oauth"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in staff member: who, their display name, the CSRF token, when it ends."""

    userid: str
    name: str
    csrf: str
    expires_at: float

    def csrf_ok(self, presented: str | None) -> bool:
        """Whether a request's CSRF header matches, compared in constant time."""
        return presented is not None and hmac.compare_digest(presented.encode(), self.csrf.encode())


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str | None) -> bool:
    return token is not None and _TOKEN.fullmatch(token) is not None


class SessionStore:
    """Sessions of one corp, and the OAuth states that opened them: the sidebar's, or with
    `console` the operators' console's (kept apart, so one is never taken for the other)."""

    def __init__(
        self, redis: Redis, keys: RedisKeys, ttl: int = SESSION_SECONDS, *, console: bool = False
    ) -> None:
        self._redis = redis
        self.ttl = ttl
        self._session_key = keys.console_session if console else keys.sidebar_session
        self._state_key = keys.console_oauth_state if console else keys.sidebar_oauth_state

    async def create(self, userid: str, name: str) -> tuple[str, Session]:
        """A new session; returns the id for the cookie and the session."""
        session_id = secrets.token_urlsafe(32)
        session = Session(userid, name, secrets.token_urlsafe(32), time.time() + self.ttl)
        await self._redis.set(
            self._session_key(digest(session_id)),
            json.dumps(asdict(session), ensure_ascii=False),
            ex=self.ttl,
        )
        return session_id, session

    async def load(self, session_id: str | None) -> Session | None:
        if session_id is None or not well_formed(session_id):
            return None
        data = await self._redis.get(self._session_key(digest(session_id)))
        return Session(**json.loads(data)) if data else None

    async def delete(self, session_id: str) -> None:
        await self._redis.delete(self._session_key(digest(session_id)))

    async def spend_state(self, state: str, seconds: int) -> bool:
        """Mark a verified OAuth `state` used; False when it was used already. Called only
        once WeCom has vouched for the sign-in, so nothing anonymous ever writes here."""
        key = self._state_key(digest(state))
        return bool(await self._redis.set(key, "1", nx=True, ex=max(1, seconds)))


def secure_cookies(public_url: str) -> bool:
    """Cookies are Secure unless the public URL is plain http on this machine (demo, tests),
    where browsers would otherwise drop them."""
    parts = urlsplit(public_url)
    return not (parts.scheme == "http" and parts.hostname in LOOPBACK)


def sidebar_path(public_url: str) -> str:
    """The sidebar's path as the browser sees it, e.g. `/sidebar/` (or `/scrm/sidebar/`
    behind a proxy that serves the bot under a prefix)."""
    return urlsplit(public_url).path.rstrip("/") + "/sidebar/"
