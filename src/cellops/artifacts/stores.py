"""Where a run keeps its artifacts: a local folder or an fsspec URL (``s3://``, ``gs://`` …).

One ``Store`` protocol, two stores with the same content-addressed layout,
root/<sha[:2]>/<sha>.<ext>: ``ArtifactStore`` on local disk, ``UrlArtifactStore`` on object
storage, used when Dask workers on other machines exchange stage values (``cellops batch
--executor dask --artifacts s3://…``). ``open_store`` is the one place that picks one from a
root; ``read_manifest`` and ``remove_work`` read and clear a stage's output area wherever it
lives. The kernel side (``cellops.artifacts.kernel``) writes and reads the files themselves.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import posixpath
import shutil
from typing import Any, Protocol

from cellops.artifacts.kernel import (
    MANIFEST,
    artifact_name,
    new_temp,
    remove_if_exists,
    url_fs,
    verified,
)
from cellops.errors import ArtifactError
from cellops.fsutil import hash_file, is_url


def join(location: str | os.PathLike[str], *parts: str) -> str:
    """``location``/``parts``, keeping a URL's ``//`` (which ``pathlib`` would collapse)."""
    base = os.fspath(location)
    if is_url(base):
        return posixpath.join(base.rstrip("/"), *parts)
    return os.path.join(base, *parts)


class Store(Protocol):
    """Artifacts named by the sha256 of their bytes, under one root."""

    root: str

    def path(self, sha: str, ext: str) -> str:
        """Where the artifact is (or would be): a path or a URL."""
        ...

    def has(self, sha: str, ext: str) -> bool: ...

    def put(self, location: str, ext: str, sha256: str | None = None) -> str:
        """Move the file at ``location`` into the store; its sha256."""
        ...

    def read_bytes(self, sha: str, ext: str) -> bytes: ...


class ArtifactStore:
    """Artifacts on local disk named by the sha256 of their bytes: root/<sha[:2]>/<sha>.<ext>."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.fspath(root)

    def path(self, sha: str, ext: str) -> str:
        return os.path.join(self.root, artifact_name(sha, ext))

    def has(self, sha: str, ext: str) -> bool:
        """True if the store holds the artifact with its bytes intact (a truncated or edited
        file is not that artifact: the stage that produces it runs again and replaces it)."""
        return verified(self.path(sha, ext), sha)

    def read_bytes(self, sha: str, ext: str) -> bytes:
        with open(self.path(sha, ext), "rb") as file:
            data = file.read()
        if hashlib.sha256(data).hexdigest() != sha:
            raise ArtifactError(
                f"artifact {self.path(sha, ext)} is damaged (its bytes no longer have the hash "
                "it is named by); run the pipeline again to replace it"
            )
        return data

    def put(self, path: str, ext: str, sha256: str | None = None) -> str:
        """Move the file at ``path`` into the store and return its sha256.

        ``sha256`` is the digest its writer recorded (a manifest's); without it the file is
        hashed here. If the store already has those bytes the source is just removed. Readers
        never see a partial file: it appears under its final name by ``os.replace``.
        """
        sha = sha256 or hash_file(path)
        dest = self.path(sha, ext)
        if os.path.exists(dest) and os.path.samefile(path, dest):
            return sha
        if verified(dest, sha):
            os.remove(path)
            return sha
        # Missing, or damaged: the new copy takes its place.
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        try:
            os.replace(path, dest)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            # Another filesystem: copy next to the destination, then rename into place.
            tmp = new_temp(os.path.dirname(dest), sha)
            try:
                shutil.copyfile(path, tmp)
                os.replace(tmp, dest)
            except BaseException:
                remove_if_exists(tmp)
                raise
            os.remove(path)
        return sha


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
