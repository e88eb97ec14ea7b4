"""Large hand-overs: a DataFrame of SIZE MB crossing one stage boundary.

(a) The disk on its own: write SIZE MB and fdatasync, then read it back (page cache).
(b) Save + load of the frame, in one process, medians of 3 taken in turns: parquet (the former
hand-over format, as pandas writes and reads it) against cellops' own path (``save_outputs``
with Arrow IPC, hashed while written and checked, then ``load_inputs`` through a memory map).
(c) The pipeline `make -> use` with `cellops run --no-cache` against papermill running the same
cells as one notebook, medians of 3; the difference is what the hand-over adds (target 1.5 s
for 1 GB). (d) Peak RSS of the writing process while ``save_outputs`` writes, as a multiple of
the frame's size (target 1.3x), in a fresh process.

``python benchmarks/bench_handover.py [SIZE_MB ...]`` (default 480 and 1024; (c) for the first).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gen
from _common import PY, Row, pipeline_vs_papermill, report, tempdir, write_notebook

RUNS = 3
ADDED_TARGET_PER_GB = 1.5
PEAK_TARGET = 1.3
ROWS_PER_MB = 1_000_000 // 24  # three 8-byte columns

FRAME = """\
import numpy as np
import pandas as pd
rows = {rows}
df = pd.DataFrame({{
    "a": np.arange(rows, dtype="float64"),
    "b": np.arange(rows, dtype="int64"),
    "c": np.arange(rows, dtype="float64") * 0.5,
}})
"""


def disk(size_mb: int, directory: Path) -> tuple[float, float]:
    """MB/s writing with fdatasync and reading back."""
    block = os.urandom(1 << 20)
    path = directory / "raw.bin"
    start = time.perf_counter()
    with open(path, "wb") as file:
        for _ in range(size_mb):
            file.write(block)
        file.flush()
        os.fdatasync(file.fileno())
    write = size_mb / (time.perf_counter() - start)
    start = time.perf_counter()
    with open(path, "rb") as file:
        while file.read(16 << 20):
            pass
    read = size_mb / (time.perf_counter() - start)
    path.unlink()
    return write, read


def formats(size_mb: int, directory: Path) -> dict[str, float]:
    """Median seconds of save + load per format, in this process."""
    ns: dict[str, object] = {}
    exec(FRAME.format(rows=size_mb * ROWS_PER_MB), ns)
    import pandas as pd

    from cellops.artifacts.kernel import load_inputs, save_outputs

    df = ns["df"]
    times: dict[str, list[float]] = {"parquet save": [], "parquet load": [], "arrow save": []}
    times["arrow load"] = []
    for i in range(RUNS):
        path = directory / f"f{i}.parquet"
        t0 = time.perf_counter()
        df.to_parquet(path, engine="pyarrow")  # type: ignore[attr-defined]
        t1 = time.perf_counter()
        pd.read_parquet(path, engine="pyarrow")
        t2 = time.perf_counter()
        times["parquet save"].append(t1 - t0)
        times["parquet load"].append(t2 - t1)
        path.unlink()
        out = directory / f"out{i}"
        t0 = time.perf_counter()
        entry = save_outputs(str(out), {"df": df}, stage="make")["df"]
        t1 = time.perf_counter()
        load_inputs({"df": str(out / entry["file"])}, ["df"], stage="use")
        t2 = time.perf_counter()
        assert entry["format"] == "arrow", entry
        times["arrow save"].append(t1 - t0)
        times["arrow load"].append(t2 - t1)
        for f in out.iterdir():
            f.unlink()
        out.rmdir()
    return {k: statistics.median(v) for k, v in times.items()}


PEAK = """\
import sys
{frame}
import psutil, pyarrow
from cellops.artifacts.kernel import save_outputs
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
# Reset the peak: building the frame above had temporaries of its own.
open("/proc/self/clear_refs", "w").write("5")
base = psutil.Process().memory_info().rss
save_outputs(sys.argv[1], {{"df": df}}, stage="make")
print(df.memory_usage(index=True).sum(), base, hwm())
"""


def peak(size_mb: int, directory: Path) -> tuple[float, float]:
    """(peak RSS / frame bytes, extra RSS while saving / frame bytes) of a fresh writer."""
    code = PEAK.format(frame=FRAME.format(rows=size_mb * ROWS_PER_MB))
    out = subprocess.run(
        [PY, "-c", code, str(directory / "peak")], capture_output=True, text=True, check=True
    ).stdout.split()
    frame, base, top = (int(v) for v in out)
    return top / frame, (top - base) / frame


def handover_notebook(size_mb: int) -> dict[str, object]:
    return gen.notebook(
        [
            gen.code("make", FRAME.format(rows=size_mb * ROWS_PER_MB), "stage:make"),
            gen.code("use", 'total = float(df["a"].sum() + df["b"].sum())', "stage:use"),
            gen.code("show", "print(total)"),
        ]
    )


def measure(sizes: list[int]) -> list[Row]:
    rows: list[Row] = []
    with tempdir() as tmp:
        write, read = disk(sizes[-1], Path(tempfile.mkdtemp(dir=tmp)))
        rows += [
            Row(f"(a) disk write + fdatasync, {sizes[-1]} MB", write, unit="MB/s"),
            Row(f"(a) disk read (page cache), {sizes[-1]} MB", read, unit="MB/s"),
        ]
        for size in sizes:
            t = formats(size, tmp)
            note = f"median of {RUNS}, in process"
            rows += [
                Row(f"(b) {size} MB parquet save", t["parquet save"], note=note),
                Row(f"(b) {size} MB parquet load", t["parquet load"], note=note),
                Row(f"(b) {size} MB Arrow IPC save (hash, check)", t["arrow save"], note=note),
                Row(f"(b) {size} MB Arrow IPC load (mmap, verify)", t["arrow load"], note=note),
                Row(
                    f"(b) {size} MB Arrow save + load",
                    t["arrow save"] + t["arrow load"],
                    target=ADDED_TARGET_PER_GB * size / 1024,
                    note=f"parquet: {t['parquet save'] + t['parquet load']:.2f} s",
                ),
            ]
            ratio, extra = peak(size, tmp)
            rows.append(
                Row(
                    f"(d) {size} MB writer's peak RSS / frame size",
                    ratio,
                    unit="x",
                    target=PEAK_TARGET,
                    note=f"saving adds {extra:.2f}x the frame on top of what the process held",
                )
            )
        first = sizes[0]
        sub = tmp / "pipeline"
        sub.mkdir()
        nb = write_notebook(handover_notebook(first), sub / "handover.ipynb")
        _, times = pipeline_vs_papermill(nb, RUNS)
        a, b = times["cellops"], times["papermill"]
        rows += [
            Row(f"(c) `cellops run --no-cache` make -> use, {first} MB", a, note="median of 3"),
            Row(f"(c) `papermill` of the same cells, {first} MB", b, note="median of 3"),
            Row(
                "(c) added by the pipeline (a - b)",
                a - b,
                target=ADDED_TARGET_PER_GB * first / 1024,
                note="two kernels instead of one, plus the hand-over",
            ),
        ]
    return rows


if __name__ == "__main__":
    report("handover", measure([int(a) for a in sys.argv[1:]] or [480, 1024]))
