"""`scrm-bot doctor` against the sandbox: each problem explained in plain words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import Settings
from bot.doctor import Check, run_doctor
from bot.sandbox import Sandbox


@pytest.fixture
def sandbox(live_sandbox: Sandbox) -> Sandbox:
    return live_sandbox


@pytest.fixture
def doctor_settings(sandbox_settings: Settings) -> Settings:
    return sandbox_settings


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name.split("（")[0]: check for check in checks}


async def test_all_good(doctor_settings: Settings) -> None:
    checks = by_name(await run_doctor(doctor_settings))
    machine = {"海报字体"}  # whether the machine has a CJK font is the machine's business
    assert all(check.ok for name, check in checks.items() if name not in machine), checks
    assert set(checks) == {"配置", "Redis", "应用 Secret", "客户联系 Secret"} | {
        "获客助手额度",
        "海报字体",
    }
    assert "2 名成员已开通客户联系" in checks["客户联系 Secret"].detail
    assert checks["获客助手额度"].detail.startswith("剩余 100 次")


async def test_a_low_acquisition_quota_is_flagged(
    doctor_settings: Settings, sandbox: Sandbox
) -> None:
    sandbox.state.acquisition_balance = 5
    quota = by_name(await run_doctor(doctor_settings))["获客助手额度"]
    assert not quota.ok and "剩余 5 次" in quota.detail and "即将用完" in quota.detail
    sandbox.faults.add(
        "externalcontact/customer_acquisition_quota", errcode=48002, errmsg="api forbidden"
    )
    quota = by_name(await run_doctor(doctor_settings))["获客助手额度"]
    assert quota.ok and "未开通或应用无权调用（错误码 48002）" in quota.detail


async def test_wrong_secret_40001(doctor_settings: Settings) -> None:
    checks = by_name(await run_doctor(replace(doctor_settings, agent_secret="not-the-secret")))
    app = checks["应用 Secret"]
    assert not app.ok
    assert "40001" in app.detail and "Secret 不正确" in app.detail
    assert checks["客户联系 Secret"].ok


async def test_app_without_contact_permission_48002(
    doctor_settings: Settings, sandbox: Sandbox
) -> None:
    sandbox.app_has_contact_permission = False
    settings = replace(doctor_settings, contact_secret=doctor_settings.agent_secret)
    checks = by_name(await run_doctor(settings))
    contact = checks["客户联系接口"]
    assert not contact.ok
    assert "48002" in contact.detail and "可调用接口的应用" in contact.detail
    assert checks["应用 Secret"].ok


async def test_untrusted_ip_60020(doctor_settings: Settings, sandbox: Sandbox) -> None:
    sandbox.faults.add("agent/get", errcode=60020, errmsg="not allow to access from your ip")
    checks = by_name(await run_doctor(doctor_settings))
    assert not checks["应用 Secret"].ok
    assert "60020" in checks["应用 Secret"].detail and "可信 IP" in checks["应用 Secret"].detail


async def test_unreachable_redis(doctor_settings: Settings) -> None:
    checks = by_name(await run_doctor(replace(doctor_settings, redis_url="redis://127.0.0.1:1/0")))
    assert not checks["Redis"].ok
    assert "应用 Secret" not in checks  # nothing to cache tokens in: not probed
