"""Shared fixtures."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.nbfactory import CellSpec, notebook_dict


@pytest.fixture
def write_notebook(tmp_path: Path) -> Callable[..., Path]:
    """write_notebook([(source, tags), ...], name="nb.ipynb") -> path of a real .ipynb file."""

    def write(cells: Sequence[CellSpec], name: str = "nb.ipynb") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(notebook_dict(cells), indent=1), encoding="utf-8")
        return path

    return write
