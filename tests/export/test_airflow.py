"""``cellops export --to airflow``: the DAG files, loaded by Airflow itself.

Each generated file is loaded with Airflow's own ``DagBag`` in the Airflow virtualenv
(``make airflow``; its pins clash with JupyterLab's, so it is not this interpreter), which
imports it as a deployment would. The loader reports the DAG's tasks, dependencies, operator
arguments and each task's container arguments rendered by Airflow's Jinja for a run id and
trigger conf, so the tests see what a worker would run. The run itself is
tests/containers/test_airflow_e2e.py.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cellops.package.spec import load
from cellops.run.params import resolve
from tests.clirun import cellops
from tests.nbfactory import notebook_dict

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "wine_fanout.ipynb"
GRAPH = {
    "load": set(),
    "features": {"load"},
    "train_forest": {"features"},
    "train_logreg": {"features"},
    "compare": {"train_forest", "train_logreg"},
}
MARKER = "not-a-real-secret-7d2e"  # in the export's environment, never in a file
WORKER_SECRET = "worker-secret-19ab"  # in the environment of the Airflow that loads the DAG
RUN_ID = "manual__2024-05-01T10:00:00.123456+00:00"
SAFE_RUN_ID = "manual__2024-05-01T10-00-00.123456-00-00"
TYPED_CONF = {"flag": False, "labels": ["x", "y z"], "opts": {"k": [1, 2]}, "maybe": 3}

LOADER = r"""
import json, os, sys
try:
    from airflow.dag_processing.dagbag import DagBag  # Airflow 3
except ImportError:
    from airflow.models.dagbag import DagBag
request = json.loads(sys.argv[1])
report = {}
for path, conf in request["files"].items():
    bag = DagBag(dag_folder=path, safe_mode=False)
    dags = {}
    for dag_id, dag in bag.dags.items():
        params = {k: dag.params.get_param(k) for k in dag.params}
        context = {"run_id": request["run_id"], "params": {k: p.value for k, p in params.items()}}
        context["params"].update(conf)
        tasks = {}
        for task_id, t in dag.task_dict.items():
            kind = type(t).__name__
            args = t.arguments if kind == "KubernetesPodOperator" else t.command
            info = {
                "class": kind,
                "upstream": sorted(t.upstream_task_ids),
                "retries": t.retries,
                "timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None,
                "image": t.image,
                "labels": t.labels,
                "args": t.render_template(args, context, jinja_env=dag.get_template_env()),
            }
            if kind == "KubernetesPodOperator":
                res = t.container_resources
                info.update(
                    name=t.name,
                    namespace=t.namespace,
                    resources=res.to_dict() if res else None,
                    env_from=[e.to_dict() for e in t.env_from or []],
                    volumes=[v.to_dict() for v in t.volumes or []],
                    volume_mounts=[m.to_dict() for m in t.volume_mounts or []],
                )
            else:
                info.update(
                    network_mode=t.network_mode,
                    docker_url=t.docker_url,
                    private_environment=t._private_environment,
                    cpus=t.cpus,
                    mem_limit=t.mem_limit,
                    gpus=[r["Count"] for r in t.device_requests or []],
                    mounts=[dict(m) for m in t.mounts or []],
                    auto_remove=t.auto_remove,
                    mount_tmp_dir=t.mount_tmp_dir,
                    api_timeout=t.timeout,
                )
            tasks[task_id] = info
        dags[dag_id] = {
            "tasks": tasks,
            "params": {k: {"default": p.value, "schema": p.schema} for k, p in params.items()},
            "timetable": type(dag.timetable).__name__,
            "catchup": dag.catchup,
        }
    report[path] = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": dags}
with open(request["out"], "w") as fh:
    json.dump(report, fh, default=str)
"""


def airflow_python() -> Path:
    venv = Path(os.environ.get("CELLOPS_AIRFLOW_VENV") or ROOT / ".venv-airflow")
    python = venv / "bin" / "python"
    if not python.is_file():
        pytest.skip(f"no Airflow virtualenv at {venv}: run `make airflow` (CI always does)")
    return python


def export(package: Path, out: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = cellops(
        "export", package, "--to", "airflow", "-o", out, *args,
        cwd=package.parent, env={**os.environ, **(env or {})}, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out} (airflow:" in proc.stdout
    return out.read_text(encoding="utf-8")


def typed_notebook(path: Path) -> Path:
    """Parameters of every type, and a stage with memory, GPU and timeout options."""
    cells = [
        (
            "flag = True\nlabels = ['a']\nopts = {'k': 1}\nmaybe = None\nname = 'w'\n",
            ["parameters"],
        ),
        (
            "config = [flag, labels, opts, maybe, name]",
            ["stage:prepare", "memory:1Gi", "gpu:1", "timeout:30m"],
        ),
        ("print(config)", ["stage:report"]),
    ]
    path.write_text(json.dumps(notebook_dict(cells)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("airflow-wine")
    proc = cellops("promote", EXAMPLE, "-o", root / "wine", "--require", "s3fs", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root / "wine"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, wine: Path) -> dict[str, Any]:
    """Four exports (both operators, object and shared storage), loaded by one Airflow."""
    python = airflow_python()
    root = tmp_path_factory.mktemp("airflow")
    typed = root / "typed"
    proc = cellops("promote", typed_notebook(root / "typed.ipynb"), "-o", typed, cwd=root)
    assert proc.returncode == 0, proc.stderr
    s3 = "--image registry.example/wine:1 --storage s3://bucket/runs/"
    shared = "--image typed:1 --storage /mnt/runs"
    # name -> (package, export options, extra environment of the export)
    exports: dict[str, tuple[Path, str, dict[str, str]]] = {
        "kubernetes": (wine, f"{s3} --secret s3-creds --namespace ml -p n_estimators=20", {}),
        "docker": (
            wine,
            f"{s3} --operator docker --network host --env EXTRA_TOKEN",
            {"AWS_SECRET_ACCESS_KEY": MARKER, "EXTRA_TOKEN": MARKER},
        ),
        "typed_kubernetes": (typed, f"{shared} --volume runs", {}),
        "typed_docker": (typed, f"{shared} --operator docker", {}),
    }
    paths = {name: root / f"{name}_dag.py" for name in exports}
    files = {
        name: export(package, paths[name], *options.split(), env=env)
        for name, (package, options, env) in exports.items()
    }
    conf = {name: TYPED_CONF if name.startswith("typed") else {} for name in paths}
    request = {
        "files": {str(paths[name]): conf[name] for name in paths},
        "run_id": RUN_ID,
        "out": str(root / "report.json"),
    }
    home = root / "airflow-home"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AWS_SECRET_ACCESS_KEY": WORKER_SECRET,
        "DOCKER_HOST": "unix:///run/worker-docker.sock",
    }
    env.pop("EXTRA_TOKEN", None)
    loaded = subprocess.run(
        [str(python), "-c", LOADER, json.dumps(request)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr[-5000:]
    report = json.loads((root / "report.json").read_text(encoding="utf-8"))
    return {
        name: {
            "text": files[name],
            **report[str(paths[name])],
            "package": typed if "typed" in name else wine,
        }
        for name in paths
    }


def only_dag(result: dict[str, Any]) -> dict[str, Any]:
    assert result["errors"] == {}
    assert len(result["dags"]) == 1
    dag: dict[str, Any] = next(iter(result["dags"].values()))
    return dag


def stage_args(path: str, stage: str, deps: bool = True) -> list[str]:
    out = f"{path}/{SAFE_RUN_ID}/{stage}"
    inputs = ["--inputs", f"{path}/{SAFE_RUN_ID}"] if deps else []
    args = ["run-stage", stage, *inputs, "--outputs", out, "--retries", "0"]
    return [*args, "--notebook", f"{out}/{stage}.ipynb"]


@pytest.mark.parametrize("operator", ["kubernetes", "docker"])
def test_dag_has_one_task_per_stage_in_the_stage_graph(
    exported: dict[str, Any], operator: str
) -> None:
    result = exported[operator]
    assert list(result["dags"]) == ["wine_fanout"]
    dag = only_dag(result)
    tasks = dag["tasks"]
    assert set(tasks) == set(GRAPH)
    assert {name: set(t["upstream"]) for name, t in tasks.items()} == GRAPH
    # The two trainings share no data: neither waits for the other, so Airflow runs them at once.
    assert "train_logreg" not in tasks["train_forest"]["upstream"]
    assert "train_forest" not in tasks["train_logreg"]["upstream"]
    expected = {"kubernetes": "KubernetesPodOperator", "docker": "DockerOperator"}[operator]
    assert {t["class"] for t in tasks.values()} == {expected}
    assert {n: t["retries"] for n, t in tasks.items()} == {
        n: int(n == "train_forest") for n in GRAPH
    }
    assert dag["catchup"] is False
    assert dag["timetable"] == "NullTimetable"  # schedule=None: runs only when triggered
    assert {t["image"] for t in tasks.values()} == {"registry.example/wine:1"}
    assert tasks["compare"]["labels"]["cellops.stage"] == "compare"


@pytest.mark.parametrize("operator", ["kubernetes", "docker"])
def test_tasks_run_their_stage_under_the_run_storage(
    exported: dict[str, Any], operator: str
) -> None:
    dag = only_dag(exported[operator])
    n_estimators = 20 if operator == "kubernetes" else 50  # -p n_estimators=20 on kubernetes
    params = dag["params"]
    assert list(params) == ["test_size", "seed", "n_estimators", "max_depth", "C"]
    assert params["n_estimators"] == {"default": n_estimators, "schema": {"type": "integer"}}
    assert params["test_size"]["schema"] == {"type": "number"}
    tasks = dag["tasks"]
    storage = "s3://bucket/runs"
    assert tasks["load"]["args"] == stage_args(storage, "load", deps=False)
    assert tasks["train_forest"]["args"] == [
        *stage_args(storage, "train_forest"),
        *("-p", "seed=42", "-p", f"n_estimators={n_estimators}", "-p", "max_depth=4"),
    ]
    assert tasks["train_logreg"]["args"] == [*stage_args(storage, "train_logreg"), "-p", "C=1.0"]


def test_kubernetes_pods_get_resources_secret_and_namespace(
    exported: dict[str, Any],
) -> None:
    tasks = only_dag(exported["kubernetes"])["tasks"]
    forest = tasks["train_forest"]
    assert forest["resources"]["requests"] == {"cpu": "2"}
    assert not forest["resources"]["limits"]
    assert tasks["load"]["resources"] is None
    assert forest["name"] == "train-forest"  # a pod name Kubernetes accepts
    for task in tasks.values():
        assert task["namespace"] == "ml"
        assert [e["secret_ref"]["name"] for e in task["env_from"]] == ["s3-creds"]
        assert task["volumes"] == []


def test_docker_tasks_take_credentials_from_the_worker_only(
    exported: dict[str, Any],
) -> None:
    result = exported["docker"]
    # The export ran with the secret in its environment; the file names the variable only.
    assert MARKER not in result["text"]
    assert "AWS_SECRET_ACCESS_KEY" in result["text"]
    tasks = only_dag(result)["tasks"]
    for task in tasks.values():
        # What the loading worker had is what the containers get, and nothing it did not have.
        assert task["private_environment"] == {"AWS_SECRET_ACCESS_KEY": WORKER_SECRET}
        assert task["docker_url"] == "unix:///run/worker-docker.sock"
        assert task["network_mode"] == "host"
        assert task["auto_remove"] == "success"
        assert task["api_timeout"] >= 300  # a big image's container can take minutes to create
        assert task["mounts"] == []
    assert tasks["train_forest"]["cpus"] == 2.0
    assert "EXTRA_TOKEN" in result["text"]  # --env adds a forwarded name


@pytest.mark.parametrize("operator", ["kubernetes", "docker"])
def test_typed_parameters_reach_the_stage_as_cellops_reads_them(
    exported: dict[str, Any], operator: str
) -> None:
    result = exported[f"typed_{operator}"]
    dag = only_dag(result)
    schemas = {name: p["schema"].get("type") for name, p in dag["params"].items()}
    assert schemas == {
        "flag": "boolean",
        "labels": "array",
        "opts": "object",
        "maybe": None,
        "name": "string",
    }
    assert dag["params"]["labels"]["default"] == ["a"]
    # Rendered for a run triggered with TYPED_CONF, the -p values parse back to that conf.
    args = dag["tasks"]["prepare"]["args"]
    assert args[: len(stage_args("/mnt/runs", "prepare", deps=False))] == stage_args(
        "/mnt/runs", "prepare", deps=False
    )
    assigned = [args[i + 1] for i, a in enumerate(args) if a == "-p"]
    values = resolve(load(result["package"]), assigned)
    assert values == {**TYPED_CONF, "name": "w"}


def test_typed_stage_options_map_to_each_operator(exported: dict[str, Any]) -> None:
    pods = only_dag(exported["typed_kubernetes"])["tasks"]
    prepare = pods["prepare"]
    assert prepare["resources"]["requests"] == {"memory": "1Gi"}
    assert prepare["resources"]["limits"] == {"memory": "1Gi", "nvidia.com/gpu": "1"}
    assert prepare["timeout"] == 1800
    assert pods["report"]["timeout"] is None
    for task in pods.values():
        claim = task["volumes"][0]["persistent_volume_claim"]["claim_name"]
        assert claim == "runs"
        assert task["volume_mounts"][0]["mount_path"] == "/mnt/runs"
        assert task["env_from"] == []
    containers = only_dag(exported["typed_docker"])["tasks"]
    prepare = containers["prepare"]
    assert prepare["mem_limit"] == 2**30
    assert prepare["gpus"] == [1]
    assert prepare["timeout"] == 1800
    for task in containers.values():
        assert task["mounts"] == [
            {"Target": "/mnt/runs", "Source": "/mnt/runs", "Type": "bind", "ReadOnly": False}
        ]
        assert task["private_environment"] == {}  # a shared path needs no credentials


def test_export_is_deterministic_python(tmp_path: Path, wine: Path) -> None:
    args = ("--image", "w:1", "--storage", "s3://b/r", "--operator", "docker")
    first = export(wine, tmp_path / "a.py", *args)
    second = export(wine, tmp_path / "b.py", *args, env={"AWS_ACCESS_KEY_ID": MARKER})
    assert first == second
    compile(first, "a.py", "exec")
    assert first.startswith("# Airflow DAG of the cellops pipeline")
    assert "cellops export PACKAGE --to airflow --operator docker" in first
