"""check warns when a stage reads outside Python from a path the cache cannot follow."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cellops.analysis.readers import path_use
from cellops.notebook.read import parse_notebook
from cellops.package.promote import analyse
from tests.nbfactory import CellSpec, notebook_dict

READERS = ["pd.read_parquet", "pq.read_table", "ds.dataset", "h5py.File", "pl.read_csv"]


def _warnings(cells: list[CellSpec]) -> list[str]:
    found = analyse(parse_notebook(json.dumps(notebook_dict(cells)))).diagnostics
    return [d.render() for d in found if d.code == "unseen-read"]


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(READERS))
def test_a_computed_path_read_in_c_is_a_warning_naming_the_cell(reader: str) -> None:
    cells: list[CellSpec] = [
        ("import os", ["setup"]),
        ("where = sorted(os.environ)[0]", ["stage:find"]),
        (f"frame = {reader}(where)", ["stage:read"]),
    ]
    (warning,) = _warnings(cells)
    assert warning.startswith("warning: cell 3 (id ")
    assert f"'where' with {reader}" in warning and "stage 'read'" in warning
    assert "cache:off" in warning


@settings(max_examples=20, deadline=None)
@given(
    st.sampled_from(READERS),
    st.sampled_from(
        [
            ("", "{r}('data/x.parquet')"),
            ("path = 'data/x.parquet'", "{r}(path)"),
            ("", "[{r}(p) for p in glob.glob('data/*.parquet')]"),
            ("", "{r}(f'data/{{source}}.parquet')"),
            ("", "{r}(source)"),  # a parameter: its value is hashed at run time
        ]
    ),
)
def test_a_path_the_cache_follows_is_no_warning(reader: str, shape: tuple[str, str]) -> None:
    before, call = shape
    cells: list[CellSpec] = [
        ("source = 'x'", ["parameters"]),
        ("import glob", ["setup"]),
        (before or "pass", ["stage:read"]),
        (call.format(r=reader), []),
    ]
    assert _warnings(cells) == []


def test_a_stage_that_is_never_cached_needs_no_warning() -> None:
    cells: list[CellSpec] = [("frame = pd.read_parquet(input())", ["stage:read", "cache:off"])]
    assert _warnings(cells) == []


def test_readers_python_sees_are_not_flagged() -> None:
    # pandas opens csv, feather and pickle files through Python: the recorder sees them.
    assert path_use("pd.read_csv(p)\npd.read_table(p)\npd.read_pickle(p)").unseen == ()
    assert [r.reader for r in path_use("pq.read_table(p)\nnp.fromfile(p)").unseen] == [
        "pq.read_table"
    ]
