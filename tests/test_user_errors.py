"""Every error whose message is written for a person shares one base, so the CLI, admin chat and
imports can show any of them the same way (and a new one can't be forgotten in a catch list)."""

from __future__ import annotations

import importlib

import pytest

from bot.errors import StartError, UserError

FOR_PEOPLE = [
    "bot.admin.call.CommandError",
    "bot.attachments.AttachmentError",
    "bot.config.ConfigError",
    "bot.media.MediaError",
    "bot.storage.url.RedisUrlError",
    "bot.rfm.orders.OrderError",
    "bot.sop.rules.SopError",
    "bot.tagging.rules.RuleError",
    "bot.templating.language.TemplateProblem",
    "bot.text.library.LibraryError",
    "bot.timestamps.TimeValueError",
    "bot.typed_input.InputProblems",
    "bot.web.ingest_messages.RowError",
    "bot.welcome.templates.TemplateError",
    "scripts_library.products.ProductError",
    "scripts_library.scripts.ScriptError",
    "sidebar_web.common.SidebarError",
]
CANNOT_START = [
    "bot.app.StartupError",
    "bot.storage.embedded.EmbeddedRedisError",
    "bot.lifecycle.PortBusy",
    "bot.supervisor.SupervisorError",
]


def _class(path: str) -> type:
    module, _, name = path.rpartition(".")
    found: type = getattr(importlib.import_module(module), name)
    return found


@pytest.mark.parametrize("path", FOR_PEOPLE)
def test_refused_input_is_a_user_error_exiting_2(path: str) -> None:
    error = _class(path)
    assert issubclass(error, UserError) and not issubclass(error, StartError)
    assert error.exit_code == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", CANNOT_START)
def test_a_run_that_cannot_start_exits_1(path: str) -> None:
    error = _class(path)
    assert issubclass(error, StartError) and error.exit_code == 1  # type: ignore[attr-defined]
