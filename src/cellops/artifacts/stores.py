"""Where a run keeps its artifacts: a local folder or an fsspec URL (``s3://``, ``gs://`` …).

``ArtifactStore`` (in ``cellops.artifacts.kernel``) is the local, content-addressed store.
``UrlArtifactStore`` is the same layout on object storage, used when Dask workers on other
machines exchange stage values (``cellops batch --executor dask --artifacts s3://…``).
``open_store`` picks one from the root, and ``work`` functions read and clear a stage's output
area wherever it lives.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import shutil
from typing import Any

from cellops.artifacts.kernel import MANIFEST, ArtifactStore, artifact_name, url_fs
from cellops.fsutil import is_url


def join(location: str | os.PathLike[str], *parts: str) -> str:
    """``location``/``parts``, keeping a URL's ``//`` (which ``pathlib`` would collapse)."""
    base = os.fspath(location)
    if is_url(base):
        return posixpath.join(base.rstrip("/"), *parts)
    return os.path.join(base, *parts)


class UrlArtifactStore:
    """Artifacts at an fsspec URL, laid out like ``ArtifactStore``: URL/<sha[:2]>/<sha>.<ext>.

    Object stores have no rename, but one object appears whole or not at all, so a reader
    never sees a partial artifact: ``put`` copies the finished file under its final name.
    """

    def __init__(self, url: str) -> None:
        self.root = url.rstrip("/")

    def path(self, sha: str, ext: str) -> str:
        return join(self.root, artifact_name(sha, ext))

    def has(self, sha: str, ext: str) -> bool:
        fs, path = url_fs(self.path(sha, ext), "look up an artifact in")
        fs.invalidate_cache(path)  # another process may have written it since
        return bool(fs.exists(path))

    def put(self, location: str, ext: str, sha256: str | None = None) -> str:
        """Move the file at URL ``location`` into the store and return its sha256.

        ``sha256`` is the digest its writer recorded (a manifest's): given, the file is not
        downloaded again just to hash it.
        """
        fs, src = url_fs(location, "store an artifact from")
        sha = sha256 or _hash_remote(fs, src)
        dest_fs, dest = url_fs(self.path(sha, ext), "store an artifact in")
        dest_fs.invalidate_cache(dest)
        # An object of another size under this name is a damaged copy: the new one replaces it
        # (hashing it would mean downloading it).
        if not dest_fs.exists(dest) or dest_fs.size(dest) != fs.size(src):
            dest_fs.copy(src, dest)
        fs.rm_file(src)
        return sha

    def read_bytes(self, sha: str, ext: str) -> bytes:
        fs, path = url_fs(self.path(sha, ext), "read an artifact from")
        return bytes(fs.cat_file(path))


def _hash_remote(fs: Any, path: str) -> str:
    digest = hashlib.sha256()
    with fs.open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


Store = ArtifactStore | UrlArtifactStore


def open_store(root: str | os.PathLike[str]) -> Store:
    """The store at ``root``: ``UrlArtifactStore`` for a URL, else ``ArtifactStore``."""
    return UrlArtifactStore(os.fspath(root)) if is_url(root) else ArtifactStore(root)


def read_manifest(work: str) -> dict[str, Any]:
    """The manifest a stage's ``save_outputs`` wrote into ``work`` (a path or a URL)."""
    location = join(work, MANIFEST)
    if is_url(location):
        fs, path = url_fs(location, "read the outputs manifest from")
        fs.invalidate_cache(path)
        data: dict[str, Any] = json.loads(fs.cat_file(path))
        return data
    with open(location, encoding="utf-8") as file:
        loaded: dict[str, Any] = json.load(file)
        return loaded


def remove_work(work: str) -> None:
    """Delete a stage's output area, if it is there."""
    if not is_url(work):
        shutil.rmtree(work, ignore_errors=True)
        return
    fs, path = url_fs(work, "clear")
    fs.invalidate_cache(path)
    if fs.exists(path):
        fs.rm(path, recursive=True)
