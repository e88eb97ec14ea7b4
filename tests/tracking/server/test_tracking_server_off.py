"""The documented opt-out in the server's configuration: ``c.CellopsTracking.enabled = False``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.tracking.server.test_tracking_server import NOTEBOOK, _open_notebook, _run

pytestmark = pytest.mark.kernel


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"cellops": True}},
        "CellopsTracking": {"enabled": False},
    }


async def test_server_setting_turns_tracking_off(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path
) -> None:
    (jp_root_dir / "exp.ipynb").write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    kc = await _open_notebook(jp_fetch, jp_serverapp, "exp.ipynb")
    try:
        reply = await _run(
            kc, "import sys", "p", loaded="'cellops.tracking.extension' in sys.modules"
        )
    finally:
        kc.stop_channels()
    assert reply["user_expressions"]["loaded"]["data"]["text/plain"] == "False"
    assert not (jp_root_dir / ".cellops" / "tracking.db").exists()
