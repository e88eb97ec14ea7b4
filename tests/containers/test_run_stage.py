"""`cellops run-stage`: one stage alone, outside any image, with local locations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.containers.helpers import WINE, cellops


@pytest.fixture
def package(tmp_path: Path) -> Path:
    proc = cellops("promote", WINE, "-o", tmp_path / "pkg", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "pkg"


def test_missing_locations_are_reported_before_a_kernel_starts(
    package: Path, tmp_path: Path
) -> None:
    proc = cellops("run-stage", "features", "--package", package, "--outputs", "f", cwd=tmp_path)
    assert proc.returncode == 2
    assert "stage 'features' reads df from stage 'load'" in proc.stderr
    assert "--inputs ROOT" in proc.stderr
    proc = cellops(
        "run-stage", "features", "--package", package, "--inputs", "arts", "--outputs", "f",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "needs the outputs of stage 'load'" in proc.stderr
    assert f"cellops run-stage load --outputs {tmp_path / 'arts' / 'load'}" in proc.stderr
    proc = cellops("run-stage", "load", "--package", package, cwd=tmp_path)
    assert proc.returncode == 2 and "pass --outputs LOCATION" in proc.stderr
    proc = cellops("run-stage", "nope", "--package", package, cwd=tmp_path)
    assert proc.returncode == 2 and "its stages are: load, features" in proc.stderr


@pytest.mark.kernel
def test_stages_run_alone_chain_through_their_locations(package: Path, tmp_path: Path) -> None:
    proc = cellops(
        "run-stage", "load", "--package", package, "--outputs", "arts/load", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "stage load done" in proc.stdout
    load = json.loads((tmp_path / "arts" / "load" / "manifest.json").read_text())
    assert load["stage"] == "load" and load["outputs"]["df"]["type"].endswith("DataFrame")
    # Relative locations mean the caller's directory; explicit STAGE=LOC works too.
    proc = cellops(
        "run-stage", "features", "--package", package, "--inputs", f"load={tmp_path / 'arts/load'}",
        "--outputs", "arts/features", "-p", "test_size=0.5", "--notebook", "features.ipynb",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    features = json.loads((tmp_path / "arts" / "features" / "manifest.json").read_text())
    assert set(features["outputs"]) == {"X_train", "X_test", "y_train", "y_test"}
    executed = json.loads((tmp_path / "features.ipynb").read_text())
    printed = "".join(
        "".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", [])
    )
    assert "(89, 13) (89, 13)" in printed  # test_size=0.5 of 178 rows
