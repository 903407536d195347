"""What one template costs to save and to send: CPU and memory, worst cases included.

    python benchmarks/template_budget.py

For each template: the CPU time (process time, best of 5) and the peak memory (tracemalloc) of
the save check (`text_problem`: size, parse, language check, compile, two trial renders) and of
one send (`render_or_plain` on a cold cache, the way a template is first rendered in a process),
beside the Jinja2 sandbox the bot used before (parse, compile, render). The old path's runs on
the review's bombs go in a child process killed after `OLD_LIMIT_SECONDS`: they don't end.
Target (issue 16): every save and every send under 50 ms of CPU and 64 KiB of output.
"""

from __future__ import annotations

import logging
import multiprocessing
import platform
import time
import tracemalloc
from collections.abc import Callable

from jinja2.sandbox import SandboxedEnvironment

from bot.templating import render_or_plain, text_problem
from bot.templating.render import _compiled

VARIABLES = ("customer_name", "staff_name", "channel_name", "date")
VALUES = dict.fromkeys(VARIABLES, "欧" * 128)
OLD_LIMIT_SECONDS = 10.0
LIMIT = 4000  # WeCom's bytes for a welcome, a script, an SOP step


def _fill(piece: str) -> str:
    return piece * (LIMIT // len(piece.encode()))


CASES = {
    "typical welcome": "{{ customer_name|default('朋友') }}您好，我是{{ staff_name }}，欢迎从"
    "{{ channel_name }}来！{% if date %}今天是{{ date }}。{% endif %}",
    "4000 B of text": _fill("您好欢迎光临"),
    "4000 B of ifs": _fill("{% if customer_name == 'a' %}b{% elif date %}c{% endif %}"),
    "4000 B of filters": _fill("{{ staff_name|upper|trim|lower }}"),
    "4000 B of conditions": "{{ " + " or ".join(["customer_name == 'x'"] * 150) + " }}",
    "40 levels of if": "{% if date %}" * 39 + "x" + "{% endif %}" * 39,
    # the review's: the sandbox allows ranges up to 100,000 and any string product
    "bomb: nested for": "{% for i in range(1000) %}{% for j in range(1000) %}"
    "{{ 'x'*30000 }}{% endfor %}{% endfor %}",
    "bomb: deferred": "{% if staff_name != '示例' %}{% for i in range(100000) %}"
    "{{ 'x' * 100000 }}{% endfor %}{% endif %}",
    "bomb: folded 'a'*N": "{{ 'a' * 300000000 }}",
}


def _measure(work: Callable[[], object]) -> tuple[float, int]:
    best = float("inf")
    for _ in range(5):
        _compiled.cache_clear()
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    _compiled.cache_clear()
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


def _old(text: str) -> None:
    SandboxedEnvironment(autoescape=False).from_string(text).render(**VALUES)


def _old_or_exit(text: str) -> None:
    try:
        _old(text)
    except MemoryError:
        raise SystemExit(3) from None


def _old_in_child(text: str) -> str:
    child = multiprocessing.Process(target=_old_or_exit, args=(text,))
    start = time.monotonic()
    child.start()
    child.join(OLD_LIMIT_SECONDS)
    if child.is_alive():
        child.kill()
        child.join()
        return f"> {OLD_LIMIT_SECONDS:.0f} s (killed)"
    ended = "MemoryError after" if child.exitcode == 3 else "ended in"
    return f"{ended} {(time.monotonic() - start) * 1000:.0f} ms wall"


def main() -> None:
    logging.disable(logging.WARNING)  # each refused send logs its fallback
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(
        "| template | bytes | save: CPU ms / peak KiB | send: CPU ms / peak KiB | result "
        "| old Jinja sandbox (parse+compile+render) |"
    )
    print("|---|---|---|---|---|---|")
    for name, text in CASES.items():
        problem = text_problem(text, VARIABLES, LIMIT, None)
        save_s, save_peak = _measure(lambda t=text: text_problem(t, VARIABLES, LIMIT, None))
        send_s, send_peak = _measure(lambda t=text: render_or_plain(t, VALUES))
        out = render_or_plain(text, VALUES)
        result = f"refused: {problem[:28]}…" if problem else f"{len(out.encode())} B out"
        if name.startswith("bomb"):
            old = _old_in_child(text)
        else:
            old_s, old_peak = _measure(lambda t=text: _old(t))
            old = f"{old_s * 1000:.1f} ms / {old_peak // 1024} KiB"
        print(
            f"| {name} | {len(text.encode())} | {save_s * 1000:.1f} / {save_peak // 1024} "
            f"| {send_s * 1000:.1f} / {send_peak // 1024} | {result} | {old} |"
        )


if __name__ == "__main__":
    main()
