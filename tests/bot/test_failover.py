"""Two ``gridbot run`` processes on one store; the active one is killed with SIGKILL in the
middle of residents' intakes and the standby finishes every one of them: no request lost,
none filed twice, the numbers gapless. (On SQLite the two share the file's lock; on
PostgreSQL, the advisory lock, as in production.)"""

from __future__ import annotations

import tempfile
from pathlib import Path

from auxil import stores

from bot.bench.failover import run_failover
from bot.bench.runner import Stores

RESIDENTS = 30


async def test_the_standby_finishes_every_intake_after_a_sigkill(tmp_path: Path) -> None:
    bench_stores = Stores(Path(tempfile.mkdtemp(dir=tmp_path)), stores.postgres_server())
    try:
        result = await run_failover(
            bench_stores,
            RESIDENTS,
            latency=0.02,
            think=(0.2, 1.0),
            kill_share=0.4,
            patience=8.0,
            takeover_seconds=5.0,
        )
    finally:
        await bench_stores.drop_all()
    print(result.summary())
    assert result.failures == []
    assert result.finished == RESIDENTS  # every resident got their number
    assert result.killed_after_answers < RESIDENTS * 7  # the kill came mid-intake
    assert result.requests == RESIDENTS
    assert result.lost == 0 and result.duplicated == 0
    assert result.numbers_gapless
    assert result.gap_seconds < 5.0  # within [ha] takeover_seconds
