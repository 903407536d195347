"""`python -m benchmarks.soak [--minutes 10] [--rate 20] [--write-readme]`: run the soak, print
its tables, optionally record them in benchmarks/README.md; exit 1 when anything was lost or
duplicated, the backlog did not drain, a worker died uninjected or memory grew past 10 %."""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys

from benchmarks.soak.faults import DEFAULT_PLAN, SMOKE_PLAN
from benchmarks.soak.harness import SoakConfig, run_soak
from benchmarks.soak.report import machine, section, tables, write_readme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20.0, help="events per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--plan", choices=("default", "smoke", "none"), default="default")
    parser.add_argument("--sop-minutes", type=int, default=1, help="the reminder's offset")
    parser.add_argument("--keep", action="store_true", help="keep the logs and Redis folder")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args(argv)
    plan = {"default": DEFAULT_PLAN, "smoke": SMOKE_PLAN, "none": ()}[args.plan]
    config = SoakConfig(
        minutes=args.minutes,
        rate=args.rate,
        workers=args.workers,
        seed=args.seed,
        plan=plan,
        sop_minutes=args.sop_minutes,
        keep_dir=args.keep,
    )
    print(f"soak: {machine()}", file=sys.stderr)
    result = asyncio.run(run_soak(config))
    print(tables(result))
    if args.keep:
        print(f"\nfiles kept in {result.workdir}")
    if args.write_readme:
        shown = sys.argv[1:] if argv is None else argv
        write_readme(section(result, shlex.join(["python", "-m", "benchmarks.soak", *shown])))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
