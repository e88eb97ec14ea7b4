"""The one scheduler: a graph of (run, stage) nodes, each stage computed once per cache key.

It serves ``cellops run`` (a graph of one run), ``cellops batch`` and the server. Every run is
a ``PackageRun`` (its own record and executed notebooks); stage notebooks execute through an
``Executor`` (warm local kernels, Dask), as many at once as ``jobs``. A node is
ready when the stages before it in its run are finished; it is then taken from the cache when
its key (code, the parameters it reads, its input hashes, lock) is known, joins an execution of
the same key already under way, or runs. So a sweep over ``max_depth`` loads and featurises the
data once, however many runs start at the same moment. A failing node fails the runs that
share it (their running stages finish, nothing new starts in them); every other run goes on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace

from cellops.package.spec import StageSpec
from cellops.run.cache import Output
from cellops.run.executor import Executor
from cellops.run.package_run import PackageRun
from cellops.run.record import StageError

Node = tuple[int, StageSpec]
_INTERRUPTED = StageError("KeyboardInterrupt", "interrupted by the user", None, None)


class Scheduler:
    def __init__(
        self,
        runs: list[PackageRun],
        executor: Executor,
        jobs: int,
        *,
        on_run_end: Callable[[int], None] = lambda i: None,
    ) -> None:
        self.runs = runs
        self.executor = executor
        self.jobs = jobs
        self.on_run_end = on_run_end
        self.pending: dict[int, list[StageSpec]] = {
            i: list(r.spec.stages) for i, r in enumerate(runs)
        }
        self.done: dict[int, set[str]] = {i: set() for i in self.pending}
        self.failed: dict[int, list[str]] = {i: [] for i in self.pending}
        self.running: dict[Future[dict[str, Output]], tuple[Node, str]] = {}
        self.inflight: dict[str, Future[dict[str, Output]]] = {}  # cache key -> its execution
        self.waiting: dict[str, list[Node]] = {}  # cache key -> nodes waiting for it
        self.ended: set[int] = set()
        self.executed: dict[str, int] = {}  # stage -> how many times its notebook really ran
        self.stopped = False
        self.dirty: set[int] = set()  # runs whose records changed since the last save
        self.nodes = sum(len(p) for p in self.pending.values())
        self.resolved = 0  # nodes finished without an execution of their own
        self.threads: ThreadPoolExecutor | None = None

    # -- nodes ----------------------------------------------------------------------------
    def _busy(self, i: int) -> bool:
        if any(node[0] == i for node, _ in self.running.values()):
            return True
        return any(node[0] == i for nodes in self.waiting.values() for node in nodes)

    def _schedule(self) -> None:
        progressed = True
        while progressed:
            progressed = False
            for i in range(len(self.runs)):
                if self.failed[i]:
                    continue
                for stage in list(self.pending[i]):
                    if not all(u in self.done[i] for u in stage.after):
                        continue
                    self.pending[i].remove(stage)
                    self.dirty.add(i)
                    if self._start(i, stage):
                        progressed = True
                self._maybe_end(i)

    def _start(self, i: int, stage: StageSpec) -> bool:
        """Reuse, join or submit one node; True when it finished on the spot."""
        run = self.runs[i]
        if run.try_reuse(stage):
            self.done[i].add(stage.name)
            self._not_needed()
            return True
        key = run.rec.stages[stage.name].cache_key
        if stage.options.cache and key in self.inflight:
            self.waiting.setdefault(key, []).append((i, stage))
            self._not_needed()
            return False
        if self.threads is None:
            self.executor.begin(self.nodes - self.resolved)
            self.threads = ThreadPoolExecutor(self.jobs, thread_name_prefix="cellops-stage")
        fut = self.threads.submit(run.execute, stage, self.executor)
        self.running[fut] = ((i, stage), key)
        if stage.options.cache:
            self.inflight[key] = fut
        return False

    def _not_needed(self) -> None:
        self.resolved += 1
        self.executor.expect_fewer(1)

    def _finished(self, fut: Future[dict[str, Output]]) -> None:
        (i, stage), key = self.running.pop(fut)
        self.dirty.add(i)
        if self.inflight.get(key) is fut:
            del self.inflight[key]
        self.executed[stage.name] = self.executed.get(stage.name, 0) + 1
        self.runs[i].finish(stage, fut, self.done[i], self.failed[i])
        error = self.runs[i].rec.stages[stage.name].error
        for j, other in self.waiting.pop(key, []):
            self.dirty.add(j)
            if error is None and self.runs[j].try_reuse(other):
                self.done[j].add(other.name)
            elif error is not None:
                # Same code, parameters and inputs: it would fail the same way (after the
                # same retries), so the runs sharing the node share its error.
                srec = self.runs[j].rec.stages[other.name]
                srec.status, srec.error = "failed", replace(error)
                self.failed[j].append(other.name)
                self.runs[j].progress.stage(other.name, "failed")
                self._maybe_end(j)
            else:
                self.pending[j].insert(0, other)
        self._maybe_end(i)

    def _maybe_end(self, i: int) -> None:
        if i in self.ended or self._busy(i):
            return
        if self.pending[i] and not self.failed[i]:
            return
        self._end(i, "failed" if self.failed[i] else "done")

    def _end(self, i: int, status: str) -> None:
        run = self.runs[i]
        for stage in self.pending[i]:
            run.rec.stages[stage.name].status = "not-run"
        self.pending[i] = []
        run.rec.finished = time.time()
        run.rec.status = status  # type: ignore[assignment]
        run.save()
        self.ended.add(i)
        self.on_run_end(i)

    # -- the loop -------------------------------------------------------------------------
    def run(self, cancel: threading.Event | None = None) -> bool:
        """Run every node; False when ``cancel`` was set (or Ctrl-C raised) before the end."""
        cancel = cancel or threading.Event()
        try:
            self._schedule()
            self._save()
            while self.running:
                finished, _ = wait(self.running, timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in finished:
                    self._finished(fut)
                if cancel.is_set():
                    self.stop()
                    return False
                self._schedule()
                self._save()
            return True
        except KeyboardInterrupt:
            self.stop()
            raise
        finally:
            if self.threads is not None:
                self.threads.shutdown(wait=not self.stopped, cancel_futures=True)

    def _save(self) -> None:
        # The records of the runs still going: cached and failed stages show up as they happen.
        for i in sorted(self.dirty - self.ended):
            self.runs[i].save()
        self.dirty.clear()

    def stop(self) -> None:
        """Stop every kernel; runs not finished are recorded as interrupted."""
        self.stopped = True
        self.executor.stop()
        for (i, stage), _ in self.running.values():
            srec = self.runs[i].rec.stages[stage.name]
            if srec.status == "pending":
                srec.status = "not-run"  # queued for a worker, never started: not a failure
                continue
            srec.status, srec.error = "failed", replace(_INTERRUPTED)
        for nodes in self.waiting.values():
            for i, stage in nodes:
                self.pending[i].append(stage)
        self.running.clear()
        self.waiting.clear()
        for i in range(len(self.runs)):
            if i not in self.ended:
                self._end(i, "interrupted")
