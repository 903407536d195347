"""Callback crypto against the official test vector (doc 90968) and hostile input."""

from __future__ import annotations

import base64
import struct

import pytest
from wechatpy.crypto.cryptography import WeChatCipher

from bot.callback.crypto import CallbackCrypto, CallbackError, sign
from tests.conftest import VECTOR_AES_KEY, VECTOR_CORP_ID, VECTOR_TOKEN

GET_SIGNATURE = "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"
GET_TIMESTAMP = "1476416373"
GET_NONCE = "47744683"
GET_ECHOSTR = (
    "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
)
POST_SIGNATURE = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e"
POST_TIMESTAMP = "1476422779"
POST_NONCE = "1597212914"
POST_ENCRYPT = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgG"
    "zBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3"
    "JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4i"
    "QHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPO"
    "YuPDGOCI8jmnKiypE+"
)
POST_XML = (
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
)


@pytest.fixture
def crypto() -> CallbackCrypto:
    return CallbackCrypto(VECTOR_TOKEN, VECTOR_AES_KEY, VECTOR_CORP_ID)


def test_verify_url_vector(crypto: CallbackCrypto) -> None:
    plain = crypto.verify_and_decrypt(GET_SIGNATURE, GET_TIMESTAMP, GET_NONCE, GET_ECHOSTR)
    assert plain == "1288432023552776189"


def test_decrypt_post_vector(crypto: CallbackCrypto) -> None:
    xml = crypto.verify_and_decrypt(POST_SIGNATURE, POST_TIMESTAMP, POST_NONCE, POST_ENCRYPT)
    assert xml == POST_XML


def test_deterministic_encrypt_vector(crypto: CallbackCrypto) -> None:
    assert crypto.encrypt(POST_XML, random_prefix="694ce5a83ae07fe3") == POST_ENCRYPT
    assert sign(VECTOR_TOKEN, POST_TIMESTAMP, POST_NONCE, POST_ENCRYPT) == POST_SIGNATURE


def test_round_trip_with_random_prefix(crypto: CallbackCrypto) -> None:
    first = crypto.encrypt("<xml>客户</xml>")
    assert first != crypto.encrypt("<xml>客户</xml>")
    assert crypto.decrypt(first) == "<xml>客户</xml>"


def test_passive_reply_envelope_is_signed(crypto: CallbackCrypto) -> None:
    envelope = crypto.passive_reply("<xml><Content>好</Content></xml>", "n1", "1700000000")
    encrypt = envelope.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    signature = envelope.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    assert signature == sign(VECTOR_TOKEN, "1700000000", "n1", encrypt)
    assert crypto.decrypt(encrypt) == "<xml><Content>好</Content></xml>"


def _raw_cipher(crypto: CallbackCrypto, plain: bytes) -> str:
    return base64.b64encode(WeChatCipher(crypto.key).encrypt(plain)).decode()


def _frame(message: bytes, receive_id: bytes, *, pad: int | None = None) -> bytes:
    body = b"0" * 16 + struct.pack(">I", len(message)) + message + receive_id
    count = pad if pad is not None else 32 - len(body) % 32
    return body + bytes([count]) * count


@pytest.mark.parametrize(
    ("encrypt", "reason"),
    [
        ("not base64 at all!", "bad_base64"),
        ("ab=c", "bad_base64"),
        ("", "truncated_cipher"),
        ("QUJD", "truncated_cipher"),  # 3 bytes
        (POST_ENCRYPT[:-4], "truncated_cipher"),
        (base64.b64encode(base64.b64decode(POST_ENCRYPT)[:-16]).decode(), "truncated_cipher"),
    ],
)
def test_garbage_is_a_callback_error(crypto: CallbackCrypto, encrypt: str, reason: str) -> None:
    with pytest.raises(CallbackError) as caught:
        crypto.decrypt(encrypt)
    assert caught.value.reason == reason
    assert caught.value.status == 400


def test_truncated_to_block_multiple_is_refused(crypto: CallbackCrypto) -> None:
    raw = base64.b64decode(POST_ENCRYPT)
    with pytest.raises(CallbackError) as caught:
        crypto.decrypt(base64.b64encode(raw[:-32]).decode())
    # the last block now decrypts to message bytes, not a valid PKCS#7 pad
    assert caught.value.reason == "bad_padding"


def test_bad_padding_value(crypto: CallbackCrypto) -> None:
    plain = _frame(b"<xml/>", VECTOR_CORP_ID.encode())
    broken = plain[:-1] + bytes([0])
    with pytest.raises(CallbackError, match="bad_padding"):
        crypto.decrypt(_raw_cipher(crypto, broken))


def test_length_field_past_the_end(crypto: CallbackCrypto) -> None:
    body = b"0" * 16 + struct.pack(">I", 10_000) + b"<xml/>" + VECTOR_CORP_ID.encode()
    plain = body + bytes([32 - len(body) % 32]) * (32 - len(body) % 32)
    with pytest.raises(CallbackError, match="bad_length"):
        crypto.decrypt(_raw_cipher(crypto, plain))


def test_wrong_corp_id(crypto: CallbackCrypto) -> None:
    plain = _frame(b"<xml/>", b"ww0000000000000000")
    with pytest.raises(CallbackError) as caught:
        crypto.decrypt(_raw_cipher(crypto, plain))
    assert (caught.value.reason, caught.value.status) == ("wrong_corp_id", 403)


def test_non_utf8_message(crypto: CallbackCrypto) -> None:
    plain = _frame(b"<xml>\xff\xfe</xml>", VECTOR_CORP_ID.encode())
    with pytest.raises(CallbackError, match="not_utf8"):
        crypto.decrypt(_raw_cipher(crypto, plain))


def test_bad_signature(crypto: CallbackCrypto) -> None:
    with pytest.raises(CallbackError) as caught:
        crypto.verify_and_decrypt("0" * 40, POST_TIMESTAMP, POST_NONCE, POST_ENCRYPT)
    assert (caught.value.reason, caught.value.status) == ("bad_signature", 403)


def test_signature_of_another_length_is_refused_not_crashing(crypto: CallbackCrypto) -> None:
    with pytest.raises(CallbackError, match="bad_signature"):
        crypto.verify_signature("abc", POST_TIMESTAMP, POST_NONCE, POST_ENCRYPT)
    with pytest.raises(CallbackError, match="bad_signature"):
        crypto.verify_signature("签名", POST_TIMESTAMP, POST_NONCE, POST_ENCRYPT)
