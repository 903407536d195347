"""5,000 random callbacks through the decoder and the parser retain no memory that grows with
them: after a warm-up and `gc.collect()`, what tracemalloc still sees stays under a generous
bound (a leak of even 50 bytes a callback would exceed it)."""

from __future__ import annotations

import base64
import gc
import random
import tracemalloc
from collections import Counter
from collections.abc import Callable

from bot.callback.crypto import CallbackCrypto, CallbackError
from bot.events import XmlRejected, parse_event, parse_xml
from tests.fuzz.strategies import HOSTILE_XML, TRIPLES, vector_crypto

RUNS = 5_000
WARM_UP = 500
BOUND_BYTES = 250_000  # 50 bytes a callback; keeping every decoded event would take ~550 KB

SMALL_HOSTILE = [document for document in HOSTILE_XML if len(document) < 2000]
TAGS = ["ToUserName", "FromUserName", "MsgId", "Content", "State", "Item", "x"]


def random_document(rng: random.Random) -> str:
    msg_type, event, change = rng.choice(TRIPLES)
    parts = [
        f"<MsgType>{msg_type}</MsgType><Event>{event}</Event><ChangeType>{change}</ChangeType>",
        f"<CreateTime>{rng.randrange(2**32)}</CreateTime>",
    ]
    for _ in range(rng.randrange(12)):
        tag = rng.choice(TAGS)
        text = "".join(chr(rng.randrange(0x20, 0x9FFF)) for _ in range(rng.randrange(40)))
        text = text.replace("&", "").replace("<", "").replace(">", "")
        parts.append(
            f"<{tag}>{text}</{tag}>" if rng.random() < 0.95 else f"<{tag}><a>{text}</a></{tag}>"
        )
    return "<xml>" + "".join(parts) + "</xml>"


def random_callback(rng: random.Random, crypto: CallbackCrypto) -> tuple[str, str, str]:
    """(signature, encrypt, envelope body) of a good, tampered, garbage or hostile callback."""
    kind = rng.randrange(7)  # 0-3 refused in different places, 4-6 well-formed
    if kind == 0:
        encrypt = base64.b64encode(rng.randbytes(rng.randrange(300))).decode()
    elif kind == 1:
        encrypt = crypto.encrypt(rng.choice(SMALL_HOSTILE))
    else:
        encrypt = crypto.encrypt(random_document(rng))
    signature = crypto.signature("1700000000", "nonce", encrypt)
    if kind == 2:
        signature = signature[::-1]
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    if kind == 3:
        body = body[: rng.randrange(len(body))]
    return signature, encrypt, body


def decode(crypto: CallbackCrypto, signature: str, body: str) -> object:
    try:
        encrypt = parse_xml(body).get("Encrypt")
        if not isinstance(encrypt, str):
            return None
        return parse_event(crypto.verify_and_decrypt(signature, "1700000000", "nonce", encrypt))
    except (CallbackError, XmlRejected):
        return None


def retained_after(run: Callable[[], None]) -> int:
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    run()
    gc.collect()
    return tracemalloc.get_traced_memory()[0] - before


def test_decoding_many_random_callbacks_retains_no_memory() -> None:
    crypto = vector_crypto()
    rng = random.Random(20261124)
    # inputs made first, so only the decoding is measured
    inputs = [random_callback(rng, crypto) for _ in range(WARM_UP + RUNS)]
    outcomes: Counter[str] = Counter()  # constant size, unlike a list of results

    def warm_up() -> None:
        for signature, _encrypt, body in inputs[:WARM_UP]:
            decode(crypto, signature, body)

    def measured() -> None:
        for signature, _encrypt, body in inputs[WARM_UP:]:
            outcomes[type(decode(crypto, signature, body)).__name__] += 1

    tracemalloc.start()
    try:
        retained_after(warm_up)  # caches (field specs, regexes, the cipher) fill here
        grown = retained_after(measured)
    finally:
        tracemalloc.stop()
    assert outcomes.total() == RUNS and len(outcomes) > 3  # refusals and several event types
    assert grown < BOUND_BYTES, f"{grown} bytes retained after {RUNS} callbacks"
