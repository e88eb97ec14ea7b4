"""Property tests: whatever the names, values, tags and URLs, every generated file parses with
its own parser, has exactly the expected structure and gives the values back.

No kernel runs here; each test is bounded (max_examples) so the module takes well under two
minutes on two cores.
"""

from __future__ import annotations

import ast
import json
import keyword
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cellops.ci import CiOptions, workflow
from cellops.errors import CellopsError
from cellops.export import airflow, argo
from cellops.export.plan import ExportOptions, ExportPlan, make_plan
from cellops.package.dockerfile import dockerfile, static_labels
from cellops.package.spec import NAME_PATTERN, Parameter, PipelineSpec, StageSpec, dumps, from_dict
from cellops.templating import render
from tests.generated import commented_command, dockerfile_instructions

BOUNDED = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
names = st.from_regex(NAME_PATTERN.pattern.strip("^$"), fullmatch=True)
identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n)
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
_TYPES = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}


def _type(value: Any) -> str:
    return "none" if value is None else _TYPES[type(value)]


def make_spec(name: str, notebook: str, params: dict[str, Any], stages: list[str]) -> PipelineSpec:
    parameters = tuple(Parameter(k, _type(v), v) for k, v in params.items())
    specs = tuple(
        StageSpec(
            name=s,
            notebook=f"stages/{s}.ipynb",
            cells=(f"c{i}",),
            parameters=tuple(params),
            inputs={},
            after=tuple(stages[:i]),
        )
        for i, s in enumerate(stages)
    )
    return PipelineSpec(name, notebook, "0" * 64, "python3", parameters, specs, (), "1.0")


specs = st.builds(
    make_spec,
    names,
    st.text(min_size=1),
    st.dictionaries(identifiers, values, max_size=3),
    st.lists(names, min_size=1, max_size=3, unique=True),
)


@BOUNDED
@given(specs)
def test_pipeline_yaml_round_trips(spec: PipelineSpec) -> None:
    text = dumps(spec)
    assert all(line.startswith("#") for line in text.splitlines()[:2])
    assert from_dict(yaml.safe_load(text)) == spec


def _comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


@BOUNDED
@given(specs, st.text() | st.from_regex(r"[a-z][a-z0-9.:/-]{0,20}", fullmatch=True))
def test_dockerfile_has_the_same_instructions_and_its_labels_decode(
    spec: PipelineSpec, base: str
) -> None:
    reference = dockerfile(make_spec("p", "n", {}, ["s"]), "b")
    want = [k for k, _ in dockerfile_instructions(reference)]
    try:
        text = dockerfile(spec, base)
    except CellopsError:
        assert not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]*", base)
        return
    got = dockerfile_instructions(text)
    assert [k for k, _ in got] == want
    # No user text in comments: they are the same fixed text for every spec (a substring test
    # trips over fixed words: a notebook named "p/pi" is in "pip/pip.conf").
    assert _comments(text) == _comments(reference)
    label = next(args for k, args in got if k == "LABEL")
    pairs = re.findall(r'(\S+?)=("(?:[^"\\]|\\.)*")', label)
    assert {k: json.loads(v.replace("\\$", "$")) for k, v in pairs} == static_labels(spec)
    arg = next(args for k, args in got if k == "ARG" and args.startswith("BASE_IMAGE="))
    assert arg.removeprefix("BASE_IMAGE=") == base


@BOUNDED
@given(specs)
def test_stage_parameters_cell_assigns_each_default_exactly(spec: PipelineSpec) -> None:
    code = render("stage/parameters.py.j2", parameters=spec.parameters, inputs=False, outputs=False)
    tree = ast.parse(code)
    assigned = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1
        target = node.targets[0]
        assert isinstance(target, ast.Name)
        assigned[target.id] = ast.literal_eval(node.value)
    assert assigned == {p.name: p.default for p in spec.parameters}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pkg")
    (root / "requirements.lock").write_text("# (Python 3.11.7)\ns3fs==2024.1.0\n")
    return root


storages = st.one_of(
    st.text().map(lambda t: "/" + t),
    st.text().map(lambda t: "s3://bucket/" + t),
    st.text(),
)


def _plan(spec: PipelineSpec, package: Path, options: ExportOptions) -> ExportPlan | None:
    """The export's plan, or None when the options are refused (with a message)."""
    try:
        return make_plan(spec, package, options)
    except CellopsError:
        return None


@BOUNDED
@given(spec=specs, storage=storages)
def test_argo_and_airflow_exports_have_exactly_their_structure(
    package: Path, spec: PipelineSpec, storage: str
) -> None:
    plan = _plan(spec, package, ExportOptions("argo", "i:1", storage, volume="v"))
    if plan is not None:
        _check_argo(plan, spec)
    plan = _plan(spec, package, ExportOptions("airflow", "i:1", storage, operator="docker"))
    if plan is not None:
        _check_airflow(plan, spec)


def _check_argo(plan: ExportPlan, spec: PipelineSpec) -> None:
    data = yaml.safe_load(argo.render(plan))
    assert data == argo.manifest(plan)
    assert set(data) == {"apiVersion", "kind", "metadata", "spec"}
    templates = [t["name"] for t in data["spec"]["templates"]]
    assert templates == [*(f"stage-{s.name}" for s in plan.steps), "pipeline", "main"]
    root = data["spec"]["templates"][-1]["dag"]["tasks"][0]["arguments"]["parameters"][0]
    assert root["value"] == f"{plan.storage.url}/{{{{workflow.name}}}}"
    arguments = data["spec"].get("arguments", {}).get("parameters", [])
    assert [a["name"] for a in arguments] == [p.name for p in spec.parameters]


def _check_airflow(plan: ExportPlan, spec: PipelineSpec) -> None:
    text = airflow.render(plan)
    header, _, _ = text.partition("from __future__ import annotations\n")
    assert all(line.startswith("#") for line in header.strip().splitlines())
    tree = ast.parse(text)
    dag = next(n for n in tree.body if isinstance(n, ast.With))
    call = dag.items[0].context_expr
    assert isinstance(call, ast.Call)
    params = next(k.value for k in call.keywords if k.arg == "params")
    assert isinstance(params, ast.Dict)
    got = {}
    for key, value in zip(params.keys, params.values, strict=True):
        assert isinstance(key, ast.Constant) and isinstance(value, ast.Call)
        got[key.value] = ast.literal_eval(value.args[0])
    assert got == {p.name: p.default for p in spec.parameters}
    tasks = [n for n in dag.body if isinstance(n, ast.Assign)]
    assert len(tasks) == len(spec.stages)
    words = commented_command(header, "airflow dags trigger")
    if words is not None:
        first = spec.parameters[0]
        assert json.loads(words[-1]) == {first.name: first.default}


@pytest.fixture(scope="module")
def ci_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ci")
    spec = make_spec("p", "n.ipynb", {"s": "x"}, ["a", "b"])
    (root / "pipeline.yaml").write_text(dumps(spec))
    (root / "requirements.lock").write_text("# (Python 3.11.7)\n")
    return root


GITHUB_STEPS = [
    "Check out", "Set up Python", "Install cellops", "Build the image",
    "Smoke test (the whole pipeline, small parameters)", "Push (main branch only)",
]  # fmt: skip


@BOUNDED
@given(value=st.text(), provider=st.sampled_from(["github", "gitlab"]))
def test_ci_workflows_keep_their_structure_and_quote_smoke_values(
    ci_package: Path, value: str, provider: str
) -> None:
    options = CiOptions(provider=provider, params=(f"s={value}",))
    try:
        _, text = workflow(ci_package, options)
    except CellopsError as exc:
        assert provider == "github" and "${{" in value, exc
        return
    data = yaml.safe_load(text)
    if provider == "github":
        assert set(data) == {"name", "on", "permissions", "jobs"}
        steps = data["jobs"]["image"]["steps"]
        assert [s["name"] for s in steps] == GITHUB_STEPS
        smoke = steps[4]["run"]
    else:
        assert list(data) == ["cellops-p"]
        smoke = data["cellops-p"]["script"][2]
    assert shlex.split(smoke) == ["docker", "run", "--rm", "$LOCAL_IMAGE", "-p", f"s={value}"]


@settings(BOUNDED, max_examples=4)  # kfp compiles in about a second
@given(spec=specs)
def test_kubeflow_pipeline_has_its_keys_and_gives_string_defaults_back(
    package: Path, spec: PipelineSpec
) -> None:
    from cellops.export import kubeflow

    options = ExportOptions(engine="kubeflow", image="i:1", storage="/shared", volume="v")
    plan = make_plan(spec, package, options)
    try:
        text = kubeflow.render(plan)
        assert all(p.name[0].isalpha() for p in spec.parameters)
    except CellopsError:
        return  # kfp refused a value: said so, nothing written
    assert all(line.startswith("#") for line in text.split("\n", 2)[:2])
    docs = list(yaml.safe_load_all(text))
    assert set(docs[0]) == {
        "components", "deploymentSpec", "pipelineInfo", "root", "schemaVersion", "sdkVersion"
    }  # fmt: skip
    defaults = docs[0]["root"].get("inputDefinitions", {}).get("parameters", {})
    for p in spec.parameters:
        if p.type == "str":
            assert defaults[p.name]["defaultValue"] == p.default
