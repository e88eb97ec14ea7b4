"""The JupyterLab extension is built, installed and carries the project's one version.

The version lives only in package.json (hatch-nodejs-version hands it to the Python package);
these tests check that the installed prebuilt extension agrees with it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version as distribution_version
from pathlib import Path
from typing import Any

import pytest
from jupyter_core.paths import jupyter_path
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
NAME = "cellops"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _package_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REPO / "package.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def version() -> str:
    return str(_package_json()["version"])


@pytest.fixture(scope="module")
def installed_dir() -> Path:
    """The labextension directory JupyterLab loads cellops from (first match wins, as in Lab)."""
    for base in jupyter_path("labextensions"):
        candidate = Path(base) / NAME
        if (candidate / "package.json").is_file():
            return candidate
    pytest.fail(f"{NAME} is not installed in any of {jupyter_path('labextensions')}")


def test_labextension_list_shows_cellops_enabled_and_ok(version: str) -> None:
    jupyter = Path(sys.executable).parent / "jupyter"
    result = subprocess.run(
        [str(jupyter), "labextension", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # `labextension list` logs to stderr; read both streams.
    output = ANSI.sub("", result.stdout + result.stderr)
    assert result.returncode == 0, output
    line = next((ln for ln in output.splitlines() if ln.strip().startswith(f"{NAME} ")), None)
    assert line is not None, f"{NAME} missing from `jupyter labextension list`:\n{output}"
    assert re.search(rf"\b{NAME} v{re.escape(version)} enabled\s+OK\b", line), line


def test_installed_extension_carries_package_json_version(
    installed_dir: Path, version: str
) -> None:
    built = json.loads((installed_dir / "package.json").read_text(encoding="utf-8"))
    assert built["name"] == NAME
    assert built["version"] == version

    load = built["jupyterlab"]["_build"]["load"]
    remote_entry = installed_dir / load
    assert remote_entry.is_file(), f"missing {remote_entry}"
    # The federated module registers itself in the share scope under its name and version.
    shared = re.search(
        rf'"{NAME}",\s*version:\s*"([^"]+)"', remote_entry.read_text(encoding="utf-8")
    )
    assert shared is not None, f"{NAME} share-scope entry not found in {remote_entry.name}"
    assert shared.group(1) == version

    assert (installed_dir / "static" / "style.js").is_file()
    install = json.loads((installed_dir / "install.json").read_text(encoding="utf-8"))
    assert install["packageName"] == NAME


def test_python_package_version_matches_package_json(version: str) -> None:
    assert Version(distribution_version(NAME)) == Version(version)
