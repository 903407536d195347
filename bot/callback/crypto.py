"""WeCom callback crypto (加解密方案, doc 90968), strict about every byte it accepts.

wechatpy supplies the cipher and the encrypt framing. Decryption is unframed here because
wechatpy's `decrypt` neither checks the PKCS#7 padding nor the length field and leaks raw
`struct.error`/`UnicodeDecodeError` on garbage; each failure here is a `CallbackError` with a
short reason that the endpoint maps to a 4xx and a metric label.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import time

from wechatpy.crypto.cryptography import WeChatCipher
from wechatpy.enterprise.crypto import PrpCrypto

BLOCK = 32  # WeCom pads to 32 bytes, not AES's 16


class CallbackError(Exception):
    """A callback request that must be refused; `reason` is a stable metric label."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class _FixedRandomPrp(PrpCrypto):  # type: ignore[misc]
    """wechatpy's encrypt framing, with the 16-byte random prefix supplied by the caller."""

    def __init__(self, key: bytes, prefix: str) -> None:
        super().__init__(key)
        self._prefix = prefix

    def get_random_string(self) -> str:
        return self._prefix


def sign(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """`msg_signature`: sha1 over the sorted concatenation of the four strings."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


class CallbackCrypto:
    """Signs, verifies, encrypts and decrypts callback payloads for one receive id (corp id)."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        if len(self.key) != 32:
            raise ValueError("EncodingAESKey must decode to 32 bytes")
        self.receive_id = receive_id
        self._receive_id_bytes = receive_id.encode()
        self._cipher = WeChatCipher(self.key)  # reusable: each decrypt makes its own context

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return sign(self.token, timestamp, nonce, encrypt)

    def verify_signature(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        try:
            expected = self.signature(timestamp, nonce, encrypt).encode()
            given = signature.encode()
        except UnicodeEncodeError:  # a lone surrogate: no signature can cover it
            raise CallbackError("bad_signature", 403) from None
        if not hmac.compare_digest(expected, given):
            raise CallbackError("bad_signature", 403)

    def decrypt(self, encrypt: str) -> str:
        """Decrypt an `Encrypt` value into the message text, or raise `CallbackError`."""
        try:
            raw = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise CallbackError("bad_base64") from None
        if not raw or len(raw) % BLOCK:
            raise CallbackError("truncated_cipher")
        plain: bytes = self._cipher.decrypt(raw)
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CallbackError("bad_padding")
        body = plain[16:-pad]
        if len(body) < 4:
            raise CallbackError("bad_length")
        (length,) = struct.unpack(">I", body[:4])
        if 4 + length > len(body):
            raise CallbackError("bad_length")
        message, receive_id = body[4 : 4 + length], body[4 + length :]
        if not hmac.compare_digest(receive_id, self._receive_id_bytes):
            raise CallbackError("wrong_corp_id", 403)
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError:
            raise CallbackError("not_utf8") from None

    def verify_and_decrypt(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        self.verify_signature(signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def encrypt(self, message: str, random_prefix: str | None = None) -> str:
        """Encrypt `message`; `random_prefix` (16 chars) makes the output deterministic."""
        prefix = random_prefix if random_prefix is not None else os.urandom(8).hex()
        if len(prefix.encode()) != 16:
            raise ValueError("random_prefix must be 16 bytes")
        encrypted: bytes = _FixedRandomPrp(self.key, prefix).encrypt(message, self.receive_id)
        return encrypted.decode("ascii")

    def envelope(
        self, message: str, nonce: str, timestamp: str | None = None
    ) -> tuple[str, str, str]:
        """Encrypt and sign; returns (encrypt, msg_signature, timestamp)."""
        ts = timestamp or str(int(time.time()))
        encrypt = self.encrypt(message)
        return encrypt, self.signature(ts, nonce, encrypt), ts

    def passive_reply(self, message: str, nonce: str, timestamp: str | None = None) -> str:
        """The encrypted XML envelope for a passive reply to an app message."""
        encrypt, signature, ts = self.envelope(message, nonce, timestamp)
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{ts}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )
