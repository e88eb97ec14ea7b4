"""A kernel follows its notebook's renames, and finds an old notebook's parameters cell."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellops.tracking import query
from tests.tracking.conftest import execute, kernel

pytestmark = pytest.mark.kernel

FOLLOW = "import cellops.tracking.extension as _x; _x.follow_notebook({name!r})"


def _silent(kc: object, code: str) -> None:
    """What the sidebar sends on a rename: silent, so it is not recorded as a cell."""
    msg_id = kc.execute(code, silent=True, store_history=False)  # type: ignore[attr-defined]
    while True:
        msg = kc.get_shell_msg(timeout=60)  # type: ignore[attr-defined]
        if msg["parent_header"].get("msg_id") == msg_id:
            assert msg["content"]["status"] == "ok", msg["content"]
            return


def test_executions_after_a_rename_are_filed_under_the_new_path(tmp_path: Path) -> None:
    db = tmp_path / ".cellops" / "tracking.db"
    (tmp_path / "sub").mkdir()
    # The server names the notebook relative to its root, as JPY_SESSION_NAME does.
    with kernel(db, notebook=tmp_path / "Untitled.ipynb", cwd=tmp_path) as (_, kc):
        execute(kc, "import cellops\ncellops.log_metric('acc', 0.5)", "c1")
        _silent(kc, FOLLOW.format(name=str(tmp_path / "iris.ipynb")))
        execute(kc, "cellops.log_metric('acc', 0.7)", "c1")
        _silent(kc, FOLLOW.format(name=str(tmp_path / "sub" / "iris.ipynb")))
        execute(kc, "cellops.log_metric('acc', 0.9)", "c1")
    frame = query.executions(db)
    assert list(frame["notebook"]) == [
        str(tmp_path / "Untitled.ipynb"),
        str(tmp_path / "iris.ipynb"),
        str(tmp_path / "sub" / "iris.ipynb"),
    ]
    # The silent calls are not executions of the user's.
    assert list(frame["execution_count"]) == [1, 2, 3]
    assert list(query.metrics(db, notebook=tmp_path / "iris.ipynb")["value"]) == [0.7]


def _old_notebook(path: Path, parameters: str) -> None:
    """nbformat 4.4: no cell ids in the file."""
    cells = [
        {"cell_type": "code", "metadata": {}, "source": "import cellops"},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": parameters},
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    path.write_text(json.dumps(nb), encoding="utf-8")


_value = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet="abcxyz _-", max_size=8),
)


@settings(max_examples=3, deadline=None)
@given(values=st.dictionaries(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True), _value,
                              min_size=1, max_size=3))  # fmt: skip
def test_parameters_of_a_notebook_without_cell_ids_are_recorded(
    tmp_path_factory: pytest.TempPathFactory, values: dict[str, object]
) -> None:
    tmp = tmp_path_factory.mktemp("old")
    db = tmp / ".cellops" / "tracking.db"
    code = "\n".join(f"{k} = {v!r}" for k, v in values.items())
    nb = tmp / "old.ipynb"
    _old_notebook(nb, code)
    with kernel(db, notebook=nb) as (_, kc):
        time.sleep(0.5)  # the kernel reads the saved notebook in the background
        # JupyterLab's own id for the cell: the file has none to match it by.
        execute(kc, code, "frontend-uuid-1")
        execute(kc, "cellops.log_metric('m', 1.0)", "frontend-uuid-2")
    frame = query.executions(db, notebook=nb)
    params = query.params(db, notebook=nb)
    mine = params[params["execution_id"] == int(frame["id"].iloc[-1])].set_index("name")
    assert {k: mine.loc[k, "value"] for k in values} == pytest.approx(values)
