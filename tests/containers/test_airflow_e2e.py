"""The Airflow export run for real: Airflow's scheduler loop, Docker containers, S3 storage.

The wine example's image (built once per session by the ``docker_image`` fixture) is exported
with ``--to airflow --operator docker``; the real ``airflow dags test`` (Airflow 3, in its own
virtualenv) runs the DAG with a trigger conf, each stage a container of the image on the test
dockerd, artifacts in moto's S3 on loopback (the containers share the host's network). The
outputs must match a local ``cellops run`` of the same package with the same parameters.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import cellops
from tests.containers.helpers import Built
from tests.s3server import S3Server, s3_server

pytestmark = [pytest.mark.containers, pytest.mark.kernel, pytest.mark.timeout(3600)]

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("load", "features", "train_forest", "train_logreg", "compare")
CONF = {"n_estimators": 10, "C": 0.5}  # small, and not the defaults: the conf must arrive
METRICS = {"train_forest": "forest_acc", "train_logreg": "logreg_acc"}


def airflow_command() -> Path:
    venv = Path(os.environ.get("CELLOPS_AIRFLOW_VENV") or ROOT / ".venv-airflow")
    if not (venv / "bin" / "airflow").is_file():
        pytest.skip(f"no Airflow virtualenv at {venv}: run `make airflow` (CI always does)")
    return venv / "bin" / "airflow"


def airflow(command: Path, *args: str, env: dict[str, str], timeout: float) -> str:
    proc = subprocess.run(
        [str(command), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        # `dags test` logs a line a second while a task waits for its retry; show the rest.
        lines = (proc.stdout + proc.stderr).splitlines()
        shown = "\n".join(line for line in lines if "No tasks to run" not in line)
        pytest.fail(f"airflow {' '.join(args)} exited with {proc.returncode}:\n{shown[-12000:]}")
    return proc.stdout


def last_json(text: str) -> Any:
    """The JSON table an `airflow ... -o json` command printed (after any log lines)."""
    start = text.rindex("\n[") + 1 if "\n[" in text else text.index("[")
    return json.loads(text[start:])


def printed(notebook: bytes) -> str:
    """What the notebook's cells printed (a tracking warning would make it differ)."""
    cells = json.loads(notebook)["cells"]
    return "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))


def run_dag(built: Built, s3: S3Server, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """Export, run with `airflow dags test`: the run's id and its tasks' states."""
    command = airflow_command()
    home = tmp_path / "airflow-home"
    dags = home / "dags"
    proc = cellops(
        "export", built.package, "--to", "airflow", "--operator", "docker", "--network", "host",
        "--image", built.tag, "--storage", s3.url("runs"), "-o", dags / "wine_fanout_dag.py",
        cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    env = {
        **os.environ,
        **s3.env,
        "DOCKER_HOST": built.env["DOCKER_HOST"],
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    airflow(command, "db", "migrate", env=env, timeout=600)
    airflow(command, "dags", "test", "wine_fanout", "-c", json.dumps(CONF), env=env, timeout=1800)
    runs = last_json(
        airflow(command, "dags", "list-runs", "wine_fanout", "-o", "json", env=env, timeout=300)
    )
    assert [r["state"] for r in runs] == ["success"], runs
    run_id = runs[0]["run_id"]
    states_of_run = ("tasks", "states-for-dag-run", "wine_fanout", run_id, "-o", "json")
    states = last_json(airflow(command, *states_of_run, env=env, timeout=300))
    return run_id, {t["task_id"]: t["state"] for t in states}


def local_run(built: Built, tmp_path: Path) -> dict[str, Any]:
    """A local `cellops run` of the same package and parameters: its run record."""
    package = tmp_path / "local" / "wine-pipeline"
    shutil.copytree(built.package, package, ignore=shutil.ignore_patterns(".cellops"))
    params = [arg for name, value in CONF.items() for arg in ("-p", f"{name}={value}")]
    proc = cellops("run", package, *params, cwd=tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stderr
    runs = package / ".cellops" / "runs"
    record = runs / (runs / "latest").read_text(encoding="utf-8").strip()
    data: dict[str, Any] = json.loads((record / "run.json").read_text(encoding="utf-8"))
    data["_package"] = package
    data["_dir"] = record
    return data


def test_airflow_runs_the_docker_dag_like_a_local_run(docker_image: Built, tmp_path: Path) -> None:
    with s3_server() as s3:
        run_id, states = run_dag(docker_image, s3, tmp_path)
        assert states == {stage: "success" for stage in STAGES}
        # The run's files are under STORAGE/<its run id, made safe for paths>.
        prefix = "runs/" + re.sub(r"[^A-Za-z0-9._-]+", "-", run_id)
        keys = s3.keys("runs/")
        assert keys and all(key.startswith(f"{prefix}/") for key in keys), keys
        manifests = {}
        for stage in STAGES:
            assert f"{prefix}/{stage}/{stage}.ipynb" in keys
        for stage in STAGES[:-1]:  # compare writes no outputs
            manifests[stage] = s3.read_json(f"{prefix}/{stage}/manifest.json")
            for entry in manifests[stage]["outputs"].values():
                assert f"{prefix}/{stage}/{entry['file']}" in keys
        metrics = {
            stage: json.loads(s3.read(f"{prefix}/{stage}/{name}.json"))
            for stage, name in METRICS.items()
        }
        forest_nb = s3.read(f"{prefix}/train_forest/train_forest.ipynb").decode()
        compare_out = printed(s3.read(f"{prefix}/compare/compare.ipynb"))
    # The trigger conf reached the stage (papermill's injected parameters).
    assert "n_estimators = 10" in forest_nb

    local = local_run(docker_image, tmp_path)
    assert local["status"] == "done"
    for stage, name in METRICS.items():
        entry = local["stages"][stage]["outputs"][name]
        artifact = local["_package"] / ".cellops" / "artifacts" / entry["sha256"][:2]
        value = json.loads((artifact / f"{entry['sha256']}.{entry['ext']}").read_text())
        assert metrics[stage] == value
        assert manifests[stage]["outputs"][name]["sha256"] == entry["sha256"]
    local_compare = printed((local["_dir"] / local["stages"]["compare"]["notebook"]).read_bytes())
    assert "best model:" in compare_out
    assert compare_out == local_compare
