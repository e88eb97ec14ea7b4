"""``batches``: start a parameter sweep of a package, watch its progress and rows, cancel it.

A sweep runs inside the server process (a ``cellops.sweeps`` ``Batch``: one background thread
driving a pool of kernels), so the server keeps the ``Batch`` objects it started: they know
what the files do not (the error that ended a sweep, the live ETA). A batch it does not hold
(run by ``cellops batch`` on the command line, or before a restart) is read back from its
``batch.json`` and the run records of its runs.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tornado import web

from cellops.artifacts.kernel import ArtifactStore
from cellops.errors import CellopsError, PackageError
from cellops.package.layout import BATCH_FILE, artifacts_dir
from cellops.package.spec import load
from cellops.run import record as records
from cellops.run.params import check_value
from cellops.server import schema
from cellops.server.base import BadRequest, CellopsHandler, Conflict, NotFound, refuse_non_finite
from cellops.sweeps import prepare_batch
from cellops.sweeps.progress import BatchProgress
from cellops.sweeps.results import FIXED_COLUMNS, columns, run_row
from cellops.sweeps.sweep import Batch, batches_dir

if TYPE_CHECKING:
    from cellops.server import CellopsApp

Api = Callable[[Path], str]


def _alive(batch: Batch) -> bool:
    return batch.thread is not None and batch.thread.is_alive()


class Batches:
    """The sweeps this server started, by package and batch id."""

    def __init__(self) -> None:
        self._batches: dict[tuple[Path, str], Batch] = {}
        self._lock = threading.Lock()

    def get(self, package: Path, batch_id: str) -> Batch | None:
        with self._lock:
            return self._batches.get((package, batch_id))

    def running(self, package: Path) -> Batch | None:
        with self._lock:
            return next(
                (b for (p, _), b in self._batches.items() if p == package and _alive(b)), None
            )

    def add(self, package: Path, batch: Batch) -> None:
        with self._lock:
            self._batches[(package, batch.batch_id)] = batch

    def stop_all(self, timeout: float) -> None:
        """Cancel every running sweep at once, then give them ``timeout`` seconds in all."""
        with self._lock:
            alive = [b for b in self._batches.values() if _alive(b)]
        for batch in alive:
            batch.cancel()
        deadline = time.monotonic() + timeout
        for batch in alive:
            batch.wait(max(0.0, deadline - time.monotonic()))


def _message(error: BaseException | None) -> str | None:
    if error is None:
        return None
    if isinstance(error, CellopsError):
        return error.message
    return f"the sweep stopped on an unexpected error: {type(error).__name__}: {error}"


def _answer(
    package: str,
    progress: dict[str, Any],
    swept: list[str],
    params: list[str],
    rows: list[dict[str, Any]],
    message: str | None = None,
) -> schema.BatchStatus:
    """The status from a progress snapshot (``BatchProgress.to_dict``) and the rows so far."""
    skip = {"run", *params, *FIXED_COLUMNS}
    return {
        "id": progress["batch_id"],
        "package": package,
        "status": progress["status"],
        "total": progress["total"],
        "done": progress["done"],
        "failed": progress["failed"],
        "remaining": progress["remaining"],
        "elapsed": progress["elapsed"],
        "eta": progress["eta"],
        "parameters": swept,
        "metrics": [c for c in columns(rows) if c not in skip] if rows else [],
        "rows": rows,
        "message": message,
    }


def live_status(batch: Batch, api: Api) -> schema.BatchStatus:
    progress = batch.status()
    rows = batch.rows()
    message = _message(batch.error)
    if message is not None:
        progress["status"] = "failed"  # the thread records it too, an instant later
    elif _alive(batch):
        progress["status"] = "running"  # its final status is set before the results are saved
    package = api(batch.target.package)
    return _answer(package, progress, list(batch.plan.swept), list(batch.params), rows, message)


def stored_status(package: Path, batch_id: str, api: Api) -> schema.BatchStatus:
    """A batch this server does not hold, from ``batch.json`` and its runs' records."""
    try:
        records.run_dir(package, batch_id)  # batch ids are run ids: nothing that walks paths
        data = json.loads((batches_dir(package) / batch_id / BATCH_FILE).read_text("utf-8"))
        runs: list[dict[str, Any]] = data["runs"]
    except (PackageError, OSError, ValueError, KeyError, TypeError):
        raise NotFound(f"the package has no batch '{batch_id}'") from None
    params = list(runs[0]["params"]) if runs else []
    # Where stages left their values unless the sweep was given --artifacts (not recorded).
    store = ArtifactStore(artifacts_dir(package))
    rows = []
    for run in runs:
        if run.get("status") in ("pending", "running"):
            continue
        try:
            rec = records.load(package, run["run_id"])
        except PackageError:
            continue  # interrupted before its first stage: no record, no row
        rows.append(run_row(run["run"], rec, records.run_dir(package, rec.run_id), store, params))
    statuses = [run.get("status") for run in runs]
    progress = BatchProgress(
        batch_id,
        len(runs),
        done=statuses.count("done"),
        failed=sum(s not in ("done", "pending", "running") for s in statuses),
        reused=len(runs),  # no pace to estimate from: the ETA of a stored batch is unknown
        status=data.get("status", "running"),
        started=data.get("started") or time.time(),
        finished=data.get("finished"),
    )
    return _answer(api(package), progress.to_dict(), list(data.get("swept", [])), params, rows)


class _BatchesBase(CellopsHandler):
    @property
    def app(self) -> CellopsApp:
        app: CellopsApp = self.settings["cellops"]
        return app

    @property
    def batches(self) -> Batches:
        return self.app.batches

    async def status(self, package: Path, batch_id: str) -> schema.BatchStatus:
        batch = self.batches.get(package, batch_id)
        if batch is not None:
            return live_status(batch, self.api_path)
        # Reads every run's record and executed notebooks: off the event loop.
        return await self.in_thread(stored_status, package, batch_id, self.api_path)


class BatchesHandler(_BatchesBase):
    @web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        package = self.package_dir(self.field(body, "package", str))
        grid: dict[str, Any] = self.field(body, "grid", dict)
        jobs = self.optional(body, "jobs", int)
        if not grid:
            raise BadRequest(
                "the grid is empty: map at least one parameter to a list of values, "
                'e.g. {"n_estimators": [10, 50]}'
            )
        for name, values in grid.items():
            if not isinstance(values, list):
                raise BadRequest(
                    f"grid: the values of parameter '{name}' must be a JSON array, "
                    f'e.g. {{"{name}": [{json.dumps(values)}]}}'
                )
        if jobs is not None and jobs < 1:
            raise BadRequest("the field 'jobs' must be at least 1 (stages run at once)")
        spec = load(package)
        for name, values in grid.items():
            param = spec.parameter(name)
            if param is not None:  # an unknown name is refused by prepare_batch, by name
                typed = [check_value(param, v, f"grid '{name}'") for v in values]
                refuse_non_finite({name: typed})
        self._refuse_second_sweep(package)
        # Checks every value against the pipeline's types; nothing is written before it runs.
        batch = await self.in_thread(lambda: prepare_batch(package, grid, jobs=jobs))
        self._refuse_second_sweep(package)  # another POST may have started one meanwhile
        self.batches.add(package, batch.start())
        started: schema.BatchStarted = {
            "id": batch.batch_id,
            "package": self.api_path(package),
            "total": len(batch.plan.runs),
        }
        self.reply(started, 202)

    def _refuse_second_sweep(self, package: Path) -> None:
        # Two sweeps of one package would race for its 'latest' batch and its run cache.
        other = self.batches.running(package)
        if other is not None:
            raise Conflict(
                f"batch {other.batch_id} of this package is still running; wait for it to "
                "finish or cancel it"
            )


class BatchHandler(_BatchesBase):
    @web.authenticated
    async def get(self, batch_id: str) -> None:
        package = self.package_dir(self.query("package"))
        self.reply(await self.status(package, batch_id))

    @web.authenticated
    async def delete(self, batch_id: str) -> None:
        package = self.package_dir(self.query("package"))
        current = await self.status(package, batch_id)
        batch = self.batches.get(package, batch_id)
        if batch is None or not _alive(batch):
            if current["status"] != "running":
                raise Conflict(f"batch {batch_id} has already finished ({current['status']})")
            raise Conflict(
                f"batch {batch_id} was not started by this server (from the command line?); "
                "stop it where it runs, with Ctrl-C"
            )
        batch.cancel()
        await self.in_thread(batch.wait, self.app.cancel_timeout)
        self.reply(await self.status(package, batch_id))
