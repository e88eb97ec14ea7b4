"""``cellops run``: execute a package locally, in DAG order, independent stages in parallel.

Cache look-ups need no papermill, pandas or kernel: a fully cached run reads the spec, hashes
stage notebooks' bytes and writes a run record. Kernels and papermill are loaded only when a
stage must really run. The run is a graph of one run for the scheduler (``run.scheduler``).
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import TextIO

from cellops.errors import ArtifactError, CellopsError, StageFailed
from cellops.package.spec import PipelineSpec, load
from cellops.run import record as records
from cellops.run.context import package_context
from cellops.run.package_run import PackageRun, RunOptions
from cellops.run.params import resolve
from cellops.run.record import RunRecord, StageRecord, failure_lines
from cellops.run.scheduler import Scheduler
from cellops.run.terminal import is_terminal
from cellops.run.warm import WarmKernels

__all__ = ["RunOptions", "run_package"]


def _start_record(
    package: Path, spec: PipelineSpec, options: RunOptions
) -> tuple[RunRecord, RunRecord | None]:
    if not options.resume:
        params = resolve(spec, options.params)
        run_id = options.run_id or records.new_run_id()
        rec = RunRecord(run_id, spec.name, "running", params, time.time())
        rec.stages = {s.name: StageRecord() for s in spec.stages}
        return rec, None
    previous = records.latest(package)
    if previous is None:
        raise CellopsError(f"{package}: no earlier run to resume; run it without --resume")
    if previous.status == "running":
        raise CellopsError(
            f"run {previous.run_id} of {package} is still running (process "
            f"{(previous.runner or {}).get('pid')}); wait for it or stop it before --resume"
        )
    params = resolve(spec, options.params) if options.params else dict(previous.parameters)
    if params != previous.parameters:
        raise CellopsError(
            f"--resume continues run {previous.run_id} with its parameters "
            f"{previous.parameters}; drop the -p options or start a new run without --resume"
        )
    # A finished run stays as it was (history): its results seed a new run. A failed or
    # interrupted one is continued under its own id.
    finished = previous.status == "done"
    rec = RunRecord(
        options.run_id or records.new_run_id() if finished else previous.run_id,
        spec.name,
        "running",
        params,
        time.time(),
        resumed=previous.resumed + 1,
        resumed_from=previous.run_id if finished else previous.resumed_from,
    )
    rec.stages = {s.name: StageRecord() for s in spec.stages}
    return rec, previous


def _failure_message(package: Path, run: PackageRun, failed: list[str]) -> str:
    lines = []
    for name in failed:
        srec = run.rec.stages[name]
        lines += failure_lines(name, srec.error, run.spec.source_notebook, run.dir / srec.notebook)
    lines.append(
        f"fix the notebook, promote again if needed, and continue with "
        f"`cellops run {package} --resume`"
    )
    return "\n".join(lines)


_DEFAULTS = RunOptions()


def run_package(
    package: str | Path, options: RunOptions = _DEFAULTS, out: TextIO | None = None
) -> RunRecord:
    """Run a package; returns the record, or raises StageFailed once the record is saved."""
    pkg = Path(package).resolve() if Path(package).exists() else Path(package)
    spec = load(pkg)
    records.clean_leftovers(pkg)
    rec, previous = _start_record(pkg, spec, options)
    context = package_context(pkg, spec)
    stream = out or sys.stdout
    run = PackageRun(context, rec, options, stream, previous=previous)
    verb = "resuming" if previous else "running"
    run.progress.line(f"{verb} {spec.name}: {len(spec.stages)} stage(s), run {rec.run_id}")
    executor = WarmKernels(context, jobs=options.jobs)
    live = None
    if not options.quiet and is_terminal(stream):
        from cellops.run.terminal import LiveTable

        live = LiveTable(stream, [s.name for s in spec.stages])
        run.progress = live
    try:
        with live or contextlib.nullcontext():
            Scheduler([run], executor, options.jobs).run()
    except KeyboardInterrupt:
        run.progress.line("interrupted: the running stages were stopped", always=True)
        raise
    finally:
        executor.close()
    failed = [n for n, s in rec.stages.items() if s.status == "failed"]
    counts = {k: sum(1 for s in rec.stages.values() if s.status == k) for k in ("done", "cached")}
    summary = (
        f"run {rec.run_id} {rec.status} in {rec.duration or 0:.2f}s: {counts['done']} ran, "
        f"{counts['cached']} cached; record: {run.dir / 'run.json'}"
    )
    run.progress.line(summary, always=True)
    if failed:
        message = _failure_message(pkg, run, failed)
        errors = [rec.stages[n].error for n in failed]
        if any(e is not None and e.ename == "ArtifactError" for e in errors):
            raise ArtifactError(message)
        raise StageFailed(message)
    return rec
