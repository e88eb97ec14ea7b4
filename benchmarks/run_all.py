"""Run every benchmark, print one table and write benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/run_all.py

RESULTS.md gets the table, the machine (CPUs, load, Python), the date and the commit, and the
slowest imports of the whole-process figures (``-X importtime``), to show where time goes.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import bench_incremental
import bench_large
import bench_promote
import bench_run
import bench_server
import bench_tracking
import bench_ui
import gen
from _common import (
    EXAMPLES,
    PY,
    ROOT,
    Row,
    cellops,
    import_profile,
    run,
    table,
    tempdir,
    write_notebook,
)

BENCHMARKS = [
    ("promote", bench_promote),
    ("large", bench_large),
    ("run", bench_run),
    ("incremental", bench_incremental),
    ("server", bench_server),
    ("tracking", bench_tracking),
    ("ui", bench_ui),
]
# bench_batch.py (a 32-run sweep against 32 papermill calls, minutes) and bench_build.py (real
# image builds) run on their own: `.venv/bin/python benchmarks/bench_batch.py`.
IMPORT_PAPERMILL = [PY, "-c", "import papermill"]
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = (
        subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        or "?"
    )
    versions = run(
        [
            PY,
            "-c",
            "import cellops, papermill, jupyter_client, ipykernel as k; "
            "print(cellops.__version__, papermill.__version__, "
            "jupyter_client.__version__, k.__version__)",
        ]
    ).stdout.split()
    return [
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: nproc {os.cpu_count()}, {cpu}, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} ({PY})",
        "- cellops {}, papermill {}, jupyter_client {}, ipykernel {}".format(*versions),
        f"- commit: {commit}",
    ]


def profiles() -> list[str]:
    """The slowest top-level imports of a cached run, a promote and papermill."""
    with tempdir() as tmp:
        nb = write_notebook(gen.three_stage(), tmp / "three_stage.ipynb")
        pkg = tmp / "pkg"
        run(cellops("promote", nb, "-o", pkg))
        run(cellops("run", pkg))
        commands = {
            "`cellops run PKG` (all cached)": cellops("run", pkg),
            "`cellops promote` wine_fanout.ipynb": cellops(
                "promote", EXAMPLES / "wine_fanout.ipynb", "-o", tmp / "wine"
            ),
            "`import papermill` (paid by every run that executes a stage)": IMPORT_PAPERMILL,
        }
        lines = []
        for label, argv in commands.items():
            top = import_profile(argv, top=6)
            lines.append(f"- {label}: " + ", ".join(f"{m} {s:.3f} s" for m, s in top))
    return lines


def main() -> int:
    load_before = os.getloadavg()
    start = time.perf_counter()
    rows: list[Row] = []
    sections: list[str] = []
    for name, module in BENCHMARKS:
        print(f"running {name} ...", flush=True)
        try:
            found = module.measure()
        except Exception as exc:  # report it and go on with the other benchmarks
            print(f"{name} failed:\n{exc}", file=sys.stderr, flush=True)
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
            found = [Row(f"{name} benchmark", None, note=f"failed: {reason}")]
        rows += found
        sections += [name] * len(found)
    load_after = os.getloadavg()
    where = profiles()
    elapsed = time.perf_counter() - start

    text = table(rows, sections)
    print()
    print(text)
    info = [
        *machine(),
        f"- load average (1 min) before and after: {load_before[0]:.2f}, {load_after[0]:.2f}; "
        f"all benchmarks took {elapsed:.0f} s",
    ]
    print()
    print("\n".join(info))
    RESULTS.write_text(
        "\n".join(
            [
                "# cellops benchmarks",
                "",
                "Written by `benchmarks/run_all.py`; run it again to refresh. Times are the "
                "wall time of whole CLI processes, medians of several runs taken in turns with "
                "the tools they are compared to (the note says how many). Counts come from the "
                "run records.",
                "",
                *info,
                "",
                text,
                "",
                "## Where the time goes: slowest top-level imports (`python -X importtime`)",
                "",
                *where,
                "",
            ]
        ),
        encoding="utf-8",
    )
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
