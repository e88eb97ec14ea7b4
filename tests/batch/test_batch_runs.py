"""Real sweeps: real kernels through papermill, run records and results files as users read them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from cellops.sweeps import start_batch
from tests.batch.conftest import cellops, latest_batch, run_statuses, write_sweep_notebook

REPO = Path(__file__).resolve().parents[2]
WINE_SHARED = ("load", "features", "train_logreg")


@pytest.mark.kernel
def test_wine_sweep_runs_shared_upstream_stages_once(tmp_path: Path) -> None:
    package = tmp_path / "wine"
    assert (
        cellops(
            "promote", REPO / "examples" / "wine_fanout.ipynb", "-o", package, cwd=tmp_path
        ).returncode
        == 0
    )
    sweep = start_batch(package, {"n_estimators": [5, 20, 40]}, jobs=2)
    seen = []
    while not sweep.wait(0.5):
        seen.append(sweep.status())
    assert sweep.error is None
    status = sweep.status()
    assert (status["status"], status["done"], status["failed"], status["total"]) == (
        "done",
        3,
        0,
        3,
    )
    assert all(s["total"] == 3 and s["done"] + s["failed"] <= 3 for s in seen)

    rows = sweep.rows()
    json.dumps(rows)  # the server returns them as they are
    df = sweep.results()
    assert list(df["n_estimators"]) == [5, 20, 40]
    assert list(df["status"]) == ["done"] * 3
    assert df["forest_acc"].between(0.5, 1.0).all()
    assert df["logreg_acc"].nunique() == 1  # C did not change
    for notebooks in df["notebooks"]:
        assert (Path(notebooks) / "train_forest.ipynb").is_file()
    # Counted, not timed: the stages whose parameters and inputs do not change ran once.
    for stage in WINE_SHARED:
        assert run_statuses(package, stage).count("done") == 1, stage
    assert run_statuses(package, "train_forest").count("done") == 3
    assert sweep.executed["load"] == 1 and sweep.executed["train_forest"] == 3
    saved = pd.read_parquet(Path(latest_batch(package)["dir"]) / "results.parquet")
    assert list(saved["forest_acc"]) == list(df["forest_acc"])
    # The user's own `cellops run --resume` is not pointed at a batch run.
    assert not (package / ".cellops" / "runs" / "latest").exists()


FLAKY = """\
import os, cellops
if a == 2 and not os.path.exists("fixed"):
    raise ValueError("a=2 is broken")
if a == 3 and not os.path.exists("tried"):
    open("tried", "w").close()
    raise RuntimeError("first attempt fails")
cellops.log_metric("score", a * 10)
with open(f"ran-{a}", "a") as fh:
    fh.write("x")
"""


@pytest.mark.kernel
def test_failures_are_isolated_retried_and_resumed(tmp_path: Path) -> None:
    nb = write_sweep_notebook(tmp_path / "flaky.ipynb", FLAKY)
    first = cellops("batch", nb, "--grid", "a=1,2,3", "--retries", "1", "-j", "2", cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    table = first.stdout
    assert "a=2 is broken" in table and "ValueError" in table
    package = tmp_path / ".cellops" / "batch" / "flaky-pipeline"
    batch = latest_batch(package)
    assert [r["status"] for r in batch["runs"]] == ["done", "failed", "done"]
    df = pd.read_csv(Path(batch["dir"]) / "results.csv")
    assert list(df["score"].fillna(-1)) == [10.0, -1, 30.0]  # a=3 passed on its retry
    assert "stage 'flaky'" in df["error"][1]
    assert "ETA" in first.stderr  # plain progress lines when not on a terminal

    (tmp_path / "fixed").touch()
    again = cellops("batch", nb, "--resume", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    batch2 = latest_batch(package)
    assert batch2["batch_id"] == batch["batch_id"]
    assert [r["status"] for r in batch2["runs"]] == ["done"] * 3
    assert batch2["executed"] == {"flaky": 1}  # only the missing run
    assert [(tmp_path / f"ran-{a}").read_text() for a in (1, 2, 3)] == ["x", "x", "x"]
    df = pd.read_csv(Path(batch2["dir"]) / "results.csv")
    assert list(df["score"]) == [10.0, 20.0, 30.0]


@pytest.mark.kernel
def test_ctrl_c_stops_the_sweep_and_keeps_finished_results(tmp_path: Path) -> None:
    body = "import time\nif a > 1:\n    time.sleep(120)\nprint(a)"
    nb = write_sweep_notebook(tmp_path / "slow.ipynb", body)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cellops.cli", "batch", nb, "--grid", "a=1,2,3", "-j", "1"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    package = tmp_path / ".cellops" / "batch" / "slow-pipeline"
    deadline = time.monotonic() + 120
    kernels: list[psutil.Process] = []
    while time.monotonic() < deadline and not kernels:
        time.sleep(0.5)
        try:
            runs = latest_batch(package)["runs"]
        except (FileNotFoundError, ValueError):
            continue
        if runs[0]["status"] == "done":
            time.sleep(2)  # let run 2 reach its sleep
            kernels = psutil.Process(proc.pid).children(recursive=True)
    assert kernels, "the first run never finished"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in err
    batch = latest_batch(package)
    assert batch["status"] == "interrupted"
    assert [r["status"] for r in batch["runs"]][:2] == ["done", "interrupted"]
    df = pd.read_csv(Path(batch["dir"]) / "results.csv")
    assert df["status"][0] == "done"
    _gone, alive = psutil.wait_procs(kernels, timeout=20)
    assert alive == [], f"kernels left running: {[p.pid for p in alive]}"
