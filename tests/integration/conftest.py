"""Fixtures of the integration tests: each example pipeline promoted and run once a session
(helpers in ``tests/integration/runs.py``)."""

from __future__ import annotations

import pytest

from tests.integration.runs import IRIS, WINE, PackageRun, copy_of, shared_run


@pytest.fixture(scope="session")
def wine_run(tmp_path_factory: pytest.TempPathFactory) -> PackageRun:
    """examples/wine_fanout.ipynb promoted and run once, with two jobs. Don't change it:
    copy it (``copy_package``) to run it again or re-promote into it."""
    return shared_run(tmp_path_factory, "wine", copy_of(WINE))


@pytest.fixture(scope="session")
def iris_run(tmp_path_factory: pytest.TempPathFactory) -> PackageRun:
    """examples/iris_kale.ipynb promoted and run once, with two jobs. Don't change it."""
    return shared_run(tmp_path_factory, "iris", copy_of(IRIS))
