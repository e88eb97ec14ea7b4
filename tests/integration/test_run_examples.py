"""The two shipped examples, promoted and run end to end through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.runs import (
    IRIS_STAGES,
    WINE_STAGES,
    PackageRun,
    assert_executed,
    cellops_ok,
    copy_package,
    executed_notebook,
    intervals_overlap,
    record,
    stage_output,
    statuses,
)

pytestmark = pytest.mark.kernel


# -- wine_fanout.ipynb -----------------------------------------------------------------------


def test_wine_runs_end_to_end(wine_run: PackageRun) -> None:
    res = wine_run.result
    assert res.returncode == 0, str(res)
    assert "5 ran, 0 cached" in res.stdout
    rec = wine_run.record
    assert rec["status"] == "done"
    assert statuses(rec) == dict.fromkeys(WINE_STAGES, "done")
    assert rec["parameters"] == {
        "test_size": 0.25,
        "seed": 42,
        "n_estimators": 50,
        "max_depth": 4,
        "C": 1.0,
    }
    for stage in WINE_STAGES:
        nb = executed_notebook(wine_run.package, rec, stage)
        assert nb.parent.parent == wine_run.package / ".cellops" / "runs" / rec["run_id"]
        assert_executed(nb)
    # What the examples' README promises with the default parameters.
    assert "random forest accuracy: 1.000" in stage_output(wine_run.package, rec, "train_forest")
    assert "logistic regression accuracy: 0.978" in stage_output(
        wine_run.package, rec, "train_logreg"
    )
    assert "best model: random_forest" in stage_output(wine_run.package, rec, "compare")


def test_wine_stages_run_in_dependency_order_and_training_fans_out(wine_run: PackageRun) -> None:
    rec = wine_run.record
    stages = rec["stages"]

    def end(name: str) -> float:
        return float(stages[name]["started"] + stages[name]["duration"])

    assert stages["features"]["started"] >= end("load")
    for train in ("train_forest", "train_logreg"):
        assert stages[train]["started"] >= end("features")
        assert stages["compare"]["started"] >= end(train)
    # --jobs 2: the two training stages share no data, so they run at the same time.
    assert intervals_overlap(rec, "train_forest", "train_logreg"), {
        n: (stages[n]["started"], stages[n]["duration"]) for n in ("train_forest", "train_logreg")
    }


def test_wine_training_stages_run_one_at_a_time_with_one_job(
    wine_run: PackageRun, tmp_path: Path
) -> None:
    pkg = copy_package(wine_run.package, tmp_path / "wine-pipeline")
    # max_depth is read only by train_forest, C only by train_logreg: both must run again.
    cellops_ok("run", pkg, "-p", "max_depth=3", "-p", "C=0.5", "--jobs", "1", cwd=tmp_path)
    rec = record(pkg)
    assert statuses(rec)["train_forest"] == statuses(rec)["train_logreg"] == "done"
    stages = rec["stages"]
    assert not intervals_overlap(rec, "train_forest", "train_logreg"), {
        n: (stages[n]["started"], stages[n]["duration"]) for n in ("train_forest", "train_logreg")
    }


def test_wine_parameter_change_reruns_only_the_stages_that_read_it(
    wine_run: PackageRun, tmp_path: Path
) -> None:
    pkg = copy_package(wine_run.package, tmp_path / "wine-pipeline")
    res = cellops_ok("run", pkg, "-p", "n_estimators=10", "--jobs", "2", cwd=tmp_path)
    assert "2 ran, 3 cached" in res.stdout
    rec = record(pkg)
    assert rec["run_id"] != wine_run.run_id
    assert rec["parameters"]["n_estimators"] == 10
    # Only train_forest reads n_estimators; compare is downstream of it.
    assert statuses(rec) == {
        "load": "cached",
        "features": "cached",
        "train_forest": "done",
        "train_logreg": "cached",
        "compare": "done",
    }
    assert "random forest accuracy: 0.933" in stage_output(pkg, rec, "train_forest")
    # A cached stage still shows the notebook it was executed in.
    assert "logistic regression accuracy: 0.978" in stage_output(pkg, rec, "train_logreg")
    assert "best model: logistic_regression" in stage_output(pkg, rec, "compare")
    # The parameter reached the stage through papermill.
    forest_nb = executed_notebook(pkg, rec, "train_forest").read_text(encoding="utf-8")
    assert "n_estimators = 10" in forest_nb


# -- iris_kale.ipynb (Kale tags) ---------------------------------------------------------------


def test_iris_kale_runs_end_to_end(iris_run: PackageRun) -> None:
    assert iris_run.result.returncode == 0, str(iris_run.result)
    rec = iris_run.record
    assert rec["status"] == "done"
    assert statuses(rec) == dict.fromkeys(IRIS_STAGES, "done")
    assert rec["parameters"] == {"n_neighbors": 5, "test_size": 0.3}
    for stage in IRIS_STAGES:
        assert_executed(executed_notebook(iris_run.package, rec, stage))
    assert "(150, 5)" in stage_output(iris_run.package, rec, "load_data")
    assert "105 45" in stage_output(iris_run.package, rec, "split")
    evaluate = stage_output(iris_run.package, rec, "evaluate")
    assert "accuracy: 0.978" in evaluate
    assert "predicted" in evaluate  # the confusion matrix of the merged second evaluate cell
    assert "0.9777" in stage_output(iris_run.package, rec, "pipeline_metrics")


def test_iris_kale_parameters_can_be_overridden(iris_run: PackageRun, tmp_path: Path) -> None:
    # Plain papermill cannot override a Kale notebook's pipeline-parameters; cellops can.
    assert iris_run.result.returncode == 0, str(iris_run.result)
    pkg = copy_package(iris_run.package, tmp_path / "iris-pipeline")
    cellops_ok("run", pkg, "-p", "n_neighbors=1", "--jobs", "2", cwd=tmp_path)
    rec = record(pkg)
    assert rec["parameters"]["n_neighbors"] == 1
    st = statuses(rec)
    assert st["load_data"] == st["split"] == "cached"
    assert st["train_knn"] == "done"
    knn_nb = executed_notebook(pkg, rec, "train_knn").read_text(encoding="utf-8")
    assert "n_neighbors = 1" in knn_nb
    accuracy = stage_output(pkg, rec, "evaluate")
    assert "accuracy: " in accuracy and "accuracy: 0.978" not in accuracy
