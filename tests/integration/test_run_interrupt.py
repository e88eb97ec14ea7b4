"""Ctrl-C stops a run cleanly: exit 130, the record says so, no kernel is left behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.nbfactory import notebook_dict


def _record(pkg: Path) -> dict[str, object]:
    runs = pkg / ".cellops" / "runs"
    run_id = (runs / "latest").read_text().strip()
    data = json.loads((runs / run_id / "run.json").read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.kernel
def test_sigint_stops_the_run_and_its_kernels(tmp_path: Path) -> None:
    cells = [
        ("x = 1", ["stage:quick"]),
        ("import time\ntime.sleep(120)\ny = x + 1", ["stage:slow"]),
        ("print(y)", ["stage:after"]),
    ]
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook_dict(cells)))
    cli = [sys.executable, "-m", "cellops.cli"]
    subprocess.run([*cli, "promote", "nb.ipynb", "-o", "pkg"], cwd=tmp_path, check=True)
    proc = subprocess.Popen(
        [*cli, "run", "pkg"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pkg = tmp_path / "pkg"
    deadline = time.monotonic() + 90
    kernels: list[psutil.Process] = []
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            stages = _record(pkg)["stages"]
        except (FileNotFoundError, ValueError):
            continue
        if stages["slow"]["status"] == "running":  # type: ignore[index]
            time.sleep(2)  # let the stage reach its sleep
            kernels = psutil.Process(proc.pid).children(recursive=True)
            break
    assert kernels, "the slow stage never started"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    record = _record(pkg)
    assert record["status"] == "interrupted"
    stages = record["stages"]
    assert stages["quick"]["status"] == "done"  # type: ignore[index]
    assert stages["slow"]["status"] == "failed"  # type: ignore[index]
    assert stages["after"]["status"] == "not-run"  # type: ignore[index]
    # The interrupted stage's executed notebook is saved, up to the cell it stopped in.
    executed = pkg / ".cellops" / "runs" / str(record["run_id"]) / "stages" / "slow.ipynb"
    nb = json.loads(executed.read_text())
    assert nb["metadata"]["papermill"]["end_time"] is not None
    assert any("time.sleep(120)" in "".join(c["source"]) for c in nb["cells"])
    _gone, alive = psutil.wait_procs(kernels, timeout=20)
    assert alive == [], f"kernels left running: {[p.pid for p in alive]}"
