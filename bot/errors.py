"""The one base of errors whose message is written for a person.

A `UserError`'s text is shown as it is — by the CLI (one line on stderr), admin chat, the
sidebar and configuration imports — so it is Simplified Chinese, one line, names the field or
value at fault, quotes at most a short prefix of any input (`bot.quoting.echo`) and never holds
a secret. `exit_code` is what the CLI exits with: 2 for refused input (the default), 1 for a
run that could not start. Errors for developers (a WeCom errcode, a parse failure logged with
its reason, a callback refusal's metric label) are not UserErrors.
"""

from __future__ import annotations


class UserError(Exception):
    """An error whose message is meant for the person who caused it."""

    exit_code = 2


class StartError(UserError):
    """A run that could not start (a busy port, a data folder taken, Redis not starting)."""

    exit_code = 1
