"""Stage options that change how a stage runs: timeout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nbfactory import notebook_dict


@pytest.mark.kernel
def test_timeout_stops_a_stage_that_runs_too_long(tmp_path: Path) -> None:
    cells = [
        ("x = 1", ["stage:quick"]),
        ("import time\ntime.sleep(120)\ny = x + 1", ["stage:slow", "timeout:3s"]),
        ("print(y)", ["stage:after"]),
    ]
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook_dict(cells)))
    cli = [sys.executable, "-m", "cellops.cli"]
    subprocess.run([*cli, "promote", "nb.ipynb", "-o", "pkg"], cwd=tmp_path, check=True)
    # The stage sleeps 120 s: finishing inside this timeout means cellops stopped it.
    proc = subprocess.run(
        [*cli, "run", "pkg"], cwd=tmp_path, capture_output=True, text=True, timeout=110
    )
    assert proc.returncode == 1
    assert "stage 'slow' failed" in proc.stderr
    assert "longer than its timeout of 3s" in proc.stderr
    runs = tmp_path / "pkg" / ".cellops" / "runs"
    record = json.loads((runs / (runs / "latest").read_text().strip() / "run.json").read_text())
    assert record["stages"]["slow"]["status"] == "failed"
    assert record["stages"]["slow"]["error"]["ename"] == "Timeout"
    assert record["stages"]["after"]["status"] == "not-run"
    # The stage's executed notebook is saved all the same, complete up to the cell that ran
    # too long, and names the stage notebook as its input.
    executed = runs / record["run_id"] / record["stages"]["slow"]["notebook"]
    nb = json.loads(executed.read_text())
    assert nb["metadata"]["papermill"]["end_time"] is not None
    assert nb["metadata"]["papermill"]["input_path"] == str(tmp_path / "pkg/stages/slow.ipynb")
    sleeping = [c for c in nb["cells"] if "time.sleep(120)" in "".join(c["source"])]
    assert sleeping and sleeping[0]["metadata"]["papermill"]["start_time"] is not None
