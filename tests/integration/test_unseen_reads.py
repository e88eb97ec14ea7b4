"""Reads that bypass Python's ``open`` still count: a cached stage is never stale.

pyarrow opens files in C++ (``pd.read_parquet``, ``pyarrow.parquet.read_table``, a dataset
folder), so the audit hook sees nothing. The stage's cache entry still covers what its code
names: literal paths, folders and glob patterns, and the values of the string parameters it
reads. sqlite3 raises its own audit event. Each test edits one file the way a user would and
checks that exactly its reader ran again, with the same result as ``--no-cache``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.integration.runs import (
    cell,
    cellops_ok,
    copy_package,
    make_notebook,
    promote,
    ran,
    record,
    stage_output,
)

STAGES = {"frame", "table", "folder", "db", "other"}


def _write_frame(path: Path, values: list[int]) -> None:
    pd.DataFrame({"v": values}).to_parquet(path)


def _write_db(path: Path, values: list[int]) -> None:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as con:
        con.execute("create table t (v integer)")
        con.executemany("insert into t values (?)", [(v,) for v in values])
    con.close()


def _build(root: Path) -> Path:
    _write_frame(root / "frame.parquet", [1, 2, 3])
    _write_frame(root / "param.parquet", [10, 20])
    (root / "parts").mkdir()
    _write_frame(root / "parts" / "a.parquet", [100])
    _write_frame(root / "parts" / "b.parquet", [200])
    _write_db(root / "values.db", [7, 8])
    notebook = make_notebook(
        root / "unseen.ipynb",
        [
            cell("source = 'param.parquet'", "parameters"),
            cell(
                "import pandas as pd\n"
                "print('FRAME', int(pd.read_parquet('frame.parquet').v.sum()))",
                "stage:frame",
            ),
            cell(
                "import pyarrow.parquet as pq\n"
                "print('TABLE', sum(pq.read_table(source).column('v').to_pylist()))",
                "stage:table",
            ),
            cell(
                "import pyarrow.dataset as ds\n"
                "print('FOLDER', sum(ds.dataset('parts').to_table().column('v').to_pylist()))",
                "stage:folder",
            ),
            cell(
                "import sqlite3\n"
                "con = sqlite3.connect('values.db')\n"
                "print('DB', con.execute('select sum(v) from t').fetchone()[0])\n"
                "con.close()",
                "stage:db",
            ),
            cell("print('OTHER', 1)", "stage:other"),
        ],
    )
    package = root / "pkg"
    promote(notebook, package)
    cellops_ok("run", package, cwd=root)
    return package


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("unseen"))


def _printed(package: Path) -> dict[str, int]:
    rec = record(package)
    found = {}
    for stage, label in (
        ("frame", "FRAME"),
        ("table", "TABLE"),
        ("folder", "FOLDER"),
        ("db", "DB"),
    ):
        match = re.search(rf"{label} (-?\d+)", stage_output(package, rec, stage))
        assert match, stage_output(package, rec, stage)
        found[stage] = int(match.group(1))
    return found


# (edit in the package's copy of the notebook's folder, stages that must run, printed after)
CASES: dict[str, tuple[Callable[[Path], None], set[str], dict[str, int]]] = {
    "parquet read by pandas": (
        lambda files: _write_frame(files / "frame.parquet", [1, 2, 3, 4]),
        {"frame"},
        {"frame": 10},
    ),
    "parquet named by a parameter": (
        lambda files: _write_frame(files / "param.parquet", [10, 20, 30]),
        {"table"},
        {"table": 60},
    ),
    "file of a dataset folder": (
        lambda files: _write_frame(files / "parts" / "b.parquet", [300]),
        {"folder"},
        {"folder": 400},
    ),
    "file added to a dataset folder": (
        lambda files: _write_frame(files / "parts" / "c.parquet", [5]),
        {"folder"},
        {"folder": 305},
    ),
    "sqlite database": (lambda files: _write_db(files / "values.db", [1]), {"db"}, {"db": 1}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_file_read_outside_python_reruns_its_reader(
    base: Path, tmp_path: Path, case: str
) -> None:
    edit, expected, values = CASES[case]
    package = copy_package(base, tmp_path / "pkg")
    before = _printed(package)
    edit(package / "files")
    cellops_ok("run", package, cwd=tmp_path)
    assert ran(record(package)) == expected
    cached = _printed(package)
    assert cached == before | values
    cellops_ok("run", package, "--no-cache", cwd=tmp_path)
    assert _printed(package) == cached


def test_an_unchanged_folder_reruns_nothing(base: Path, tmp_path: Path) -> None:
    package = copy_package(base, tmp_path / "pkg")
    cellops_ok("run", package, cwd=tmp_path)
    assert ran(record(package)) == set()


def test_the_record_lists_the_files_the_code_names(base: Path) -> None:
    stages = record(base)["stages"]
    assert set(stages["frame"]["reads"]["files"]) == {"files/frame.parquet"}
    assert set(stages["table"]["reads"]["files"]) == {"files/param.parquet"}
    assert set(stages["folder"]["reads"]["files"]) == {
        "files/parts/a.parquet",
        "files/parts/b.parquet",
    }
    assert set(stages["folder"]["reads"]["listings"]) == {"files/parts"}
    assert set(stages["db"]["reads"]["files"]) == {"files/values.db"}
