"""Per-stage overhead on a chain of trivial stages (``gen.chain()``), and where it goes.

(a) `cellops run PKG --no-cache` of a 21-stage chain s0 -> s1 -> ... -> s20, as a whole
process, against (b) one `papermill` run of the same cells as a single notebook, taking turns,
medians of 3; target a/b <= 1.5. (c) The cost of one fresh kernel on its own: jupyter_client
start -> kernel_info reply, wall time and the kernel process's CPU time, median of 5. (d) Where
the chain's time goes, per stage (means over the stages of the last measured run), read from
the run record (each stage's start and duration) and the executed notebooks' papermill
metadata (notebook and cell durations):

- in the kernel: the stage's own cells, the generated load/save cells, the parameters cell;
- papermill/nbclient around the cells (client start, kernel_info, the executed notebook's
  writes at start and end);
- outside papermill: waiting for a warm kernel (the first stage waits for the kernel
  template's boot, and imports papermill meanwhile), preparing the notebook, moving artifacts
  into the store, cache and record writes;
- between stages: from one stage's end to the next one's start (scheduling, record writes).

``python benchmarks/bench_overhead.py [STAGES] [RUNS]`` (defaults 21 and 3).
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import gen
from _common import Row, pipeline_vs_papermill, report, tempdir, write_notebook

STAGES = 21
RUNS = 3
KERNEL_STARTS = 5
RATIO_TARGET = 1.5

GENERATED_IO = ("cellops-load-inputs", "cellops-save-outputs")


def kernel_start() -> tuple[float, float]:
    """Wall and CPU seconds of one fresh python3 kernel, start to kernel_info reply."""
    from jupyter_client.manager import KernelManager

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    wall = time.perf_counter() - start
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _papermill_seconds(meta: dict[str, Any]) -> float:
    return float((meta.get("papermill") or {}).get("duration") or 0.0)


def breakdown(package: Path) -> dict[str, float]:
    """Mean seconds per stage of the latest run, by where they went."""
    runs = package / ".cellops" / "runs"
    run_id = (runs / "latest").read_text(encoding="utf-8").strip()
    record = json.loads((runs / run_id / "run.json").read_text(encoding="utf-8"))
    stages = list(record["stages"].values())
    parts = {"own": 0.0, "io": 0.0, "params": 0.0, "papermill": 0.0, "outside": 0.0}
    for srec in stages:
        nb = json.loads((runs / run_id / srec["notebook"]).read_text(encoding="utf-8"))
        cells = {c.get("id"): _papermill_seconds(c["metadata"]) for c in nb["cells"]}
        io = sum(v for k, v in cells.items() if k in GENERATED_IO)
        params = sum(
            _papermill_seconds(c["metadata"])
            for c in nb["cells"]
            if "injected-parameters" in c["metadata"].get("tags", [])
            or c.get("id") == "cellops-parameters"
        )
        total_cells = sum(cells.values())
        whole = _papermill_seconds(nb["metadata"])
        parts["io"] += io
        parts["params"] += params
        parts["own"] += total_cells - io - params
        parts["papermill"] += whole - total_cells
        parts["outside"] += srec["duration"] - whole
    ordered = sorted(stages, key=lambda s: s["started"])
    gaps = [b["started"] - (a["started"] + a["duration"]) for a, b in itertools.pairwise(ordered)]
    n = len(stages)
    means = {k: v / n for k, v in parts.items()}
    means["between"] = statistics.mean(gaps) if gaps else 0.0
    means["first_start"] = ordered[0]["started"] - record["started"]
    means["first_stage"] = ordered[0]["duration"]
    means["after_last"] = (record["finished"] or 0) - (
        ordered[-1]["started"] + ordered[-1]["duration"]
    )
    return means


def measure(stages: int = STAGES, runs: int = RUNS) -> list[Row]:
    walls, cpus = zip(*(kernel_start() for _ in range(KERNEL_STARTS)), strict=True)
    with tempdir() as tmp:
        nb = write_notebook(gen.chain(stages), tmp / "chain.ipynb")
        pkg, first = pipeline_vs_papermill(nb, runs)
        where = breakdown(pkg)
    a, b = first["cellops"], first["papermill"]
    per_stage = (a - b) / stages
    kernel_wall, kernel_cpu = statistics.median(walls), statistics.median(cpus)
    note = "mean per stage of the last run"
    return [
        Row(
            f"(a) `cellops run --no-cache`, chain of {stages} trivial stages",
            a,
            note=f"median of {runs}, whole CLI process, a fresh kernel per stage",
        ),
        Row(
            "(b) `papermill` of the same cells as one notebook",
            b,
            note=f"median of {runs}, whole CLI process, one kernel",
        ),
        Row("ratio a/b", a / b, unit="x", target=RATIO_TARGET),
        Row("overhead per stage, (a-b)/stages", per_stage),
        Row(
            "(c) one fresh kernel: start -> kernel_info reply (wall)",
            kernel_wall,
            note=f"median of {KERNEL_STARTS}; jupyter_client KernelManager, python3 kernel spec",
        ),
        Row("(c) one fresh kernel: CPU of the kernel process", kernel_cpu, note="the same starts"),
        Row("(d) stage's own cells", where["own"], note=note),
        Row("(d) generated load/save cells (artifact save/load)", where["io"], note=note),
        Row("(d) parameters cells", where["params"], note=note),
        Row(
            "(d) papermill/nbclient around the cells",
            where["papermill"],
            note=note + "; client start, kernel_info, the notebook's start and end writes",
        ),
        Row(
            "(d) outside papermill: kernel wait, notebook prep, store, cache",
            where["outside"],
            note=note + "; stage duration minus papermill's; the first stage's included",
        ),
        Row(
            "(d) between stages: scheduling, record writes",
            where["between"],
            note="mean gap from a stage's end to the next one's start",
        ),
        Row("(d) before the first stage", where["first_start"], note="run start to s0 start"),
        Row(
            "(d) the first stage, whole",
            where["first_stage"],
            note="s0: imports papermill while the kernel template boots, waits for its kernel",
        ),
        Row("(d) after the last stage", where["after_last"], note="last stage end to run end"),
    ]


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    report("overhead", measure(*args))
