"""One run of a package: its record, its stages' outputs, reuse and execution of a stage.

The scheduler (``run.scheduler``) drives many of these at once (a sweep) or one (``cellops
run``): ``try_reuse`` takes a stage from the cache or the run it resumes, ``execute`` runs it
through an ``Executor`` under the one retry policy, ``finish`` files the result.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from cellops.artifacts.kernel import format_ext
from cellops.artifacts.stores import Store, join, open_store, read_manifest, remove_work
from cellops.package import layout, learned_imports
from cellops.package.spec import StageSpec
from cellops.run import liveness
from cellops.run import record as records
from cellops.run.cache import (
    Cache,
    Output,
    cache_key,
    outputs_from_dict,
    outputs_to_dict,
)
from cellops.run.context import PackageContext, StageTask
from cellops.run.executor import Executor, attempts_for, execute_with_retries
from cellops.run.prelude import preloaded
from cellops.run.reads import Hashes, Reads, changed, from_trace
from cellops.run.record import RunRecord, StageError
from cellops.run.terminal import PlainLines


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


class Reporter(Protocol):
    """Where a run says what its stages do: plain lines (``Progress``) or a live table."""

    def line(self, text: str, *, always: bool = False) -> None: ...

    def stage(self, name: str, state: str, detail: str = "") -> None: ...


class Progress:
    def __init__(self, out: TextIO, quiet: bool, width: int) -> None:
        # Stage threads print too: one line at a time, never two interleaved.
        self.plain = PlainLines(out)
        self.quiet = quiet
        self.width = width

    def line(self, text: str, *, always: bool = False) -> None:
        if always or not self.quiet:
            self.plain.line(text)

    def stage(self, name: str, state: str, detail: str = "") -> None:
        self.line(f"  {name:<{self.width}}  {state:<8} {detail}".rstrip())


class PackageRun:
    def __init__(
        self,
        context: PackageContext,
        rec: RunRecord,
        options: RunOptions,
        out: TextIO,
        *,
        previous: RunRecord | None = None,
        store: Store | None = None,
        work_root: str | None = None,
    ) -> None:
        """``previous``: the run this one resumes. ``store`` and ``work_root``: where artifacts
        live and stages write (a folder or, for Dask workers elsewhere, an object-store URL)."""
        self.context = context
        self.package = context.package
        self.spec = context.spec
        self.rec = rec
        rec.runner = liveness.this_runner()
        # The run id the stage kernels file their cells' executions under.
        self.tracked_run_id: str | None = rec.run_id
        self.options = options
        self.previous = previous
        self.cache = Cache(self.package)
        self.lock_pins = self._read_lock(self.package)  # read once a run
        self.dir = records.run_dir(self.package, rec.run_id)
        self.store: Store = store or open_store(layout.artifacts_dir(self.package))
        self.work_root = work_root or str(layout.run_outputs(self.dir))
        self.outputs: dict[str, dict[str, Output]] = {}
        self.hashes = Hashes(layout.hash_cache(self.package))
        self.save_lock = threading.Lock()
        self.marked = False  # 'latest' points at this run
        width = max(len(s.name) for s in self.spec.stages)
        self.progress: Reporter = Progress(out, options.quiet, width)

    # -- bookkeeping -------------------------------------------------------------------
    def save(self) -> None:
        # Stage threads and the scheduler both save; one writer at a time keeps the record
        # and the 'latest' pointer consistent.
        with self.save_lock:
            # The 'latest' pointer names this run from its first save on: written once.
            latest = self.options.mark_latest and not self.marked
            records.save(self.package, self.rec, latest=latest)
            self.marked = True
        self.hashes.save()

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
    def try_reuse(self, stage: StageSpec, *, fresh: bool = False) -> bool:
        """``fresh``: the scheduler has just executed this key for another run of a sweep;
        its entry is taken as it is."""
        srec = self.rec.stages[stage.name]
        srec.inputs = self.input_hashes(stage)
        key = cache_key(
            self.context.code[stage.name],
            self.spec,
            stage,
            self.rec.parameters,
            srec.inputs,
        )
        srec.cache_key = key
        found: tuple[dict[str, Output], Reads | None] | None = None
        if self.previous is not None:
            old = self.previous.stages.get(stage.name)
            reads = Reads.from_dict(old.reads) if old else None
            if old and old.status in ("done", "cached") and old.cache_key == key and reads:
                found = outputs_from_dict(old.outputs), reads
        if found is None and self.options.use_cache and stage.options.cache:
            found = self.cache.get(key, fresh=fresh)
        if found is None or not self.artifacts_exist(found[0]):
            return False
        outputs, reads = found
        what = None
        if not fresh and reads is not None:
            what = changed(reads, self.package, self.hashes, self.lock_pins or {})
        if what is not None:
            self.progress.line(f"  {stage.name}: {what} changed since its last run")
            return False
        self.outputs[stage.name] = outputs
        srec.status = "cached"
        srec.cache_hit = True
        srec.duration = 0.0
        srec.outputs = outputs_to_dict(outputs)
        srec.reads = reads.to_dict() if reads else None
        cached_nb = self.cache.notebook_path(key)
        if cached_nb.exists():
            srec.notebook = layout.stage_notebook(stage.name)
            self.link_notebook(cached_nb, self.dir / srec.notebook)
        self.progress.stage(stage.name, "cached")
        return True

    # -- real execution ---------------------------------------------------------------------
    def execute(self, stage: StageSpec, executor: Executor) -> dict[str, Output]:
        srec = self.rec.stages[stage.name]
        state = "failed"
        try:
            outputs = self._execute(stage, executor)
            state = "done"
            return outputs
        finally:
            # Measured by the worker: the scheduler notices the end a little later. Said here,
            # before this thread takes the next stage, so no more stages ever show "running"
            # than there are threads.
            srec.duration = time.time() - (srec.started or time.time())
            self.progress.stage(stage.name, state, f"{srec.duration:.2f}s")

    def _execute(self, stage: StageSpec, executor: Executor) -> dict[str, Output]:
        srec = self.rec.stages[stage.name]
        # Stamped here, when a worker takes the stage, not when it was queued.
        srec.status = "running"
        srec.started = time.time()
        srec.notebook = layout.stage_notebook(stage.name)
        self.progress.stage(stage.name, "running")
        self.save()
        params: dict[str, Any] = {n: self.rec.parameters[n] for n in stage.parameters}
        work = self.work_area(stage)
        if stage.inputs:
            params["cellops_inputs"] = self.input_paths(stage)
        if stage.outputs:
            params["cellops_outputs"] = work
        executed = self.executed_notebook(stage)
        task = StageTask(
            self.context, stage, self.tracked_run_id, executed, params, self.rec.parameters
        )
        attempts = self.attempts(stage)

        def retry(attempt: int, error: StageError) -> None:
            srec.error = error
            self.progress.stage(stage.name, "retry", f"attempt {attempt} of {attempts}")

        from cellops.run.executor import StageExecutionError

        try:
            execute_with_retries(executor, task, attempts, retry)
        except StageExecutionError as exc:
            srec.error = exc.error
            raise
        srec.error = None
        return self.collect(stage, work, executed)

    def work_area(self, stage: StageSpec) -> str:
        """Where the stage writes its outputs: emptied first (a failed attempt's leftovers)."""
        work = join(self.work_root, stage.name)
        remove_work(work)
        return work

    def executed_notebook(self, stage: StageSpec) -> Path:
        return self.dir / layout.stage_notebook(stage.name)

    def attempts(self, stage: StageSpec) -> int:
        return attempts_for(stage.options.retries, self.options.retries)

    def traced(self, stage: StageSpec, work: str, executed: Path) -> Reads | None:
        """What the stage's kernel recorded it read and imported, hashed; filed in the record."""
        trace = layout.trace_file(executed)
        excluded = [str(layout.state_dir(self.package)), str(self.dir), work]
        if stage.inputs:
            excluded += self.input_paths(stage).values()
        if self.context.tracking is not None:  # the kernel's tracking writer connects to it
            excluded.append(self.context.tracking.db)
        ahead = preloaded(self.context.imports[stage.name])
        # String parameter values may name the files the stage reads (``-p source=x.parquet``).
        values = [self.rec.parameters.get(n) for n in stage.parameters]
        named = [*self.context.named.get(stage.name, ()), *(v for v in values if type(v) is str)]
        found = from_trace(
            trace,
            self.package,
            excluded,
            self.hashes,
            ahead,
            installed=self.context.installed,
            distributions=self.context.distributions,
            workdir=self.context.workdir,
            named=named,
            static=self.context.imports.get(stage.name, ()),
            lock=self.lock_pins or {},
        )
        trace.unlink(missing_ok=True)
        reads = found.reads if found else None
        self.rec.stages[stage.name].reads = reads.to_dict() if reads else None
        if reads is None:
            return None
        learned_imports.remember(self.package, self.spec, stage.name, reads.imported)
        self._say_unpinned(stage, reads)
        if found and found.not_reusable:
            self.progress.line(f"  {stage.name}: not cached, {found.not_reusable}", always=True)
            return None  # the entry is written without reads: never reused
        return reads

    @staticmethod
    def _read_lock(package: Path) -> dict[str, str] | None:
        """The package's lock, name -> pin line, None without one; unreadable is an error
        (before any record is written, as the run cannot check its entries)."""
        from cellops.package.lock import pins

        try:
            return pins((package / layout.LOCK_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def _say_unpinned(self, stage: StageSpec, reads: Reads) -> None:
        """An image built from this package would miss what the stage imported unseen."""
        from cellops.package.lock import canonical

        if self.lock_pins is None:
            return
        missing = sorted(d for d in reads.distributions if canonical(d) not in self.lock_pins)
        if missing:
            self.progress.line(
                f"  {stage.name} imported {', '.join(missing)}, which {layout.LOCK_FILE} does "
                "not pin (a magic or a lazy import): promote again to pin it",
                always=True,
            )

    def collect(self, stage: StageSpec, work: str, executed: Path) -> dict[str, Output]:
        reads = self.traced(stage, work, executed)
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
            key = self.rec.stages[stage.name].cache_key
            self.cache.put(key, stage.name, outputs, executed, reads)
        return outputs

    def finish(self, stage: StageSpec, fut: Any, done: set[str], failed: list[str]) -> None:
        srec = self.rec.stages[stage.name]
        try:
            outputs = fut.result()
        except Exception as exc:
            srec.status = "failed"
            if srec.error is None:
                srec.error = StageError(type(exc).__name__, str(exc), None, None)
            failed.append(stage.name)
            return
        self.outputs[stage.name] = outputs
        srec.outputs = outputs_to_dict(outputs)
        srec.status = "done"
        done.add(stage.name)
