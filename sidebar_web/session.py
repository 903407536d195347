"""Signed-in sidebar sessions and OAuth2 `state`s, kept in Redis with a TTL.

The browser holds only random tokens (the session id, the OAuth binding) in HttpOnly cookies;
Redis holds their SHA-256, so a copy of Redis gives nobody a usable cookie. Every session
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
OAUTH_SECONDS = 600  # the OAuth code itself lives 5 minutes
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
    """Sessions and OAuth states of one corp."""

    def __init__(self, redis: Redis, keys: RedisKeys, ttl: int = SESSION_SECONDS) -> None:
        self._redis = redis
        self._keys = keys
        self.ttl = ttl

    async def create(self, userid: str, name: str) -> tuple[str, Session]:
        """A new session; returns the id for the cookie and the session."""
        session_id = secrets.token_urlsafe(32)
        session = Session(userid, name, secrets.token_urlsafe(32), time.time() + self.ttl)
        await self._redis.set(
            self._keys.sidebar_session(digest(session_id)),
            json.dumps(asdict(session), ensure_ascii=False),
            ex=self.ttl,
        )
        return session_id, session

    async def load(self, session_id: str | None) -> Session | None:
        if session_id is None or not well_formed(session_id):
            return None
        data = await self._redis.get(self._keys.sidebar_session(digest(session_id)))
        return Session(**json.loads(data)) if data else None

    async def delete(self, session_id: str) -> None:
        await self._redis.delete(self._keys.sidebar_session(digest(session_id)))

    async def begin_oauth(self) -> tuple[str, str]:
        """(state for the authorize URL, binding for the browser's cookie).

        The state alone would let an attacker log a victim's browser into the attacker's
        account by sending them a callback URL; binding it to a cookie only this browser holds
        makes the callback work only where the sign-in started.
        """
        state = secrets.token_hex(16)  # WeCom allows a-zA-Z0-9 only, up to 128 bytes
        binding = secrets.token_urlsafe(32)
        await self._redis.set(
            self._keys.sidebar_oauth_state(state), digest(binding), ex=OAUTH_SECONDS
        )
        return state, binding

    async def finish_oauth(self, state: str, binding: str | None) -> bool:
        """Whether `state` is one we issued to the browser holding `binding`. Any attempt
        spends the state, so a callback URL works at most once, wherever it is opened."""
        if not re.fullmatch(r"[0-9a-f]{32}", state):
            return False
        stored = await self._redis.getdel(self._keys.sidebar_oauth_state(state))
        if not stored or binding is None or not well_formed(binding):
            return False
        return hmac.compare_digest(str(stored), digest(binding))


def secure_cookies(public_url: str) -> bool:
    """Cookies are Secure unless the public URL is plain http on this machine (demo, tests),
    where browsers would otherwise drop them."""
    parts = urlsplit(public_url)
    return not (parts.scheme == "http" and parts.hostname in LOOPBACK)


def sidebar_path(public_url: str) -> str:
    """The sidebar's path as the browser sees it, e.g. `/sidebar/` (or `/scrm/sidebar/`
    behind a proxy that serves the bot under a prefix)."""
    return urlsplit(public_url).path.rstrip("/") + "/sidebar/"
