"""Run status for the sidebar: the run record, completed by what the server knows of its child.

The record (``PKG/.cellops/runs/ID/run.json``) is the truth for runs from the CLI and from the
server alike. The child process fills the gaps: before its first record there is none (every
stage is pending), and a child that dies without finishing its record leaves one that says
'running' forever.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
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


# run.json -> (mtime_ns, size, started): the list's order needs every run's start, and a
# thousand records parsed on each open of the runs view cost more than the page it shows.
# Keyed by the path as text: pathlib's object cost was most of a warm listing.
_STARTED: dict[str, tuple[int, int, float]] = {}
_STARTED_MAX = 100_000  # cleared beyond this: a cache, not a second store


def _record_started(record: str) -> float | None:
    """The ``started`` of a run record, None when it is no readable record."""
    try:
        st = os.stat(record)
        cached = _STARTED.get(record)
        if cached is not None and cached[:2] == (st.st_mtime_ns, st.st_size):
            return cached[2]
        with open(record, "rb") as f:
            started = json.loads(f.read())["started"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(started, (int, float)) or isinstance(started, bool):
        return None
    if len(_STARTED) >= _STARTED_MAX:
        _STARTED.clear()
    _STARTED[record] = (st.st_mtime_ns, st.st_size, float(started))
    return float(started)


Cursor = tuple[float, str]  # (started, run id): the list's order, newest first


def cursor_text(key: Cursor) -> str:
    return f"{key[0]!r}:{key[1]}"


def parse_cursor(text: str) -> Cursor:
    """``STARTED:RUN_ID`` as ``next`` gave it; ValueError for anything else."""
    started, sep, run_id = text.rpartition(":")
    value = float(started)
    if not sep or not run_id or not math.isfinite(value):
        raise ValueError(text)
    return value, run_id


@dataclass(frozen=True)
class RunPage:
    runs: list[schema.RunStatus]
    next: str | None  # the cursor of the next (older) page; None on the last one


def list_runs(
    package: Path,
    jobs: list[Job],
    api: Callable[[Path], str],
    limit: int | None = None,
    before: Cursor | None = None,
) -> RunPage:
    """The package's runs, newest first (ties: the greater id first, as the sidebar sorts).

    Only the page's runs are read in full: the order comes from each record's start time
    (cached) or, for runs this server started, from their status.
    """
    by_id = {j.job_id: j for j in jobs}
    statuses: dict[str, schema.RunStatus] = {}
    keys: list[Cursor] = []
    for run_id, job in by_id.items():
        # Few and live: their status (a resumed run's start is its new attempt's) is the key.
        try:
            statuses[run_id] = with_job(run_status(package, run_id, job, api), job)
        except (NotFound, PackageError):
            continue
        keys.append((statuses[run_id]["started"], run_id))
    base = records.runs_dir(package)
    if base.is_dir():
        for entry in os.scandir(base):
            if entry.name in by_id or not entry.is_dir():
                continue
            started = _record_started(os.path.join(entry.path, RUN_FILE))
            if started is not None:
                keys.append((started, entry.name))
    keys.sort(reverse=True)
    if before is not None:
        keys = [k for k in keys if k < before]
    chosen = keys if limit is None else keys[:limit]
    out = []
    for key in chosen:
        run_id = key[1]
        try:
            if run_id not in statuses:
                statuses[run_id] = run_status(package, run_id, None, api)
        except (NotFound, PackageError):
            continue  # a damaged or foreign directory under runs/ is not a run to show
        out.append(statuses[run_id])
    more = limit is not None and len(keys) > limit
    return RunPage(out, cursor_text(chosen[-1]) if more and chosen else None)
