"""``batches``: start a parameter sweep of a package, list sweeps, watch progress and rows,
cancel.

A sweep is a job like a run (``server.jobs``): one ``cellops batch`` child process, started
with the checked grid in ``batches/ID/request.json``. Its state is what the child writes to
``batch.json`` and its runs' records, completed by the job while the server holds it: before
the first ``batch.json`` there is none, and a child that died says why on its stderr. So a
browser reload, a server restart or a sweep from the command line read the same way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tornado import web

from cellops.artifacts.stores import open_store
from cellops.errors import CellopsError, PackageError
from cellops.fsutil import atomic_write
from cellops.package.layout import BATCH_FILE, BATCH_REQUEST, artifacts_dir
from cellops.package.spec import load
from cellops.run import record as records
from cellops.server import schema
from cellops.server.base import BadRequest, Conflict, NotFound, refuse_non_finite
from cellops.server.jobs import Job, Launch, cellops_argv
from cellops.server.runs import JobsHandler
from cellops.server.status import ended_status
from cellops.sweeps.grid import plan_sweep
from cellops.sweeps.progress import BatchProgress
from cellops.sweeps.results import FIXED_COLUMNS, columns, run_row
from cellops.sweeps.sweep import batches_dir, load_state

Api = Callable[[Path], str]


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


def _stored(package: Path, batch_id: str, data: dict[str, Any], api: Api) -> schema.BatchStatus:
    """A batch from its ``batch.json`` and its runs' records."""
    runs: list[dict[str, Any]] = data["runs"]
    params = list(runs[0]["params"]) if runs else []
    # Where stages left their values unless the sweep was given --artifacts (not recorded).
    store = open_store(artifacts_dir(package))
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
        # An older batch.json does not say what a resume reused: then no ETA is guessed.
        reused=data.get("reused", len(runs)),
        status=data.get("status", "running"),
        started=data.get("started") or time.time(),
        finished=data.get("finished"),
    )
    return _answer(api(package), progress.to_dict(), list(data.get("swept", [])), params, rows)


def _from_job(job: Job, api: Api) -> schema.BatchStatus:
    """A sweep whose child has not written its ``batch.json`` (yet, or ever)."""
    launch = job.launch
    ended = job.returncode is not None
    progress = BatchProgress(
        launch.job_id,
        launch.total,
        status=ended_status(job) if ended else "running",
        started=job.started,
        finished=time.time() if ended else None,
    )
    return _answer(api(launch.package), progress.to_dict(), list(launch.swept), [], [], job.message)


def batch_status(package: Path, batch_id: str, job: Job | None, api: Api) -> schema.BatchStatus:
    try:
        data = load_state(package, batch_id)
        status = _stored(package, batch_id, data, api)
    except (PackageError, OSError, ValueError, KeyError, TypeError):
        if job is None:
            raise NotFound(f"the package has no batch '{batch_id}'") from None
        return _from_job(job, api)
    if job is None:
        return status
    if status["status"] == "interrupted" and job.returncode not in (None, 0) and not job.cancelled:
        # Not cancelled, yet its runner ended mid-sweep: it failed, and its stderr says why.
        status["status"], status["message"] = "failed", job.message
    if job.cancelling and status["status"] == "running":
        status["cancelling"] = True
    return status


class _BatchesBase(JobsHandler):
    async def status(self, package: Path, batch_id: str) -> schema.BatchStatus:
        job = self.jobs.get("batch", package, batch_id)
        # Reads every run's record and executed notebooks: off the event loop.
        return await self.in_thread(batch_status, package, batch_id, job, self.api_path)


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
        # Checks every value against the pipeline's types; nothing is written before it runs.
        plan = plan_sweep(spec, grid=grid)
        for run in plan.runs:
            refuse_non_finite(run)
        self._refuse_second_sweep(package)
        batch_id = records.new_run_id()
        request = batches_dir(package) / batch_id / BATCH_REQUEST
        # The grid as given: checked above, and the child checks it the same way.
        atomic_write(request, json.dumps({"grid": grid}, indent=1))
        argv = ["batch", str(package), "--params-file", str(request), "--batch-id", batch_id]
        argv += ["-q", *(["--jobs", str(jobs)] if jobs is not None else [])]
        launch = Launch(
            "batch",
            package,
            batch_id,
            cellops_argv(*argv),
            spec.name,
            total=len(plan.runs),
            swept=plan.swept,
        )
        self.jobs.start(launch)
        started: schema.BatchStarted = {
            "id": batch_id,
            "package": self.api_path(package),
            "total": len(plan.runs),
        }
        self.reply(started, 202)

    @web.authenticated
    async def get(self) -> None:
        # Every sweep of the package, newest first: what a reloaded sidebar shows.
        folder = self.listed_package()
        if folder is None:
            self.reply(schema.BatchList(promoted=False, batches=[]))
            return
        ids = {j.job_id for j in self.jobs.of("batch", folder)}
        base = batches_dir(folder)
        if base.is_dir():
            ids |= {d.name for d in base.iterdir() if (d / BATCH_FILE).is_file()}
        found = []
        for batch_id in ids:
            try:
                found.append(await self.status(folder, batch_id))
            except (NotFound, CellopsError):
                continue  # a damaged or foreign folder under batches/ is no sweep to show
        found.sort(key=lambda b: b["id"], reverse=True)  # ids start with their UTC time
        self.reply(schema.BatchList(promoted=True, batches=found))

    def _refuse_second_sweep(self, package: Path) -> None:
        # Two sweeps of one package would race for its 'latest' batch and its run cache.
        for other in self.jobs.running("batch", package):
            raise Conflict(
                f"batch {other.job_id} of this package is still running; wait for it to "
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
        job = self.jobs.get("batch", package, batch_id)
        self.cancel(job, f"batch {batch_id}", current["status"])
        # Answered now: the sidebar polls until the sweep says interrupted.
        self.reply(await self.status(package, batch_id))
