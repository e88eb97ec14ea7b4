"""Sweeps are checked against the pipeline's typed parameters before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cellops.errors import ParameterError
from cellops.package.spec import Parameter, PipelineSpec
from cellops.sweeps.grid import plan_sweep, split_values
from tests.batch.conftest import cellops, write_sweep_notebook


def _spec(*params: Parameter) -> PipelineSpec:
    return PipelineSpec("p", "nb.ipynb", "", "python3", params, (), (), "0")


SPEC = _spec(
    Parameter("depth", "int", 4),
    Parameter("rate", "float", 0.5),
    Parameter("name", "str", "x"),
    Parameter("layers", "list", [1]),
)


def test_grid_is_the_product_of_typed_values_over_the_defaults() -> None:
    plan = plan_sweep(SPEC, grid=["depth=2,4", "name=a,b"], fixed=["rate=0.1"])
    assert plan.swept == ("rate", "depth", "name")
    assert [(r["depth"], r["name"], r["rate"]) for r in plan.runs] == [
        (2, "a", 0.1),
        (2, "b", 0.1),
        (4, "a", 0.1),
        (4, "b", 0.1),
    ]
    assert plan.runs[0]["layers"] == [1]


def test_list_values_keep_their_commas() -> None:
    assert split_values("[1,2],[3], '4,5'") == ["[1,2]", "[3]", "'4,5'"]
    plan = plan_sweep(SPEC, grid=["layers=[1,2],[3]"])
    assert [r["layers"] for r in plan.runs] == [[1, 2], [3]]


def test_python_grid_takes_typed_values_and_ints_for_floats() -> None:
    plan = plan_sweep(SPEC, grid={"rate": [1, 0.25]}, runs=[{"depth": 3}, {"depth": 5}])
    assert [(r["depth"], r["rate"]) for r in plan.runs] == [
        (3, 1.0),
        (3, 0.25),
        (5, 1.0),
        (5, 0.25),
    ]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"grid": ["deep=1,2"]}, "unknown parameter 'deep'"),
        ({"grid": ["depth=1,two"]}, "'depth' expects int"),
        ({"grid": {"depth": [True]}}, "'depth' expects int"),
        ({"grid": ["depth="]}, "--grid depth has no values"),
        ({"grid": {"depth": []}}, "the grid of 'depth' is empty"),
        ({"grid": ["depth=1", "depth=2"]}, "given twice"),
        ({}, "the sweep is empty"),
        ({"runs": [{"rate": "fast"}]}, "'rate' expects float"),
    ],
)
def test_bad_sweeps_name_the_parameter(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(ParameterError, match=needle):
        plan_sweep(SPEC, **kwargs)  # type: ignore[arg-type]


def test_params_files_in_yaml_and_csv(tmp_path: Path) -> None:
    yaml_file = tmp_path / "sweep.yaml"
    yaml_file.write_text("grid:\n  depth: [2, 8]\nruns:\n  - {name: a}\n  - {name: b, rate: 1}\n")
    plan = plan_sweep(SPEC, params_file=yaml_file)
    assert [(r["name"], r["rate"], r["depth"]) for r in plan.runs] == [
        ("a", 0.5, 2),
        ("a", 0.5, 8),
        ("b", 1.0, 2),
        ("b", 1.0, 8),
    ]
    csv_file = tmp_path / "sweep.csv"
    csv_file.write_text("depth,rate\n3,0.1\n4,\n")
    plan = plan_sweep(SPEC, params_file=csv_file)
    assert [(r["depth"], r["rate"]) for r in plan.runs] == [(3, 0.1), (4, 0.5)]
    csv_file.write_text("depth,speed\n3,1\n")
    with pytest.raises(ParameterError, match="unknown parameter 'speed'"):
        plan_sweep(SPEC, params_file=csv_file)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--grid", "c=1,2"], "unknown parameter 'c'"),
        (["--grid", "a=1,x"], "parameter 'a' expects int"),
        (["--grid", "a="], "--grid a has no values"),
        ([], "the sweep is empty"),
    ],
)
def test_cli_rejects_bad_grids_before_anything_runs(
    tmp_path: Path, args: list[str], needle: str
) -> None:
    nb = write_sweep_notebook(tmp_path / "nb.ipynb", "print(a, b)")
    result = cellops("batch", nb, *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    package = tmp_path / ".cellops" / "batch" / "nb-pipeline"
    assert not (package / ".cellops" / "batches").exists()
    assert not (package / ".cellops" / "runs").exists()


def test_cli_rejects_a_notebook_without_parameters(tmp_path: Path) -> None:
    nb = write_sweep_notebook(tmp_path / "nb.ipynb", "print(1)", parameters="x = 1")
    nb.write_text(nb.read_text().replace('"parameters"', '"other"'))
    result = cellops("batch", nb, "--grid", "x=1,2", cwd=tmp_path)
    assert result.returncode == 2
    assert "has no parameters to sweep" in result.stderr
