"""Fault injection, call recording and the /sandbox/ HTTP control API."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.sandbox import Sandbox
from bot.sandbox.recorder import REDACTED
from tests.sandbox.helpers import Api, FakeClock

TAGS = "externalcontact/get_corp_tag_list"


async def test_errcode_fault_for_the_next_n_calls(sandbox: Sandbox, contact_api: Api) -> None:
    sandbox.faults.add(TAGS, errcode=45009, times=2)
    assert (await contact_api.post(TAGS, {}))["errcode"] == 45009
    second = await contact_api.post(TAGS, {})
    assert second["errcode"] == 45009
    assert "api freq out of limit" in second["errmsg"]
    assert (await contact_api.post(TAGS, {}))["errcode"] == 0
    assert [c.fault is not None for c in sandbox.calls_to(TAGS)] == [True, True, False]


async def test_fault_only_hits_its_path(sandbox: Sandbox, contact_api: Api) -> None:
    sandbox.faults.add("/cgi-bin/externalcontact/send_welcome_msg", errcode=-1)
    assert (await contact_api.post(TAGS, {}))["errcode"] == 0
    busy = await contact_api.post("externalcontact/send_welcome_msg", {"welcome_code": "x"})
    assert busy["errcode"] == -1
    assert len(sandbox.faults) == 0


async def test_http_status_fault(
    client: TestClient[Any, Any], sandbox: Sandbox, contact_api: Api
) -> None:
    sandbox.faults.add(TAGS, status=502)
    async with client.post(
        f"/cgi-bin/{TAGS}", params={"access_token": contact_api.token}, json={}
    ) as resp:
        assert resp.status == 502
    call = sandbox.calls_to(TAGS)[-1]
    assert (call.status, call.errcode) == (502, None)
    assert (await contact_api.post(TAGS, {}))["errcode"] == 0


async def test_delay_fault_then_normal_answer(sandbox: Sandbox, contact_api: Api) -> None:
    sandbox.faults.add("*", delay=0.2)
    started = time.monotonic()
    data = await contact_api.post(TAGS, {})
    assert time.monotonic() - started >= 0.2
    assert data["errcode"] == 0
    started = time.monotonic()
    await contact_api.post(TAGS, {})
    assert time.monotonic() - started < 0.2


def test_fault_arguments_are_checked(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError):
        sandbox.faults.add(TAGS, errcode=1, times=0)
    with pytest.raises(ValueError):
        sandbox.faults.add(TAGS, errcode=0)


async def test_calls_are_recorded_with_secrets_redacted(
    sandbox: Sandbox, contact_api: Api, clock: FakeClock
) -> None:
    clock.advance(5)
    await contact_api.post(TAGS, {"tag_id": ["et1"]})
    gettoken = sandbox.calls_to("gettoken")[0]
    assert gettoken.query["corpsecret"] == REDACTED
    assert gettoken.secret_kind is None
    call = sandbox.calls_to(TAGS)[0]
    assert call.method == "POST"
    assert call.query == {"access_token": REDACTED}
    assert call.body == {"tag_id": ["et1"]}
    assert (call.status, call.errcode, call.secret_kind) == (200, 0, "contact")
    assert call.time == clock.now
    assert call.response is not None and call.response["tag_group"] == []
    assert sandbox.recorder.last().path == TAGS


async def control(
    client: TestClient[Any, Any], method: str, path: str, payload: Any = None
) -> dict[str, Any]:
    async with client.request(method, f"/sandbox/{path}", json=payload) as resp:
        assert resp.status == 200, await resp.text()
        data: dict[str, Any] = await resp.json()
        return data


async def test_control_api(
    client: TestClient[Any, Any], sandbox: Sandbox, contact_api: Api
) -> None:
    fault = await control(client, "POST", "faults", {"path": TAGS, "errcode": 45033, "times": 3})
    assert fault["times"] == 3
    assert (await control(client, "GET", "faults"))["faults"][0]["errcode"] == 45033
    assert (await contact_api.post(TAGS, {}))["errcode"] == 45033
    await control(client, "DELETE", "faults")
    assert (await contact_api.post(TAGS, {}))["errcode"] == 0
    calls = (await control(client, "GET", f"calls?path={TAGS}"))["calls"]
    assert [c["errcode"] for c in calls] == [45033, 0]
    now = (await control(client, "POST", "clock", {"advance": 30}))["now"]
    assert now == sandbox.now()
    await control(client, "POST", "staff", {"userid": "wangwu", "department": [3]})
    assert sandbox.state.staff["wangwu"].department == [3]
    result = await control(
        client, "POST", "scenarios/customer_adds_staff", {"userid": "wangwu", "state": "s9"}
    )
    assert result["welcome_code"] and result["delivered"] is False
    code = (await control(client, "POST", "oauth_code", {"userid": "wangwu"}))["code"]
    assert sandbox.state.oauth_codes[code].owner == "wangwu"
    revoked = await control(client, "POST", "tokens/revoke", {"kind": "contact"})
    assert revoked["revoked"] == 1
    assert (await contact_api.post(TAGS, {}))["errcode"] == 40014
    await control(client, "POST", "reset")
    assert sandbox.calls == [] and sandbox.state.contacts == {}
    assert "wangwu" in sandbox.state.staff  # staff survive a reset


async def test_control_api_refuses_bad_requests(client: TestClient[Any, Any]) -> None:
    async with client.post("/sandbox/scenarios/blow_up", json={}) as resp:
        assert resp.status == 400
    async with client.post("/sandbox/faults", json={"errcode": 1}) as resp:
        assert resp.status == 400
        assert "path" in (await resp.json())["error"]
    async with client.post("/sandbox/scenarios/staff_sends_text", json={"userid": "ghost"}) as r:
        assert r.status == 400


async def test_unknown_api_path_is_404(client: TestClient[Any, Any], sandbox: Sandbox) -> None:
    async with client.get("/cgi-bin/nope/nothing") as resp:
        assert resp.status == 404
    assert sandbox.calls[-1].status == 404


async def test_malformed_json_body(client: TestClient[Any, Any], contact_api: Api) -> None:
    async with client.post(
        f"/cgi-bin/{TAGS}", params={"access_token": contact_api.token}, data=b"{not json"
    ) as resp:
        assert (await resp.json())["errcode"] == 47001


async def test_start_on_a_real_port(sandbox: Sandbox) -> None:
    import aiohttp

    base_url = await sandbox.start()
    try:
        assert base_url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as session:
            params = {"corpid": sandbox.corp_id, "corpsecret": sandbox.app_secret}
            async with session.get(f"{base_url}/cgi-bin/gettoken", params=params) as resp:
                assert (await resp.json())["errcode"] == 0
    finally:
        await sandbox.stop()
    assert sandbox.base_url is None


async def test_base_frequency_limit_per_api(
    sandbox: Sandbox, contact_api: Api, clock: FakeClock
) -> None:
    sandbox.rate_limiter.per_minute, sandbox.rate_limiter.per_hour = 3, 5
    answers = [(await contact_api.post(TAGS, {}))["errcode"] for _ in range(4)]
    assert answers == [0, 0, 0, 45009]
    other = await contact_api.post("externalcontact/get_intercept_rule_list", {})
    assert other["errcode"] == 0  # the limit is per API
    clock.advance(60)
    assert [(await contact_api.post(TAGS, {}))["errcode"] for _ in range(3)] == [0, 0, 45009]
    clock.advance(3600)
    assert (await contact_api.post(TAGS, {}))["errcode"] == 0


def test_default_base_limits_are_documented_ones(sandbox: Sandbox) -> None:
    assert (sandbox.rate_limiter.per_minute, sandbox.rate_limiter.per_hour) == (10_000, 150_000)
