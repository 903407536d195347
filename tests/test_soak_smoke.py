"""The soak harness (benchmarks/soak) for ~20 s with faults: a worker SIGKILLed, Redis shut
down and restarted, WeCom answering -1 for a while and every token revoked; nothing the bot
acknowledged may be lost or done twice. The full 10-minute run is `python -m benchmarks.soak`."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.soak.faults import SMOKE_PLAN
from benchmarks.soak.harness import SoakConfig, run_soak
from benchmarks.soak.processes import REDIS_BINARY
from benchmarks.soak.report import tables

pytestmark = pytest.mark.skipif(
    not Path(REDIS_BINARY).exists(),
    reason=f"the soak harness runs its own {REDIS_BINARY} (Debian: apt-get install redis-server)",
)


async def test_a_short_soak_with_faults_loses_and_duplicates_nothing() -> None:
    config = SoakConfig(
        minutes=20 / 60, rate=12, plan=SMOKE_PLAN, sop_minutes=0, drain_seconds=25, warmup=5
    )
    result = await run_soak(config)
    r = result.reconciliation
    report = tables(result)  # shown when an assertion fails
    assert r.sent >= 200 and r.acknowledged >= r.sent * 0.8, report
    assert r.check("welcome").checked >= 80, report
    assert {w.kind for w in result.windows} == {s.kind for s in SMOKE_PLAN}, report
    assert r.lost == 0, report
    assert r.duplicates == 0, report
    assert r.drained, report
    assert result.unexpected_restarts == 0, report
