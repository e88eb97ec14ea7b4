"""``runs``: start a run of a package (in the background), list runs, status, cancel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tornado import web

from cellops.package.spec import SPEC_FILE, load
from cellops.run.params import resolve
from cellops.run.record import latest, new_run_id, run_dir
from cellops.server import schema
from cellops.server.base import (
    BadRequest,
    CellopsHandler,
    Conflict,
    NotFound,
    refuse_non_finite,
)
from cellops.server.jobs import Job, Jobs, Launch, assignment, cellops_argv
from cellops.server.status import list_runs, parse_cursor, run_status, with_job

if TYPE_CHECKING:
    from cellops.server import CellopsApp


class JobsHandler(CellopsHandler):
    """What the run and sweep routes share: the one registry of the server's jobs."""

    @property
    def app(self) -> CellopsApp:
        app: CellopsApp = self.settings["cellops"]
        return app

    @property
    def jobs(self) -> Jobs:
        return self.app.jobs

    def listed_package(self) -> Path | None:
        """The package of a listing, None when the folder is no package (yet).

        The sidebar asks for every notebook it opens, promoted or not: a folder that is no
        package is the empty list, not a 404 in the server log.
        """
        folder = self.confined(self.query("package"), "package")
        return folder if (folder / SPEC_FILE).is_file() else None

    def cancel(self, job: Job | None, what: str, state: str) -> None:
        """Start cancelling ``job`` (not waiting for it); a 409 when there is nothing to stop."""
        if state != "running" or (job is not None and job.returncode is not None):
            raise Conflict(f"{what} has already finished ({state})")
        if job is None:
            raise Conflict(
                f"{what} was not started by this server (from the command line?); stop it "
                "where it runs, with Ctrl-C"
            )
        self.jobs.cancel(job, self.app.cancel_timeout)


class _RunsBase(JobsHandler):
    def status(self, package: Path, run_id: str) -> schema.RunStatus:
        job = self.jobs.get("run", package, run_id)
        return with_job(run_status(package, run_id, job, self.api_path), job)


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
        for other in self.jobs.running("run", package):
            # A child whose record is final may still be closing kernels: that run is over.
            if self.status(package, other.job_id)["status"] == "running":
                raise Conflict(
                    f"run {other.job_id} of this package is still running; wait for it to "
                    "finish or cancel it"
                )
        run_id, resumed = new_run_id(), []
        if resume:
            if params:
                raise BadRequest("resume continues a run with its own parameters: send no params")
            previous = await self.in_thread(latest, package)
            if previous is None or previous.status not in ("failed", "interrupted"):
                raise Conflict(
                    "only a failed or cancelled latest run can be resumed; start a new run"
                )
            # `cellops run --resume` continues a failed run under its own id.
            run_id, values, resumed = previous.run_id, previous.parameters, ["--resume"]
        argv = ["run", str(package), "--run-id", run_id, "-q", *resumed]
        argv += [f"--param={a}" for a in assignments]
        if no_cache:
            argv.append("--no-cache")
        launch = Launch(
            "run",
            package,
            run_id,
            cellops_argv(*argv),
            spec.name,
            stages=tuple(s.name for s in spec.stages),
            parameters=values,
        )
        job = self.jobs.start(launch)
        started: schema.RunStarted = {"id": job.job_id, "package": self.api_path(package)}
        self.reply(started, 202)

    @web.authenticated
    async def get(self) -> None:
        folder = self.listed_package()
        if folder is None:
            self.reply(schema.RunList(promoted=False, runs=[], next=None))
            return
        limit = self.int_query("limit", required=False)
        if limit is not None and limit < 1:
            raise BadRequest(f"the query parameter 'limit' must be at least 1, not {limit}")
        raw = self.get_query_argument("before", None)
        try:
            before = parse_cursor(raw) if raw else None
        except ValueError:
            raise BadRequest(
                f"the query parameter 'before' must be an earlier answer's 'next', not {raw!r}"
            ) from None
        jobs = self.jobs.of("run", folder)
        page = await self.in_thread(list_runs, folder, jobs, self.api_path, limit, before)
        self.reply(schema.RunList(promoted=True, runs=page.runs, next=page.next))


class RunHandler(_RunsBase):
    @web.authenticated
    async def get(self, run_id: str) -> None:
        package = self.package_dir(self.query("package"))
        self.reply(self.status(package, run_id))

    @web.authenticated
    async def delete(self, run_id: str) -> None:
        package = self.package_dir(self.query("package"))
        current = self.status(package, run_id)
        self.cancel(self.jobs.get("run", package, run_id), f"run {run_id}", current["status"])
        # Answered now: the sidebar polls until the run says interrupted.
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
