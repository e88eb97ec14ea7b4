"""Every bad input: one clear message, exit code 2, nothing written. Real CLI processes."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.clirun import cellops

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "wine_fanout.ipynb"


def assert_bad_input(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


def promote_fails(tmp_path: Path, nb: Path, *needles: str) -> None:
    out = tmp_path / "pkg"
    proc = cellops("promote", nb, "-o", out, cwd=tmp_path)
    assert_bad_input(proc, *needles)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pkg")]  # no temp dirs


def test_malformed_json(tmp_path: Path) -> None:
    nb = tmp_path / "broken.ipynb"
    nb.write_text('{"cells": [ {"cell_type": "code",')
    promote_fails(tmp_path, nb, "broken.ipynb", "not valid notebook JSON", "line 1")


def test_notebook_format_2(tmp_path: Path) -> None:
    nb = tmp_path / "old.ipynb"
    nb.write_text(
        json.dumps({"nbformat": 2, "nbformat_minor": 0, "worksheets": [], "metadata": {}})
    )
    promote_fails(tmp_path, nb, "format 2", "jupyter nbconvert --to notebook --nbformat 4")


def test_file_that_is_not_a_notebook(tmp_path: Path) -> None:
    nb = tmp_path / "data.json"
    nb.write_text(json.dumps({"rows": [1, 2, 3]}))
    promote_fails(tmp_path, nb, "not a Jupyter notebook")


def test_missing_notebook(tmp_path: Path) -> None:
    promote_fails(tmp_path, tmp_path / "nope.ipynb", "nope.ipynb", "no such file")


def test_cycle(tmp_path: Path, write_notebook: Callable[..., Path]) -> None:
    nb = write_notebook([("a = 1", ["stage:one", "after:two"]), ("b = a", ["stage:two"])])
    promote_fails(tmp_path, nb, "cycle", "one -> two -> one", "cell 1 (id c0)")


def test_unknown_after_target(tmp_path: Path, write_notebook: Callable[..., Path]) -> None:
    nb = write_notebook([("a = 1", ["stage:load"]), ("b = a", ["stage:train", "after:lod"])])
    promote_fails(tmp_path, nb, "after:lod names no stage", "did you mean 'load'", "cell 2 (id c1)")


def test_unknown_tag(tmp_path: Path, write_notebook: Callable[..., Path]) -> None:
    nb = write_notebook([("a = 1", ["stgae:load"])])
    promote_fails(tmp_path, nb, "unknown tag 'stgae:load'", "cell 1 (id c0)")


def test_every_error_is_listed_at_once(tmp_path: Path, write_notebook: Callable[..., Path]) -> None:
    nb = write_notebook(
        [("n = input()", ["parameters"]), ("a = n", ["stage:a"]), ("b = 1", ["stage:a"])]
    )
    promote_fails(tmp_path, nb, "2 problem(s)", "not a literal", "already started")


@pytest.fixture
def package(tmp_path: Path) -> Path:
    proc = cellops("promote", EXAMPLE, "-o", tmp_path / "pkg", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "pkg"


def _runs(pkg: Path) -> list[str]:
    runs = pkg / ".cellops" / "runs"
    return sorted(os.listdir(runs)) if runs.exists() else []


def test_unknown_parameter(package: Path) -> None:
    proc = cellops("run", package, "-p", "n_trees=3", cwd=package.parent)
    assert_bad_input(proc, "unknown parameter 'n_trees'", "n_estimators (int, default 50)")
    assert _runs(package) == []


def test_parameter_of_the_wrong_type(package: Path) -> None:
    proc = cellops("run", package, "-p", "n_estimators=many", cwd=package.parent)
    assert_bad_input(proc, "parameter 'n_estimators' expects int", "'many'")
    assert _runs(package) == []


def test_parameter_without_value(package: Path) -> None:
    proc = cellops("run", package, "-p", "n_estimators", cwd=package.parent)
    assert_bad_input(proc, "-p NAME=VALUE")


def test_missing_package_directory(tmp_path: Path) -> None:
    proc = cellops("run", tmp_path / "nowhere", cwd=tmp_path)
    assert_bad_input(proc, "nowhere", "cellops promote")
    assert not (tmp_path / "nowhere").exists()


def test_directory_that_is_not_a_package(tmp_path: Path) -> None:
    proc = cellops("run", tmp_path, cwd=tmp_path)
    assert_bad_input(proc, "pipeline.yaml", "not a pipeline package")


def test_resume_without_an_earlier_run(package: Path) -> None:
    proc = cellops("run", package, "--resume", cwd=package.parent)
    assert_bad_input(proc, "no earlier run to resume")


def test_help_and_version(tmp_path: Path) -> None:
    proc = cellops("--help", cwd=tmp_path)
    assert proc.returncode == 0 and "promote" in proc.stdout and "run" in proc.stdout
    proc = cellops("--version", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip()


def test_check_reports_stages_without_writing(tmp_path: Path) -> None:
    proc = cellops("check", EXAMPLE, cwd=tmp_path)
    assert proc.returncode == 0
    assert "stage train_logreg" in proc.stdout and "after features" in proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_export_mlflow_of_a_file_that_is_no_database(tmp_path: Path) -> None:
    db = tmp_path / "tracking.db"
    db.write_text("not a database")
    proc = cellops("export-mlflow", "--db", db, cwd=tmp_path)
    assert_bad_input(proc, "not a usable tracking database", "move it away")
