"""Batch sweeps.

(a) A 32-run sweep of a trivial parameterised notebook on 2 cores: `cellops batch NB --grid
a=0..31 -j 2` (one whole process, fresh folder, so nothing comes from the cache) against (b) a
sequential loop of 32 `papermill` CLI calls over the same notebook, taking turns, medians of
BENCH_RUNS (default 3); throughput a/b has a target of >= 2x.

(c) The fan-out example (examples/wine_fanout.ipynb, promoted) swept over 8 values of
`n_estimators`: how many times each stage's notebook really ran, counted from the batch's
record (not timed). The upstream stages (`load`, `features`) and `train_logreg`, whose
parameters do not change, must run exactly once.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import gen
from _common import EXAMPLES, PY, Row, cellops, report, run, tempdir, write_notebook

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SWEEP = 32
THROUGHPUT_TARGET = 2.0
N_ESTIMATORS = (5, 10, 20, 30, 40, 50, 60, 80)


def trivial_notebook() -> dict[str, object]:
    return gen.notebook(
        [
            gen.code("params", "a = 0\n", "parameters"),
            gen.code("work", "import cellops\ncellops.log_metric('square', a * a)\nprint(a)\n"),
        ]
    )


def _sweep_once(tmp: Path, i: int) -> tuple[float, float]:
    folder = tmp / f"sweep-{i}"
    folder.mkdir()
    nb = write_notebook(trivial_notebook(), folder / "trivial.ipynb")
    values = ",".join(str(v) for v in range(SWEEP))
    start = time.perf_counter()
    run(cellops("batch", nb, "--grid", f"a={values}", "-j", "2", "-q"), cwd=folder)
    batch = time.perf_counter() - start
    start = time.perf_counter()
    for a in range(SWEEP):
        out = folder / f"out-{a}.ipynb"
        run([PY, "-m", "papermill", nb, out, "-k", "python3", "-p", "a", str(a)], cwd=folder)
    return batch, time.perf_counter() - start


def throughput() -> list[Row]:
    batch_times, loop_times = [], []
    with tempdir() as tmp:
        for i in range(RUNS):
            b, loop = _sweep_once(tmp, i)
            batch_times.append(b)
            loop_times.append(loop)
    a, b = sorted(batch_times)[len(batch_times) // 2], sorted(loop_times)[len(loop_times) // 2]
    return [
        Row(f"(a) `cellops batch`, {SWEEP} runs, -j 2", a, note=f"median of {RUNS}, whole process"),
        Row(f"(b) loop of {SWEEP} `papermill` calls", b, note=f"median of {RUNS}, sequential"),
        Row("throughput a over b (b/a)", b / a, unit="x", note=f"target >= {THROUGHPUT_TARGET}x"),
    ]


def shared_stages() -> list[Row]:
    with tempdir() as tmp:
        package = tmp / "wine"
        run(cellops("promote", EXAMPLES / "wine_fanout.ipynb", "-o", package))
        values = ",".join(map(str, N_ESTIMATORS))
        run(cellops("batch", package, "--grid", f"n_estimators={values}", "-j", "2", "-q"))
        root = package / ".cellops" / "batches"
        batch_id = (root / "latest").read_text().strip()
        executed = json.loads((root / batch_id / "batch.json").read_text())["executed"]
    rows = [
        Row(
            f"wine sweep: `{s}` executions", executed.get(s, 0), unit="run(s)", target=1, exact=True
        )
        for s in ("load", "features", "train_logreg")
    ]
    rows.append(
        Row(
            "wine sweep: `train_forest` executions",
            executed.get("train_forest", 0),
            unit="run(s)",
            target=len(N_ESTIMATORS),
            exact=True,
        )
    )
    rows.append(
        Row(
            "wine sweep: `compare` executions",
            executed.get("compare", 0),
            unit="run(s)",
            note="fewer than 8 when two forests score the same (same inputs)",
        )
    )
    return rows


if __name__ == "__main__":
    report("batch", throughput() + shared_stages())
