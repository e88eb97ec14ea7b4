"""Recorded runs without running them, for the browser tests and benchmarks of long run lists."""

from __future__ import annotations

import time
from pathlib import Path


def fill_runs(package: Path, stages: list[str], count: int) -> None:
    """``count`` finished runs, a minute apart, ids ``bench-00000`` (oldest) upwards, written
    by the runner's own record writer (no kernels)."""
    from cellops.run import record as records

    now = time.time() - count * 60
    for i in range(count):
        rec = records.RunRecord(
            f"bench-{i:05d}", package.name, "done", {"n": i}, now + 60 * i, now + 60 * i + 5
        )
        rec.stages = {
            s: records.StageRecord(status="done", duration=1.0, cache_hit=i % 2 == 1)
            for s in stages
        }
        records.save(package, rec)
