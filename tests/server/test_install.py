"""An installed cellops enables its server extension by itself (no `jupyter server extension
enable` step): the package installs ``etc/jupyter/jupyter_server_config.d/cellops.json``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_server_extension_list_shows_cellops_enabled_and_ok() -> None:
    jupyter = Path(sys.executable).parent / "jupyter"
    result = subprocess.run(
        [str(jupyter), "server", "extension", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = ANSI.sub("", result.stdout + result.stderr)  # the list goes to stderr
    assert result.returncode == 0, output
    assert re.search(r"^\s*cellops enabled\s*$", output, flags=re.M), output
    assert re.search(r"^\s*cellops \S+ OK\s*$", output, flags=re.M), output
