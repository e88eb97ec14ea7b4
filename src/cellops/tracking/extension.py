"""The IPython extension that records every cell execution of a kernel.

Kernels started by a Jupyter server with cellops load it by themselves (``cellops.server``
passes ``--ext=cellops.tracking.extension``); stage kernels of ``cellops run`` load it in
their silent prelude with ``start_run``. By hand: ``%load_ext cellops.tracking.extension``.
``CELLOPS_TRACKING=0`` turns it off.

The hooks run on the kernel's main thread between the user's cells, so they only take the
clock, read what ``cellops.log_metric`` / ``log_param`` collected and queue one record; a
background thread (``store.Writer``) does the hashing and the database work.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from cellops import metrics
from cellops.tracking import config
from cellops.tracking.fingerprint import canonical
from cellops.tracking.store import ExecutionRecord, Writer

_active: Tracker | None = None
# Interactive kernels commit at most this long after a cell ends (see store.Writer).
LINGER_S = 0.25


class Tracker:
    """Records a kernel's executions.

    Interactive kernels know their notebook and database when the extension loads. Stage
    kernels of ``cellops run`` serve whichever stage and run the runner gives them, so they
    start in ``run_mode`` and take notebook, run id, stage and database from each execute
    request's metadata (``cellops.tracking.cells``), recording only the notebook's own cells.
    """

    def __init__(
        self, shell: Any, *, db: Path | None, notebook: str | None, run_mode: bool = False
    ) -> None:
        self.shell = shell
        self.db = db
        self.notebook = notebook
        self.run_mode = run_mode
        # Stage kernels are stopped (SIGKILL) as soon as their last cell answers, so in a
        # run each record is committed before the cell's reply goes out.
        self.synchronous = run_mode
        self.session = uuid.uuid4().hex
        self.params: dict[str, Any] = {}
        self.run_params: dict[str, Any] | None = None
        self.paramset: tuple[str, str] | None = None
        self.parameters_cell: str | None = None
        self._nb_mtime: float | None = None
        self._start: tuple[float, float, tuple[int, int]] | None = None
        self._writers: dict[Path, Writer] = {}
        if db is not None:
            self._writer(db)

    def _writer(self, db: Path) -> Writer:
        writer = self._writers.get(db)
        if writer is None:
            watch = self.notebook is not None and not self.run_mode
            writer = self._writers[db] = Writer(
                db,
                session=self.session,
                environment=_environment,
                idle=self._refresh_notebook if watch else None,
                linger=0.0 if self.synchronous else LINGER_S,
            )
        return writer

    # -- IPython events (main thread) -----------------------------------------------------
    def pre_run_cell(self, info: Any) -> None:
        self._start = (time.time(), time.perf_counter(), metrics.cursor())

    def post_run_cell(self, result: Any) -> None:
        if self._start is None:
            return
        started, t0, cursor = self._start
        self._start = None
        duration = time.perf_counter() - t0
        info = result.info
        context = self._context(info, result.success)
        if context is None:
            return
        db, notebook, run_id, stage = context
        error = result.error_in_exec or result.error_before_exec
        status = "ok"
        if error is not None:
            status = "interrupted" if isinstance(error, KeyboardInterrupt) else "error"
        new_metrics, new_params = metrics.since(cursor)
        writer = self._writer(db)
        number = writer.put(
            ExecutionRecord(
                notebook=notebook,
                cell_id=info.cell_id,
                code=info.raw_cell,
                execution_count=result.execution_count,
                started=started,
                ended=started + duration,
                duration=duration,
                status=status,
                error_type=type(error).__name__ if error is not None else None,
                error_message=str(error)[:2000] if error is not None else None,
                run_id=run_id,
                stage=stage,
                paramset=self.paramset,
                metrics=new_metrics,
                params=new_params,
            )
        )
        if self.synchronous:
            writer.wait(number)

    def _context(
        self, info: Any, success: bool
    ) -> tuple[Path, str | None, str | None, str | None] | None:
        """(database, notebook, run id, stage) of this execution; None: not to be recorded."""
        if not self.run_mode:
            if success and info.cell_id is not None and info.cell_id == self.parameters_cell:
                self._take_parameters(info.raw_cell)
            assert self.db is not None
            return self.db, self.notebook, None, None
        meta = _request_metadata(self.shell, info).get("cellops")
        if not isinstance(meta, dict) or not meta.get("db"):
            return None  # not sent by the runner: nothing to file it under
        run_params = meta.get("params")
        if isinstance(run_params, dict) and run_params != self.run_params:
            # The run's parameters, handed down by the runner: a stage records them all,
            # also those its own cells never read (papermill injects only those).
            self.run_params = run_params
            self.params = {**self.params, **run_params}
            self.paramset = canonical(self.params)
        if meta.get("generated"):
            # A cell cellops or papermill added to the stage: not the user's, but its
            # parameters are the run's.
            if meta.get("parameters") and success:
                self._take_parameters(info.raw_cell)
            return None
        return Path(meta["db"]), meta.get("notebook"), meta.get("run_id"), meta.get("stage")

    # -- parameters ---------------------------------------------------------------------
    def _take_parameters(self, code: str) -> None:
        """The values of the names a parameters cell assigns, as they are now."""
        ns = self.shell.user_ns
        values = {
            name: metrics.json_safe(ns[name])
            for name in _assigned_names(code)
            if name in ns and not name.startswith(("_", "cellops_"))
        }
        if values:
            self.params = {**self.params, **values}
            self.paramset = canonical(self.params)

    def _refresh_notebook(self) -> None:
        """Find the notebook's ``parameters`` cell (runs on the writer thread).

        The kernel hears cell ids, not tags, so the saved notebook tells which cell holds the
        parameters; it is read again only when the file changed.
        """
        assert self.notebook is not None
        try:
            mtime = os.stat(self.notebook).st_mtime
        except OSError:
            return
        if mtime == self._nb_mtime:
            return
        self._nb_mtime = mtime
        try:
            with open(self.notebook, encoding="utf-8") as fh:
                cells = json.load(fh).get("cells", [])
        except (OSError, ValueError, AttributeError):
            return
        self.parameters_cell = next(
            (
                c.get("id")
                for c in cells
                if isinstance(c, dict) and "parameters" in c.get("metadata", {}).get("tags", [])
            ),
            None,
        )

    # -- life cycle ---------------------------------------------------------------------
    def register(self) -> None:
        self.shell.events.register("pre_run_cell", self.pre_run_cell)
        self.shell.events.register("post_run_cell", self.post_run_cell)

    def close(self) -> None:
        for name, hook in (
            ("pre_run_cell", self.pre_run_cell),
            ("post_run_cell", self.post_run_cell),
        ):
            with contextlib.suppress(ValueError):
                self.shell.events.unregister(name, hook)
        for writer in self._writers.values():
            writer.close()


def _environment() -> dict[str, Any]:
    from cellops.tracking.fingerprint import environment

    return environment()


def _request_metadata(shell: Any, info: Any) -> dict[str, Any]:
    """The execute request's metadata (where JupyterLab and ``cellops run`` put the cell id)."""
    meta = getattr(info, "cell_meta", None)
    if meta is None:  # IPython before 9.?: ask the kernel for the request being answered
        kernel = getattr(shell, "kernel", None)
        parent = kernel.get_parent("shell") if kernel is not None else None
        meta = parent.get("metadata") if isinstance(parent, dict) else None
    return meta if isinstance(meta, dict) else {}


def _assigned_names(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            elts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            names += [t.id for t in elts if isinstance(t, ast.Name)]
    return names


def _notebook_from_session() -> str | None:
    """The notebook a Jupyter server started this kernel for (``JPY_SESSION_NAME``)."""
    name = os.environ.get("JPY_SESSION_NAME")
    if not name:
        return None
    path = Path(name)
    if not path.is_absolute():
        path = Path(os.environ.get(config.ENV_ROOT) or os.getcwd()) / path
    return str(path.resolve())


def _install(tracker: Tracker) -> None:
    global _active
    if _active is not None:
        _active.close()
    _active = tracker
    tracker.register()


def load_ipython_extension(ip: Any) -> None:
    if not config.enabled() or _active is not None:
        return
    notebook = _notebook_from_session()
    start = Path(notebook).parent if notebook else Path.cwd()
    _install(Tracker(ip, db=config.resolve_db(start), notebook=notebook))


def unload_ipython_extension(ip: Any) -> None:
    _shutdown()


def start_run(ip: Any) -> None:
    """Record a ``cellops run`` stage kernel's cells (called by the runner's silent prelude)."""
    if config.enabled():
        _install(Tracker(ip, db=None, notebook=None, run_mode=True))


@atexit.register
def _shutdown() -> None:
    """Commit what is queued when the kernel shuts down (a restart or a shutdown request)."""
    global _active
    if _active is not None:
        tracker, _active = _active, None
        tracker.close()
