"""Run speed on a 3-stage package of trivial stages (``gen.three_stage()``).

(a) a first run, `cellops run PKG --no-cache`, as a whole process, and (b) one `papermill`
run of the same cells as a single notebook (the source notebook itself), taking turns,
medians of 5; the ratio a/b has a target of 1.5. (c) a fully cached re-run, `cellops run PKG`,
median of 7, target 0.5 s.
"""

from __future__ import annotations

import gen
from _common import (
    Row,
    cellops,
    pipeline_vs_papermill,
    report,
    side_by_side,
    tempdir,
    write_notebook,
)

RUNS = 5
CACHED_RUNS = 7
RATIO_TARGET = 1.5
CACHED_TARGET = 0.5


def measure() -> list[Row]:
    with tempdir() as tmp:
        nb = write_notebook(gen.three_stage(), tmp / "three_stage.ipynb")
        pkg, first = pipeline_vs_papermill(nb, RUNS)
        cached = side_by_side({"cached": cellops("run", pkg)}, CACHED_RUNS)["cached"]
    a, b = first["cellops"], first["papermill"]
    return [
        Row(
            "(a) `cellops run --no-cache`, 3 stages",
            a,
            note=f"median of {RUNS}, whole CLI process, a kernel per stage",
        ),
        Row(
            "(b) `papermill` of the source notebook",
            b,
            note=f"median of {RUNS}, whole CLI process, one kernel",
        ),
        Row("ratio a/b", a / b, unit="x", target=RATIO_TARGET),
        Row(
            "(c) `cellops run`, all 3 stages cached",
            cached,
            target=CACHED_TARGET,
            note=f"median of {CACHED_RUNS}, whole CLI process",
        ),
    ]


if __name__ == "__main__":
    report("run", measure())
