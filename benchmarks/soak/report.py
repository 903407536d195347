"""The soak run's report: Markdown tables for the terminal and the "Soak run" section of
benchmarks/README.md (replaced in place on a re-run, everything else left as it is)."""

from __future__ import annotations

import math
import os
import platform
import subprocess
import time
from pathlib import Path

from benchmarks.soak.harness import SoakResult
from benchmarks.soak.memory import GROWTH_LIMIT

HEADING = "## Soak run"
README = Path(__file__).resolve().parents[1] / "README.md"


def machine() -> str:
    """nproc, CPU model, RAM, Python and Redis versions, in one line."""
    cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace").splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    kib = next((int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:")), 0)
    try:
        redis = (
            subprocess.run(
                ["/usr/bin/redis-server", "--version"], capture_output=True, text=True, check=False
            )
            .stdout.split()[2]
            .removeprefix("v=")
        )
    except (OSError, IndexError):
        redis = "?"
    return (
        f"{os.cpu_count()} cores (nproc), {model}, {kib / 2**20:.1f} GiB RAM, "
        f"Python {platform.python_version()}, Redis {redis}"
    )


def _ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1f}"


def tables(result: SoakResult) -> str:
    r, cfg = result.reconciliation, result.config
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(r.sent_by_kind.items(), key=lambda i: -i[1]))
    lat = r.latency_ms
    welcomes = r.check("welcome")
    running = r.backlog.jobs_running
    held = f"; {running} job(s) still claimed at the end" if running else ""
    lines = [
        "| measure | result |",
        "|---|---|",
        f"| asked | {cfg.rate:g} events/s for {cfg.minutes:g} min, {cfg.workers} workers |",
        f"| rate held | {r.rate_held:.2f} events/s ({r.sent} sent in {r.seconds:.0f} s) |",
        f"| events by kind | {kinds} |",
        f"| acknowledged (some attempt got 200) | {r.acknowledged} of {r.sent} |",
        f"| lost | **{r.lost}** |",
        f"| duplicates | **{r.duplicates}** |",
        f"| missed or repeated because of an injected fault (listed below) | {r.excused} |",
        f"| welcome latency p50 / p99 / max (ms, callback sent → send_welcome_msg) "
        f"| {_ms(lat['p50'])} / **{_ms(lat['p99'])}** / {_ms(lat['max'])} "
        f"({welcomes.checked - len(welcomes.lost) - len(welcomes.excused)} welcomes) |",
        f"| drained (event stream, retries and due jobs empty) | "
        f"{'yes' if r.drained else f'**no**: {r.backlog}'}{held} |",
        f"| worker exits nobody injected | {result.unexpected_restarts} |",
        f"| load average (1 min) during the run, max | {max(result.load, default=0):.2f} |",
        "",
        "| check | cases | lost | duplicates | explained by an injected fault |",
        "|---|---|---|---|---|",
    ]
    for check in r.checks:
        lines.append(
            f"| {check.name} | {check.checked} | {len(check.lost)} | {len(check.duplicates)} "
            f"| {len(check.excused)} |"
        )
    return "\n".join([*lines, "", *_memory(result), "", *_faults(result), *_details(result)])


def _memory(result: SoakResult) -> list[str]:
    warmup = result.config.warmup_seconds
    lines = [
        f"| process | pid | RSS start (MiB, after {warmup:.0f} s) | RSS end (MiB) | growth |",
        "|---|---|---|---|---|",
    ]
    for m in sorted(result.memory, key=lambda m: (m.role != "supervisor", m.first_seen)):
        start, end, growth = m.start(warmup), m.end(), m.growth(warmup)
        if growth is None or start is None or end is None:
            note = f"seen {m.first_seen:.0f}–{end[0] if end else 0:.0f} s, too short to compare"
            lines.append(f"| {m.role} | {m.pid} | — | — | {note} |")
            continue
        flag = " **⚠ > 10 %**" if growth > GROWTH_LIMIT else ""
        lines.append(
            f"| {m.role} | {m.pid} | {start[1] / 1024:.1f} (at {start[0]:.0f} s) "
            f"| {end[1] / 1024:.1f} (at {end[0]:.0f} s) | {growth:+.1%}{flag} |"
        )
    return lines


def _faults(result: SoakResult) -> list[str]:
    lines = ["| fault injected | from (s) | to (s) |", "|---|---|---|"]
    for w in result.windows:
        lines.append(
            f"| {w.detail} | {w.start - result.started:.1f} | {w.end - result.started:.1f} |"
        )
    return lines


def _details(result: SoakResult, limit: int = 10) -> list[str]:
    r = result.reconciliation
    lines: list[str] = []
    for check in r.checks:
        for label, items in (("lost", check.lost), ("duplicate", check.duplicates)):
            lines += [f"- {check.name}, {label}: {item}" for item in items[:limit]]
        lines += [f"- {check.name}, injected fault: {x}" for x in check.excused[:limit]]
    return ["", *lines] if lines else []


INTRO = """\
`python -m benchmarks.soak [--minutes 10] [--rate 20] [--write-readme]`. Everything runs on this
machine over loopback: a redis-server of the harness's own (AOF, `appendfsync always`), the WeCom
sandbox in the harness process, and `scrm-bot serve --workers 2` (a supervisor and two workers on
one port). A tag rule and an SOP ("remind the member 1 minute after an add") go in with
`scrm-bot import`; 30 staff members and an admin. The sandbox's driver sends the mix open loop,
signed and encrypted, retrying as WeCom does (4 attempts, 5 s timeout, 1 s apart): adds with a
WelcomeCode (34 %), WeChat Customer Service messages (26 %, 16 % with a tag keyword: the tagger
reads customers' text, and staff text to the app is not tagged), edits, deletions both ways,
group joins and leaves, admin commands (`话术 新增` / `话术 搜索`) and staff chat. The faults
repeat every 5 minutes (table below). Afterwards it drains, then reconciles the sandbox's record
of every API call and Redis against what the bot acknowledged:

- **lost**: an acknowledged add whose code was still valid without its welcome; a keyword
  message whose customer lacks the tag; an SOP step due before the end not sent nor still on its
  way (retried, held by a claim, or given up and reported); an admin command without an answer;
  a customer-service message not in the history; a dead letter;
- **duplicates**: a second `send_welcome_msg` for a code, a (member, customer, tag) marked
  twice, a reminder sent twice for one (rule, step, customer), a command answered twice;
- **explained by an injected fault**: the same, when the fault explains it (its calls were all
  answered a fault, or Redis was down / its worker killed within its 20 s, or its retries ran
  out inside a fault window and it sits in the dead letters, replayable) — listed, not counted.

A callback whose four attempts all met Redis down (503) is not acknowledged: WeCom gives up on
it, the bot never promised it, and it is not counted as lost. RSS is read from
`/proc/<pid>/status` every 5 s; a worker replaced after a SIGKILL has its own row, measured from
its own warm-up. Exit status 1 if anything was lost or duplicated, the backlog did not drain, a
worker died uninjected, or a process grew more than 10 %.
"""

FINDINGS = """\
Bugs the harness found on its way to this run, each fixed with a regression test:

1. An admin command's answer vanished when the callback request waiting to pass it back lost
   Redis (a restart): the worker's offer counted as taken. The worker now confirms the
   hand-over and sends what nobody took (`bot/admin/handoff.py`).
2. A command whose run was cut short (its process died, Redis went away mid-command) was never
   answered. It is still not run again, but answered with a notice (`handlers/admin.py`).
3. Events in flight on a SIGKILLed worker waited 60 s for the idle reclaim, so their welcomes
   expired; and an event whose retry could not be scheduled while Redis was down waited the
   same minute. Consumers now keep a heartbeat and a silent one's events are taken over within
   ~10 s (`bot/pipeline/liveness.py`); the retry is scheduled once Redis answers.
4. A dead-lettered chat message lost its text (only `xml` was copied; chat enters the stream as
   JSON) and replayed empty (`bot/pipeline/deadletter.py`).
5. A keyword message from someone nobody has added (a WeChat Customer Service visitor, a
   deleted customer) was dead-lettered after `externalcontact/get` answered 84061 / 40096
   (`bot/tagging/tagger.py`).
6. Concurrent first welcomes on a fresh install could find the default template without its
   scope and send nothing (`ensure_default` wrote the two in separate commands).
7. After a Redis restart every pooled connection failed once (the client had no retry), so
   callbacks got 503s and welcomes came seconds late. A command on a broken connection is now
   retried on a fresh one, up to 3 times within half a second (`bot/storage/client.py`).
8. A SIGTERM landing while a background task was inside a Redis call could leave a worker
   draining forever (on Python 3.11 redis-py's `wait_for` can swallow the cancellation); tasks
   are now cancelled until they end (`bot/background.py`). Found by the multi-corp serving test.

The p99 above comes from the fault windows (a 12 s stall, 6 s of -1, Redis down 3 s). Seen and
left as they are: an SOP step that fails on a Redis error is retried after
the job backoff's 60 s (or its 120 s claim lease); a WeCom outage longer than the pipeline's
5 attempts (~8–15 s) dead-letters what it blocks (replayable, reported as such).
"""


def section(result: SoakResult, command: str) -> str:
    """The whole "Soak run" section, heading included."""
    return "\n".join(
        [
            HEADING,
            "",
            INTRO,
            f"### {time.strftime('%Y-%m-%d', time.localtime(result.started))}",
            "",
            f"Machine: {machine()}. Command: `{command}`.",
            "",
            tables(result),
            "",
            FINDINGS,
        ]
    )


def write_readme(text: str, path: Path = README) -> None:
    """Put `text` in place of the existing "Soak run" section, or append it."""
    current = path.read_text(encoding="utf-8")
    start = current.find(f"\n{HEADING}\n")
    if start < 0:
        path.write_text(current.rstrip("\n") + "\n\n" + text, encoding="utf-8")
        return
    end = current.find("\n## ", start + 1)
    tail = current[end:] if end >= 0 else "\n"
    path.write_text(current[: start + 1] + text.rstrip("\n") + "\n" + tail, encoding="utf-8")
