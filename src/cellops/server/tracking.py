"""Experiment tracking in the server: kernels record their executions; the tracking routes.

``setup`` makes every IPython kernel this server starts load ``cellops.tracking.extension``
(an ``--ext`` argument on the kernel's command line, kept across restarts) and points kernels
and runs started from here at one database, ``ROOT/.cellops/tracking.db`` unless configured::

    c.CellopsTracking.enabled = False      # or CELLOPS_TRACKING=0 in the server's environment
    c.CellopsTracking.db = "/data/tracking.db"   # or CELLOPS_TRACKING_DB; relative: to the root

Routes (under ``{base_url}cellops/api/tracking/``, paths relative to the server's root):
``history?path=NB&cell=ID``, ``experiments?path=NB[&status=&stage=&run=]``,
``executions/ID`` (one execution in full), ``executions/ID/code`` (restore: the old code),
``compare?a=ID&b=ID``, ``POST export-mlflow``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from jupyter_server.utils import url_path_join
from tornado import web

from cellops.server.base import INT_MAX, BadRequest, CellopsHandler, NotFound
from cellops.tracking import config, reader

EXTENSION_ARG = "--ext=cellops.tracking.extension"
SETTING = "cellops_tracking_db"


def _is_ipykernel(serverapp: Any, kernel_name: str | None) -> bool:
    """Only IPython kernels understand ``--ext``; other languages start unchanged."""
    try:
        name = kernel_name or serverapp.kernel_manager.default_kernel_name
        spec = serverapp.kernel_spec_manager.get_kernel_spec(name)
    except Exception:
        return False
    argv = " ".join(getattr(spec, "argv", []) or [])
    return getattr(spec, "language", "").lower() == "python" and "ipykernel" in argv


def configured_db(serverapp: Any) -> Path:
    root = Path(os.path.realpath(serverapp.root_dir))
    setting = serverapp.config.get("CellopsTracking", {}).get("db")
    if setting:
        return (root / Path(str(setting)).expanduser()).resolve()
    explicit = os.environ.get(config.ENV_DB, "").strip()
    return Path(explicit).expanduser().resolve() if explicit else root / config.DB_RELPATH


def setup(serverapp: Any) -> None:
    """Make kernels started by this server record their executions into the project's store."""
    db = configured_db(serverapp)
    serverapp.web_app.settings[SETTING] = db
    on = serverapp.config.get("CellopsTracking", {}).get("enabled", True)
    if not config.enabled() or not on:
        # Runs the sidebar starts inherit this and stay untracked too.
        os.environ[config.ENV_ENABLED] = "0"
        return
    # Inherited by kernels (their environment is the server's) and by `cellops run`
    # processes started from here: one store for the whole project.
    os.environ[config.ENV_DB] = str(db)
    os.environ[config.ENV_ROOT] = os.path.realpath(serverapp.root_dir)
    manager = serverapp.kernel_manager
    original = manager.start_kernel

    async def start_kernel(*args: Any, **kwargs: Any) -> Any:
        if _is_ipykernel(serverapp, kwargs.get("kernel_name")):
            extra = list(kwargs.get("extra_arguments") or [])
            if EXTENSION_ARG not in extra:
                kwargs["extra_arguments"] = [*extra, EXTENSION_ARG]
        return await original(*args, **kwargs)

    manager.start_kernel = start_kernel


class _TrackingHandler(CellopsHandler):
    @property
    def db(self) -> Path:
        db: Path | None = self.settings.get(SETTING)
        return db if db is not None else self.root / config.DB_RELPATH

    def notebook(self) -> str:
        # Not required to exist: the history of a deleted or renamed notebook is still there.
        return str(self.confined(self.query("path"), "notebook"))

    def relative(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Notebook paths as the sidebar knows them: relative to the root when inside it."""
        for row in rows:
            nb = row.get("notebook")
            if nb:
                path = Path(nb)
                if self.root in path.parents:
                    row["notebook"] = self.api_path(path)
        return rows


class HistoryHandler(_TrackingHandler):
    @web.authenticated
    async def get(self) -> None:
        path, cell = self.query("path"), self.query("cell")
        notebook = self.notebook()
        limit = self.int_query("limit", required=False)

        def work() -> str:
            with reader.reading(self.db) as conn:
                return reader.history_json(conn, notebook, cell, limit)

        rows = await self.in_thread(work)
        # The rows are JSON already (built by SQLite): spliced in, not parsed and re-encoded.
        head = json.dumps({"path": path, "cell_id": cell})
        self.set_header("Content-Type", "application/json")
        self.finish(f'{head[:-1]}, "executions": {rows}}}')


class ExperimentsHandler(_TrackingHandler):
    @web.authenticated
    async def get(self) -> None:
        arg = self.get_query_argument
        filters = reader.Filters(
            notebook=self.notebook(),
            status=arg("status", None) or None,
            stage=arg("stage", None) or None,
            run_id=arg("run", None) or None,
            limit=self.int_query("limit", required=False),
        )

        def work() -> dict[str, Any]:
            with reader.reading(self.db) as conn:
                return reader.experiments(conn, filters)

        table = await self.in_thread(work)
        self.reply({"path": self.query("path"), **table})


def _execution_id(raw: str) -> int:
    eid = int(raw)  # the route takes digits only
    if eid > INT_MAX:
        raise NotFound(f"no recorded execution {raw}")
    return eid


class ExecutionHandler(_TrackingHandler):
    @web.authenticated
    async def get(self, execution_id: str) -> None:
        eid = _execution_id(execution_id)

        def work() -> dict[str, Any] | None:
            with reader.reading(self.db) as conn:
                return reader.execution(conn, eid)

        row = await self.in_thread(work)
        if row is None:
            raise NotFound(f"no recorded execution {eid} in {self.db}")
        self.reply(self.relative([row])[0])


class CodeHandler(_TrackingHandler):
    """Restore: the code an execution ran, to put back into its cell."""

    @web.authenticated
    async def get(self, execution_id: str) -> None:
        eid = _execution_id(execution_id)

        def work() -> dict[str, Any] | None:
            with reader.reading(self.db) as conn:
                rows = reader.executions(conn, reader.Filters(ids=(eid,)))
                if not rows:
                    return None
                return {**rows[0], "code": reader.code(conn, rows[0]["code_sha"])}

        row = await self.in_thread(work)
        if row is None:
            raise NotFound(f"no recorded execution {eid} in {self.db}")
        self.reply({"execution_id": eid, "cell_id": row["cell_id"], "code": row["code"]})


class CompareHandler(_TrackingHandler):
    @web.authenticated
    async def get(self) -> None:
        a, b = self.int_query("a"), self.int_query("b")
        assert a is not None and b is not None

        def work() -> dict[str, Any] | None:
            with reader.reading(self.db) as conn:
                return reader.compare(conn, a, b)

        answer = await self.in_thread(work)
        if answer is None:
            raise NotFound(f"executions {a} and {b} are not both recorded in {self.db}")
        self.relative([answer["a"], answer["b"]])
        self.reply(answer)


class ExportHandler(_TrackingHandler):
    @web.authenticated
    async def post(self) -> None:
        from cellops.tracking.mlflow_export import export

        body = self.json_body()
        ids = self.field(body, "executions", list)
        if not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise BadRequest("'executions' must be a non-empty list of execution ids")
        uri = self.optional(body, "tracking_uri", str)
        experiment = self.optional(body, "experiment", str)
        done = await self.in_thread(
            lambda: export(
                self.db, reader.Filters(ids=tuple(ids)), tracking_uri=uri, experiment=experiment
            )
        )
        runs = [
            {"execution_id": d.execution_id, "run_id": d.mlflow_run_id, "experiment": d.experiment}
            for d in done
        ]
        self.reply({"runs": runs}, 201)


def routes(base_url: str) -> list[tuple[str, Any]]:
    """Tornado routes of the tracking REST API under ``{base_url}cellops/api/tracking/``."""
    api = url_path_join(base_url, "cellops", "api", "tracking")
    execution = url_path_join(api, "executions", r"(?P<execution_id>\d+)")
    return [
        (url_path_join(api, "history"), HistoryHandler),
        (url_path_join(api, "experiments"), ExperimentsHandler),
        (execution, ExecutionHandler),
        (url_path_join(execution, "code"), CodeHandler),
        (url_path_join(api, "compare"), CompareHandler),
        (url_path_join(api, "export-mlflow"), ExportHandler),
    ]
