"""``cellops export --to argo``: manifests checked against Argo's schema (hera's models).

hera's models are generated from Argo Workflows' OpenAPI schema. They ignore unknown keys, so
each manifest is validated and dumped back: a key Argo does not know is dropped by the round
trip and the comparison fails. No Argo server runs here (no Kubernetes); the Airflow export
is the one run end to end (tests/containers/test_airflow_e2e.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.export.common import EXAMPLE, MARKER, cellops, promote_example, wine_graph

GRAPH = wine_graph(dns=True)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return promote_example(tmp_path_factory.mktemp("argo") / "wine")


def export(package: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    out = package.parent / f"out-{abs(hash(args))}.yaml"
    proc = cellops(
        "export", package, "--to", "argo", "--image", "registry.example/wine:1",
        "--storage", "s3://bucket/runs", "-o", out, *args, cwd=package.parent, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stdout
    data = yaml.safe_load(out.read_text())
    assert isinstance(data, dict)
    return data


def assert_valid_argo(data: dict[str, Any]) -> None:
    from hera.workflows.models import Workflow, WorkflowTemplate

    model = WorkflowTemplate if data["kind"] == "WorkflowTemplate" else Workflow
    back = model.model_validate(data).model_dump(by_alias=True, exclude_none=True, mode="json")
    assert back == data
    # What `argo lint` checks beyond the schema: every reference resolves.
    spec = data["spec"]
    names = {t["name"] for t in spec["templates"]}
    assert spec["entrypoint"] in names
    declared = {p["name"] for p in spec.get("arguments", {}).get("parameters", [])}
    for template in spec["templates"]:
        inputs = {p["name"] for p in template.get("inputs", {}).get("parameters", [])}
        text = yaml.safe_dump(template)
        assert set(re.findall(r"inputs\.parameters\.([\w-]+)", text)) <= inputs
        assert set(re.findall(r"workflow\.parameters\.([\w-]+)", text)) <= declared
        for task in template.get("dag", {}).get("tasks", []):
            assert task["template"] in names


def templates(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in data["spec"]["templates"]}


def test_workflow_has_a_container_per_stage_and_the_stage_graph(package: Path) -> None:
    data = export(package, "-p", "n_estimators=7")
    assert_valid_argo(data)
    assert data["kind"] == "Workflow" and data["metadata"]["generateName"] == "wine-fanout-"
    by_name = templates(data)
    dag = {t["name"]: t for t in by_name["pipeline"]["dag"]["tasks"]}
    assert {n: set(t.get("dependencies", [])) for n, t in dag.items()} == GRAPH
    # The fan-out stays a fan-out: both training stages wait only for features.
    assert dag["train-forest"]["dependencies"] == dag["train-logreg"]["dependencies"]
    forest = by_name["stage-train-forest"]
    assert forest["container"]["image"] == "registry.example/wine:1"
    args = forest["container"]["args"]
    assert args[:2] == ["run-stage", "train_forest"]
    assert args[args.index("--inputs") + 1] == "{{inputs.parameters.run-root}}"
    assert args[args.index("--outputs") + 1] == "{{inputs.parameters.run-root}}/train_forest"
    assert "n_estimators={{inputs.parameters.n_estimators}}" in args
    assert "C={{inputs.parameters.C}}" not in args  # only the parameters the stage reads
    assert forest["container"]["resources"] == {"requests": {"cpu": "2"}}
    assert forest["retryStrategy"]["limit"] == "1"
    assert args[args.index("--retries") + 1] == "0"  # Argo retries, not run-stage as well
    assert "--inputs" not in by_name["stage-load"]["container"]["args"]
    # Parameters are workflow arguments, -p changing the default; each run has its prefix.
    arguments = {p["name"]: p["value"] for p in data["spec"]["arguments"]["parameters"]}
    assert arguments == {
        "test_size": "0.25", "seed": "42", "n_estimators": "7", "max_depth": "4", "C": "1.0"
    }  # fmt: skip
    main = by_name[data["spec"]["entrypoint"]]["dag"]["tasks"][0]
    run_root = {p["name"]: p["value"] for p in main["arguments"]["parameters"]}["run-root"]
    assert run_root == "s3://bucket/runs/{{workflow.name}}"


def test_credentials_come_from_a_secret_never_from_the_file(package: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": MARKER, "AWS_SECRET_ACCESS_KEY": MARKER}
    data = export(package, "--secret", "storage-creds", env=env)
    assert_valid_argo(data)
    assert MARKER not in yaml.safe_dump(data)
    for name, template in templates(data).items():
        if name.startswith("stage-"):
            assert template["container"]["envFrom"] == [{"secretRef": {"name": "storage-creds"}}]


def test_sweep_fans_out_one_pipeline_run_per_parameter_set(package: Path) -> None:
    data = export(package, "-g", "n_estimators=10,20", "-g", "C=0.1,1", "-p", "seed=3")
    assert_valid_argo(data)
    entry = templates(data)[data["spec"]["entrypoint"]]
    (task,) = entry["dag"]["tasks"]
    assert task["template"] == "pipeline"
    items = task["withItems"]
    assert [(i["n_estimators"], i["C"]) for i in items] == [
        ("10", "0.1"), ("10", "1.0"), ("20", "0.1"), ("20", "1.0")
    ]  # fmt: skip
    assert len({i["run"] for i in items}) == 4
    args = {p["name"]: p["value"] for p in task["arguments"]["parameters"]}
    assert args["n_estimators"] == "{{item.n_estimators}}" and args["C"] == "{{item.C}}"
    assert args["seed"] == "{{workflow.parameters.seed}}"
    assert args["run-root"] == "s3://bucket/runs/{{workflow.name}}/{{item.run}}"
    seed = [p for p in data["spec"]["arguments"]["parameters"] if p["name"] == "seed"]
    assert seed == [{"name": "seed", "value": "3"}]


def test_template_kind_and_shared_path_storage_on_a_volume(package: Path) -> None:
    out = package.parent / "tmpl.yaml"
    proc = cellops(
        "export", package, "--to", "argo", "--image", "wine:1", "--storage", "/mnt/runs",
        "--volume", "runs-claim", "--template", "--namespace", "ml", "-o", out,
        cwd=package.parent,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = yaml.safe_load(out.read_text())
    assert_valid_argo(data)
    assert data["kind"] == "WorkflowTemplate"
    assert data["metadata"] == {
        "name": "wine-fanout", "namespace": "ml", "labels": data["metadata"]["labels"]
    }  # fmt: skip
    load = templates(data)["stage-load"]
    assert load["volumes"] == [
        {"name": "storage", "persistentVolumeClaim": {"claimName": "runs-claim"}}
    ]
    assert load["container"]["volumeMounts"] == [{"name": "storage", "mountPath": "/mnt/runs"}]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--storage", "s3://AKIAXXX:secret@bucket/runs"], "carries credentials"),
        (["--storage", "s3://bucket/runs?secret_key=x"], "looks like it holds a key"),
        (["--storage", "runs"], "a shared path must be absolute"),
        (["--storage", "/mnt/runs"], "pass --volume CLAIM"),
        (["--storage", "ftp://host/runs"], "ftp:// is not one of them"),
        (["--storage", "s3:///runs"], "name the bucket"),
        (["--storage", "s3://b/r", "--env", "AWS_PROFILE"], "Docker operator only"),
        (["--storage", "s3://b/r", "--secret", "Bad_Name"], "a Kubernetes name is"),
        (["--storage", "s3://b/r", "-g", "nope=1,2"], "unknown parameter 'nope'"),
        (["--storage", "s3://b/r", "-p", "seed=x"], "parameter 'seed' expects int"),
        (["--storage", "s3://b/r", "--image", " "], "--image is empty"),
    ],
)
def test_bad_export_options_are_refused_before_anything_is_written(
    package: Path, args: list[str], needle: str
) -> None:
    out = package.parent / "refused.yaml"
    image = [] if "--image" in args else ["--image", "wine:1"]
    proc = cellops("export", package, "--to", "argo", *image, "-o", out, *args, cwd=package.parent)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_object_storage_needs_its_library_pinned_in_the_package(tmp_path: Path) -> None:
    proc = cellops("promote", EXAMPLE, "-o", tmp_path / "plain", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = cellops(
        "export", tmp_path / "plain", "--to", "argo", "--image", "wine:1",
        "--storage", "s3://bucket/runs", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "does not pin it" in proc.stderr and "--require s3fs" in proc.stderr
    proc = cellops(
        "promote", EXAMPLE, "-o", tmp_path / "x", "--require", "no-such-dist", cwd=tmp_path
    )
    assert proc.returncode == 2 and "--require no-such-dist: not installed" in proc.stderr
    assert not (tmp_path / "x").exists()
