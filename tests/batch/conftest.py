"""Helpers of the batch tests: small parameterised notebooks and the CLI in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.nbfactory import CellSpec, notebook_dict


def write_notebook(path: Path, cells: Sequence[CellSpec]) -> Path:
    path.write_text(json.dumps(notebook_dict(cells), indent=1), encoding="utf-8")
    return path


def write_sweep_notebook(path: Path, body: str, parameters: str = "a = 1\nb = 'x'\n") -> Path:
    """A plain notebook: a papermill parameters cell, then ``body`` as one untagged cell."""
    return write_notebook(path, [(parameters, ["parameters"]), (body, [])])


def cellops(*args: str | Path, cwd: Path, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cellops.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def latest_batch(package: Path) -> dict[str, Any]:
    root = package / ".cellops" / "batches"
    batch_id = (root / "latest").read_text(encoding="utf-8").strip()
    data: dict[str, Any] = json.loads((root / batch_id / "batch.json").read_text("utf-8"))
    data["dir"] = str(root / batch_id)
    return data


def run_statuses(package: Path, stage: str) -> list[str]:
    """The status of ``stage`` in every run record of the package."""
    found = []
    for record in sorted((package / ".cellops" / "runs").glob("*/run.json")):
        found.append(json.loads(record.read_text("utf-8"))["stages"][stage]["status"])
    return found
