"""The object-storage artifact store against a real S3 API (moto's server on loopback)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cellops.artifacts.kernel import save_outputs
from cellops.artifacts.stores import (
    ArtifactStore,
    UrlArtifactStore,
    join,
    open_store,
    read_manifest,
    remove_work,
)
from tests.s3server import S3Server, s3_server


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    pytest.importorskip("s3fs")
    with s3_server() as server:
        saved = {k: os.environ.get(k) for k in server.env}
        os.environ.update(server.env)
        try:
            yield server
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def test_join_keeps_a_urls_double_slash(tmp_path: Path) -> None:
    assert join("s3://bucket/root/", "work", "a") == "s3://bucket/root/work/a"
    assert join(tmp_path, "a") == str(tmp_path / "a")
    assert isinstance(open_store("gs://b/x"), UrlArtifactStore)
    assert isinstance(open_store(tmp_path), ArtifactStore)


def test_outputs_move_into_the_bucket_by_content(s3: S3Server) -> None:
    work = s3.url("work/run1/prep")
    save_outputs(work, {"z": 4, "w": 4}, stage="prep", cells={})
    manifest = read_manifest(work)
    store = open_store(s3.url("artifacts"))
    shas = {
        name: store.put(join(work, entry["file"]), "json", entry["sha256"] if name == "z" else None)
        for name, entry in manifest["outputs"].items()
    }
    # Equal values are one object, named by the sha256 of its bytes whether the manifest's
    # digest was taken (z) or the file hashed again (w).
    assert shas["z"] == shas["w"]
    data = store.read_bytes(shas["z"], "json")
    assert hashlib.sha256(data).hexdigest() == shas["z"] and data.strip() == b"4"
    assert store.has(shas["z"], "json") and not store.has("0" * 64, "json")
    assert s3.keys("artifacts/") == [f"artifacts/{shas['z'][:2]}/{shas['z']}.json"]
    # The moved files are gone from the work area; clearing it removes the manifest too.
    assert s3.keys("work/run1/prep/") == ["work/run1/prep/manifest.json"]
    remove_work(work)
    assert s3.keys("work/") == []
