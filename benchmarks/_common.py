"""Helpers shared by the benchmark scripts: whole-process timing, medians, temp dirs, rows.

Every figure is the wall time of a whole CLI process (``subprocess.run``), so interpreter
start and imports count, as they do for a user. Each script warms up once (bytecode caches,
page cache) before it measures, and takes the median of several runs.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PY = sys.executable


@dataclass
class Row:
    """One figure of the results table."""

    name: str
    value: float | None  # None: not measured (the note says why)
    unit: str = "s"  # "s", "x" (a ratio) or a count's noun
    target: float | None = None  # an upper bound, or the expected count when exact
    note: str = ""
    exact: bool = False

    def fmt(self, v: float) -> str:
        if self.unit == "s":
            return f"{v:.3f} s"
        if self.unit == "x":
            return f"{v:.2f}x"
        return f"{v:g} {self.unit}"

    @property
    def verdict(self) -> str:
        if self.value is None or self.target is None:
            return ""
        ok = self.value == self.target if self.exact else self.value <= self.target
        return "target met" if ok else "target missed"

    def cells(self) -> list[str]:
        value = "n/a" if self.value is None else self.fmt(self.value)
        target = ""
        if self.target is not None:
            target = ("== " if self.exact else "<= ") + self.fmt(self.target)
        return [self.name, value, target, self.verdict, self.note]


HEADER = ["figure", "value", "target", "verdict", "note"]


def table(rows: Sequence[Row], sections: Sequence[str] | None = None) -> str:
    """A Markdown table, which also reads well on a terminal; ``sections`` adds a first column."""
    header = (["benchmark"] if sections else []) + HEADER
    lines = [header] + [([sections[i]] if sections else []) + r.cells() for i, r in enumerate(rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |"
        for line in lines
    ]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def cellops(*args: str | Path) -> list[str]:
    """The cellops command line, through the interpreter running the benchmarks."""
    return [PY, "-m", "cellops.cli", *map(str, args)]


Argv = Sequence[str | Path]


def run(
    argv: Argv, *, cwd: Path | str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run one process to the end, output captured; raises if it fails and ``check``."""
    proc = subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, argv))} exited {proc.returncode}:\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return proc


def timed(argv: Argv, *, cwd: Path | str | None = None) -> float:
    """Wall time of one whole process, in seconds."""
    start = time.perf_counter()
    run(argv, cwd=cwd)
    return time.perf_counter() - start


Command = Argv | Callable[[int], Argv]  # a callable gets the run number (for fresh dirs)


def side_by_side(
    commands: Mapping[str, Command], runs: int, *, warmup: int = 1, cwd: Path | str | None = None
) -> dict[str, float]:
    """Median wall time of each command, the commands taking turns run after run.

    Taking turns spreads whatever else the machine does over all of them alike.
    """

    def argv(cmd: Command, i: int) -> Argv:
        return cmd(i) if callable(cmd) else cmd

    times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(-warmup, runs):
        for name, cmd in commands.items():
            t = timed(argv(cmd, i), cwd=cwd)
            if i >= 0:
                times[name].append(t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def pipeline_vs_papermill(notebook: Path, runs: int) -> tuple[Path, dict[str, float]]:
    """Promote ``notebook`` next to it, then time `cellops run PKG --no-cache` against papermill
    running the notebook itself, side by side; returns the package and both medians."""
    pkg = notebook.parent / "pkg"
    run(cellops("promote", notebook, "-o", pkg))
    papermill = [PY, "-m", "papermill", notebook, notebook.parent / "out.ipynb", "-k", "python3"]
    times = side_by_side(
        {"cellops": cellops("run", pkg, "--no-cache"), "papermill": papermill}, runs
    )
    return pkg, times


def import_profile(argv: Argv, top: int = 8) -> list[tuple[str, float]]:
    """Where a Python command's imports spend their time (``-X importtime``), in seconds.

    ``argv`` starts with the interpreter. The self time of every module is added up by its
    top-level package, and the packages are listed slowest first.
    """
    proc = run([argv[0], "-X", "importtime", *argv[1:]])
    totals: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, _, name = line[len("import time:") :].split("|")
        package = name.strip().split(".")[0]
        totals[package] = totals.get(package, 0.0) + int(own) / 1e6
    return sorted(totals.items(), key=lambda x: -x[1])[:top]


@contextlib.contextmanager
def tempdir(prefix: str = "cellops-bench-") -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_notebook(nb: dict[str, object], path: Path) -> Path:
    path.write_text(json.dumps(nb, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def stage_counts(package: Path) -> dict[str, int]:
    """Stage statuses of the latest run, from PKG/.cellops/runs/<id>/run.json."""
    runs = package / ".cellops" / "runs"
    run_id = (runs / "latest").read_text(encoding="utf-8").strip()
    record = json.loads((runs / run_id / "run.json").read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for stage in record["stages"].values():
        counts[stage["status"]] = counts.get(stage["status"], 0) + 1
    return counts


def report(title: str, rows: Sequence[Row]) -> None:
    print(f"## {title}\n")
    print(table(rows))
    print()
