"""One JupyterLab server and one Chromium per test module of this directory.

The UI tests are named ``test_ui_*`` so that xdist sends them all to one worker (see
tests/conftest.py). The fixtures are module-scoped, not session-scoped: Playwright's sync API
keeps an event loop running while it is open, which would break the asyncio-based server tests
that the same worker runs afterwards.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.lab import Lab, browser_page, chromium_available, reset_page, running_lab

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not chromium_available():
        pytest.skip("Chromium is not installed (make test installs Debian's chromium)")
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copy(REPO / "examples" / "wine_fanout.ipynb", root / "wine_fanout.ipynb")
    with running_lab(root, tmp_path_factory.mktemp("lab-state")) as server:
        yield server


@pytest.fixture(scope="module")
def session_page(lab: Lab) -> Iterator[Any]:
    with browser_page(lab) as page:
        yield page


@pytest.fixture
def page(session_page: Any, lab: Lab) -> Iterator[Any]:
    # Each test starts from an empty main area, whatever an earlier test left open: a
    # notebook left behind would answer this test's locators.
    reset_page(session_page, lab)
    yield session_page


@pytest.fixture
def screenshot(session_page: Any, request: pytest.FixtureRequest) -> Any:
    """Save the page (or one element) as build/ui-output/TEST/NAME.png for a reviewer."""
    folder = REPO / "build" / "ui-output" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)

    def take(name: str, element: Any = None) -> Path:
        path = folder / f"{name}.png"
        (element or session_page).screenshot(path=str(path))
        return path

    return take
