"""Fault windows: a fault armed for many calls and disarmed when the window ends, and the
early token revocation the soak harness uses (every token at once)."""

from __future__ import annotations

from bot.sandbox import Sandbox
from tests.sandbox.helpers import Api

TAGS = "externalcontact/get_corp_tag_list"


async def test_a_fault_window_ends_when_the_fault_is_removed(
    sandbox: Sandbox, contact_api: Api
) -> None:
    window = sandbox.faults.add(TAGS, errcode=-1, times=10**9)
    other = sandbox.faults.add("message/send", errcode=45009)
    assert (await contact_api.post(TAGS, {}))["errcode"] == -1
    assert (await contact_api.post(TAGS, {}))["errcode"] == -1
    assert sandbox.faults.remove(window.id) is True
    assert (await contact_api.post(TAGS, {}))["errcode"] == 0
    assert sandbox.faults.remove(window.id) is False  # already gone
    assert sandbox.faults.pending() == [other]  # the others stay armed


async def test_revoking_every_token_makes_the_next_call_fail_with_40014(
    sandbox: Sandbox, contact_api: Api, app_api: Api
) -> None:
    assert (await contact_api.post(TAGS, {}))["errcode"] == 0
    assert sandbox.tokens.revoke() == 2  # both secrets' tokens, as the soak's fault does
    assert (await contact_api.post(TAGS, {}))["errcode"] == 40014
    assert (await app_api.post(TAGS, {}))["errcode"] == 40014
    assert sandbox.tokens.issue("contact").value != contact_api.token  # a new one is issued
