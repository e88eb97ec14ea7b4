"""Run status for the sidebar: the run record, completed by what the server knows of its child.

The record (``PKG/.cellops/runs/ID/run.json``) is the truth for runs from the CLI and from the
server alike. The child process fills the gaps: before its first record there is none (every
stage is pending), and a child that dies without finishing its record leaves one that says
'running' forever.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from cellops.errors import PackageError
from cellops.package.layout import RUN_FILE
from cellops.run import record as records
from cellops.server import schema
from cellops.server.base import NotFound
from cellops.server.jobs import Job

log = logging.getLogger(__name__)


def _stage(
    name: str, s: records.StageRecord, run: Path, now: float, api: Callable[[Path], str]
) -> schema.StageStatus:
    duration = s.duration
    if s.status == "running" and s.started is not None:
        duration = now - s.started  # the sidebar has no start time to count from
    executed = run / s.notebook if s.notebook else None
    error: schema.StageError | None = None
    if s.error is not None:
        e = s.error
        error = {
            "ename": e.ename,
            "evalue": e.evalue,
            "cell_index": e.cell_index,
            "source_cell": e.source_cell,
            "traceback": e.traceback,
        }
    return {
        "name": name,
        "state": s.status,
        "duration": duration,
        "cache_hit": s.cache_hit,
        "notebook": api(executed) if executed is not None and executed.is_file() else None,
        "error": error,
    }


def _from_record(
    rec: records.RunRecord, package: Path, api: Callable[[Path], str]
) -> schema.RunStatus:
    run = records.run_dir(package, rec.run_id)
    now = time.time()
    return {
        "id": rec.run_id,
        "package": api(package),
        "pipeline": rec.pipeline,
        "status": rec.status,
        "parameters": rec.parameters,
        "started": rec.started,
        "duration": rec.duration,
        "stages": [_stage(n, s, run, now, api) for n, s in rec.stages.items()],
        "message": None,
    }


def _from_job(job: Job, api: Callable[[Path], str]) -> schema.RunStatus:
    ended = job.returncode is not None
    state: schema.StageState = "not-run" if ended else "pending"
    return {
        "id": job.job_id,
        "package": api(job.package),
        "pipeline": job.launch.pipeline,
        "status": ended_status(job) if ended else "running",
        "parameters": job.launch.parameters,
        "started": job.started,
        "duration": None,
        "stages": [
            {
                "name": n,
                "state": state,
                "duration": None,
                "cache_hit": False,
                "notebook": None,
                "error": None,
            }
            for n in job.launch.stages
        ],
        "message": job.message,
    }


def ended_status(job: Job) -> schema.RunState:
    """A job that ended without a final record: cancelled, or it failed."""
    return "interrupted" if job.cancelled else "failed"


def _load(package: Path, run_id: str) -> records.RunRecord:
    """The run record, or PackageError (logged) when it is damaged or not a cellops record:
    valid JSON of another shape, unknown fields, bytes that are not UTF-8."""
    try:
        return records.load(package, run_id)
    except PackageError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError, OSError) as exc:
        log.warning("cellops: skipping the damaged run record of run %s: %s", run_id, exc)
        raise PackageError(f"run {run_id}: its record is damaged ({exc})") from None


def run_status(
    package: Path, run_id: str, job: Job | None, api: Callable[[Path], str]
) -> schema.RunStatus:
    try:
        run = records.run_dir(package, run_id)
    except PackageError:
        raise NotFound(f"'{run_id}' is not a run id of this package") from None
    real = Path(os.path.realpath(run))
    if run.exists() and real.parent != Path(os.path.realpath(records.runs_dir(package))):
        # A link out of the package's runs folder: nothing outside it is served as a run.
        raise NotFound(f"the package has no run '{run_id}'")
    try:
        rec = _load(package, run_id)
    except PackageError:
        if job is None:
            raise NotFound(f"the package has no run '{run_id}'") from None
        return _from_job(job, api)
    if (
        job is not None
        and job.returncode is None
        and rec.status != "running"
        and (rec.finished or 0) <= job.started
    ):
        # A resumed run: until its child rewrites the record, the record is the last attempt's.
        return _from_job(job, api)
    status = _from_record(rec, package, api)
    if job is not None:
        status["message"] = job.message
        if job.returncode is not None and rec.status == "running":
            status["status"] = ended_status(job)  # killed before it could finish its record
    return status


def with_job(status: schema.RunStatus, job: Job | None) -> schema.RunStatus:
    if job is not None and job.cancelling and status["status"] == "running":
        status["cancelling"] = True
    return status


def list_runs(package: Path, jobs: list[Job], api: Callable[[Path], str]) -> list[schema.RunStatus]:
    by_id = {j.job_id: j for j in jobs}
    ids = set(by_id)
    base = records.runs_dir(package)
    if base.is_dir():
        ids |= {d.name for d in base.iterdir() if (d / RUN_FILE).is_file()}
    out = []
    for run_id in ids:
        try:
            job = by_id.get(run_id)
            out.append(with_job(run_status(package, run_id, job, api), job))
        except (NotFound, PackageError):
            continue  # a damaged or foreign directory under runs/ is not a run to show
    return sorted(out, key=lambda s: s["started"], reverse=True)
