"""OAuth2 `state`s that need no storage: signed, short-lived and bound to one browser.

Starting a sign-in must not write to Redis: anyone on the internet can open `/sidebar/`, and a
stored state per visit let one client keep millions of keys alive. Instead the browser gets a
random binding in a short-lived HttpOnly cookie, and the state sent through WeCom is the expiry
and an HMAC over the binding and the expiry. At the callback the state is checked against the
cookie that came back, in constant time; no other browser holds that cookie, and nobody without
the server's key can make a state for one.

The key is derived from `SCRM_AES_KEY` (already a 256-bit secret), under a label of its own, so
no new setting is needed and the callback key itself is never used for anything but callbacks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings

OAUTH_SECONDS = 600  # the OAuth code itself lives 5 minutes
_LABEL = b"scrm-bot/sidebar/oauth-state/v1"
# WeCom passes the state back unchanged if it is a-zA-Z0-9, at most 128 bytes: the expiry (Unix
# seconds, 10 digits until 2286) then the MAC in hex
_STATE = re.compile(r"([0-9]{10})([0-9a-f]{64})")
_BINDING = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def state_key(settings: Settings, label: bytes = _LABEL) -> bytes:
    """The corp's state-signing key: an HMAC of a fixed label (one per sign-in: the sidebar's,
    the console's) under its callback AES key."""
    secret = base64.b64decode(settings.aes_key + "=")
    return hmac.new(secret, label, hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class Issued:
    """A sign-in just started: the state for the authorize URL, the binding for the cookie."""

    state: str
    binding: str


@dataclass(frozen=True, slots=True)
class StateSigner:
    """Issues and checks the sidebar's OAuth states with one corp's key."""

    key: bytes
    clock: Callable[[], float] = time.time

    def issue(self) -> Issued:
        binding = secrets.token_urlsafe(32)
        expires = int(self.clock()) + OAUTH_SECONDS
        return Issued(f"{expires:010d}{self._mac(expires, binding)}", binding)

    def valid(self, state: str, binding: str | None) -> bool:
        """Whether `state` was issued, not yet expired, to the browser holding `binding`."""
        found = _STATE.fullmatch(state)
        if found is None or binding is None or not _BINDING.fullmatch(binding):
            return False
        expires = int(found.group(1))
        if not 0 <= expires - self.clock() <= OAUTH_SECONDS:
            return False
        expected = self._mac(expires, binding)
        return hmac.compare_digest(expected.encode(), found.group(2).encode())

    def seconds_left(self, state: str) -> int:
        """How long a (valid) state has to live: how long its single use must be remembered."""
        found = _STATE.fullmatch(state)
        return max(1, int(found.group(1)) - int(self.clock())) if found else 1

    def _mac(self, expires: int, binding: str) -> str:
        message = f"{expires}:{binding}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()
