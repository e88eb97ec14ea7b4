"""Every nbformat 4 notebook is read, and nbformat 3 too: most notebooks predate cell ids."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
from hypothesis import given, settings
from hypothesis import strategies as st

from cellops.notebook.read import derive_cell_ids, parse_notebook, read_notebook
from cellops.package.promote import promote
from tests.integration.corpus import FORMAT_3
from tests.nbfactory import notebook_dict

# nbformat 4.5's schema for a cell id.
ID_PATTERN = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")

_cells = st.lists(
    st.tuples(
        st.sampled_from(["code", "markdown", "raw"]),
        st.sampled_from(["", "x = 1", "print(x)", "# Title", "a\nb", "é = 2"]),
    ),
    max_size=12,
)


def _without_ids(spec: list[tuple[str, str]], minor: int = 4) -> dict[str, Any]:
    data = notebook_dict([(src, [], kind) for kind, src in spec])
    for cell in data["cells"]:
        del cell["id"]
    data["nbformat_minor"] = minor
    return data


@settings(max_examples=60, deadline=None)
@given(_cells)
def test_derived_ids_are_unique_valid_and_the_same_on_every_read(
    spec: list[tuple[str, str]],
) -> None:
    raw = json.dumps(_without_ids(spec))
    ids = [c.id for c in parse_notebook(raw).cells]
    assert ids == [c.id for c in parse_notebook(raw).cells]
    assert len(set(ids)) == len(ids)
    assert all(ID_PATTERN.match(cid) for cid in ids)


@settings(max_examples=60, deadline=None)
@given(_cells, st.integers(min_value=0, max_value=12), st.sampled_from(["y = 2", "", "# x"]))
def test_inserting_a_cell_keeps_the_other_cells_ids(
    spec: list[tuple[str, str]], at: int, new: str
) -> None:
    at = min(at, len(spec))
    before = derive_cell_ids(_without_ids(spec)["cells"])
    after = derive_cell_ids(_without_ids([*spec[:at], ("code", new), *spec[at:]])["cells"])
    # Identical cells are told apart by their order, so only cells unlike the new one keep
    # their ids whatever happens; that is every cell of a notebook without duplicates.
    kept = [
        cid for cid, (kind, src) in zip(before, spec, strict=True) if (kind, src) != ("code", new)
    ]
    assert set(kept) <= set(after)


def test_own_ids_are_kept_and_derived_ones_avoid_them() -> None:
    cells = [
        {"cell_type": "code", "source": "", "id": "mine"},
        {"cell_type": "code", "source": ""},
    ]
    first = derive_cell_ids(cells)[1]
    cells.append({"cell_type": "code", "source": "", "id": first})  # someone took it already
    ids = derive_cell_ids(cells)
    assert ids[0] == "mine"
    assert len(set(ids)) == 3


def test_old_notebook_promotes_byte_identical_and_is_not_rewritten(tmp_path: Path) -> None:
    data = _without_ids([("code", "x = 1"), ("code", "print(x + 1)")], minor=0)
    data["cells"][0]["metadata"] = {"tags": ["stage:make"]}
    data["cells"][1]["metadata"] = {"tags": ["stage:show"]}
    source = tmp_path / "old.ipynb"
    source.write_text(json.dumps(data), encoding="utf-8")
    before = source.read_bytes()
    first = promote(source, tmp_path / "one")
    promote(source, tmp_path / "two")
    assert source.read_bytes() == before
    for rel in first.files:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes()
    # The stage notebooks are valid nbformat 4.5, with the ids the source cells were given.
    ids = [c.id for c in read_notebook(source).cells]
    for stage, cid in (("make", ids[0]), ("show", ids[1])):
        stage_nb = nbformat.read(tmp_path / "one" / "stages" / f"{stage}.ipynb", as_version=4)
        nbformat.validate(stage_nb)
        assert cid in [c["id"] for c in stage_nb.cells]


def test_nbformat_3_is_upgraded_in_memory_with_stable_ids(tmp_path: Path) -> None:
    path = tmp_path / "v3.ipynb"
    path.write_text(json.dumps(FORMAT_3), encoding="utf-8")
    first, second = read_notebook(path), read_notebook(path)
    assert [c.source for c in first.cells] == [
        "# Very old",
        "total = sum(range(10))",
        "print('RESULT', total * 2)",
    ]
    assert [c.cell_type for c in first.cells] == ["markdown", "code", "code"]
    assert [c.id for c in first.cells] == [c.id for c in second.cells]
    assert json.loads(path.read_text(encoding="utf-8")) == FORMAT_3
