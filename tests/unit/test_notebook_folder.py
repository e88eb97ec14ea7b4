"""The notebook's folder: what the static finder names, what promote carries, where it goes."""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cellops.analysis.paths import escapes, file_refs
from cellops.package import layout
from cellops.package.folder import CarryLimits, find_needed, plan_folder
from cellops.package.promote import promote
from cellops.package.spec import load

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _notebook(folder: Path, *cells: str, name: str = "nb.ipynb") -> Path:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {"tags": [f"stage:s{i}"]},
                "execution_count": None,
                "outputs": [],
                "source": src,
            }
            for i, src in enumerate(cells)
        ],
        "metadata": {"kernelspec": KERNELSPEC},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = folder / name
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _write(folder: Path, files: dict[str, str | bytes]) -> None:
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")


# -- the static finder (pure) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "paths", "patterns"),
    [
        ("df = pd.read_csv('data/train.csv')", {"data/train.csv"}, set()),
        ("x = np.load(Path('data') / 'x.npy')", {"data/x.npy"}, set()),
        ("t = open(os.path.join('in', 'f.txt')).read()", {"in/f.txt"}, set()),
        ("fs = glob.glob('data/*.csv')", set(), {"data/*.csv"}),
        ("fs = sorted(Path('data').glob('*.csv'))", set(), {"data/*.csv"}),
        ("fs = list(Path('d').rglob('*.txt'))", set(), {"d/**/*.txt"}),
        ("%matplotlib inline\nDATA = 'raw.json'", {"raw.json"}, set()),
        ("df = pd.read_csv(f'data/{name}.csv')", set(), {"data/*.csv"}),
        ("label = f'{name}: {value}'", set(), set()),
    ],
)
def test_finder_names_literal_paths_and_glob_patterns(
    code: str, paths: set[str], patterns: set[str]
) -> None:
    refs = file_refs(code)
    assert refs.paths == paths
    assert refs.patterns == patterns


def test_finder_names_imported_top_level_modules_star_imports_too() -> None:
    refs = file_refs("import helpers\nfrom lib.util import scale\nfrom tools import *\nimport os")
    assert refs.modules == {"helpers", "lib", "tools", "os"}


_PART = st.text(
    st.characters(whitelist_categories=("L", "N"), whitelist_characters=" -_.'\"é"),
    min_size=1,
    max_size=10,
)


@given(st.lists(_PART, min_size=1, max_size=4))
def test_finder_spells_each_literal_path_form_the_same(parts: list[str]) -> None:
    joined = "/".join(parts)
    args = ", ".join(repr(p) for p in parts)
    divided = " / ".join([f"Path({parts[0]!r})", *(repr(p) for p in parts[1:])])
    for code in (
        f"df = pd.read_csv({joined!r})",
        f"x = np.load(os.path.join({args}))",
        f"with open({divided}) as fh:\n    fh.read()",
    ):
        refs = file_refs(code)
        # The whole path, no part alone: Path("data") / "x.csv" must not carry all of data/.
        assert refs.paths == {joined}, code
    assert file_refs(f"fs = glob.glob({joined + '/*.csv'!r})").patterns == {joined + "/*.csv"}


_SEGMENT = st.sampled_from(["..", ".", "data", "a b", "ünï", "x.csv", ""])


@given(st.lists(_SEGMENT, min_size=1, max_size=6))
def test_escapes_agrees_with_path_normalisation(parts: list[str]) -> None:
    spelled = "/".join(parts)
    root = "/nb/folder"
    resolved = posixpath.normpath(posixpath.join(root, spelled))
    leaves = resolved != root and not resolved.startswith(root + "/")
    # The folder itself ("." or "a/..") is inside; anything above or beside it is not.
    assert escapes(spelled) == leaves
    assert escapes("/" + spelled)


# -- what promote carries ------------------------------------------------------------------


def test_modules_are_followed_through_their_own_imports_and_data_is_found(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "helpers.py": "from lib.util import scale\nimport json\n",
            "lib/__init__.py": "",
            "lib/util.py": "from . import consts\ndef scale(x):\n    return x\n",
            "lib/consts.py": "K = 2\n",
            "data/train.csv": "x\n1\n",
            "data/a.csv": "x\n2\n",
            "data/notes.txt": "not a csv\n",
            "unused.py": "",
            ".cellops/tracking.db": "",
            "lib/__pycache__/util.cpython-311.pyc": b"\0",
        },
    )
    needed, outside = find_needed(
        tmp_path,
        [
            ("cell 1", "import helpers\ndf = pd.read_csv('data/train.csv')"),
            ("cell 2", "files = glob('data/*.csv')\nother = open('../x.csv')"),
        ],
    )
    assert sorted(needed) == [
        "data/a.csv",
        "data/train.csv",
        "helpers.py",
        "lib/__init__.py",
        "lib/consts.py",
        "lib/util.py",
    ]
    assert needed["lib/util.py"] == "module lib, imported by helpers.py"
    assert outside == {"../x.csv": "cell 2"}


def test_urls_are_neither_carried_nor_reported(tmp_path: Path) -> None:
    code = "df = pd.read_csv('https://example.org/x.csv')\nopen('file:///etc/passwd')"
    assert find_needed(tmp_path, [("cell 1", code)]) == ({}, {})


def test_paths_seen_at_run_time_are_carried_and_outside_ones_reported(tmp_path: Path) -> None:
    _write(tmp_path, {"computed/part-3.csv": "x\n"})
    needed, outside = find_needed(tmp_path, [], seen=["computed/part-3.csv", "../secret"])
    assert needed == {"computed/part-3.csv": "read in a run"}
    assert outside == {"../secret": "a run"}


def test_a_link_out_of_the_folder_is_reported_not_copied(tmp_path: Path) -> None:
    (tmp_path / "outside.csv").write_text("secret\n", encoding="utf-8")
    folder = tmp_path / "nb"
    folder.mkdir()
    os.symlink(tmp_path / "outside.csv", folder / "data.csv")
    plan = plan_folder(folder, [("cell 1", "pd.read_csv('data.csv')")])
    assert plan.contents == {}
    assert plan.outside == (("data.csv", "read by cell 1"),)


def test_files_over_the_limits_are_referenced_modules_first(tmp_path: Path) -> None:
    _write(tmp_path, {"helpers.py": "x = 1\n", "a.bin": b"a" * 300, "b.bin": b"b" * 300})
    code = "import helpers\nopen('a.bin'); open('b.bin')"
    plan = plan_folder(tmp_path, [("cell 1", code)], limits=CarryLimits(500, 400))
    assert [f.path for f in plan.folder.carried] == ["a.bin", "helpers.py"]
    assert [(f.path, f.size) for f in plan.folder.referenced] == [("b.bin", 300)]
    small = plan_folder(tmp_path, [("cell 1", code)], limits=CarryLimits(100, 10_000))
    assert [f.path for f in small.folder.referenced] == ["a.bin", "b.bin"]


_NAME = st.text(
    st.characters(
        whitelist_categories=("L", "N"), whitelist_characters=" -_.é", max_codepoint=0x2FFF
    ),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip(" .") == s and s not in (".", ".."))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_NAME, min_size=1, max_size=3), min_size=1, max_size=4, unique_by=tuple))
def test_carried_files_mirror_their_layout_inside_the_package(paths: list[list[str]]) -> None:
    rels = sorted({"/".join(p) for p in paths})
    # A name that is also another one's folder cannot exist on disk: keep the files only.
    rels = [r for r in rels if not any(o.startswith(r + "/") for o in rels)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(folder, {rel: f"content of {rel}\n" for rel in rels})
        reads = "\n".join(f"open({rel!r}).read()" for rel in rels)
        nb = _notebook(folder, reads)
        result = promote(nb, folder / "pkg")
        work = (result.package / layout.WORKDIR).resolve()
        spec = load(result.package)
        assert [f.path for f in spec.folder.carried] == rels
        for rel in rels:
            copy = (work / rel).resolve()
            assert copy.is_relative_to(work)
            assert copy.read_text(encoding="utf-8") == f"content of {rel}\n"
        assert {p for p in result.files if p.startswith(layout.WORKDIR + "/")} == {
            layout.carried_file(r) for r in rels
        }


def test_repromote_refreshes_carried_files_drops_removed_ones_keeps_the_users(
    tmp_path: Path,
) -> None:
    _write(tmp_path, {"helpers.py": "A = 1\n", "data.csv": "x\n1\n", "old.py": ""})
    nb = _notebook(tmp_path, "import helpers, old\nd = open('data.csv').read()")
    pkg = promote(nb, tmp_path / "pkg").package
    supplied = pkg / layout.WORKDIR / "big" / "input.parquet"
    _write(supplied.parent, {supplied.name: b"user data"})
    (tmp_path / "data.csv").write_text("x\n1000\n", encoding="utf-8")
    (tmp_path / "old.py").unlink()
    first = (pkg / "pipeline.yaml").read_bytes()
    promote(nb, pkg)
    assert (pkg / "files" / "data.csv").read_text(encoding="utf-8") == "x\n1000\n"
    assert not (pkg / "files" / "old.py").exists()
    assert supplied.read_bytes() == b"user data"  # promote did not write it: kept
    assert (pkg / "pipeline.yaml").read_bytes() != first  # the carried file's hash changed


def test_promote_reports_carried_referenced_and_outside_files(tmp_path: Path) -> None:
    _write(tmp_path, {"helpers.py": "", "big.csv": b"x" * 2000, "small.csv": "x\n"})
    (tmp_path.parent / "x.csv").write_text("x\n", encoding="utf-8")
    code = "import helpers\npd.read_csv('big.csv'), pd.read_csv('small.csv')\nopen('../x.csv')"
    nb = _notebook(tmp_path, code)
    result = promote(nb, tmp_path / "pkg", limits=CarryLimits(1000, 10_000))
    text = "\n".join(result.folder)
    assert "2 file(s)" in text and "helpers.py, small.csv" in text, text
    assert f"big.csv (2000 bytes, missing): copy it to {result.package}/files/big.csv" in text
    assert "/pipeline/files/big.csv" in text
    assert "not carried: '../x.csv' (cell 1 (id c0)) is outside the notebook's folder" in text
    assert [f.path for f in load(result.package).folder.referenced] == ["big.csv"]
    assert not (result.package / "files" / "big.csv").exists()


def test_a_package_of_a_notebook_without_folder_needs_is_unchanged(tmp_path: Path) -> None:
    nb = _notebook(tmp_path, "x = 1")
    pkg = promote(nb, tmp_path / "pkg").package
    assert "folder" not in (pkg / "pipeline.yaml").read_text(encoding="utf-8")
    assert not (pkg / layout.WORKDIR).exists()
    assert layout.workdir(pkg, bool(load(pkg).folder)) == pkg


def test_the_image_build_context_holds_the_carried_files(tmp_path: Path) -> None:
    from cellops.image.context import content_hash, copy_package
    from cellops.package.dockerfile import dockerignore

    _write(tmp_path, {"helpers.py": "A = 1\n", "data/train.csv": "x\n1\n", "big.bin": b"b" * 500})
    nb = _notebook(tmp_path, "import helpers\npd.read_csv('data/train.csv')\nopen('big.bin')")
    pkg = promote(nb, tmp_path / "pkg", limits=CarryLimits(100, 1000)).package
    context = tmp_path / "context"
    copy_package(pkg, context)
    assert (context / "files" / "helpers.py").read_text(encoding="utf-8") == "A = 1\n"
    assert (context / "files" / "data" / "train.csv").read_text(encoding="utf-8") == "x\n1\n"
    assert not (context / "files" / "big.bin").exists()  # referenced: not in the package
    assert "files" not in dockerignore()
    before = content_hash(context, "base")

    # A referenced file the user put into the package is baked into the image built then,
    # and the image's tag (the content hash) changes with it.
    (pkg / "files" / "big.bin").write_bytes(b"b" * 500)
    again = tmp_path / "again"
    copy_package(pkg, again)
    assert (again / "files" / "big.bin").stat().st_size == 500
    assert content_hash(again, "base") != before


def test_an_export_names_where_referenced_files_must_be_mounted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cellops.cli import main

    _write(tmp_path, {"big.bin": b"b" * 500, "small.csv": "x\n"})
    nb = _notebook(tmp_path, "open('big.bin').read()\nopen('small.csv').read()")
    pkg = promote(nb, tmp_path / "pkg", limits=CarryLimits(100, 1000)).package
    out = tmp_path / "wf.yaml"
    argv = ["export", str(pkg), "--to", "argo", "--image", "nb:1", "--storage", "/mnt/runs"]
    assert main([*argv, "--volume", "claim", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "mount it into every step at:\n  /pipeline/files/big.bin\n" in printed, printed
    assert "small.csv" not in printed


def test_a_dask_worker_without_the_packages_folder_says_so(tmp_path: Path) -> None:
    from cellops.sweeps.dask import run_on_worker

    missing = str(tmp_path / "not-here" / "files")
    data, error, trace = run_on_worker({}, {}, "python3", None, missing, needs_cwd=True)
    assert data == b"" and error is not None and trace is None
    assert f"this Dask worker has no folder {missing}" in error.evalue


def test_promote_with_a_folder_stays_byte_identical(tmp_path: Path) -> None:
    _write(tmp_path, {"helpers.py": "A = 1\n", "data/b.csv": "x\n", "data/a.csv": "y\n"})
    nb = _notebook(tmp_path, "import helpers\nfs = glob.glob('data/*.csv')")
    first, second = promote(nb, tmp_path / "one").package, promote(nb, tmp_path / "two").package

    def tree(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and ".cellops" not in p.parts
        }

    assert tree(first) == tree(second)
    assert "files/data/a.csv" in tree(first)


TINY = CarryLimits(10, 10)


def _with_big_referenced(folder: Path, code: str) -> tuple[Path, Path]:
    """(notebook, package) where the notebook's big.csv (200 bytes) is over the limits."""
    _write(folder, {"big.csv": "x\n" * 100})
    nb = _notebook(folder, code)
    return nb, promote(nb, folder / "pkg", limits=TINY).package


def test_a_supplied_file_carried_later_is_taken_over_a_different_one_refused(
    tmp_path: Path,
) -> None:
    from cellops.errors import PackageError

    nb, pkg = _with_big_referenced(tmp_path, "open('big.csv').read()")
    _write(pkg / "files", {"big.csv": "x\n" * 100})  # supplied by hand: the same content
    promote(nb, pkg)  # now under the limit: carried, the user's identical copy taken over
    assert [f.path for f in load(pkg).folder.carried] == ["big.csv"]
    promote(nb, pkg, limits=TINY)
    _write(pkg / "files", {"big.csv": "other\n"})
    with pytest.raises(PackageError, match="was not written by cellops promote"):
        promote(nb, pkg)
    assert (pkg / "files" / "big.csv").read_text(encoding="utf-8") == "other\n"


def test_a_supplied_file_survives_a_repromote_that_starts_carrying_beside_it(
    tmp_path: Path,
) -> None:
    nb, pkg = _with_big_referenced(tmp_path, "open('big.csv').read()\nopen('small.csv').read()")
    assert not (pkg / "files").exists()  # nothing carried: files/ is the user's alone
    _write(pkg / "files", {"big.csv": "supplied\n", "mine/notes.txt": "kept\n"})
    _write(tmp_path, {"small.csv": "x\n"})  # now promote carries a file into files/ too
    promote(nb, pkg, limits=TINY)
    assert (pkg / "files" / "small.csv").read_text(encoding="utf-8") == "x\n"
    assert (pkg / "files" / "big.csv").read_text(encoding="utf-8") == "supplied\n"
    assert (pkg / "files" / "mine" / "notes.txt").read_text(encoding="utf-8") == "kept\n"
