"""A tiny feature, `ping`, written the way a new feature is added (docs/architecture.md): this
folder, and one `Feature(...)` line (which tests/test_features.py adds to the records). It has an
admin chat command (`ping`, answered 「pong」) and its CLI twin (`scrm-bot ping`)."""

from __future__ import annotations

import argparse

from bot.admin.call import AdminPart, Call
from bot.admin.grammar import Noun, Parsed, Spec
from bot.config import Settings
from bot.features import CliGroup, Feature

REPLY = "pong：机器人在线"


async def ping(cmd: Parsed, call: Call) -> str:
    return REPLY


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands.add_parser("ping", help="check that the command line works")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    print(REPLY)
    return 0


FEATURE = Feature(
    "ping",
    cli=(CliGroup(("ping",), add_parsers, run),),
    admin=AdminPart(
        nouns=(Noun("ping", ("ping", "在吗"), "在线检查"),),
        specs=(Spec("ping", "", ("ping", "在吗"), usage="ping", help="看机器人是否在线。"),),
        executors={"ping": ping},
    ),
)
