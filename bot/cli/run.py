"""The `scrm-bot` command line: serve, demo, doctor, deadletter, and every feature's commands
(from its record in `bot.features`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from bot import logs
from bot.cli import audit as cli_audit
from bot.config import ConfigError, Settings
from bot.config_file import CorpConfig, load_corps, load_settings
from bot.features import Run, cli_groups
from bot.lifecycle import check_free_port
from bot.storage.client import EmbeddedRedisError, open_redis

log = logging.getLogger("scrm")


CONFIG_PARENT = argparse.ArgumentParser(add_help=False)
CONFIG_PARENT.add_argument("--config", metavar="FILE", help="TOML file with SCRM_* keys")


# An operator's command (an import, an export, a sync) runs beside a serving bot on the same
# machine: it yields the CPU, so a 50,000-word import doesn't slow the callbacks and welcomes.
CLI_NICENESS = 10


def feature_commands() -> dict[str, Run]:
    """`scrm-bot <name>` -> who runs it, from the feature records."""
    return {name: group.run for group in cli_groups() for name in group.commands}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scrm-bot", description="WeCom SCRM bot and chat-toolbar sidebar assistant"
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    parser.add_argument(
        "--corp",
        metavar="SLUG",
        help="with a config file of several corps ([corps.<slug>]): the corp a command is for",
    )
    parser.add_argument(
        "--by",
        dest="actor",  # `stats --by staff|channel` is another option of the same name
        metavar="NAME",
        type=cli_audit.by_name,
        help="who the audit log records for a change (default: the operating-system user)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--config", metavar="FILE", help="TOML file with SCRM_* keys")
        return sub

    serve = with_config(
        commands.add_parser(
            "serve",
            help="run the callback server and pipeline",
            description="Run the callback server, the sidebar and the pipeline. It listens on "
            "all interfaces (0.0.0.0) unless --host says otherwise: put it behind a reverse "
            "proxy (deploy/nginx) or pass --host 127.0.0.1. /healthz, /readyz and /metrics "
            "answer on the same port unless SCRM_METRICS_PORT moves /metrics to its own "
            "(on the same host) and SCRM_METRICS_TOKEN asks a bearer token for it.",
        )
    )
    serve.add_argument(
        "--host",
        default="0.0.0.0",
        help="address to listen on (default 0.0.0.0: every interface; 127.0.0.1: this machine)",
    )
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--role",
        choices=("all", "callback", "worker"),
        default="all",
        help="all (default): callbacks and pipeline; callback: receive only; worker: pipeline only",
    )
    serve.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="worker processes sharing the port (SO_REUSEPORT) under a supervisor (default 1)",
    )
    serve.add_argument("--supervised", action="store_true", help=argparse.SUPPRESS)

    demo = commands.add_parser("demo", help="run a scripted scenario against the local sandbox")
    demo.add_argument("--once", action="store_true", help="exit after the scenario")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8080, help="bot port (0 = any free port)")
    demo.add_argument("--data-dir", default="scrm-demo-data", help="embedded Redis folder")

    doctor = with_config(commands.add_parser("doctor", help="check config, Redis and secrets"))
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")

    dead = with_config(commands.add_parser("deadletter", help="inspect or replay failed events"))
    dead_commands = dead.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = dead_commands.add_parser("list", help="print dead letters as JSON lines")
    listing.add_argument("--limit", type=int, default=100)
    replay = dead_commands.add_parser("replay", help="put dead letters back on the stream")
    replay.add_argument("ids", nargs="*", help="dead-letter ids (see list)")
    replay.add_argument("--all", action="store_true", help="replay every dead letter")
    purge = dead_commands.add_parser("purge", help="delete dead letters for good")
    purge.add_argument("ids", nargs="+")
    for group in cli_groups():  # each feature's commands, every one with --config
        group.add_parsers(_WithConfig(commands))
    return parser


class _WithConfig:
    """The subparsers a feature adds its commands to: each top-level command gets the one
    `--config` option from the shared parent parser."""

    def __init__(self, commands: Any) -> None:
        self._commands = commands

    def add_parser(self, name: str, **options: Any) -> argparse.ArgumentParser:
        parents = [*options.pop("parents", []), CONFIG_PARENT]
        parser: argparse.ArgumentParser = self._commands.add_parser(
            name, parents=parents, **options
        )
        return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # SCRM_LOG_FORMAT from the environment at once; a TOML file's once the settings are read
    logs.configure(args.log_level, os.environ.get("SCRM_LOG_FORMAT", "text").strip().lower())
    try:
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(args.host, args.port, args.data_dir, once=args.once))
        if args.command == "serve":
            return _serve_command(args, argv)
        # a command that takes no --config (a test's feature, say) reads the environment
        settings = load_settings(getattr(args, "config", None), corp=args.corp)
        logs.set_format(settings.log_format)
        if args.command == "doctor":
            return asyncio.run(_doctor(settings, as_json=args.json))
        args.actor = args.actor or cli_audit.operator()
        feature = feature_commands().get(args.command)
        if feature is not None:
            if argv is None:  # its own process (not a test calling main): batch work
                os.nice(CLI_NICENESS)
            forwarded = sys.argv[1:] if argv is None else argv
            return asyncio.run(
                cli_audit.audited(feature(settings, args), settings, args, forwarded)
            )
        return asyncio.run(_deadletter(settings, args))
    except ConfigError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2
    except (EmbeddedRedisError, RuntimeError) as exc:
        print(f"启动失败：{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _workers(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 64:
        raise argparse.ArgumentTypeError("应在 1 到 64 之间")
    return number


def _serve_command(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    """`serve`: every corp of the config (one, or `[corps.*]`), in one process or N."""
    if args.corp:
        raise ConfigError("--corp", "serve 服务配置文件中的所有企业，不接受 --corp")
    corps = load_corps(args.config)
    # process-wide choices (log format, the embedded Redis) follow the first corp's settings
    settings = corps[0].settings
    logs.set_format(settings.log_format)
    if args.workers > 1:
        from bot.supervisor import serve_workers

        forwarded = list(sys.argv[1:] if argv is None else argv)
        return serve_workers(settings, forwarded, args.host, args.port, args.role, args.workers)
    return _serve(corps, args.host, args.port, args.role, supervised=args.supervised)


def _serve(corps: list[CorpConfig], host: str, port: int, role: str, *, supervised: bool) -> int:
    from bot.app import create_app
    from bot.corps_app import create_corps_app
    from bot.lifecycle import serve_app

    paths = [corp.path for corp in corps] if corps[0].slug else ["/"]
    if not supervised:  # a worker shares the port its supervisor checked
        check_free_port(host, port)
    log.info("starting (role %s, pid %d)", role, os.getpid())

    def serving() -> None:  # once Redis answered and the port is bound, not before
        if role != "worker":
            for path in paths:
                log.info(
                    "serving WeCom callbacks on http://%s:%d%swecom/callback", host, port, path
                )
        if role != "callback":
            log.info("pipeline consumer running (role %s)", role)

    if corps[0].slug:
        app = create_corps_app(corps, role=role)
    else:
        app = create_app(corps[0].settings, role=role)
    # supervised: one of `serve --workers N`, sharing the port and stopping with the supervisor
    settings = corps[0].settings  # process-wide: the first corp's, as for the log format
    serve_app(
        app,
        host,
        port,
        supervised=supervised,
        header_timeout=settings.header_timeout_seconds,
        metrics_port=settings.metrics_port,
        on_serving=serving,
    )
    return 0


async def _doctor(settings: Settings, *, as_json: bool) -> int:
    from bot.doctor import run_doctor

    checks = await run_doctor(settings)
    if as_json:
        print(json.dumps([check.as_dict() for check in checks], ensure_ascii=False, indent=2))
    else:
        for check in checks:
            print(f"{'✓' if check.ok else '✗'} {check.name}：{check.detail}")
    return 0 if all(check.ok for check in checks) else 1


async def _deadletter(settings: Settings, args: argparse.Namespace) -> int:
    from bot.keys import RedisKeys
    from bot.pipeline import deadletter

    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    async with open_redis(settings.redis_url, settings.data_dir) as (redis, _url):
        if args.action == "list":
            for letter in await deadletter.list_dead_letters(redis, keys, args.limit):
                print(json.dumps(letter.as_dict(), ensure_ascii=False))
            return 0
        if args.action == "replay":
            if not args.ids and not args.all:
                print("请给出要重放的 id，或用 --all 重放全部", file=sys.stderr)
                return 2
            new_ids = await deadletter.replay_dead_letters(
                redis, keys, None if args.all else args.ids
            )
            print(json.dumps({"replayed": len(new_ids), "new_ids": new_ids}))
            return 0
        removed = await deadletter.purge_dead_letters(redis, keys, args.ids)
        print(json.dumps({"purged": removed}))
        return 0
