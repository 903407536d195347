"""Hypothesis settings and input strategies shared by the fuzz tests.

The `scrm-fuzz` profile keeps the folder well inside CI's budget; `SCRM_FUZZ_EXAMPLES=5000`
runs every property that many times for a longer local hunt. No deadline is short: a slow
example is reported only when it takes seconds, which is a hang, not a slow machine.
"""

from __future__ import annotations

import os
from dataclasses import fields
from datetime import timedelta
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.callback.crypto import CallbackCrypto
from bot.events import EVENT_TYPES
from tests.conftest import VECTOR_AES_KEY, VECTOR_CORP_ID, VECTOR_TOKEN

settings.register_profile(
    "scrm-fuzz",
    max_examples=int(os.environ.get("SCRM_FUZZ_EXAMPLES", "150")),
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FUZZ = settings(settings.get_profile("scrm-fuzz"))


def fuzz(examples: int | None = None) -> settings:
    """The fuzz profile, with fewer examples for the costly properties (HTTP round trips)."""
    if examples is None or "SCRM_FUZZ_EXAMPLES" in os.environ:
        return FUZZ
    return settings(FUZZ, max_examples=examples)


def vector_crypto() -> CallbackCrypto:
    """The crypto of the official test vector (doc 90968)."""
    return CallbackCrypto(VECTOR_TOKEN, VECTOR_AES_KEY, VECTOR_CORP_ID)


# every str Python can hold, lone surrogates included (they can't be encoded to UTF-8)
lone_surrogates = st.text(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    min_size=1,
    max_size=3,
)
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=80) | st.builds(
    "{}{}{}".format, st.text(max_size=10), lone_surrogates, st.text(max_size=10)
)
# what survives the trip through an HTTP query string or header
printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
digits_like = st.sampled_from(
    ["", "0", "-1", "1e9", "²", "١٧٠٠٠٠٠٠٠٠", "9" * 400, "9" * 5000, " 1700000000", "1_7"]
)
timestamps = digits_like | printable | any_text

# element names of every registered event field, and the (MsgType, Event, ChangeType) triples
KNOWN_TAGS = sorted(
    {"MsgType", "Event", "ChangeType", "Encrypt", "Item"}
    | {
        f.metadata["xml"]
        for cls in EVENT_TYPES.values()
        for f in fields(cls)
        if "xml" in f.metadata
    }
)
TRIPLES = sorted(EVENT_TYPES)

# text that is legal inside an XML document (no controls, surrogates or U+FFFE/U+FFFF)
xml_chars = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"
) | st.sampled_from("\t\n\r")
xml_text = st.text(xml_chars, max_size=40)
tag_names = st.sampled_from(KNOWN_TAGS) | st.from_regex(
    r"[A-Za-z_][A-Za-z0-9_.-]{0,12}", fullmatch=True
)

# a tree is text, or a list of (tag, subtree) children
trees = st.recursive(
    xml_text,
    lambda children: st.lists(st.tuples(tag_names, children), max_size=5),
    max_leaves=30,
)


def serialize(tree: str | list[tuple[str, object]], cdata: bool = False) -> str:
    if isinstance(tree, str):
        if cdata and "]]>" not in tree:
            return f"<![CDATA[{tree}]]>"
        return escape(tree)
    return "".join(f"<{tag}>{serialize(child, cdata)}</{tag}>" for tag, child in tree)  # type: ignore[arg-type]


@st.composite
def event_documents(draw: st.DrawFn) -> str:
    """A well-formed `<xml>` document: maybe a registered type's header, then any tree."""
    head = ""
    if draw(st.booleans()):
        msg_type, event, change = draw(st.sampled_from(TRIPLES))
        head = (
            f"<MsgType>{msg_type}</MsgType><Event>{event}</Event><ChangeType>{change}</ChangeType>"
        )
        head += f"<CreateTime>{draw(st.integers(0, 2**40))}</CreateTime>"
    body = draw(trees)
    inner = serialize(body, cdata=draw(st.booleans())) if isinstance(body, list) else escape(body)
    return f"<xml>{head}{inner}</xml>"


# JSON-like values: what a parsed XML tree or a JSON body can be made of
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=20,
)
field_values = st.recursive(
    any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tag_names, inner, max_size=4),
    max_leaves=15,
)

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + "]><xml><Content>&lol9;</Content></xml>"
)
HOSTILE_XML = [
    BILLION_LAUGHS,
    '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>',
    '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]><xml/>',
    '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml><Content>&x;</Content></xml>',
    '<!DOCTYPE xml [<!ENTITY a "AAAA">]><xml><Content>&a;</Content></xml>',
    '<?xml version="1.0"?><!DOCTYPE xml><xml/>',
    "<xml><Content>&undefined;</Content></xml>",
    '<xml xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd" parse="text"/></xml>',
    "<xml>" + "<a>" * 50_000 + "</a>" * 50_000 + "</xml>",
    "<xml><ToUserName>" + "<a>" * 20_000 + "x" + "</a>" * 20_000 + "</ToUserName></xml>",
    "<xml>" + "<Item>1</Item>" * 50_000 + "</xml>",
    "<xml><Content>" + "长" * 1_000_000 + "</Content></xml>",
    "<xml><CreateTime>" + "9" * 10_000 + "</CreateTime><MsgType>text</MsgType></xml>",
]
NON_UTF8 = [
    b"<xml><Content>\xff\xfe\xc3</Content></xml>",
    b'<?xml version="1.0" encoding="GBK"?><xml><Content>'
    + "你好".encode("gbk")
    + b"</Content></xml>",
    b'<?xml version="1.0" encoding="ISO-8859-1"?><xml><Content>\xe9</Content></xml>',
    "<xml><Content>客户</Content></xml>".encode("utf-16"),
    b"\xef\xbb\xbf<xml><MsgType>text</MsgType></xml>",
    b"<xml><Content>\x00</Content></xml>",
]
