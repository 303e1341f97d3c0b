"""`gridbot bench --quick`: every scenario runs end to end and its correctness figures hold
(exactly one winner per card, no duplicate and no lost message). Speed is not judged here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from auxil import stores


def test_quick_bench_runs_every_scenario_correctly(tmp_path: Path) -> None:
    out = tmp_path / "results"
    server = stores.postgres_server()  # on PostgreSQL, the bench's --store
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "bench",
            "--quick",
            "--out",
            str(out),
            *(["--store", server] if server else []),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert set(results) == {"intake", "accept-storm", "sweep", "broadcast", "memory", "failover"}
    failover = results["failover"]
    assert failover["finished"] == failover["residents"] == failover["requests"]
    assert failover["lost"] == 0 and failover["duplicated"] == 0 and failover["numbers_gapless"]
    intake = results["intake"]
    for mode in ("gridbot", "echo"):
        for load in ("saturated", "paced"):
            assert intake[mode][load]["failures"] == 0, (mode, load)
            assert intake[mode][load]["updates"] >= 20 * 8, (mode, load)
    storm = results["accept-storm"]
    assert storm["winners"] == storm["cards"] and storm["double_accepts"] == 0
    assert storm["answered"] == storm["presses"]
    broadcast = results["broadcast"]
    assert broadcast["sent"] == broadcast["recipients"]
    assert broadcast["duplicates"] == 0 and broadcast["lost"] == 0
    assert all(size["uses_index"] for size in results["sweep"]["sizes"].values())
    assert results["memory"]["peak_rss_mb"] is not None
    for result in results.values():
        assert result["machine"]["cores"] >= 1 and result["quick"] is True
        assert result["store"] == stores.engine()
