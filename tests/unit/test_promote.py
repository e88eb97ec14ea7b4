"""Promote: the package's content (snapshot), determinism and atomic writes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from cellops import fsutil
from cellops.errors import DiagnosticsError, PackageError
from cellops.package import promote as promote_module
from cellops.package.promote import promote
from cellops.package.spec import load

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "wine_fanout.ipynb"
SNAPSHOT = Path(__file__).parent / "snapshots" / "wine_fanout"
# requirements.lock depends on the machine's installed versions and the Dockerfile on its Python
# (the base image); they are checked separately.
SNAPSHOT_FILES = ["pipeline.yaml", "README.md", ".gitignore", ".dockerignore"] + [
    f"stages/{n}.ipynb" for n in ("load", "features", "train_forest", "train_logreg", "compare")
]


def _normalise(text: str) -> str:
    # The version comes from the build; the snapshot should not change with every release.
    return "\n".join(
        "cellops_version: X" if line.startswith("cellops_version:") else line
        for line in text.splitlines()
    )


def test_package_matches_snapshot(tmp_path: Path) -> None:
    result = promote(EXAMPLE, tmp_path / "pkg")
    if os.environ.get("UPDATE_SNAPSHOTS"):
        for rel in SNAPSHOT_FILES:
            dest = SNAPSHOT / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(_normalise((result.package / rel).read_text()) + "\n")
    for rel in SNAPSHOT_FILES:
        got = _normalise((result.package / rel).read_text())
        assert got + "\n" == (SNAPSHOT / rel).read_text(), f"{rel} differs from the snapshot"
    assert sorted(result.files) == sorted([*SNAPSHOT_FILES, "requirements.lock", "Dockerfile"])


def test_stage_notebook_has_parameters_setup_load_and_save_cells(tmp_path: Path) -> None:
    pkg = promote(EXAMPLE, tmp_path / "pkg").package
    nb = json.loads((pkg / "stages" / "train_forest.ipynb").read_text())
    params = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    text = "".join(params["source"])
    assert "n_estimators = 50" in text and "max_depth = 4" in text
    assert "C = " not in text and "test_size" not in text  # only what the stage reads
    ids = [c["id"] for c in nb["cells"]]
    assert (
        ids.index("cellops-load-inputs")
        < ids.index("train_forest-1")
        < ids.index("cellops-save-outputs")
    )
    code = "".join("".join(c["source"]) for c in nb["cells"])
    assert "LogisticRegression" not in code  # setup code the stage does not use is left out
    assert "RandomForestClassifier" in code


def test_requirements_are_pinned_from_this_environment(tmp_path: Path) -> None:
    from importlib.metadata import version

    lock = (promote(EXAMPLE, tmp_path / "pkg").package / "requirements.lock").read_text()
    lines = [line for line in lock.splitlines() if not line.startswith("#")]
    assert f"scikit-learn=={version('scikit-learn')}" in lines
    assert f"pandas=={version('pandas')}" in lines
    assert f"papermill=={version('papermill')}" in lines
    assert any(line.startswith("pyarrow==") for line in lines)  # parquet for DataFrames
    assert lines == sorted(lines)


def test_same_input_gives_byte_identical_output(tmp_path: Path) -> None:
    a = promote(EXAMPLE, tmp_path / "a").package
    b = promote(EXAMPLE, tmp_path / "b").package

    def package_files(root: Path) -> list[Path]:
        # .cellops/ is run state, not the package (promote's file list names its temp dir).
        rels = (p.relative_to(root) for p in root.rglob("*") if p.is_file())
        return sorted(r for r in rels if r.parts[0] != ".cellops")

    files = package_files(a)
    assert files and files == package_files(b)
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_spec_round_trips(tmp_path: Path) -> None:
    result = promote(EXAMPLE, tmp_path / "pkg")
    assert load(result.package) == result.spec


def test_failed_promote_writes_nothing_and_keeps_existing_package(tmp_path: Path) -> None:
    pkg = promote(EXAMPLE, tmp_path / "pkg").package
    (pkg / ".cellops").mkdir(exist_ok=True)  # promote keeps its file list there
    (pkg / ".cellops" / "state").write_text("cache")
    before = {p: p.read_bytes() for p in pkg.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.ipynb"
    nb = json.loads(EXAMPLE.read_text())
    nb["cells"][5]["metadata"]["tags"] = ["stage:load", "after:nowhere"]
    bad.write_text(json.dumps(nb))
    with pytest.raises(DiagnosticsError) as err:
        promote(bad, pkg)
    assert "after:nowhere" in str(err.value)
    assert {p: p.read_bytes() for p in pkg.rglob("*") if p.is_file()} == before
    assert sorted(os.listdir(tmp_path)) == ["bad.ipynb", "pkg"]  # no temp dirs left behind


def test_crash_while_writing_leaves_old_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = promote(EXAMPLE, tmp_path / "pkg").package
    before = {p: p.read_bytes() for p in pkg.rglob("*") if p.is_file()}
    real_rename = os.rename

    def failing_rename(src: str, dst: str) -> None:
        # Moving the new package into place fails, as a full disk or a kill would.
        if str(dst) == str(pkg) and str(src).endswith(".tmp"):
            raise OSError("disk full")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", failing_rename)
    # A file system without an atomic exchange: promote falls back to two renames.
    monkeypatch.setattr(fsutil, "_exchange", lambda a, b: False)
    with pytest.raises(OSError):
        promote(EXAMPLE, pkg)
    monkeypatch.setattr(os, "rename", real_rename)
    assert {p: p.read_bytes() for p in pkg.rglob("*") if p.is_file()} == before
    assert sorted(os.listdir(tmp_path)) == ["pkg"]


def test_repromote_keeps_run_state(tmp_path: Path) -> None:
    pkg = promote(EXAMPLE, tmp_path / "pkg").package
    (pkg / ".cellops" / "cache").mkdir(parents=True)
    (pkg / ".cellops" / "cache" / "entry.json").write_text("{}")
    promote(EXAMPLE, pkg)
    assert (pkg / ".cellops" / "cache" / "entry.json").read_text() == "{}"


def test_refuses_to_replace_a_directory_that_is_not_a_package(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(PackageError, match="refusing to replace"):
        promote(EXAMPLE, target)
    assert (target / "notes.txt").read_text() == "keep me"


def test_kale_notebook_promotes(tmp_path: Path) -> None:
    result = promote(ROOT / "examples" / "iris_kale.ipynb", tmp_path / "kale")
    names = [s.name for s in result.spec.stages]
    assert names == ["load_data", "split", "train_knn", "evaluate", "pipeline_metrics"]
    assert [p.name for p in result.spec.parameters] == ["n_neighbors", "test_size"]


def test_default_output_is_next_to_the_notebook(tmp_path: Path) -> None:
    nb = tmp_path / "analysis.ipynb"
    shutil.copy(EXAMPLE, nb)
    result = promote(nb)
    assert result.package == tmp_path / "analysis-pipeline"
    assert result.spec.name == "analysis"
    assert promote_module.default_output(nb) == result.package
