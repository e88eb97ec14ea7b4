"""``cellops run`` records the source notebook's cells, its run id and stages; MLflow export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cellops.tracking import query
from tests.nbfactory import notebook_dict

pytestmark = pytest.mark.kernel


def cli(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "cellops.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    assert proc.returncode == 0, f"{args}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    cells = [
        ("n = 3\nscale = 0.5", ["parameters"]),
        ("import cellops", ["setup"]),
        ("data = list(range(n))", ["stage:load"]),
        ("total = sum(data) * scale\ncellops.log_metric('total', total)", ["stage:train"]),
        ("cellops.log_param('kind', 'sum')\nprint(total)", []),
    ]
    path = tmp_path / "sums.ipynb"
    path.write_text(json.dumps(notebook_dict(cells)), encoding="utf-8")
    return path


def test_run_records_source_cell_ids_run_id_and_parameters(notebook: Path, tmp_path: Path) -> None:
    cli("promote", notebook, "-o", "sums-pipeline", cwd=tmp_path)
    out = cli("run", "sums-pipeline", "-p", "n=5", "--jobs", "1", cwd=tmp_path)
    run_id = next(line.split()[1] for line in out.splitlines() if line.startswith("run "))
    db = tmp_path / ".cellops" / "tracking.db"  # next to the notebook: the project's store
    frame = query.executions(db, run_id=run_id)
    # Only the notebook's own cells (nbformat ids c0..c4 by position), not cellops' cells.
    by_cell = dict(zip(frame["cell_id"], frame["stage"], strict=True))
    assert by_cell == {"c2": "load", "c1": "train", "c3": "train", "c4": "train"}
    assert set(frame["notebook"]) == {str(notebook.resolve())}
    assert set(frame["status"]) == {"ok"}
    params = query.params(db, run_id=run_id)
    load_id = int(frame[frame["cell_id"] == "c2"]["id"].iloc[0])
    # Every execution carries the run's parameters, also those its stage does not read.
    assert params[params["execution_id"] == load_id].set_index("name")["value"].to_dict() == {
        "n": 5,
        "scale": 0.5,
    }
    train = params[params["execution_id"] == int(frame[frame["cell_id"] == "c4"]["id"].iloc[0])]
    assert train.set_index("name")["value"].to_dict() == {"n": 5, "scale": 0.5, "kind": "sum"}
    metrics = query.metrics(db, run_id=run_id)
    assert metrics[["name", "value"]].values.tolist() == [["total", 5.0]]

    # The same executions, exported to MLflow and read back with MLflow's own client.
    uri = (tmp_path / "mlruns").as_uri()
    env = {"MLFLOW_ALLOW_FILE_STORE": "true"}
    out = cli("export-mlflow", "--run", run_id, "--tracking-uri", uri, cwd=tmp_path, env=env)
    assert "exported 4 execution(s)" in out
    runs = _mlflow_runs(uri, "sums.ipynb")
    assert len(runs) == 4
    train_run = next(r for r in runs if r["tags"]["cellops.cell_id"] == "c3")
    assert train_run["metrics"] == {"total": 5.0}
    assert train_run["params"] == {"n": "5", "scale": "0.5"}
    assert train_run["tags"]["cellops.run_id"] == run_id
    assert train_run["tags"]["cellops.notebook"] == str(notebook.resolve())
    assert train_run["tags"]["cellops.stage"] == "train"
    assert train_run["status"] == "FINISHED"
    assert train_run["code"] == "total = sum(data) * scale\ncellops.log_metric('total', total)"


def _mlflow_runs(uri: str, experiment: str) -> list[dict[str, Any]]:
    """Read the runs back in a separate process (MLflow's client, its file store enabled)."""
    script = f"""
import json, warnings
warnings.simplefilter("ignore")
from mlflow.tracking import MlflowClient
c = MlflowClient({uri!r})
exp = c.get_experiment_by_name({experiment!r})
out = []
for r in c.search_runs([exp.experiment_id]):
    path = c.download_artifacts(r.info.run_id, "cell.py")
    out.append({{"params": r.data.params, "metrics": r.data.metrics, "tags": r.data.tags,
                "status": r.info.status, "code": open(path).read()}})
print(json.dumps(out))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"},
    )
    assert proc.returncode == 0, proc.stderr
    runs: list[dict[str, Any]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return runs
