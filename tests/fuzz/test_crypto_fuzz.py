"""Fuzzing the callback decoder: whatever arrives, only `CallbackError` (a 4xx) or
`XmlRejected` (a 400) comes out, and every well-formed encryption round-trips."""

from __future__ import annotations

import base64

from hypothesis import example, given
from hypothesis import strategies as st

from bot.callback.crypto import BLOCK, CallbackCrypto, CallbackError
from bot.events import Event, XmlRejected, parse_event, parse_xml
from tests.conftest import VECTOR_AES_KEY, VECTOR_CORP_ID, VECTOR_TOKEN
from tests.fuzz.strategies import any_text, event_documents, fuzz, printable, vector_crypto

CRYPTO = vector_crypto()
REASONS = {
    "bad_signature",
    "wrong_corp_id",
    "bad_base64",
    "truncated_cipher",
    "bad_padding",
    "bad_length",
    "not_utf8",
}


def refused(exc: CallbackError) -> None:
    assert exc.reason in REASONS and 400 <= exc.status < 500


def decode(signature: str, timestamp: str, nonce: str, body: str | bytes) -> Event | None:
    """What the endpoint does between reading the body and storing the event."""
    try:
        encrypt = parse_xml(body).get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            return None  # missing_encrypt
        return parse_event(CRYPTO.verify_and_decrypt(signature, timestamp, nonce, encrypt))
    except CallbackError as exc:
        refused(exc)
    except XmlRejected as exc:
        assert exc.reason in ("malformed_xml", "xml_entities")
    return None


base64_blobs = st.binary(max_size=200) | st.integers(1, 8).flatmap(
    lambda n: st.binary(min_size=BLOCK * n, max_size=BLOCK * n)  # whole AES blocks
)
signable = st.text(max_size=80) | base64_blobs.map(lambda b: base64.b64encode(b).decode())
ciphertexts = any_text | signable


@given(any_text, any_text, any_text, ciphertexts)
@fuzz()
@example("\udc80", "1", "n", "e")  # found: a lone surrogate raised UnicodeEncodeError
def test_any_query_is_refused_cleanly(sig: str, ts: str, nonce: str, encrypt: str) -> None:
    try:
        CRYPTO.verify_and_decrypt(sig, ts, nonce, encrypt)
    except CallbackError as exc:
        refused(exc)
    else:
        raise AssertionError("an unsigned payload was accepted")


@given(printable, printable, signable)
@fuzz()
def test_correctly_signed_garbage_decrypts_or_is_refused(ts: str, nonce: str, encrypt: str) -> None:
    """Past the signature (as with a leaked token): every cipher-level failure is named."""
    signature = CRYPTO.signature(ts, nonce, encrypt)
    try:
        assert isinstance(CRYPTO.verify_and_decrypt(signature, ts, nonce, encrypt), str)
    except CallbackError as exc:
        refused(exc)


@given(any_text, any_text, any_text, st.binary(max_size=400) | any_text | event_documents())
@fuzz()
def test_any_body_is_refused_cleanly(sig: str, ts: str, nonce: str, body: str | bytes) -> None:
    assert decode(sig, ts, nonce, body) is None


@given(st.text(max_size=2000), st.text(st.characters(max_codepoint=0x7F), min_size=16, max_size=16))
@fuzz()
@example("", "0" * 16)
def test_encryption_round_trips(plain: str, prefix: str) -> None:
    encrypt = CRYPTO.encrypt(plain, random_prefix=prefix)
    assert len(base64.b64decode(encrypt)) % BLOCK == 0
    assert CRYPTO.decrypt(encrypt) == plain
    signature = CRYPTO.signature("1700000000", "nonce", encrypt)
    assert CRYPTO.verify_and_decrypt(signature, "1700000000", "nonce", encrypt) == plain


@given(event_documents(), st.text(st.characters(codec="ascii"), min_size=1, max_size=40))
@fuzz()
def test_encrypted_documents_decode_and_other_corps_are_refused(document: str, corp: str) -> None:
    encrypt = CRYPTO.encrypt(document)
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    signature = CRYPTO.signature("1", "n", encrypt)
    event = decode(signature, "1", "n", body)
    try:
        assert event == parse_event(document)
    except XmlRejected:
        assert event is None  # refused by the parser either way
    other = CallbackCrypto(VECTOR_TOKEN, VECTOR_AES_KEY, corp).encrypt(document)
    try:
        assert CRYPTO.decrypt(other) == document and corp == VECTOR_CORP_ID
    except CallbackError as exc:
        assert exc.reason == "wrong_corp_id"


@given(st.text(max_size=300), st.integers(0, 10_000), st.integers(1, 255))
@fuzz()
def test_tampered_ciphertext_fails_cleanly(plain: str, position: int, flip: int) -> None:
    raw = bytearray(base64.b64decode(CRYPTO.encrypt(plain)))
    raw[position % len(raw)] ^= flip
    try:
        assert isinstance(CRYPTO.decrypt(base64.b64encode(bytes(raw)).decode()), str)
    except CallbackError as exc:
        refused(exc)
