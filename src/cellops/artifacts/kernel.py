"""Artifacts: the files that carry values from one stage's kernel to the next.

A stage's last cell calls ``save_outputs`` to write each output variable to a file plus a
``manifest.json`` describing them; the next stage's first cell calls ``load_inputs`` with the
paths the runner passed in. The stores (``cellops.artifacts.stores``) keep finished artifacts
by content hash, named by ``artifact_name``, so a stage whose inputs did not change can be
skipped.

This module is imported in every stage kernel and by the CLI, so it imports only the standard
library up front; pandas, numpy, joblib and fsspec are imported when a value or file needs them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, TypedDict

from cellops.artifacts.formats import (
    as_frame,
    choose_format,
    format_ext,
    format_of_path,
    read_value,
    roundtrip_mismatch,
    type_name,
    unpicklable_reason,
    unreadable_reason,
    write_value,
)
from cellops.errors import ArtifactError
from cellops.fsutil import hash_file, is_url, url_protocol

__all__ = [
    "MANIFEST",
    "OutputEntry",
    "artifact_name",
    "format_ext",
    "format_of_path",
    "hash_file",
    "load_inputs",
    "save_outputs",
    "url_fs",
]

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1

# Packages fsspec needs for common protocols, for the install hint.
_PROTOCOL_PACKAGES = {
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "az": "adlfs",
    "abfs": "adlfs",
    "abfss": "adlfs",
    "adl": "adlfs",
    "http": "aiohttp",
    "https": "aiohttp",
    "sftp": "paramiko",
    "ssh": "paramiko",
    "hf": "huggingface_hub",
}


class _OutputEntryBase(TypedDict):
    file: str
    format: str
    type: str
    sha256: str
    bytes: int


class OutputEntry(_OutputEntryBase, total=False):
    cell: str  # where the variable was defined, when the caller said
    note: str  # why the value was not stored in its preferred format


class _Staged(NamedTuple):  # not a dataclass: dataclasses imports inspect (~10 ms)
    name: str
    tmp: str
    entry: OutputEntry


def save_outputs(
    target: str,
    values: Mapping[str, object],
    *,
    stage: str,
    cells: Mapping[str, str] | None = None,
) -> dict[str, OutputEntry]:
    """Store each value as an artifact file in ``target`` and describe them in the manifest.

    All values are serialised before any is put in place, so a value that can't be stored
    leaves ``target`` as it was. ``target`` "" (a notebook run by hand) does nothing.
    """
    if target == "":
        return {}
    for name in values:
        if not isinstance(name, str) or not name.isidentifier():
            raise ArtifactError(
                f"stage {stage!r}: output name {name!r} is not a variable name; outputs are "
                "named after the notebook variables that hold them"
            )
    if is_url(target):
        return _save_remote(target, values, stage=stage, cells=cells or {})

    created = not os.path.isdir(target)
    os.makedirs(target, exist_ok=True)
    staged: list[_Staged] = []
    try:
        for name, value in values.items():
            staged.append(_stage(target, name, value, stage=stage, cells=cells or {}))
        # A crash below must not leave an old manifest describing a mix of old and new files.
        remove_if_exists(os.path.join(target, MANIFEST))
        for item in staged:
            os.replace(item.tmp, os.path.join(target, item.entry["file"]))
        outputs = {item.name: item.entry for item in staged}
        _write_atomic(os.path.join(target, MANIFEST), _manifest_bytes(stage, outputs))
    except BaseException:
        for item in staged:
            remove_if_exists(item.tmp)
        if created:
            with contextlib.suppress(OSError):  # only if still empty
                os.rmdir(target)
        raise
    return outputs


def _stage(
    directory: str, name: str, value: object, *, stage: str, cells: Mapping[str, str]
) -> _Staged:
    """Serialise ``value`` to a hidden temp file in ``directory`` (same filesystem as its
    final place, so ``os.replace`` is atomic)."""
    fmt = choose_format(value)
    if fmt == "json" and name + ".json" == MANIFEST:
        fmt = "pickle"
    note = ""
    if fmt != "pickle":
        try:
            tmp, sha = _write_temp(directory, name, value, fmt)
        except Exception as error:
            # Arrow, npy and joblib are preferences; pickle is the format of last resort.
            note = f"stored as pickle because {fmt} failed: {_short(error)}"
            fmt = "pickle"
    if fmt == "pickle":
        try:
            tmp, sha = _write_temp(directory, name, value, fmt)
        except Exception as error:
            cell = cells.get(name)
            where = f" (defined in {cell})" if cell else ""
            raise ArtifactError(
                f"stage {stage!r}: output {name!r}{where} cannot be stored between stages: "
                + unpicklable_reason(value, error)
            ) from error
    entry: OutputEntry = {
        "file": f"{name}.{format_ext(fmt)}",
        "format": fmt,
        "type": type_name(value),
        "sha256": sha,
        "bytes": os.path.getsize(tmp),
    }
    if cells.get(name):
        entry["cell"] = cells[name]
    if note:
        entry["note"] = note
    return _Staged(name, tmp, entry)


def _write_temp(directory: str, name: str, value: object, fmt: str) -> tuple[str, str]:
    """A new temp file holding ``value`` in ``fmt`` and its sha256, computed while writing
    (no second read); the file is removed again if anything fails."""
    from cellops.artifacts.arrow import HashingWriter, arrow_mismatch

    tmp = new_temp(directory, name)
    try:
        with open(tmp, "wb") as file:
            sink = HashingWriter(file)
            written = write_value(value, fmt, sink)  # type: ignore[arg-type]
            sha = sink.hexdigest()
        remember_hash(tmp, sha)
        why = None
        if fmt.startswith("parquet"):
            why = _parquet_mismatch(tmp, fmt, value)
        elif fmt.startswith("arrow"):
            why = arrow_mismatch(as_frame(value, fmt), written)
        if why:
            raise ValueError(f"it would not round-trip exactly: {why}")
    except BaseException:
        remove_if_exists(tmp)
        raise
    return tmp, sha


def _parquet_mismatch(path: str, fmt: str, value: object) -> str | None:
    try:
        restored = read_value(fmt, path)
    except Exception as error:
        return f"reading it back failed ({_short(error)})"
    return roundtrip_mismatch(value, restored)


def _short(error: BaseException) -> str:
    # No memory addresses: the note should not change from one run to the next.
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", str(error).strip())
    text = text.splitlines()[0] if text else ""
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def new_temp(directory: str, name: str) -> str:
    # A name no variable can have (leading dot), created exclusively; unlike mkstemp, open()
    # honours the umask, so the file keeps ordinary permissions once moved into place.
    while True:
        path = os.path.join(directory, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            with open(path, "xb"):
                return path
        except FileExistsError:
            continue


def remove_if_exists(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _write_atomic(path: str, data: bytes) -> None:
    tmp = new_temp(os.path.dirname(path) or ".", os.path.basename(path))
    try:
        with open(tmp, "wb") as file:
            file.write(data)
        os.replace(tmp, path)
    except BaseException:
        remove_if_exists(tmp)
        raise


def _manifest_bytes(stage: str, outputs: Mapping[str, OutputEntry]) -> bytes:
    manifest = {"cellops_manifest": MANIFEST_VERSION, "stage": stage, "outputs": outputs}
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def url_fs(url: str, action: str) -> tuple[Any, str]:
    """The fsspec filesystem and path for ``url``, or an ArtifactError saying what to install."""
    protocol = url_protocol(url)
    package = _PROTOCOL_PACKAGES.get(protocol)
    install = "pip install fsspec" + (f" {package}" if package else "")
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise ArtifactError(
            f"cannot {action} {url!r}: {protocol}:// URLs need fsspec, which is not installed "
            f"in this kernel's environment; {install}"
        ) from None
    try:
        fs, path = url_to_fs(url)
    except ImportError as error:
        raise ArtifactError(f"cannot {action} {url!r}: {error}; {install}") from error
    except ValueError as error:
        raise ArtifactError(
            f"cannot {action} {url!r}: fsspec does not know the {protocol}:// protocol ({error})"
        ) from error
    return fs, str(path)


def _save_remote(
    target: str, values: Mapping[str, object], *, stage: str, cells: Mapping[str, str]
) -> dict[str, OutputEntry]:
    import tempfile

    fs, root = url_fs(target, "write outputs to")
    local = tempfile.mkdtemp(prefix="cellops-outputs-")
    uploaded: list[str] = []
    try:
        staged = [_stage(local, n, v, stage=stage, cells=cells) for n, v in values.items()]
        outputs = {item.name: item.entry for item in staged}
        fs.makedirs(root, exist_ok=True)
        manifest = f"{root.rstrip('/')}/{MANIFEST}"
        if fs.exists(manifest):
            fs.rm_file(manifest)
        # Object stores have no rename; the manifest, written last in one put, marks the
        # outputs complete.
        for item in staged:
            remote = f"{root.rstrip('/')}/{item.entry['file']}"
            uploaded.append(remote)
            fs.put_file(item.tmp, remote)
        fs.pipe_file(manifest, _manifest_bytes(stage, outputs))
    except BaseException:
        for remote in uploaded:
            with contextlib.suppress(Exception):
                fs.rm_file(remote)
        raise
    finally:
        shutil.rmtree(local, ignore_errors=True)
    return outputs


def load_inputs(
    inputs: Mapping[str, str], names: Sequence[str], *, stage: str
) -> tuple[object, ...]:
    """Read the named upstream artifacts, in the order of ``names`` (a 1-tuple for one name)."""
    if isinstance(names, str):
        raise ArtifactError(
            f"stage {stage!r}: load_inputs takes a list of names, e.g. [{names!r}], not a string"
        )
    return tuple(_load_one(inputs, name, stage) for name in names)


def _load_one(inputs: Mapping[str, str], name: str, stage: str) -> object:
    if name not in inputs:
        raise ArtifactError(
            f"stage {stage!r} needs input {name!r} from an upstream stage, but no artifact was "
            f"given; run the pipeline with `cellops run`, or pass cellops_inputs={{{name!r}: "
            "PATH} to papermill"
        )
    path = os.fspath(inputs[name])
    fmt = format_of_path(path)
    if fmt is None:
        exts = ", ".join(f".{format_ext(f)}" for f in ("arrow", "parquet", "npy", "joblib", "json"))
        raise ArtifactError(
            f"stage {stage!r}: input {name!r} is {path!r}, which is not an artifact file "
            f"cellops can read (expected {exts} or .pkl)"
        )
    missing = ArtifactError(
        f"stage {stage!r}: input {name!r} should be at {path!r}, but there is no such file; "
        "re-run the upstream stage with `cellops run`, or fix the path in cellops_inputs"
    )
    try:
        if is_url(path):
            fs, remote = url_fs(path, "read input from")
            with fs.open(remote, "rb") as file:
                return read_value(fmt, file)
        if not os.path.isfile(path):
            raise missing
        named = os.path.basename(path).split(".", 1)[0]
        if _SHA.fullmatch(named) and not verified(path, named):
            raise ArtifactError(
                f"stage {stage!r}: input {name!r} ({path}) is damaged: its bytes no longer have "
                "the hash it is named by; run the pipeline again (the upstream stage then "
                "writes it anew)"
            )
        return read_value(fmt, path)
    except ArtifactError:
        raise
    except FileNotFoundError:
        raise missing from None
    except Exception as error:
        raise ArtifactError(
            f"stage {stage!r}: input {name!r} ({path}) cannot be read as {fmt}: "
            + unreadable_reason(error)
        ) from error


# path -> (size, mtime_ns, inode) when its bytes last matched the hash it is named by: a
# process checks each artifact once, again only when the file changed.
_VERIFIED: dict[str, tuple[int, int, int]] = {}
# The same fact kept on the file itself, for the next process (the stage that loads it): a
# 1 GB hand-over would otherwise be hashed again by its reader, a second full read. Renames
# keep it; any write changes the size or mtime it names, and the file is hashed again.
_STAMP_ATTR = "user.cellops.sha256"


def _file_stamp(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _stamp_text(sha: str, st: os.stat_result) -> bytes:
    return f"{sha} {st.st_size} {st.st_mtime_ns}".encode("ascii")


def remember_hash(path: str, sha: str) -> None:
    """Record that the file at ``path`` has the sha256 ``sha`` (its writer just computed it)."""
    st = os.stat(path)
    _VERIFIED[path] = _file_stamp(st)
    # A filesystem without user attributes only costs the reader a hash.
    with contextlib.suppress(OSError, AttributeError):
        os.setxattr(path, _STAMP_ATTR, _stamp_text(sha, st))


def verified(path: str, sha: str) -> bool:
    """True if the file at ``path`` exists and its bytes have the sha256 ``sha``."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    stamp = _file_stamp(st)
    if _VERIFIED.get(path) == stamp:
        return True
    try:
        recorded = os.getxattr(path, _STAMP_ATTR)
    except (OSError, AttributeError):
        recorded = b""
    if recorded != _stamp_text(sha, st):
        if not os.path.isfile(path) or hash_file(path) != sha:
            return False
        remember_hash(path, sha)
    _VERIFIED[path] = stamp
    return True


_SHA = re.compile(r"[0-9a-f]{64}")
_EXT = re.compile(r"[A-Za-z0-9]+(\.[A-Za-z0-9]+)*")


def artifact_name(sha: str, ext: str) -> str:
    """Where a store keeps an artifact, relative to its root: ``<sha[:2]>/<sha>.<ext>``."""
    if not _SHA.fullmatch(sha):
        raise ValueError(f"not a sha256 hex digest: {sha!r}")
    if not _EXT.fullmatch(ext):
        raise ValueError(f"not a file extension: {ext!r}")
    return f"{sha[:2]}/{sha}.{ext}"
