"""``runs``: start a run of a package (in the background), list runs, status, cancel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tornado import web

from cellops.run.params import resolve
from cellops.run.record import latest, run_dir
from cellops.server import schema
from cellops.server.base import (
    BadRequest,
    CellopsHandler,
    Conflict,
    NotFound,
    refuse_non_finite,
)
from cellops.server.jobs import Jobs, assignment
from cellops.server.status import list_runs, run_status
from cellops.spec import SPEC_FILE, load

if TYPE_CHECKING:
    from cellops.server import CellopsApp


class _RunsBase(CellopsHandler):
    @property
    def app(self) -> CellopsApp:
        app: CellopsApp = self.settings["cellops"]
        return app

    @property
    def jobs(self) -> Jobs:
        return self.app.jobs

    def status(self, package: Path, run_id: str) -> schema.RunStatus:
        return run_status(package, run_id, self.jobs.get(package, run_id), self.api_path)


class RunsHandler(_RunsBase):
    @web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        package = self.package_dir(self.field(body, "package", str))
        params: dict[str, Any] = self.optional(body, "params", dict) or {}
        no_cache = bool(self.optional(body, "no_cache", bool))
        resume = bool(self.optional(body, "resume", bool))
        spec = load(package)
        assignments = [assignment(k, v) for k, v in params.items()]
        # Checked here too, so a bad value is a 400 now rather than a failed run later.
        values = resolve(spec, assignments)
        refuse_non_finite(values)
        for other in self.jobs.of(package):
            # A child whose record is final may still be closing kernels: that run is over.
            if (
                other.returncode is None
                and self.status(package, other.run_id)["status"] == "running"
            ):
                raise Conflict(
                    f"run {other.run_id} of this package is still running; wait for it to "
                    "finish or cancel it"
                )
        resumed: str | None = None
        if resume:
            if params:
                raise BadRequest("resume continues a run with its own parameters: send no params")
            previous = await self.in_thread(latest, package)
            if previous is None or previous.status not in ("failed", "interrupted"):
                raise Conflict(
                    "only a failed or cancelled latest run can be resumed; start a new run"
                )
            resumed, values = previous.run_id, previous.parameters
        job = self.jobs.start(package, spec, values, assignments, no_cache=no_cache, resume=resumed)
        started: schema.RunStarted = {"id": job.run_id, "package": self.api_path(package)}
        self.reply(started, 202)

    @web.authenticated
    async def get(self) -> None:
        # The sidebar asks for every notebook it opens, promoted or not: a folder that is no
        # package (yet) is the empty list, not a 404 in the server log.
        folder = self.confined(self.query("package"), "package")
        if not (folder / SPEC_FILE).is_file():
            self.reply(schema.RunList(promoted=False, runs=[]))
            return
        runs = list_runs(folder, self.jobs.of(folder), self.api_path)
        self.reply(schema.RunList(promoted=True, runs=runs))


class RunHandler(_RunsBase):
    @web.authenticated
    async def get(self, run_id: str) -> None:
        package = self.package_dir(self.query("package"))
        self.reply(self.status(package, run_id))

    @web.authenticated
    async def delete(self, run_id: str) -> None:
        package = self.package_dir(self.query("package"))
        current = self.status(package, run_id)
        job = self.jobs.get(package, run_id)
        if current["status"] != "running":
            raise Conflict(f"run {run_id} has already finished ({current['status']})")
        if job is None:
            raise Conflict(
                f"run {run_id} was not started by this server (from the command line?); stop "
                "it where it runs, with Ctrl-C"
            )
        await self.in_thread(self.jobs.stop, job, self.app.cancel_timeout)
        self.reply(self.status(package, run_id))


class ExecutedNotebookHandler(_RunsBase):
    """The executed notebook of a stage, as nbformat JSON.

    Runs live under the package's hidden ``.cellops`` directory, which Jupyter's contents API
    refuses to serve by default, so the sidebar reads executed notebooks here.
    """

    @web.authenticated
    async def get(self, run_id: str) -> None:
        package = self.package_dir(self.query("package"))
        stage = self.query("stage")
        stages = self.status(package, run_id)["stages"]
        notebook = next((s["notebook"] for s in stages if s["name"] == stage), None)
        path = self.confined(notebook) if notebook else None
        if path is None or run_dir(package, run_id) not in path.parents:
            raise NotFound(f"run {run_id} has no executed notebook for stage '{stage}'")
        self.set_header("Content-Type", "application/json")
        self.finish(await self.in_thread(path.read_bytes))
