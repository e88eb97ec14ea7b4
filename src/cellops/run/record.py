"""Run records: ``.cellops/runs/RUN_ID/run.json``, rewritten atomically as the run progresses.

The record is what the CLI, the sidebar and ``--resume`` read: status, parameters, and for each
stage its state, duration, cache hit, input and output hashes, executed notebook and error.
Records are history: resuming a finished run starts a new run (``resumed_from``) instead of
rewriting it. A record says ``running`` only while its runner lives: it stores the runner's PID
and start time, and a reader finding the runner gone files the run as ``interrupted``.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from cellops.errors import PackageError
from cellops.fsutil import atomic_write
from cellops.package import layout
from cellops.run import liveness

StageStatus = Literal["pending", "running", "cached", "done", "failed", "not-run"]
RunStatus = Literal["running", "done", "failed", "interrupted"]


@dataclass
class StageError:
    ename: str
    evalue: str
    cell_index: int | None  # in the stage notebook
    source_cell: str | None  # "cell N (id X)" of the source notebook
    traceback: str = ""


@dataclass
class StageRecord:
    status: StageStatus = "pending"
    cache_key: str = ""
    started: float | None = None
    duration: float | None = None
    cache_hit: bool = False
    notebook: str = ""  # executed notebook, relative to the run directory
    inputs: dict[str, str] = field(default_factory=dict)  # name -> sha256
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> sha256, ext
    error: StageError | None = None


@dataclass
class RunRecord:
    run_id: str
    pipeline: str
    status: RunStatus
    parameters: dict[str, Any]
    started: float
    finished: float | None = None
    stages: dict[str, StageRecord] = field(default_factory=dict)
    resumed: int = 0
    resumed_from: str | None = None  # the finished run whose results this one reused
    runner: dict[str, Any] | None = None  # pid and start time of the process writing it

    @property
    def duration(self) -> float | None:
        return None if self.finished is None else self.finished - self.started

    def to_json(self) -> str:
        data = asdict(self)
        data["duration"] = self.duration
        # Not sort_keys: the stages stay in the pipeline's order for every reader of the record.
        return json.dumps(data, indent=1, default=repr)


def failure_lines(
    stage: str, error: StageError | None, source_notebook: str, executed: object
) -> list[str]:
    """The one text of a failed stage: where in the source notebook, what, and the audit trail."""
    if error is not None and error.source_cell:
        where = f" in {error.source_cell} of {source_notebook}"
    else:
        where = f" ({source_notebook})"
    what = f"{error.ename}: {error.evalue}" if error else "unknown error"
    return [f"stage '{stage}' failed{where}: {what}", f"  executed notebook: {executed}"]


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def runs_dir(package: Path) -> Path:
    return layout.runs_dir(package)


_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def run_dir(package: Path, run_id: str) -> Path:
    # Run ids come from the CLI and the server: never let one name a path outside runs/.
    if not _RUN_ID.fullmatch(run_id):
        raise PackageError(f"{run_id!r} is not a run id (letters, digits, '-' and '_' only)")
    return runs_dir(package) / run_id


def save(package: Path, record: RunRecord, *, latest: bool = True) -> None:
    """Write the record; ``latest`` also makes it the run ``cellops run --resume`` continues
    (the runs of a batch are not: they would take that pointer from the user's own runs)."""
    atomic_write(run_dir(package, record.run_id) / layout.RUN_FILE, record.to_json())
    if latest:
        atomic_write(runs_dir(package) / layout.LATEST, record.run_id + "\n")


def load(package: Path, run_id: str) -> RunRecord:
    path = run_dir(package, run_id) / layout.RUN_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        raise PackageError(f"{path}: no readable run record for run {run_id}") from None
    data.pop("duration", None)
    stages = {}
    for name, s in data.pop("stages", {}).items():
        err = s.pop("error", None)
        stages[name] = StageRecord(**s, error=StageError(**err) if err else None)
    rec = RunRecord(**data, stages=stages)
    if rec.status == "running" and not liveness.alive(rec.runner):
        _file_as_interrupted(rec, path)
        # The runner cannot finish it any more: the reader does, once, for every later reader.
        with contextlib.suppress(OSError):
            save(package, rec, latest=False)
    return rec


def _file_as_interrupted(rec: RunRecord, path: Path) -> None:
    pid = (rec.runner or {}).get("pid")
    rec.status = "interrupted"
    # The last time the runner wrote the record is the best known end.
    with contextlib.suppress(OSError):
        rec.finished = path.stat().st_mtime
    for srec in rec.stages.values():
        if srec.status == "running":
            srec.status = "failed"
            srec.error = StageError(
                "Interrupted",
                f"the runner (process {pid}) ended before this stage finished (killed?); run "
                "the pipeline again, or continue with --resume",
                None,
                None,
            )
        elif srec.status == "pending":
            srec.status = "not-run"


def clean_leftovers(package: Path) -> None:
    """Remove what killed runs left behind: the stages' prepared input notebooks (finished
    runs delete theirs) and the socket folders of runners that are gone."""
    liveness.clean_dead_sockets()
    pattern = layout.PREPARED_INPUT.format(stage="*")
    for prepared in runs_dir(package).glob(f"*/{layout.STAGES_DIR}/{pattern}"):
        run_id = prepared.parent.parent.name
        with contextlib.suppress(PackageError, OSError):
            if load(package, run_id).status != "running":
                prepared.unlink()


def latest(package: Path) -> RunRecord | None:
    try:
        run_id = (runs_dir(package) / layout.LATEST).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return load(package, run_id)
