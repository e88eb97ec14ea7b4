"""The cellops Jupyter server extension: thin REST handlers over the core.

``routes`` is the one route table (tests iterate over it to prove every handler needs
authentication). The extension is an ``ExtensionApp`` for its shutdown hook: runs and sweeps
started from the sidebar are child processes (``server.jobs``); they stop with the server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop
from traitlets import Float

from cellops.server import tracking
from cellops.server.analysis import AnalysisHandler
from cellops.server.batch import BatchesHandler, BatchHandler
from cellops.server.jobs import Jobs
from cellops.server.promote import PromoteHandler
from cellops.server.runs import ExecutedNotebookHandler, RunHandler, RunsHandler

API = ("cellops", "api")
# Checked again by cellops.run.record.run_dir; the pattern only keeps '/' out.
RUN_ID = r"(?P<run_id>[^/]+)"
BATCH_ID = r"(?P<batch_id>[^/]+)"


def routes(base_url: str) -> list[tuple[str, Any]]:
    api = url_path_join(base_url, *API)
    return [
        (url_path_join(api, "analysis"), AnalysisHandler),
        (url_path_join(api, "promote"), PromoteHandler),
        (url_path_join(api, "runs"), RunsHandler),
        (url_path_join(api, "runs", RUN_ID), RunHandler),
        (url_path_join(api, "runs", RUN_ID, "notebook"), ExecutedNotebookHandler),
        (url_path_join(api, "batches"), BatchesHandler),
        (url_path_join(api, "batches", BATCH_ID), BatchHandler),
        *tracking.routes(base_url),
    ]


class CellopsApp(ExtensionApp):
    name = "cellops"
    description = "cellops: stage analysis, promote, runs and sweeps for the JupyterLab sidebar"
    load_other_extensions = True

    cancel_timeout = Float(
        30.0,
        config=True,
        help="Seconds a cancelled run gets to stop its kernels and record 'interrupted' before "
        "it is killed (a cancelled sweep as long to stop); the server's shutdown waits as long "
        "for runs and sweeps still going.",
    )

    def initialize_settings(self) -> None:
        assert self.serverapp is not None  # linked before the extension is initialised
        self.root = Path(os.path.realpath(self.serverapp.root_dir))
        self.jobs = Jobs()
        tracking.setup(self.serverapp)

    def initialize_handlers(self) -> None:
        # The route table carries the base URL itself (ExtensionApp would prefix self.handlers).
        assert self.serverapp is not None
        web_app = self.serverapp.web_app
        web_app.add_handlers(".*$", routes(web_app.settings["base_url"]))  # type: ignore[no-untyped-call]

    async def stop_extension(self) -> None:
        await IOLoop.current().run_in_executor(None, self.jobs.stop_all, self.cancel_timeout)
