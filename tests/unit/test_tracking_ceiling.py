"""Where a shell run finds the project's tracking database, and where the search stops."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellops.tracking import config


def _db(folder: Path) -> Path:
    path = folder / config.DB_RELPATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


@settings(max_examples=25, deadline=None)
@given(depth=st.integers(1, 5), ceiling_at=st.integers(0, 5))
def test_a_database_above_a_ceiling_is_never_found(
    tmp_path_factory: pytest.TempPathFactory, depth: int, ceiling_at: int
) -> None:
    top = tmp_path_factory.mktemp("proj")
    found_above = _db(top)
    chain = [top / "a"]
    for i in range(depth - 1):
        chain.append(chain[-1] / f"d{i}")
    start = chain[-1]
    start.mkdir(parents=True)
    ceiling = chain[min(ceiling_at, depth - 1)]
    old = os.environ.get(config.ENV_CEILING)
    os.environ[config.ENV_CEILING] = os.pathsep.join(["/nonexistent", str(ceiling)])
    try:
        got = config.find_db(start)
    finally:
        if old is None:
            del os.environ[config.ENV_CEILING]
        else:
            os.environ[config.ENV_CEILING] = old
    # The search never climbs past the ceiling: a new database in the starting folder, unless
    # the ceiling is the starting folder itself (searched, as git does).
    assert got != found_above
    assert got == start / config.DB_RELPATH


def test_without_a_ceiling_the_nearest_database_above_is_the_projects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(config.ENV_CEILING, raising=False)
    db = _db(tmp_path)
    start = tmp_path / "pkg" / "stages"
    start.mkdir(parents=True)
    assert config.find_db(start) == db
    monkeypatch.setenv(config.ENV_CEILING, str(tmp_path / "pkg"))
    assert config.find_db(start) == start / config.DB_RELPATH
    monkeypatch.setenv(config.ENV_CEILING, str(tmp_path))
    assert config.find_db(start) == start / config.DB_RELPATH  # the ceiling is not searched
