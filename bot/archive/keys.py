"""The corp's chat-archive private keys, by version (doc 91360).

WeCom encrypts each message's random key with the archive public key current when it was sent
(`publickey_ver`); a corp that rotates keys keeps every old private key, or older messages can't
be opened. The keys live in a directory (`SCRM_ARCHIVE_KEYS`), one PEM file per version named
`<version>.pem` — read once, never logged, never in an error.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

MAX_KEY_BYTES = 16 * 1024


class ArchiveKeyError(Exception):
    """A message's key can't be opened: no private key of its version, or not this key's."""

    def __init__(self, version: int, reason: str) -> None:
        super().__init__(f"publickey_ver {version}: {reason}")
        self.version = version


class ArchiveKeys:
    """RSA private keys by version; `random_key` opens a message's encrypted random key."""

    def __init__(self, keys: dict[int, rsa.RSAPrivateKey]) -> None:
        self._keys = keys

    @classmethod
    def from_directory(cls, folder: Path) -> ArchiveKeys:
        keys: dict[int, rsa.RSAPrivateKey] = {}
        for path in sorted(folder.glob("*.pem")):
            if not path.stem.isdigit() or path.stat().st_size > MAX_KEY_BYTES:
                continue
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if isinstance(key, rsa.RSAPrivateKey):
                keys[int(path.stem)] = key
        return cls(keys)

    @property
    def versions(self) -> list[int]:
        return sorted(self._keys)

    def random_key(self, version: int, encrypted: str) -> str:
        key = self._keys.get(version)
        if key is None:
            raise ArchiveKeyError(version, "no private key of this version")
        try:
            raw = key.decrypt(base64.b64decode(encrypted, validate=True), padding.PKCS1v15())
            return raw.decode("ascii")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ArchiveKeyError(version, "the key doesn't open it") from None
