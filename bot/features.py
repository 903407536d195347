"""Every feature of the bot, one record each: what it plugs into the app and the command line.

`bot/app.py` builds the dispatcher from the routers listed here (in priority order) and every
process's periodic work from theirs, `scrm-bot` its commands from the CLI groups, and admin chat
its grammar and executors from the admin parts. A new feature is its own folder plus one line
in `FEATURES`. Configuration as code reads and writes the config sections listed here, in their
ranks' order (`bot.config_io.sections.all_sections`).

Router priorities leave gaps so a feature can slot in between; their order is the dispatch order
of one event's handlers: the welcome first (WeCom's 20-second window), the catch-all last.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot import media
from bot.acquisition import cli as acquisition_cli
from bot.acquisition import console as acquisition_console
from bot.admin.call import AdminPart
from bot.archive import console as archive_console
from bot.archive import runtime as archive_runtime
from bot.config import Settings
from bot.config_io import cli as config_cli
from bot.config_io.sections import ConfigSection
from bot.context import HandlerContext
from bot.fission import cli as fission_cli
from bot.fission import config_section as fission_config
from bot.fission import console as fission_console
from bot.fission import periodic as fission_periodic
from bot.group_codes import admin as group_codes_admin
from bot.group_codes import cli as group_codes_cli
from bot.group_codes import config_section as group_codes_config
from bot.group_codes import console as group_codes_console
from bot.group_codes import periodic as group_codes_periodic
from bot.inheritance import admin as inherit_admin
from bot.inheritance import cli as inherit_cli
from bot.inheritance import console as inherit_console
from bot.inheritance import periodic as inherit_periodic
from bot.mass import admin as mass_admin
from bot.mass import cli as mass_cli
from bot.mass import console as mass_console
from bot.mass import periodic as mass_periodic
from bot.moments import cli as moments_cli
from bot.moments import console as moments_console
from bot.moments import periodic as moments_periodic
from bot.periodic import PeriodicWork
from bot.profiles import cli as profiles_cli
from bot.rfm import cli as rfm_cli
from bot.rfm import periodic as rfm_periodic
from bot.routing import Router
from bot.sop import admin as sop_admin
from bot.sop import cli as sop_cli
from bot.sop import config_section as sop_config
from bot.sop import console as sop_console
from bot.sop import periodic as sop_periodic
from bot.stats import cli as stats_cli
from bot.store_codes import admin as store_codes_admin
from bot.store_codes import cli as store_codes_cli
from bot.store_codes import config_section as store_codes_config
from bot.store_codes import console as store_codes_console
from bot.store_codes import landing as store_codes_landing
from bot.tagging import admin as tagging_admin
from bot.tagging import cli as tags_cli
from bot.tagging import config_section as tagging_config
from bot.text import admin as words_admin
from bot.text import cli as words_cli
from bot.text import config_section as words_config
from bot.text import console as words_console
from bot.text import periodic as words_periodic
from bot.wecom_stats import cli as wecom_stats_cli
from bot.wecom_stats import console as wecom_stats_console
from bot.wecom_stats import periodic as wecom_stats_periodic
from bot.welcome import admin as welcome_admin
from bot.welcome import cli as welcome_cli
from bot.welcome import cli_group as group_welcome_cli
from bot.welcome import config_section as welcome_config
from bot.welcome import console as welcome_console
from bot.welcome import periodic as welcome_periodic
from console_web.part import ConsolePart
from handlers import (
    acquisition,
    admin,
    archive,
    channels,
    chat,
    fission,
    group_codes,
    group_welcome,
    inheritance,
    kf,
    names,
    profiles,
    sensitive,
    sop,
    stats,
    tagging,
    unhandled,
    welcome,
)
from scripts_library import admin as scripts_admin
from scripts_library import cli_products, cli_scripts
from scripts_library import config_section as scripts_config
from scripts_library import console as scripts_console

Subparsers = Any  # argparse's private _SubParsersAction
Run = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


@dataclass(frozen=True, slots=True)
class CliGroup:
    """Top-level `scrm-bot` commands: who adds their parsers, which names they take, who runs
    them (`run(settings, args) -> exit code`)."""

    commands: tuple[str, ...]
    add_parsers: Callable[[Subparsers], object]
    run: Run


Periodic = Callable[[HandlerContext], list[PeriodicWork]]


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature: its event routers with their dispatch priority, its commands, and its
    periodic work (built once per app from the app's services)."""

    name: str
    routers: tuple[tuple[int, Router], ...] = ()
    cli: tuple[CliGroup, ...] = ()
    periodic: Periodic | None = None
    admin: AdminPart | None = None  # its admin chat commands
    config: tuple[ConfigSection, ...] = ()  # its parts of the configuration file
    console: ConsolePart | None = None  # its own pages in the operators' console
    web: Callable[[web.Application], None] | None = None  # its public routes, if any


FEATURES: tuple[Feature, ...] = (
    # the features with admin chat commands first: 帮助 lists them in this order
    Feature(
        "scripts",
        cli=(
            CliGroup(("scripts",), cli_scripts.add_parsers, cli_scripts.run),
            CliGroup(("products",), cli_products.add_parsers, cli_products.run),
        ),
        admin=scripts_admin.PART,
        config=scripts_config.SECTIONS,
        console=scripts_console.PART,
    ),
    Feature(
        "words",
        ((110, sensitive.router),),
        (CliGroup(("words",), words_cli.add_parser, words_cli.run_words),),
        words_periodic.periodic,
        words_admin.PART,
        words_config.SECTIONS,
        words_console.PART,
    ),
    Feature(
        "tagging",
        ((100, tagging.router),),
        (CliGroup(("tags",), tags_cli.add_parsers, tags_cli.run),),
        admin=tagging_admin.PART,
        config=tagging_config.SECTIONS,
    ),
    Feature(
        "welcome",
        ((10, welcome.router), (20, channels.router), (60, group_welcome.router)),
        (
            CliGroup(("welcome", "channels"), welcome_cli.add_parsers, welcome_cli.run),
            CliGroup(("group-welcome",), group_welcome_cli.add_parsers, group_welcome_cli.run),
        ),
        welcome_periodic.periodic,
        welcome_admin.PART,
        welcome_config.SECTIONS,
        welcome_console.PART,
    ),
    Feature(
        "group_codes",
        ((65, group_codes.router),),  # after group welcomes' join log (60)
        (CliGroup(("group-codes",), group_codes_cli.add_parsers, group_codes_cli.run),),
        group_codes_periodic.periodic,
        group_codes_admin.PART,
        group_codes_config.SECTIONS,
        group_codes_console.PART,
    ),
    Feature(
        "acquisition",
        ((56, acquisition.router),),
        (CliGroup(("links",), acquisition_cli.add_parsers, acquisition_cli.run),),
        console=acquisition_console.PART,
    ),
    Feature(
        "fission",
        ((55, fission.router),),
        (CliGroup(("fission",), fission_cli.add_parsers, fission_cli.run),),
        fission_periodic.periodic,
        fission_console.ADMIN,
        fission_config.SECTIONS,
        fission_console.PART,
    ),
    Feature(
        "store_codes",
        cli=(CliGroup(("stores",), store_codes_cli.add_parsers, store_codes_cli.run),),
        admin=store_codes_admin.PART,
        config=store_codes_config.SECTIONS,
        console=store_codes_console.PART,
        web=store_codes_landing.setup,
    ),
    Feature(
        "mass",
        cli=(CliGroup(("mass",), mass_cli.add_parsers, mass_cli.run),),
        periodic=mass_periodic.periodic,
        admin=mass_admin.PART,
        console=mass_console.PART,
    ),
    Feature(
        "moments",
        cli=(CliGroup(("moments",), moments_cli.add_parsers, moments_cli.run),),
        periodic=moments_periodic.periodic,
        console=moments_console.PART,
    ),
    Feature(
        "inheritance",
        ((75, inheritance.router),),
        (CliGroup(("inherit",), inherit_cli.add_parsers, inherit_cli.run),),
        inherit_periodic.periodic,
        inherit_admin.PART,
        console=inherit_console.PART,
    ),
    Feature(
        "sop",
        ((40, sop.router),),
        (CliGroup(("sop",), sop_cli.add_parsers, sop_cli.run),),
        sop_periodic.periodic,
        sop_admin.PART,
        sop_config.SECTIONS,
        sop_console.PART,
    ),
    Feature(
        "profiles",
        ((30, profiles.router),),
        (CliGroup(("profile", "profiles"), profiles_cli.add_parsers, profiles_cli.run),),
    ),
    Feature(
        "stats",
        ((50, stats.router),),
        (CliGroup(("stats",), stats_cli.add_parsers, stats_cli.run),),
    ),
    Feature(
        "wecom_stats",
        cli=(CliGroup(("wecom-stats",), wecom_stats_cli.add_parsers, wecom_stats_cli.run),),
        periodic=wecom_stats_periodic.periodic,
        console=wecom_stats_console.PART,
    ),
    Feature(
        "rfm",
        cli=(CliGroup(("rfm",), rfm_cli.add_parsers, rfm_cli.run),),
        periodic=rfm_periodic.periodic,
    ),
    Feature(
        "archive",
        ((72, archive.router),),
        periodic=archive_runtime.periodic,
        console=archive_console.PART,
    ),
    Feature("names", ((65, names.router),)),
    Feature("kf", ((70, kf.router),)),
    Feature("admin", ((80, admin.router),)),
    Feature("chat", ((90, chat.router),)),
    Feature("media", periodic=media.periodic),  # uploads shared by welcomes, scripts and SOP steps
    Feature(
        "config", cli=(CliGroup(("export", "import"), config_cli.add_parsers, config_cli.run),)
    ),
    Feature("unhandled", ((999, unhandled.router),)),  # last: logs what nothing else handles
)


def routers() -> list[Router]:
    """Every feature's routers, in dispatch order."""
    ranked = sorted((rank, router.name, router) for f in FEATURES for rank, router in f.routers)
    return [router for _, _, router in ranked]


def periodic_work(ctx: HandlerContext) -> list[PeriodicWork]:
    """Every feature's periodic work, built from the app's services."""
    return [work for f in FEATURES if f.periodic for work in f.periodic(ctx)]


def admin_parts() -> list[AdminPart]:
    """Every feature's admin chat commands, in the records' order (as 帮助 lists them)."""
    return [feature.admin for feature in FEATURES if feature.admin]


def web_setups() -> list[Callable[[web.Application], None]]:
    """Every feature's public routes (set up by the web-facing processes)."""
    return [feature.web for feature in FEATURES if feature.web]


def console_parts() -> list[ConsolePart]:
    """Every feature's own console pages, in the records' order (the menu's)."""
    return [feature.console for feature in FEATURES if feature.console]


def config_sections() -> list[ConfigSection]:
    """Every feature's configuration sections (`bot.config_io` orders them by rank)."""
    return [section for feature in FEATURES for section in feature.config]


def cli_groups() -> list[CliGroup]:
    return [group for feature in FEATURES for group in feature.cli]
