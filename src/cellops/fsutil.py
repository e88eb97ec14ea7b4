"""Atomic writes: a crash never leaves a half-written file, package or cache entry."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from cellops.errors import PackageError

STATE_DIR = ".cellops"  # cache, artifacts and runs of a package; survives a re-promote


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{secrets.token_hex(4)}.tmp")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def replace_tree(target: Path, files: Mapping[str, bytes], *, marker: str) -> None:
    """Write ``files`` as the new content of ``target`` in one step.

    The files go to a sibling temporary directory which then takes the target's place by
    rename, so readers see the old package or the new one, never a mix. The package's state
    directory (cache, artifacts, runs) moves over so a re-promote keeps its cache. A target
    that exists but is not a package (no ``marker`` file) and is not empty is refused rather
    than replaced.
    """
    target = Path(target)
    if target.exists():
        if not target.is_dir():
            raise PackageError(f"{target} exists and is not a directory; choose another -o")
        if not (target / marker).exists() and any(target.iterdir()):
            raise PackageError(
                f"{target} exists, is not empty and holds no {marker}: refusing to replace it; "
                "choose an empty or new directory with -o"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    old = target.parent / f".{target.name}.{secrets.token_hex(4)}.old"
    state = target / STATE_DIR
    moved_state = False
    try:
        for rel, data in files.items():
            dest = tmp / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        if state.is_dir():
            os.rename(state, tmp / STATE_DIR)
            moved_state = True
        if target.exists():
            os.rename(target, old)
        os.rename(tmp, target)
    except BaseException:
        # Put the old package back exactly as it was.
        if old.exists() and not target.exists():
            os.rename(old, target)
        if moved_state and not state.exists():
            os.rename(tmp / STATE_DIR, state)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
