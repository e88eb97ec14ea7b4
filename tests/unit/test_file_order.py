"""Stages that hand a file to each other keep their notebook order (``package.fileorder``);
stages that only share a column name or a file they both read stay parallel."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cellops.notebook.read import parse_notebook
from cellops.package.promote import analyse
from tests.nbfactory import notebook_dict

NAME = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


def upstream(cells):  # type: ignore[no-untyped-def]
    g = analyse(parse_notebook(json.dumps(notebook_dict(cells)), "nb.ipynb")).graph
    assert not g.errors
    return {f.name: f.upstream for f in g.stages}


@settings(max_examples=40, deadline=None)
@given(name=NAME, ext=st.sampled_from(["csv", "pkl", "txt", "parquet", "json"]))
def test_a_file_written_by_one_stage_and_read_by_a_later_one_orders_them(
    name: str, ext: str
) -> None:
    path = f"out/{name}.{ext}"
    cells = [
        ("import pandas as pd", ["setup"]),
        (f"pd.DataFrame({{'x': [1]}}).to_csv({path!r})", ["stage:write"]),
        ("print('independent')", ["stage:other"]),
        (f"back = pd.read_csv({path!r})\nprint(back)", ["stage:read"]),
    ]
    assert upstream(cells) == {"write": (), "other": (), "read": ("write",)}


@settings(max_examples=40, deadline=None)
@given(pattern_dir=NAME, name=NAME)
def test_a_glob_matching_an_earlier_stage_s_output_orders_them(pattern_dir: str, name: str) -> None:
    cells = [
        (f"open('{pattern_dir}/{name}.csv', 'w').write('x\\n1\\n')", ["stage:write"]),
        (f"import glob\nfound = sorted(glob.glob('{pattern_dir}/*.csv'))", ["stage:scan"]),
    ]
    assert upstream(cells)["scan"] == ("write",)


@settings(max_examples=40, deadline=None)
@given(column=NAME)
def test_a_shared_column_name_or_a_shared_input_file_keeps_stages_parallel(column: str) -> None:
    cells = [
        ("import pandas as pd", ["setup"]),
        ("df = pd.read_csv('data/in.csv')", ["stage:load"]),
        (f"a = df[{column!r}].sum()\nraw_a = pd.read_csv('data/in.csv')", ["stage:left"]),
        (f"b = df[{column!r}].mean()\nraw_b = pd.read_csv('data/in.csv')", ["stage:right"]),
    ]
    got = upstream(cells)
    assert got["left"] == ("load",) and got["right"] == ("load",)


def test_an_after_tag_the_other_way_is_kept_rather_than_made_a_cycle() -> None:
    cells = [
        ("open('hand.txt', 'w').write('1')", ["stage:first"]),
        ("print(open('hand.txt').read())", ["stage:second"]),
        ("open('hand.txt', 'w').write('2')", ["stage:third", "after:second"]),
    ]
    got = upstream(cells)
    assert got["second"] == ("first",)
    assert got["third"] == ("second",)
