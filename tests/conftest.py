"""Shared fixtures."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from cellops.tracking import config
from tests.nbfactory import CellSpec, notebook_dict

# Tests named test_<group>_* share one expensive set-up (a pipeline run, a JupyterLab server
# with a browser): each group goes to a single xdist worker.
SHARED_GROUPS = ("wine", "iris", "small", "ui")


@pytest.hookimpl(optionalhook=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    # Here, not in tests/containers/conftest.py: under xdist the controller collects nothing,
    # so a hook in a sub-directory's conftest never runs there and dockerd outlived the run.
    if not hasattr(session.config, "workerinput"):  # the controller, or a run without xdist
        from tests.containers.engines import stop_dockerd

        stop_dockerd()


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``-n N`` (the default ``load`` distribution), send all tests named
    ``test_wine_*`` to one worker, all ``test_iris_*`` to one worker and so on (``SHARED_GROUPS``),
    so a worker never waits for another one's shared run; other tests are spread as usual.

    Only the controller calls this. Without it (other distributions) the file locks of the
    shared fixtures still run each expensive set-up once.
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedRunScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            test = nodeid.rsplit("::", 1)[-1]
            for group in SHARED_GROUPS:
                if test.startswith(f"test_{group}_"):
                    return group
            return nodeid

    return SharedRunScheduling(config, log)


@pytest.fixture(scope="session", autouse=True)
def _tracking_ceiling(tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test finds a tracking database above pytest's temporary root (a run started in /tmp
    once left /tmp/.cellops/tracking.db, which then captured every test's executions)."""
    root = tmp_path_factory.getbasetemp().resolve().parent
    os.environ[config.ENV_CEILING] = str(root)


@pytest.fixture(autouse=True)
def _server_environment() -> Any:
    """What a server's tracking set-up writes into os.environ for its kernels ends with the test.

    A server started with ``CellopsTracking.enabled = False`` sets CELLOPS_TRACKING=0 for the
    process; without this, a later test in the same xdist worker ran with tracking off and
    found no executions (seen with -n 2).
    """
    names = (config.ENV_ENABLED, config.ENV_DB, config.ENV_ROOT)
    saved = {name: os.environ.get(name) for name in names}
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def write_notebook(tmp_path: Path) -> Callable[..., Path]:
    """write_notebook([(source, tags), ...], name="nb.ipynb") -> path of a real .ipynb file."""

    def write(cells: Sequence[CellSpec], name: str = "nb.ipynb") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(notebook_dict(cells), indent=1), encoding="utf-8")
        return path

    return write
