"""What run-time tracing costs (issue 12 item 5).

(a) A fully cached run of a one-stage pipeline that globbed and read 1 GB of input data in
200 files, against the same pipeline whose data folder is empty, taking turns, medians of 7:
the difference is what checking the recorded files costs (200 stats, the hash cache), target
at most 50 ms. The data is written once into a temporary folder and removed afterwards.

(b) The first-run cost of recording on the example (wine_fanout, 5 stages): the time of the
stages' own cells with the recorder on and off (``CELLOPS_TRACE=0``), plus what the generated
metrics cell (which writes the trace) costs more with it on, from papermill's per-cell
durations in the executed notebooks; runs taking turns, medians of ``CELLOPS_BENCH_RUNS``
(default 2; a wine run takes 15-20 s here); target at most 2% of the stages' time.

(b'') The recorder's own work on the same code, replayed (``replay``): the figure that does not
drown in the scatter of two whole runs (``replayed_cost``).

(c) A library outside the project imported by a stage (``library``): its modules hashed by
bytes against by normalised source (``library_modules``).

``python bench_trace.py cached`` or ``recording`` measures one part (each under two minutes);
``--quick`` uses 20 files of 1 MiB while developing.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import EXAMPLES, Row, cellops, report, run, side_by_side, tempdir, write_notebook

FILES = 200
FILE_MB = 5  # 200 x 5 MiB = 1000 MiB
CACHED_RUNS = 7
FIRST_RUNS = int(os.environ.get("CELLOPS_BENCH_RUNS", "2"))
OVERHEAD_TARGET = 0.050
RECORDING_TARGET = 0.02
QUICK = "--quick" in sys.argv  # a small size while developing


def _reader_notebook() -> dict[str, object]:
    source = (
        "import glob\n"
        "size = 0\n"
        "for path in sorted(glob.glob('data/*.bin')):\n"
        "    with open(path, 'rb') as fh:\n"
        "        size += len(fh.read())\n"
        "print('bytes', size)"
    )
    return {
        "cells": [
            {
                "cell_type": "code",
                "id": "read",
                "metadata": {"tags": ["stage:read"]},
                "execution_count": None,
                "outputs": [],
                "source": source,
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _write_data(folder: Path, files: int, size: int) -> None:
    folder.mkdir(parents=True)
    block = os.urandom(size)
    for i in range(files):
        # Each file different (its number first), without generating 1 GB of randomness.
        (folder / f"part-{i:03d}.bin").write_bytes(i.to_bytes(4, "big") + block[4:])


def cached_overhead(tmp: Path) -> list[Row]:
    nb = write_notebook(_reader_notebook(), tmp / "reader.ipynb")
    files, size = (20, 1 << 20) if QUICK else (FILES, FILE_MB << 20)
    packages = {}
    for name in ("with-data", "no-data"):
        pkg = tmp / name
        run(cellops("promote", nb, "-o", pkg))
        (pkg / "data").mkdir()
        packages[name] = pkg
    (packages["with-data"] / "data").rmdir()
    _write_data(packages["with-data"] / "data", files, size)
    for pkg in packages.values():
        run(cellops("run", pkg))  # the first run: executes, records and hashes
    times = side_by_side({n: cellops("run", p) for n, p in packages.items()}, CACHED_RUNS)
    for name, pkg in packages.items():
        runs = pkg / ".cellops" / "runs"
        latest = (runs / "latest").read_text(encoding="utf-8").strip()
        stage = json.loads((runs / latest / "run.json").read_text(encoding="utf-8"))["stages"]
        # Cached, with every data file checked (not taken for granted).
        assert stage["read"]["status"] == "cached", name
        assert len(stage["read"]["reads"]["files"]) == (files if name == "with-data" else 0)
    check = _check_time(packages["with-data"])
    gb = files * size / 1e9
    extra = times["with-data"] - times["no-data"]
    return [
        Row(
            f"(a) `cellops run`, cached, stage read {gb:.2f} GB in {files} files",
            times["with-data"],
            note=f"median of {CACHED_RUNS}, whole CLI process",
        ),
        Row("(a) the same pipeline, no data files", times["no-data"], note="the same runs"),
        Row(
            "(a) what the recorded files add to a cached run",
            extra,
            target=OVERHEAD_TARGET,
            note="difference of the medians",
        ),
        Row(
            f"(a) checking the {files} recorded files, in process",
            check,
            target=OVERHEAD_TARGET,
            note="median of 21: load .cellops/hashes.json, stat and compare every file",
        ),
    ]


def _check_time(package: Path) -> float:
    """The cost the cached run pays for the data, without process start-up and its noise."""
    import time

    from cellops.run.reads import Hashes, Reads, changed

    runs = package / ".cellops" / "runs"
    latest = (runs / "latest").read_text(encoding="utf-8").strip()
    record = json.loads((runs / latest / "run.json").read_text(encoding="utf-8"))
    reads = Reads.from_dict(record["stages"]["read"]["reads"])
    assert reads is not None
    times = []
    for _ in range(21):
        start = time.perf_counter()
        assert changed(reads, package, Hashes(package / ".cellops" / "hashes.json")) is None
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cell_times(executed: Path) -> tuple[float, float]:
    """(the stage's own cells, the generated metrics cell) in seconds, from papermill's
    metadata. The recorder starts in the warm kernel's prelude and writes its trace at the end
    of the metrics cell: with the recorder off, that cell only publishes the metrics."""
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    own = generated = 0.0
    for cell in cells:
        meta = cell.get("metadata", {})
        took = float((meta.get("papermill") or {}).get("duration") or 0.0)
        if (meta.get("cellops") or {}).get("generated"):
            generated += took
        elif "source_index" in (meta.get("cellops") or {}):
            own += took
    return own, generated


def first_run_cost(tmp: Path) -> list[Row]:
    pkg = tmp / "wine"
    run(cellops("promote", EXAMPLES / "wine_fanout.ipynb", "-o", pkg))
    samples: dict[str, list[tuple[float, float]]] = {"on": [], "off": []}
    for i in range(FIRST_RUNS):
        for mode in ("on", "off"):
            env = {**os.environ, "CELLOPS_TRACE": "1" if mode == "on" else "0"}
            run_id = f"bench-{mode}-{i + 1}"
            argv = cellops("run", pkg, "--no-cache", "--run-id", run_id)
            proc = subprocess.run([str(a) for a in argv], env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(proc.stdout + proc.stderr)
            stages = pkg / ".cellops" / "runs" / run_id / "stages"
            own = gen = 0.0
            for executed in stages.glob("*.ipynb"):
                if executed.name.startswith("."):
                    continue
                a, b = _cell_times(executed)
                own, gen = own + a, gen + b
            samples[mode].append((own, gen))
    on_own = statistics.median(s[0] for s in samples["on"])
    on_gen = statistics.median(s[1] for s in samples["on"])
    off_own = statistics.median(s[0] for s in samples["off"])
    off_gen = statistics.median(s[1] for s in samples["off"])
    cost = (on_own - off_own + on_gen - off_gen) / off_own
    return [
        Row(
            "(b) wine_fanout stages' own cells, recorder off",
            off_own,
            note=f"median of {FIRST_RUNS} runs, sum over 5 stages",
        ),
        Row("(b) the same, recorder on", on_own, note="taking turns with the runs above"),
        Row(
            "(b) the metrics cell (writes the trace), recorder on",
            on_gen,
            note=f"sum; {off_gen:.3f} s with the recorder off",
        ),
        Row(
            "(b) recording cost, share of the stages' time",
            cost * 100,
            unit="%",
            target=RECORDING_TARGET * 100,
            note="(own on - off + metrics cell on - off) / own off",
        ),
    ]


# As in a warm kernel: the prelude imports the safe libraries (then the recorder starts).
_PRELUDE = """
import json, statistics, sys, tempfile, time
from cellops.analysis.digest import stage_facts
from cellops.run.prelude import preloaded
from cellops.run import trace
sys.argv = ["wine"]
nb = json.load(open(sys.argv_path))
code = "\\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
for name in sorted(preloaded(stage_facts(nb, b"")["imports"])):
    __import__(name)
"""

_IN_PROCESS = (
    _PRELUDE
    + """
if MODE == "on":
    trace.start()
start = time.process_time()
exec(compile(code, "wine", "exec"), {"__name__": "__main__"})
if MODE == "on":
    trace.stop(tempfile.mktemp())
print(time.process_time() - start)
"""
)


_REPLAY = (
    _PRELUDE
    + """
events = []
keep = [True]
def capture(event, args):
    if keep[0]:
        events.append((event, args))
sys.addaudithook(capture)
trace.start()
start = time.process_time()
exec(compile(code, "wine", "exec"), {"__name__": "__main__"})
stages = time.process_time() - start
keep[0] = False
hook = trace._hook
def loop(call):
    t = time.perf_counter()
    for event, args in events:
        call(event, args)
    return time.perf_counter() - t
def nothing(event, args):
    return None
hooked = statistics.median(loop(hook) for _ in range(21))
empty = statistics.median(loop(nothing) for _ in range(21))
t = time.perf_counter()
trace.stop(tempfile.mktemp())
stop = time.perf_counter() - t
print(json.dumps({"events": len(events), "hook": hooked - empty, "stop": stop, "stages": stages}))
"""
)


def replayed_cost() -> list[Row]:
    """The recorder's own work, without the scatter of two whole runs: every audit event the
    example's code raises (captured once, in one interpreter) is handed to the recorder's hook
    again, 21 times (median, minus the same loop calling a function that does nothing), and
    ``stop`` (sort out and write the trace) is timed once; both against the stages' CPU time."""
    nb = EXAMPLES / "wine_fanout.ipynb"
    script = _REPLAY.replace("sys.argv_path", repr(str(nb)))
    got = json.loads(run([sys.executable, "-c", script]).stdout.strip().splitlines()[-1])
    cost = got["hook"] + got["stop"]
    return [
        Row(
            "(b'') audit events the example's code raises",
            got["events"],
            unit="events",
            note="every stage's cells, after the prelude",
        ),
        Row(
            "(b'') the recorder's hook over those events",
            got["hook"] * 1000,
            unit="ms",
            note="median of 21",
        ),
        Row("(b'') stop: sort out and write the trace", got["stop"] * 1000, unit="ms"),
        Row(
            "(b'') recording cost, share of the stages' CPU time",
            cost / got["stages"] * 100,
            unit="%",
            target=RECORDING_TARGET * 100,
            note=f"(hook + stop) / {got['stages']:.3f} s",
        ),
    ]


def in_process_cost(runs: int = 7) -> list[Row]:
    """The example's code in one interpreter after the prelude's imports, recorder on and off,
    taking turns: the hook's and the trace's cost without kernels, papermill and their round
    trips, in CPU time (less sensitive to other processes than wall time)."""
    times: dict[str, list[float]] = {"on": [], "off": []}
    nb = EXAMPLES / "wine_fanout.ipynb"
    for i in range(-1, runs):
        for mode in ("on", "off"):
            script = f"MODE = {mode!r}\n" + _IN_PROCESS.replace("sys.argv_path", repr(str(nb)))
            out = run([sys.executable, "-c", script]).stdout.strip().splitlines()[-1]
            if i >= 0:
                times[mode].append(float(out))
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    return [
        Row("(b') wine_fanout's code in one process, recorder off", off, note=f"median of {runs}"),
        Row("(b') the same, recorder on", on, note="taking turns, CPU time, trace written"),
        Row(
            "(b') recording cost in process, share",
            (on - off) / off * 100,
            unit="%",
            target=RECORDING_TARGET * 100,
            note="(on - off) / off",
        ),
    ]


def library_modules(runs: int = 3) -> list[Row]:
    """A library on PYTHONPATH outside the project, imported by a stage: its modules are local
    to the kernel, and the first run hashes each. By bytes (outside the package and its folder)
    against by normalised source (as when the same files sit inside the project), taking
    turns, a fresh hash cache each time, medians of ``runs``; matplotlib's own modules. The
    "by source" side is the hashing from_trace did before for such modules."""
    import tempfile

    import matplotlib

    from cellops.run.reads import MODULE, Hashes, from_trace

    folder = Path(matplotlib.__file__).parent
    modules = {f"matplotlib.{p.stem}": str(p) for p in sorted(folder.glob("*.py"))}
    size = sum(Path(p).stat().st_size for p in modules.values()) / 1e6
    times: dict[str, list[float]] = {"bytes": [], "source": []}
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "trace.json"
        trace.write_text(
            json.dumps({"files": [], "listings": [], "modules": modules, "distributions": []}),
            encoding="utf-8",
        )
        for i in range(runs):
            for how in ("bytes", "source"):
                hashes = Hashes(Path(tmp) / f"h{i}{how}.json")
                start = time.perf_counter()
                if how == "bytes":
                    from_trace(trace, Path(tmp), [], hashes, installed={}, distributions={})
                else:  # what from_trace did before: every local module by its source
                    for path in modules.values():
                        hashes.digest(MODULE, path)
                times[how].append(time.perf_counter() - start)
    by_bytes, by_source = statistics.median(times["bytes"]), statistics.median(times["source"])
    note = f"{len(modules)} modules, {size:.1f} MB; median of {runs}"
    return [
        Row("(c) first-run hash of a library's modules, by source (before)", by_source, note=note),
        Row("(c) the same, by bytes (a library outside the project)", by_bytes, note=note),
        Row("(c) by source / by bytes", by_source / by_bytes, unit="x"),
    ]


def measure(parts: tuple[str, ...] = ("cached", "recording")) -> list[Row]:
    rows: list[Row] = []
    for part, how in (("cached", cached_overhead), ("recording", first_run_cost)):
        if part in parts:
            with tempdir() as tmp:
                rows += how(tmp)
    if "in-process" in parts:
        rows += in_process_cost()
    if "replay" in parts:
        rows += replayed_cost()
    if "library" in parts:
        rows += library_modules()
    return rows


if __name__ == "__main__":
    chosen = tuple(a for a in sys.argv[1:] if not a.startswith("-"))
    report("trace", measure(chosen or ("cached", "recording")))
