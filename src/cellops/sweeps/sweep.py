"""A batch: a sweep's runs, their state on disk, and the results table.

``PACKAGE/.cellops/batches/BATCH_ID/`` holds ``batch.json`` (the runs, their parameters, run
ids and statuses, rewritten as runs finish), ``results.parquet`` and ``results.csv``; each run
keeps its own record and executed notebooks under ``.cellops/runs/RUN_ID/``. A resumed batch
reads ``batch.json`` back and runs only the runs that did not finish.

``Batch.run()`` works in the caller's thread (the CLI; Ctrl-C stops it cleanly and keeps the
finished rows); ``Batch.start()`` runs it in a background thread that a server polls through
``status()`` and ``rows()`` and stops with ``cancel()``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from cellops.errors import CellopsError
from cellops.fsutil import atomic_write
from cellops.package import layout
from cellops.run import liveness
from cellops.run import record as records
from cellops.run.context import PackageContext, package_context
from cellops.run.executor import Executor
from cellops.run.package_run import PackageRun, RunOptions
from cellops.run.record import RunRecord, StageRecord
from cellops.run.scheduler import Scheduler
from cellops.run.warm import WarmKernels
from cellops.sweeps.grid import SweepPlan, run_key
from cellops.sweeps.progress import BatchProgress, TerminalProgress
from cellops.sweeps.results import run_row, save
from cellops.sweeps.target import Target

EXECUTORS = ("local", "dask")


@dataclass(frozen=True)
class BatchOptions:
    jobs: int | None = None  # stages at once (default: CPUs, or the Dask cluster's threads)
    executor: str = "local"
    scheduler: str | None = None  # a Dask scheduler address; None starts a LocalCluster
    artifacts: str | None = None  # where Dask workers exchange artifacts (path or URL)
    resume: bool = False
    retries: int = 0
    batch_id: str | None = None


def batches_dir(package: Path) -> Path:
    return layout.batches_dir(package)


def latest_batch(package: Path) -> dict[str, Any] | None:
    try:
        batch_id = (batches_dir(package) / layout.LATEST).read_text(encoding="utf-8").strip()
        return load_state(package, batch_id)
    except (OSError, ValueError, CellopsError):
        return None


def load_state(package: Path, batch_id: str) -> dict[str, Any]:
    """``batch.json`` of a batch; OSError or ValueError when there is none readable.

    Like a run record, it says ``running`` only while its runner lives: a reader finding the
    runner gone (killed) files the batch and its unfinished runs as interrupted, once.
    """
    records.run_dir(package, batch_id)  # batch ids are run ids: nothing that walks paths
    path = batches_dir(package) / batch_id / layout.BATCH_FILE
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        raise ValueError(f"{path}: not a batch state")
    if data.get("status") == "running" and not liveness.alive(data.get("runner")):
        data["status"] = "interrupted"
        data["finished"] = path.stat().st_mtime
        for run in data["runs"]:
            if run.get("status") in ("pending", "running"):
                run["status"] = "interrupted"
        with contextlib.suppress(OSError):
            atomic_write(path, json.dumps(data, indent=1, default=repr))
    return data


class Batch:
    def __init__(
        self,
        target: Target,
        plan: SweepPlan | None,
        options: BatchOptions = BatchOptions(),
        *,
        out: TextIO | None = None,
        quiet: bool = True,
    ) -> None:
        if options.executor not in EXECUTORS:
            raise CellopsError(f"--executor {options.executor!r}: use one of {EXECUTORS}")
        if options.jobs is not None and options.jobs < 1:
            raise CellopsError("--jobs must be at least 1")
        self.target = target
        self.options = options
        self.params = tuple(p.name for p in target.spec.parameters)
        previous = latest_batch(target.package) if options.resume else None
        if options.resume and previous is None:
            raise CellopsError(
                f"{target.package}: no earlier batch to resume; run it without --resume"
            )
        if plan is None:
            if previous is None:
                raise CellopsError("the sweep is empty: give --grid NAME=V1,V2 or --params-file")
            plan = SweepPlan(tuple(r["params"] for r in previous["runs"]), tuple(previous["swept"]))
        self.plan = plan
        self.batch_id = (
            previous["batch_id"] if previous else options.batch_id or records.new_run_id()
        )
        records.run_dir(target.package, self.batch_id)  # a given id names no other folder
        self.dir = batches_dir(target.package) / self.batch_id
        self.runner = liveness.this_runner()
        earlier = {run_key(r["params"]): r for r in (previous or {}).get("runs", [])}
        self.run_ids = self._run_ids(earlier)
        self.finished_before = {
            i
            for i, p in enumerate(plan.runs)
            if earlier.get(run_key(p), {}).get("status") == "done"
        }
        self.rows_by_run: dict[int, dict[str, Any]] = {}
        self.progress = BatchProgress(self.batch_id, len(plan.runs))
        self.terminal = TerminalProgress(out or sys.stdout, plan.swept, quiet=quiet)
        self.cancel_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.executed: dict[str, int] = {}
        self.result_files: tuple[Path, Path] | None = None

    def _run_ids(self, earlier: dict[str, dict[str, Any]]) -> list[str]:
        """A resumed run keeps its id; a new one gets an id no earlier run of the batch has."""
        used = {r["run_id"] for r in earlier.values()}
        ids = []
        for i, params in enumerate(self.plan.runs):
            run_id = earlier.get(run_key(params), {}).get("run_id") or f"{self.batch_id}-{i:04d}"
            while run_id in used and run_key(params) not in earlier:
                run_id = f"{self.batch_id}-{i:04d}-{os.urandom(2).hex()}"
            used.add(run_id)
            ids.append(run_id)
        return ids

    # -- state ----------------------------------------------------------------------------
    def _row(self, i: int, rec: RunRecord) -> dict[str, Any]:
        from cellops.artifacts.stores import open_store

        store = open_store(self.artifacts_root())
        run_dir = records.run_dir(self.target.package, rec.run_id)
        return run_row(i, rec, run_dir, store, self.params)

    def artifacts_root(self) -> str:
        from cellops.artifacts.stores import join

        if self.options.artifacts:
            return join(self.options.artifacts, layout.SHARED_ARTIFACTS)
        return str(layout.artifacts_dir(self.target.package))

    def _save_state(self) -> None:
        runs = [
            {
                "run": i,
                "params": params,
                "run_id": self.run_ids[i],
                "status": self.rows_by_run.get(i, {}).get("status", "pending"),
            }
            for i, params in enumerate(self.plan.runs)
        ]
        data = {
            "batch_id": self.batch_id,
            "package": str(self.target.package),
            "notebook": str(self.target.notebook or ""),
            "swept": list(self.plan.swept),
            "status": self.progress.status,
            "started": self.progress.started,
            "finished": self.progress.finished,
            "executed": self.executed,
            "reused": self.progress.reused,
            "runner": self.runner,
            "runs": runs,
        }
        atomic_write(self.dir / layout.BATCH_FILE, json.dumps(data, indent=1, default=repr))
        atomic_write(batches_dir(self.target.package) / layout.LATEST, self.batch_id + "\n")

    def rows(self) -> list[dict[str, Any]]:
        """The rows of the runs finished so far, in run order (JSON-safe)."""
        with self.progress.lock:
            return [self.rows_by_run[i] for i in sorted(self.rows_by_run)]

    def status(self) -> dict[str, Any]:
        return self.progress.to_dict()

    def results(self) -> Any:
        from cellops.sweeps.results import frame

        return frame(self.rows())

    # -- running --------------------------------------------------------------------------
    def _new_run(self, i: int, context: PackageContext) -> PackageRun:
        spec = self.target.spec
        options = RunOptions(jobs=1, quiet=True, retries=self.options.retries, mark_latest=False)
        rec = RunRecord(self.run_ids[i], spec.name, "running", dict(self.plan.runs[i]), time.time())
        rec.stages = {s.name: StageRecord() for s in spec.stages}
        store, work_root = None, None
        if self.options.artifacts:
            from cellops.artifacts.stores import join, open_store
            from cellops.fsutil import is_url

            given = self.options.artifacts
            root = given if is_url(given) else str(Path(given).resolve())
            store = open_store(join(root, layout.SHARED_ARTIFACTS))
            work_root = join(root, layout.SHARED_WORK, rec.run_id)
        return PackageRun(context, rec, options, sys.stderr, store=store, work_root=work_root)

    def _reuse_earlier(self, i: int) -> None:
        rec = records.load(self.target.package, self.run_ids[i])
        self.rows_by_run[i] = self._row(i, rec)
        self.progress.done += 1
        self.progress.reused += 1

    def run(self) -> list[dict[str, Any]]:
        """Run every run not finished yet; returns the rows. Ctrl-C: finished rows are kept."""
        self.progress.started = time.time()
        records.clean_leftovers(self.target.package)
        todo = [i for i in range(len(self.plan.runs)) if i not in self.finished_before]
        for i in self.finished_before:
            self._reuse_earlier(i)
        target = self.target
        context = package_context(
            target.package, target.spec, workdir=target.workdir, notebook=target.notebook
        )
        runs = [self._new_run(i, context) for i in todo]
        executor = self._executor(context, bool(runs))
        jobs = self.options.jobs or executor.slots() or os.cpu_count() or 1
        scheduler = Scheduler(
            runs, executor, jobs, on_run_end=lambda k: self._ended(todo[k], runs[k])
        )
        self._save_state()
        self.terminal.draw(self.progress)
        completed = False
        try:
            completed = scheduler.run(self.cancel_event)
        finally:
            executor.close()
            self.executed = dict(scheduler.executed)
            self._finish(completed)
        return self.rows()

    def _ended(self, i: int, run: PackageRun) -> None:
        row = self._row(i, run.rec)
        with self.progress.lock:
            self.rows_by_run[i] = row
            if row["status"] == "done":
                self.progress.done += 1
                stages = run.rec.stages.values()
                self.progress.cached += all(s.cache_hit for s in stages)
            else:
                self.progress.failed += 1
        self.terminal.run_ended(self.progress, row)
        self._save_state()

    def _finish(self, completed: bool) -> None:
        with self.progress.lock:
            self.progress.finished = time.time()
            if not completed:
                self.progress.status = "interrupted"
            else:
                self.progress.status = "failed" if self.progress.failed else "done"
        self.terminal.close()
        # The results first: a reader seeing the final status finds the results files.
        self.result_files = save(self.rows(), self.dir)
        self._save_state()

    def _executor(self, context: PackageContext, needed: bool) -> Executor:
        if self.options.executor == "dask" and needed:
            from cellops.sweeps.dask import DaskExecutor

            return DaskExecutor(self.options.scheduler, context)
        return WarmKernels(context, jobs=self.options.jobs or os.cpu_count() or 1)

    # -- in the background (the server) ----------------------------------------------------
    def start(self) -> Batch:
        def work() -> None:
            try:
                self.run()
            except BaseException as exc:  # kept for the poller; the thread has no caller
                self.error = exc
                with self.progress.lock:
                    self.progress.status = "failed"

        self.thread = threading.Thread(target=work, name=f"cellops-batch-{self.batch_id}")
        self.thread.daemon = True
        self.thread.start()
        return self

    def cancel(self) -> None:
        self.cancel_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the background batch has ended."""
        if self.thread is not None:
            self.thread.join(timeout)
            return not self.thread.is_alive()
        return True
