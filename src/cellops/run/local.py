"""``cellops run``: execute a package locally, in DAG order, independent stages in parallel.

Cache look-ups need no papermill, pandas or kernel: a fully cached run reads the spec, hashes
stage code and writes a run record. Kernels and papermill are loaded only when a stage must
really run.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from cellops.artifact_stores import Store, join, read_manifest, remove_work
from cellops.artifacts import ArtifactStore, format_ext
from cellops.errors import ArtifactError, CellopsError, StageFailed
from cellops.fsutil import STATE_DIR
from cellops.run import record as records
from cellops.run.cache import (
    Cache,
    Output,
    cache_key,
    file_sha256,
    outputs_from_dict,
    outputs_to_dict,
)
from cellops.run.params import resolve
from cellops.run.record import RunRecord, StageError, StageRecord
from cellops.spec import PipelineSpec, StageSpec, load


@dataclass(frozen=True)
class RunOptions:
    params: tuple[str, ...] = ()
    jobs: int = 1
    resume: bool = False
    use_cache: bool = True
    quiet: bool = False
    # The server picks the id up front so the sidebar can poll a run it just started.
    run_id: str | None = None
    # Extra attempts for every stage (a stage's own retries: tag counts if it asks for more).
    retries: int = 0
    # Whether `cellops run --resume` continues this run (not a run of a batch).
    mark_latest: bool = True


class Progress:
    def __init__(self, out: TextIO, quiet: bool, width: int) -> None:
        self.out = out
        self.quiet = quiet
        self.width = width

    def line(self, text: str, *, always: bool = False) -> None:
        if always or not self.quiet:
            print(text, file=self.out, flush=True)

    def stage(self, name: str, state: str, detail: str = "") -> None:
        self.line(f"  {name:<{self.width}}  {state:<8} {detail}".rstrip())


class PackageRun:
    """One run of a package: its record, its stages' outputs, reuse and execution of a stage.

    ``run`` schedules the stages itself; a batch drives many of these through ``try_reuse``,
    ``execute`` and ``finish`` with one kernel pool (``pool``) and may replace ``store``,
    ``work_root`` and ``execute_notebook`` to run stages elsewhere.
    """

    def __init__(
        self, package: Path, spec: PipelineSpec, rec: RunRecord, options: RunOptions, out: TextIO
    ) -> None:
        self.package = package
        self.spec = spec
        self.rec = rec
        self.options = options
        self.cache = Cache(package)
        self.lock_sha = file_sha256(package / "requirements.lock")
        self.dir = records.run_dir(package, rec.run_id)
        # A folder or, with Dask workers on other machines, an object-store URL.
        self.store: Store = ArtifactStore(package / STATE_DIR / "artifacts")
        self.work_root = str(self.dir / "outputs")
        self.outputs: dict[str, dict[str, Output]] = {}
        self.pool: Any = None
        self.save_lock = threading.Lock()
        width = max(len(s.name) for s in spec.stages)
        self.progress = Progress(out, options.quiet, width)

    # -- bookkeeping -------------------------------------------------------------------
    def save(self) -> None:
        # Stage threads and the scheduler both save; one writer at a time keeps the record
        # and the 'latest' pointer consistent.
        with self.save_lock:
            records.save(self.package, self.rec, latest=self.options.mark_latest)

    def input_hashes(self, stage: StageSpec) -> dict[str, str]:
        return {n: self.outputs[src][n].sha256 for n, src in sorted(stage.inputs.items())}

    def input_paths(self, stage: StageSpec) -> dict[str, str]:
        paths = {}
        for n, src in stage.inputs.items():
            o = self.outputs[src][n]
            paths[n] = self.store.path(o.sha256, o.ext)
        return paths

    def artifacts_exist(self, outputs: dict[str, Output]) -> bool:
        return all(self.store.has(o.sha256, o.ext) for o in outputs.values())

    def link_notebook(self, source: Path, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.unlink(missing_ok=True)
        try:
            os.link(source, dest)
        except OSError:
            shutil.copyfile(source, dest)

    # -- reuse without running -----------------------------------------------------------
    def try_reuse(self, stage: StageSpec, previous: RunRecord | None) -> bool:
        srec = self.rec.stages[stage.name]
        srec.inputs = self.input_hashes(stage)
        key = cache_key(
            self.package, self.spec, stage, self.rec.parameters, srec.inputs, self.lock_sha
        )
        srec.cache_key = key
        found: dict[str, Output] | None = None
        if previous is not None:
            old = previous.stages.get(stage.name)
            if old and old.status in ("done", "cached") and old.cache_key == key:
                found = outputs_from_dict(old.outputs)
        if found is None and self.options.use_cache and stage.options.cache:
            found = self.cache.get(key)
        if found is None or not self.artifacts_exist(found):
            return False
        self.outputs[stage.name] = found
        srec.status = "cached"
        srec.cache_hit = True
        srec.duration = 0.0
        srec.outputs = outputs_to_dict(found)
        cached_nb = self.cache.notebook_path(key)
        if cached_nb.exists():
            srec.notebook = f"stages/{stage.name}.ipynb"
            self.link_notebook(cached_nb, self.dir / srec.notebook)
        self.progress.stage(stage.name, "cached")
        return True

    # -- real execution ---------------------------------------------------------------------
    def execute(self, stage: StageSpec) -> dict[str, Output]:
        srec = self.rec.stages[stage.name]
        try:
            return self._execute(stage)
        finally:
            # Measured by the worker: the scheduler notices the end a little later.
            srec.duration = time.time() - (srec.started or time.time())

    def _execute(self, stage: StageSpec) -> dict[str, Output]:
        from cellops.run.execute import StageExecutionError

        srec = self.rec.stages[stage.name]
        # Stamped here, when a worker takes the stage, not when it was queued.
        srec.status = "running"
        srec.started = time.time()
        srec.notebook = f"stages/{stage.name}.ipynb"
        self.progress.stage(stage.name, "running")
        self.save()
        params: dict[str, Any] = {n: self.rec.parameters[n] for n in stage.parameters}
        work = join(self.work_root, stage.name)
        remove_work(work)
        if stage.inputs:
            params["cellops_inputs"] = self.input_paths(stage)
        if stage.outputs:
            params["cellops_outputs"] = work
        executed = self.dir / "stages" / f"{stage.name}.ipynb"
        attempts = 1 + max(stage.options.retries or 0, self.options.retries)
        for attempt in range(1, attempts + 1):
            try:
                self.execute_notebook(stage, executed, params)
                break
            except StageExecutionError as exc:
                srec.error = exc.error
                if attempt == attempts or exc.error.ename == "ArtifactError":
                    raise
                self.progress.stage(stage.name, "retry", f"attempt {attempt + 1} of {attempts}")
        srec.error = None
        return self.collect(stage, work, executed)

    def execute_notebook(self, stage: StageSpec, executed: Path, params: dict[str, Any]) -> None:
        from cellops.run.execute import execute_stage

        execute_stage(
            self.pool,
            self.package / stage.notebook,
            executed,
            params,
            kernel_name=self.spec.kernel,
            timeout=stage.options.timeout,
            run_id=self.rec.run_id,
        )

    def collect(self, stage: StageSpec, work: str, executed: Path) -> dict[str, Output]:
        outputs: dict[str, Output] = {}
        if stage.outputs:
            manifest = read_manifest(work)
            for name in stage.outputs:
                entry = manifest["outputs"][name]
                ext = format_ext(entry["format"])
                sha = self.store.put(join(work, entry["file"]), ext, entry["sha256"])
                outputs[name] = Output(sha, ext)
            remove_work(work)
        if stage.options.cache:
            self.cache.put(self.rec.stages[stage.name].cache_key, stage.name, outputs, executed)
        return outputs

    # -- scheduling -------------------------------------------------------------------------
    def run(self, previous: RunRecord | None) -> None:
        done: set[str] = set()
        failed: list[str] = []
        running: dict[Future[dict[str, Output]], StageSpec] = {}
        pending = list(self.spec.stages)
        executor: ThreadPoolExecutor | None = None
        try:
            while pending or running:
                progressed = True
                while progressed and not failed:
                    progressed = False
                    for stage in list(pending):
                        if not all(u in done for u in stage.after):
                            continue
                        pending.remove(stage)
                        if self.try_reuse(stage, previous):
                            done.add(stage.name)
                            progressed = True
                            continue
                        if executor is None:
                            executor = self.start_execution(len(pending) + 1, [stage, *pending])
                        running[executor.submit(self.execute, stage)] = stage
                    self.save()
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    stage = running.pop(fut)
                    self.finish(stage, fut, done, failed)
                self.save()
        except KeyboardInterrupt:
            self.rec.status = "interrupted"
            self.progress.line("interrupted: stopping the running stages", always=True)
            for stage in running.values():
                srec = self.rec.stages[stage.name]
                srec.status = "failed"
                srec.error = StageError("KeyboardInterrupt", "interrupted by the user", None, None)
            if self.pool is not None:
                self.pool.kill_all()
            raise
        finally:
            if executor is not None:
                executor.shutdown(wait=not running, cancel_futures=True)
            if self.pool is not None:
                self.pool.close()
            for stage in pending:
                self.rec.stages[stage.name].status = "not-run"
            self.rec.finished = time.time()
            if self.rec.status == "running":
                self.rec.status = "failed" if failed else "done"
            self.save()

    def start_execution(self, count: int, stages: list[StageSpec]) -> ThreadPoolExecutor:
        from cellops.run.kernels import KernelPool
        from cellops.run.prelude import prelude_code

        self.pool = KernelPool(
            self.spec.kernel,
            str(self.package),
            total=count,
            warm=self.options.jobs + 1,
            prelude=prelude_code(self.package / s.notebook for s in stages),
        )
        return ThreadPoolExecutor(max_workers=self.options.jobs, thread_name_prefix="cellops-stage")

    def finish(
        self, stage: StageSpec, fut: Future[dict[str, Output]], done: set[str], failed: list[str]
    ) -> None:
        srec = self.rec.stages[stage.name]
        try:
            outputs = fut.result()
        except Exception as exc:
            srec.status = "failed"
            if srec.error is None:
                srec.error = StageError(type(exc).__name__, str(exc), None, None)
            failed.append(stage.name)
            self.progress.stage(stage.name, "failed", f"{srec.duration or 0:.2f}s")
            return
        self.outputs[stage.name] = outputs
        srec.outputs = outputs_to_dict(outputs)
        srec.status = "done"
        done.add(stage.name)
        self.progress.stage(stage.name, "done", f"{srec.duration or 0:.2f}s")


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
    params = resolve(spec, options.params) if options.params else dict(previous.parameters)
    if params != previous.parameters:
        raise CellopsError(
            f"--resume continues run {previous.run_id} with its parameters "
            f"{previous.parameters}; drop the -p options or start a new run without --resume"
        )
    rec = RunRecord(
        previous.run_id, spec.name, "running", params, time.time(), resumed=previous.resumed + 1
    )
    rec.stages = {s.name: StageRecord() for s in spec.stages}
    return rec, previous


def _failure_message(package: Path, run: PackageRun, failed: list[str]) -> str:
    lines = []
    for name in failed:
        srec = run.rec.stages[name]
        err = srec.error
        nb = run.spec.source_notebook
        where = f" in {err.source_cell} of {nb}" if err and err.source_cell else f" ({nb})"
        what = f"{err.ename}: {err.evalue}" if err else "unknown error"
        lines.append(f"stage '{name}' failed{where}: {what}")
        lines.append(f"  executed notebook: {run.dir / srec.notebook}")
    lines.append(
        f"fix the notebook, promote again if needed, and continue with "
        f"`cellops run {package} --resume`"
    )
    return "\n".join(lines)


def run_package(
    package: str | Path, options: RunOptions = RunOptions(), out: TextIO | None = None
) -> RunRecord:
    """Run a package; returns the record, or raises StageFailed once the record is saved."""
    pkg = Path(package).resolve() if Path(package).exists() else Path(package)
    spec = load(pkg)
    rec, previous = _start_record(pkg, spec, options)
    run = PackageRun(pkg, spec, rec, options, out or sys.stdout)
    verb = "resuming" if previous else "running"
    run.progress.line(f"{verb} {spec.name}: {len(spec.stages)} stage(s), run {rec.run_id}")
    run.run(previous)
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
