"""A damaged artifact (truncated, edited) is never read as the value it is named by, and the
next run that produces it replaces it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cellops.artifacts.kernel import load_inputs
from cellops.artifacts.stores import ArtifactStore
from cellops.errors import ArtifactError


def _stored(tmp_path: Path, data: bytes) -> tuple[ArtifactStore, str]:
    store = ArtifactStore(tmp_path / "store")
    src = tmp_path / "out.json"
    src.write_bytes(data)
    return store, store.put(str(src), "json")


def test_a_truncated_artifact_is_not_had_not_read_and_replaced_by_the_next_put(
    tmp_path: Path,
) -> None:
    data = b'{"rows": [1, 2, 3]}'
    store, sha = _stored(tmp_path, data)
    assert store.has(sha, "json") and store.read_bytes(sha, "json") == data
    Path(store.path(sha, "json")).write_bytes(data[:5])
    assert not store.has(sha, "json")
    with pytest.raises(ArtifactError, match="damaged"):
        store.read_bytes(sha, "json")
    with pytest.raises(ArtifactError, match="damaged"):
        load_inputs({"x": store.path(sha, "json")}, ["x"], stage="s")
    again = tmp_path / "again.json"
    again.write_bytes(data)
    assert store.put(str(again), "json", hashlib.sha256(data).hexdigest()) == sha
    assert store.has(sha, "json") and store.read_bytes(sha, "json") == data
    assert load_inputs({"x": store.path(sha, "json")}, ["x"], stage="s") == ({"rows": [1, 2, 3]},)
