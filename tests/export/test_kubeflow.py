"""``cellops export --to kubeflow``: pipelines compiled by the kfp SDK, read back by kfp.

No Kubeflow server runs here (no Kubernetes). Each export is loaded back with kfp's own loader
and parsed strictly into the IR's protobuf messages (PipelineSpec, PlatformSpec, the
kfp-kubernetes executor config), where an unknown or misspelt field fails; the tests then read
what a run would do from the IR: tasks, dependencies, arguments, resources, retries, inputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.export.common import EXAMPLE, MARKER, cellops, promote_example, wine_graph
from tests.nbfactory import notebook_dict

IMAGE = "registry.example/wine:1"
GRAPH = wine_graph(dns=True)
PLACEHOLDER = re.compile(r"\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}")


def promote(notebook: Path, out: Path) -> Path:
    return promote_example(out, notebook)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return promote(EXAMPLE, tmp_path_factory.mktemp("kubeflow") / "wine")


def export(
    package: Path, *args: str, storage: str = "s3://bucket/runs", env: dict[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Export, load the file back with kfp; the IR, the Kubernetes platform spec, the text."""
    out = package.parent / f"out-{abs(hash((args, storage)))}.yaml"
    proc = cellops(
        "export", package, "--to", "kubeflow", "--image", IMAGE, "--storage", storage,
        "-o", out, *args, cwd=package.parent, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stdout
    text = out.read_text()
    ir, platform = load_with_kfp(out)
    return ir, platform, text


def load_with_kfp(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    from google.protobuf import json_format  # type: ignore[import-untyped]
    from kfp import components  # type: ignore[import-untyped]
    from kfp.kubernetes import kubernetes_executor_config_pb2  # type: ignore[import-untyped]
    from kfp.pipeline_spec import pipeline_spec_pb2  # type: ignore[import-untyped]

    component = components.load_component_from_file(str(path))
    docs = list(yaml.safe_load_all(path.read_text()))
    assert len(docs) in (1, 2)
    ir, platform = docs[0], docs[1] if len(docs) == 2 else {}
    assert component.name == ir["pipelineInfo"]["name"]
    assert set(component.component_spec.inputs or {}) == set(
        ir["root"].get("inputDefinitions", {}).get("parameters", {})
    )
    json_format.ParseDict(ir, pipeline_spec_pb2.PipelineSpec())
    json_format.ParseDict(platform, pipeline_spec_pb2.PlatformSpec())
    executors = platform.get("platforms", {}).get("kubernetes", {}).get("deploymentSpec", {})
    for config in executors.get("executors", {}).values():
        json_format.ParseDict(config, kubernetes_executor_config_pb2.KubernetesExecutorConfig())
    return ir, platform


def tasks(ir: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(ir["root"]["dag"]["tasks"])


def container(ir: dict[str, Any], task: str) -> dict[str, Any]:
    component = ir["components"][tasks(ir)[task]["componentRef"]["name"]]
    return dict(ir["deploymentSpec"]["executors"][component["executorLabel"]]["container"])


def k8s_config(ir: dict[str, Any], platform: dict[str, Any], task: str) -> dict[str, Any]:
    label = ir["components"][tasks(ir)[task]["componentRef"]["name"]]["executorLabel"]
    executors = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    return dict(executors[label])


def pipeline_inputs(ir: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(ir["root"]["inputDefinitions"]["parameters"])


def launcher_text(value: Any) -> str:
    """A parameter value as Kubeflow's launcher writes it into an argument (Go's FormatFloat
    'f' -1 for numbers, strconv.FormatBool, strings as they are)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def resolved_args(ir: dict[str, Any], task: str, run_id: str = "RUN") -> list[str]:
    """The stage's arguments as the launcher runs them, with the pipeline's defaults."""
    inputs = tasks(ir)[task]["inputs"]["parameters"]
    defaults = pipeline_inputs(ir)
    values: dict[str, str] = {}
    for name, source in inputs.items():
        if "componentInputParameter" in source:
            values[name] = launcher_text(
                defaults[source["componentInputParameter"]]["defaultValue"]
            )
        else:
            assert source["runtimeValue"]["constant"] == "{{$.pipeline_job_uuid}}"
            values[name] = run_id
    return [PLACEHOLDER.sub(lambda m: values[m.group(1)], a) for a in container(ir, task)["args"]]


@pytest.fixture(scope="module")
def wine(package: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    return export(package)


def test_one_task_per_stage_with_the_stage_graph(wine: tuple[dict[str, Any], ...]) -> None:
    ir = wine[0]
    graph = {name: set(t.get("dependentTasks", [])) for name, t in tasks(ir).items()}
    assert graph == GRAPH
    # The two trainers only wait for features: Kubeflow runs them at the same time.
    assert "train-logreg" not in graph["train-forest"]
    assert "train-forest" not in graph["train-logreg"]
    assert ir["pipelineInfo"]["name"] == "wine-fanout"
    assert "wine_fanout" in ir["pipelineInfo"]["description"]


def test_each_stage_runs_run_stage_in_the_image(wine: tuple[dict[str, Any], ...]) -> None:
    ir = wine[0]
    for task in GRAPH:
        spec = container(ir, task)
        assert spec["image"] == IMAGE
        # Kubeflow's launcher replaces the image's entrypoint, so the command names it.
        assert spec["command"] == ["python3", "-m", "cellops.commands.entrypoint"]
    args = resolved_args(ir, "train-forest", run_id="0a1b2c")
    assert args[:2] == ["run-stage", "train_forest"]
    assert args[args.index("--inputs") + 1] == "s3://bucket/runs/0a1b2c"
    assert args[args.index("--outputs") + 1] == "s3://bucket/runs/0a1b2c/train_forest"
    assert args[args.index("--retries") + 1] == "0"  # Kubeflow retries, not run-stage
    params = [args[i + 1] for i, a in enumerate(args) if a == "-p"]
    assert params == ["seed=42", "n_estimators=50", "max_depth=4"]
    load = resolved_args(ir, "load", run_id="0a1b2c")
    assert load[:2] == ["run-stage", "load"] and "--inputs" not in load


def test_every_run_gets_its_own_storage_prefix(wine: tuple[dict[str, Any], ...]) -> None:
    ir = wine[0]
    for task in GRAPH:
        run_ids = {
            name
            for name, source in tasks(ir)[task]["inputs"]["parameters"].items()
            if source.get("runtimeValue", {}).get("constant") == "{{$.pipeline_job_uuid}}"
        }
        assert run_ids == {"run_id"}
        # No caching by Kubeflow: a cached task would point at another run's prefix.
        assert not tasks(ir)[task]["cachingOptions"].get("enableCache", False)
    first, second = resolved_args(ir, "compare", "run-a"), resolved_args(ir, "compare", "run-b")
    assert "s3://bucket/runs/run-a/compare" in first
    assert "s3://bucket/runs/run-b/compare" in second


def test_resources_and_retries(wine: tuple[dict[str, Any], ...]) -> None:
    ir = wine[0]
    forest = container(ir, "train-forest")
    assert forest["resources"]["resourceCpuRequest"] == "2"
    assert tasks(ir)["train-forest"]["retryPolicy"]["maxRetryCount"] == 1
    for task in ("load", "features", "train-logreg", "compare"):
        assert "resources" not in container(ir, task)
        assert "retryPolicy" not in tasks(ir)[task]


def test_pipeline_inputs_are_the_typed_parameters(wine: tuple[dict[str, Any], ...]) -> None:
    inputs = pipeline_inputs(wine[0])
    assert {name: (p["parameterType"], p["defaultValue"]) for name, p in inputs.items()} == {
        "test_size": ("NUMBER_DOUBLE", 0.25),
        "seed": ("NUMBER_INTEGER", 42),
        "n_estimators": ("NUMBER_INTEGER", 50),
        "max_depth": ("NUMBER_INTEGER", 4),
        "C": ("NUMBER_DOUBLE", 1.0),
    }
    train = tasks(wine[0])["train-logreg"]["inputs"]["parameters"]
    assert train["C"] == {"componentInputParameter": "C"}


def test_pods_carry_labels_and_no_secret_unless_asked(wine: tuple[dict[str, Any], ...]) -> None:
    ir, platform, _ = wine
    config = k8s_config(ir, platform, "train-forest")
    assert config["podMetadata"]["labels"]["cellops.stage"] == "train-forest"
    assert config["podMetadata"]["labels"]["cellops.pipeline"] == "wine-fanout"
    assert "secretAsEnv" not in config


def test_p_changes_a_default(package: Path) -> None:
    ir, _, _ = export(package, "-p", "n_estimators=7")
    assert pipeline_inputs(ir)["n_estimators"]["defaultValue"] == 7
    assert "n_estimators=7" in resolved_args(ir, "train-forest")


def test_secret_by_name_and_no_secret_value(package: Path) -> None:
    ir, platform, text = export(
        package, "--secret", "s3-creds", env={"AWS_SECRET_ACCESS_KEY": MARKER}
    )
    assert MARKER not in text
    for task in GRAPH:
        (secret,) = k8s_config(ir, platform, task)["secretAsEnv"]
        assert secret["secretName"] == "s3-creds"
        keys = {m["secretKey"]: m["envVar"] for m in secret["keyToEnv"]}
        # The secret's keys are named like the variables the storage library reads.
        assert keys["AWS_ACCESS_KEY_ID"] == "AWS_ACCESS_KEY_ID"
        assert keys["AWS_SECRET_ACCESS_KEY"] == "AWS_SECRET_ACCESS_KEY"
        assert all(k == v for k, v in keys.items())
        assert secret["optional"] is True  # a secret with only some of the keys still works


def test_shared_path_mounts_the_volume(package: Path) -> None:
    ir, platform, _ = export(package, "--volume", "runs-pvc", storage="/mnt/runs")
    for task in GRAPH:
        (mount,) = k8s_config(ir, platform, task)["pvcMount"]
        assert mount["mountPath"] == "/mnt/runs"
        assert mount["pvcNameParameter"]["runtimeValue"]["constant"] == "runs-pvc"
    args = resolved_args(ir, "features", run_id="r1")
    assert args[args.index("--outputs") + 1] == "/mnt/runs/r1/features"


@pytest.fixture(scope="module")
def typed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """A one-stage package with a parameter of every type and every stage option."""
    root = tmp_path_factory.mktemp("kubeflow-typed")
    source = (
        "n = 3\nrate = 0.5\nflag = True\nlabel = 'a b'\nsizes = [1, 2]\n"
        "opts = {'k': 'v'}\nnothing = None"
    )
    options = ["memory:1.5Gi", "gpu:1", "timeout:30m", "retries:2", "cpu:500m"]
    cells = [
        (source, ["parameters"]),
        ("out = (n, rate, flag, label, sizes, opts, nothing)", ["stage:use", *options]),
    ]
    notebook = root / "typed.ipynb"
    notebook.write_text(json.dumps(notebook_dict(cells)))
    pkg = promote(notebook, root / "typed")
    ir, platform, _ = export(pkg, "-p", "sizes=[4, 5]", "-p", "flag=false")
    return pkg, ir, platform


def test_parameters_of_every_type_reach_run_stage(typed: tuple[Path, Any, Any]) -> None:
    from cellops.package.spec import load
    from cellops.run.params import resolve

    pkg, ir, _ = typed
    kinds = {name: p["parameterType"] for name, p in pipeline_inputs(ir).items()}
    # Lists, dicts and None travel as JSON text: the launcher writes strings as they are.
    assert kinds == {
        "n": "NUMBER_INTEGER",
        "rate": "NUMBER_DOUBLE",
        "flag": "BOOLEAN",
        "label": "STRING",
        "sizes": "STRING",
        "opts": "STRING",
        "nothing": "STRING",
    }
    args = resolved_args(ir, "use")
    assignments = [args[i + 1] for i, a in enumerate(args) if a == "-p"]
    assert resolve(load(pkg), assignments) == {
        "n": 3,
        "rate": 0.5,
        "flag": False,
        "label": "a b",
        "sizes": [4, 5],
        "opts": {"k": "v"},
        "nothing": None,
    }


def test_memory_gpu_timeout_and_retries(typed: tuple[Path, Any, Any]) -> None:
    _, ir, platform = typed
    resources = container(ir, "use")["resources"]
    # kfp takes whole quantities only: the same size in a smaller unit.
    assert resources["resourceMemoryRequest"] == resources["resourceMemoryLimit"] == "1536Mi"
    assert resources["resourceCpuRequest"] == "500m"
    accelerator = resources["accelerator"]
    assert (accelerator["resourceType"], accelerator["resourceCount"]) == ("nvidia.com/gpu", "1")
    assert tasks(ir)["use"]["retryPolicy"]["maxRetryCount"] == 2
    # Kubeflow has no task timeout of its own: the pod's activeDeadlineSeconds.
    assert k8s_config(ir, platform, "use")["activeDeadlineSeconds"] == "1800"


def assert_refused(proc: Any, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        (["--storage", "s3://AKIA:secret@bucket/runs"], ["carries credentials", "--secret"]),
        (["--storage", "/mnt/runs"], ["--volume CLAIM"]),
        (["--storage", "s3://bucket/runs", "--namespace", "ml"], ["--namespace", "kfp.Client"]),
        (["--storage", "/mnt/runs", "--volume", "v", "--secret", "s"], ["--secret s", "shared"]),
    ],
    ids=["credentials-in-url", "shared-path-without-volume", "namespace", "secret-for-path"],
)
def test_bad_input_is_refused(package: Path, extra: list[str], needles: list[str]) -> None:
    out = package.parent / "refused.yaml"
    proc = cellops(
        "export", package, "--to", "kubeflow", "--image", IMAGE, "-o", out, *extra,
        cwd=package.parent,
    )  # fmt: skip
    assert_refused(proc, *needles)
    assert not out.exists()
    assert "AKIA" not in proc.stdout + proc.stderr
