"""Run records are history and never lie about a runner that is gone.

A finished run resumed starts a new run; a ``cellops run`` killed with SIGKILL (no handler
runs) leaves a record that every reader files as ``interrupted``, and the next run removes
what the killed one left behind.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from cellops.run import record as records
from tests.nbfactory import notebook_dict

pytestmark = pytest.mark.kernel
CLI = [sys.executable, "-m", "cellops.cli"]


def _promote(tmp_path: Path, cells: list[tuple[str, list[str]]]) -> Path:
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook_dict(cells)))
    subprocess.run([*CLI, "promote", "nb.ipynb", "-o", "pkg"], cwd=tmp_path, check=True)
    return tmp_path / "pkg"


def _raw(pkg: Path, run_id: str) -> dict[str, object]:
    data = json.loads((pkg / ".cellops" / "runs" / run_id / "run.json").read_text())
    assert isinstance(data, dict)
    return data


def test_resume_of_a_finished_run_starts_a_new_run_and_keeps_the_old_record(
    tmp_path: Path,
) -> None:
    pkg = _promote(tmp_path, [("x = 1", ["stage:a"]), ("y = x + 1", ["stage:b"])])
    subprocess.run([*CLI, "run", str(pkg), "-q"], cwd=tmp_path, check=True)
    first = (pkg / ".cellops" / "runs" / "latest").read_text().strip()
    before = _raw(pkg, first)
    subprocess.run([*CLI, "run", str(pkg), "--resume", "-q"], cwd=tmp_path, check=True)
    second = (pkg / ".cellops" / "runs" / "latest").read_text().strip()
    assert second != first
    assert _raw(pkg, first) == before  # the finished run's record is untouched
    rec = records.load(pkg, second)
    assert rec.resumed_from == first and rec.status == "done"
    assert {n: s.status for n, s in rec.stages.items()} == {"a": "cached", "b": "cached"}
    assert before["status"] == "done"
    assert all(s["status"] == "done" for s in before["stages"].values())  # type: ignore[attr-defined]


def test_a_killed_run_is_filed_as_interrupted_and_the_next_run_cleans_up(tmp_path: Path) -> None:
    hold = tmp_path / "hold"
    hold.write_text("")
    wait = f"import os, time\nwhile os.path.exists({str(hold)!r}):\n    time.sleep(0.2)\ny = x + 1"
    pkg = _promote(
        tmp_path,
        [("x = 1", ["stage:quick"]), (wait, ["stage:slow"]), ("print(y)", ["stage:after"])],
    )
    proc = subprocess.Popen(
        [*CLI, "run", str(pkg), "--jobs", "1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    kernels: list[psutil.Process] = []
    try:
        run_id = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not kernels:
            time.sleep(0.3)
            latest = pkg / ".cellops" / "runs" / "latest"
            if not latest.exists():
                continue
            run_id = latest.read_text().strip()
            stages = _raw(pkg, run_id)["stages"]
            if stages["slow"]["status"] == "running":  # type: ignore[index]
                time.sleep(1)
                kernels = psutil.Process(proc.pid).children(recursive=True)
        assert kernels, "the slow stage never started"
        stages_dir = pkg / ".cellops" / "runs" / run_id / "stages"
        leftovers = [stages_dir / ".slow.input.ipynb"]
        sockets = list(Path(tempfile.gettempdir()).glob(f"cellops-k-{proc.pid}-*"))
        assert leftovers[0].is_file() and len(sockets) == 1

        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert _raw(pkg, run_id)["status"] == "running"  # nobody could finish it ...

        rec = records.load(pkg, run_id)  # ... so its first reader does
        assert rec.status == "interrupted"
        statuses = {n: s.status for n, s in rec.stages.items()}
        assert statuses == {"quick": "done", "slow": "failed", "after": "not-run"}
        error = rec.stages["slow"].error
        assert error is not None and error.ename == "Interrupted"
        assert str(proc.pid) in error.evalue
        assert _raw(pkg, run_id)["status"] == "interrupted"  # filed for every later reader
    finally:
        if proc.poll() is None:
            proc.kill()
        for k in kernels:
            if k.is_running():
                k.kill()
    hold.unlink()
    done = subprocess.run([*CLI, "run", str(pkg), "-q"], cwd=tmp_path, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert not leftovers[0].exists()
    assert not sockets[0].exists()
