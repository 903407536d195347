"""What a soak run sets up before the traffic: the bot's environment, its configuration (a tag
rule and an SOP imported with `scrm-bot import`, as an operator would), and the sandbox corp."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import asdict
from pathlib import Path

import yaml

from benchmarks.bot_process import sandbox_env
from benchmarks.soak.processes import ROOT
from bot.sandbox import Sandbox
from bot.sop.rules import SopRule, SopStep
from bot.tagging.rules import TagRule

ADMIN = "admin1"
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"

TAG_RULES = [
    TagRule("soak-refund", "退款意向", ["退款", "发票"], "售后意向", "退款关注"),
    TagRule("soak-groupbuy", "团购意向", ["团购"], "购买意向", "团购"),
]


def sop_rule(minutes: int) -> SopRule:
    """Every new customer's member is reminded `minutes` after the add (0: at once)."""
    step = SopStep(text="{{ customer_name }}您好，这是新客跟进提醒", minutes=minutes)
    return SopRule("soak-newcustomer", "浸泡新客提醒", [step])


def bot_env(sandbox: Sandbox, api_base: str, redis_url: str, data_dir: Path) -> dict[str, str]:
    """The bot's environment for the sandbox corp (nothing of this process's SCRM_* inherited)."""
    return sandbox_env(
        sandbox,
        api_base,
        redis_url,
        SCRM_ADMINS=ADMIN,
        SCRM_DATA_DIR=str(data_dir),
        SCRM_KEY_PREFIX="soak",
    )


def sandbox_corp(staff: int, seed: int) -> tuple[Sandbox, list[str]]:
    """A sandbox corp with `staff` members who take customers, and the admin."""
    sandbox = Sandbox(seed=seed)
    userids = [f"soak{n:02d}" for n in range(1, staff + 1)]
    for n, userid in enumerate(userids):
        sandbox.add_staff(userid, f"{SURNAMES[n % len(SURNAMES)]}顾问{n + 1}")
    sandbox.add_staff(ADMIN, "管理员")
    return sandbox, userids


CONFIG_CHANGED = 3  # `scrm-bot import`'s exit code when the configuration changed meanwhile
CHANGED_RETRIES = 5


async def import_config(env: dict[str, str], folder: Path, sop: SopRule) -> None:
    """`scrm-bot import` of the tag rules and the SOP; raises with its output if refused."""
    data = {
        "version": 1,
        "tag_rules": [_fields(asdict(rule), ("enabled",)) for rule in TAG_RULES],
        "sops": [_fields(asdict(sop), ("version", "updated_at", "updated_by", "schedule"))],
    }
    path = folder / "soak-config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    # the bot starts meanwhile and adds its starter words: an import that overlaps it ends
    # with exit 3 ("changed meanwhile, nothing written, run it again"), as documented
    for _ in range(CHANGED_RETRIES):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--log-level",
            "WARNING",
            "import",
            str(path),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        if process.returncode != CONFIG_CHANGED:
            break
        await asyncio.sleep(0.5)
    if process.returncode != 0:
        raise RuntimeError(f"scrm-bot import failed: {output.decode(errors='replace')}")


def _fields(raw: dict[str, object], drop: tuple[str, ...]) -> dict[str, object]:
    return {k: v for k, v in raw.items() if k not in drop}


def tag_ids(sandbox: Sandbox) -> dict[str, str]:
    """Keyword → the id of the tag its rule marks, as the sandbox has it (once created)."""
    groups = {g.group_id: g.group_name for g in sandbox.state.tag_groups.values()}
    by_name = {(groups.get(t.group_id, ""), t.name): t.id for t in sandbox.state.tags.values()}
    found = {}
    for rule in TAG_RULES:
        for word in rule.keywords:
            found[word] = by_name.get((rule.tag_group, rule.tag_name), f"<{rule.tag_name}: none>")
    return found


def held_tags(sandbox: Sandbox) -> dict[tuple[str, str], set[str]]:
    return {key: set(follow.tag_ids) for key, follow in sandbox.state.follows.items()}
