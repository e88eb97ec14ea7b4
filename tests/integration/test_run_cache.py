"""The stage cache and the values that travel between stages, through real runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.runs import (
    WINE_STAGES,
    PackageRun,
    artifact_path,
    cell,
    cell_source,
    cellops,
    cellops_ok,
    copy_package,
    edit_cell,
    executed_notebook,
    make_notebook,
    promote,
    ran,
    record,
    sha256_of,
    shared_run,
    stage_output,
    statuses,
)

pytestmark = pytest.mark.kernel
SMALL_STAGES = ("make", "scale", "report")


def small_notebook(directory: Path) -> Path:
    """Three quick stages (standard library only): make -> scale -> report; scale is
    tagged cache:off."""
    return make_notebook(
        directory / "small.ipynb",
        [
            cell("k = 2", "parameters"),
            cell("# the numbers to work on\nnumbers = list(range(5))", "stage:make"),
            cell("scaled = [k * v for v in numbers]", "stage:scale", "cache:off"),
            cell("total = sum(scaled)\nprint(f'total: {total}')", "stage:report"),
        ],
    )


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> PackageRun:
    return shared_run(tmp_path_factory, "small", small_notebook)


# -- on the wine example -----------------------------------------------------------------------


def test_wine_second_run_is_fully_cached(wine_run: PackageRun, tmp_path: Path) -> None:
    assert wine_run.result.returncode == 0, str(wine_run.result)
    pkg = copy_package(wine_run.package, tmp_path / "wine-pipeline")
    res = cellops_ok("run", pkg, cwd=tmp_path)
    assert "0 ran, 5 cached" in res.stdout
    rec = record(pkg)
    assert rec["run_id"] != wine_run.run_id
    assert rec["status"] == "done"
    assert statuses(rec) == dict.fromkeys(WINE_STAGES, "cached")
    assert all(s["cache_hit"] for s in rec["stages"].values())
    # The cached stages point at the notebooks they were executed in.
    assert "best model: random_forest" in stage_output(pkg, rec, "compare")
    # Same outputs as the run that computed them.
    first = wine_run.record
    for stage in WINE_STAGES:
        assert rec["stages"][stage]["outputs"] == first["stages"][stage]["outputs"]


def test_wine_comment_only_edit_runs_no_stage(wine_run: PackageRun, tmp_path: Path) -> None:
    assert wine_run.result.returncode == 0, str(wine_run.result)
    pkg = copy_package(wine_run.package, tmp_path / "wine-pipeline")
    notebook = tmp_path / "wine_fanout.ipynb"
    old = cell_source(wine_run.notebook, "train_forest-1")
    fit = "forest.fit(X_train, y_train)"
    assert fit in old
    # A new comment line, blank lines and a trailing comment on a code line.
    new = "# An explanation added later.\n\n" + old.replace(fit, fit + "  # scaled split") + "\n\n"
    edit_cell(wine_run.notebook, "train_forest-1", new, dest=notebook)
    promote(notebook, pkg)
    stage_nb = (pkg / "stages" / "train_forest.ipynb").read_text(encoding="utf-8")
    assert "An explanation added later." in stage_nb  # the edit did reach the package

    res = cellops_ok("run", pkg, cwd=tmp_path)
    rec = record(pkg)
    assert ran(rec) == set(), str(res)
    assert statuses(rec) == dict.fromkeys(WINE_STAGES, "cached")
    assert "0 ran, 5 cached" in res.stdout


def test_wine_editing_the_last_stage_runs_only_that_stage(
    wine_run: PackageRun, tmp_path: Path
) -> None:
    assert wine_run.result.returncode == 0, str(wine_run.result)
    pkg = copy_package(wine_run.package, tmp_path / "wine-pipeline")
    notebook = tmp_path / "wine_fanout.ipynb"
    old = cell_source(wine_run.notebook, "compare-2")
    assert 'print(f"best model: {best_model}")' in old
    edit_cell(
        wine_run.notebook,
        "compare-2",
        old.replace('print(f"best model: {best_model}")', 'print(f"the winner is {best_model}")'),
        dest=notebook,
    )
    promote(notebook, pkg)

    res = cellops_ok("run", pkg, "--jobs", "2", cwd=tmp_path)
    rec = record(pkg)
    assert ran(rec) == {"compare"}, str(res)
    assert {s for s, v in statuses(rec).items() if v == "cached"} == set(WINE_STAGES) - {"compare"}
    assert "1 ran, 4 cached" in res.stdout
    assert "the winner is random_forest" in stage_output(pkg, rec, "compare")


# -- on a small pipeline -------------------------------------------------------------------------


def test_small_cache_off_stage_always_runs(small_run: PackageRun, tmp_path: Path) -> None:
    assert small_run.result.returncode == 0, str(small_run.result)
    assert statuses(small_run.record) == dict.fromkeys(SMALL_STAGES, "done")
    pkg = copy_package(small_run.package, tmp_path / "small-pipeline")

    res = cellops_ok("run", pkg, "--jobs", "2", cwd=tmp_path)
    rec = record(pkg)
    # scale ran again; its output did not change, so report (downstream) is still cached.
    assert statuses(rec) == {"make": "cached", "scale": "done", "report": "cached"}, str(res)
    assert "1 ran, 2 cached" in res.stdout
    assert "total: 20" in stage_output(pkg, rec, "report")


def test_small_no_cache_runs_every_stage(small_run: PackageRun, tmp_path: Path) -> None:
    assert small_run.result.returncode == 0, str(small_run.result)
    pkg = copy_package(small_run.package, tmp_path / "small-pipeline")
    res = cellops_ok("run", pkg, "--no-cache", "--jobs", "2", cwd=tmp_path)
    rec = record(pkg)
    assert statuses(rec) == dict.fromkeys(SMALL_STAGES, "done"), str(res)
    assert not any(s["cache_hit"] for s in rec["stages"].values())
    assert "3 ran, 0 cached" in res.stdout
    assert "total: 20" in stage_output(pkg, rec, "report")


# -- values between stages ---------------------------------------------------------------------


VALUES_MAKE = """\
frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "n": [1, 2, 3]})
grid = np.arange(6, dtype=np.int32).reshape(2, 3)
model = LinearRegression().fit(frame[["x"]], [2.0, 4.0, 6.0])
info = {"name": "demo", "sizes": [1, 2, 3], "nested": {"ok": True, "none": None}}
pair = (1, "two", 3.0)
"""

VALUES_CHECK = """\
assert type(frame) is pd.DataFrame, type(frame)
assert frame.to_dict("list") == {"x": [1.0, 2.0, 3.0], "n": [1, 2, 3]}, frame
assert list(frame.dtypes) == [np.dtype("float64"), np.dtype("int64")], frame.dtypes
assert type(grid) is np.ndarray and grid.dtype == np.int32, (type(grid), grid.dtype)
assert grid.tolist() == [[0, 1, 2], [3, 4, 5]], grid
assert type(model) is LinearRegression, type(model)
prediction = float(model.predict(pd.DataFrame({"x": [10.0]}))[0])
assert abs(prediction - 20.0) < 1e-9, prediction
assert info == {"name": "demo", "sizes": [1, 2, 3], "nested": {"ok": True, "none": None}}, info
assert type(pair) is tuple and pair == (1, "two", 3.0), pair
print("all values arrived intact")
"""


def test_values_pass_between_stages_as_content_addressed_artifacts(tmp_path: Path) -> None:
    notebook = make_notebook(
        tmp_path / "values.ipynb",
        [
            cell(
                "import numpy as np\nimport pandas as pd\n"
                "from sklearn.linear_model import LinearRegression",
                "setup",
            ),
            cell(VALUES_MAKE, "stage:make"),
            cell(VALUES_CHECK, "stage:check"),
        ],
    )
    pkg = tmp_path / "values-pipeline"
    promote(notebook, pkg)
    res = cellops("run", pkg, "--jobs", "1", cwd=tmp_path)
    rec = record(pkg)
    assert res.returncode == 0, str(res) + "\n" + stage_output(pkg, rec, "check")
    assert statuses(rec) == {"make": "done", "check": "done"}
    assert "all values arrived intact" in stage_output(pkg, rec, "check")

    outputs = rec["stages"]["make"]["outputs"]
    # The formats the README promises: Arrow IPC, .npy, joblib, JSON, pickle for the rest.
    assert {name: o["ext"] for name, o in outputs.items()} == {
        "frame": "arrow",
        "grid": "npy",
        "model": "joblib",
        "info": "json",
        "pair": "pkl",
    }
    # Content-addressed: each artifact is stored under the sha256 of its bytes.
    for name, o in outputs.items():
        path = artifact_path(pkg, o["sha256"], o["ext"])
        assert path.is_file(), f"{name}: no artifact at {path}"
        assert sha256_of(path) == o["sha256"], name
    # The downstream stage read exactly those artifacts.
    assert rec["stages"]["check"]["inputs"] == {n: o["sha256"] for n, o in outputs.items()}
    assert executed_notebook(pkg, rec, "check").is_file()
