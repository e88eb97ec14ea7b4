"""Atomic writes: a crash never leaves a half-written file, package or cache entry."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cellops.errors import PackageError

STATE_DIR = ".cellops"  # cache, artifacts and runs of a package; survives a re-promote


def is_url(location: str | os.PathLike[str]) -> bool:
    """A URL (``s3://…``, ``file://…``) rather than a local path: every such decision is this one,
    so a location can never count as remote in one module and as a path in the next."""
    return "://" in os.fspath(location)


def url_protocol(url: str) -> str:
    """``s3`` for ``s3://bucket/key``; only for a location ``is_url`` accepts."""
    return url.split("://", 1)[0]


def hash_file(path: str | os.PathLike[str]) -> str:
    """The sha256 hex digest of a file's bytes, read in chunks (a file may be larger than
    memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


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


# Names of the files a promote wrote, kept in the state directory: a re-promote replaces those
# and keeps every other file (a user's data folder, notes) where it was.
WRITTEN = "promoted-files.json"
# The crash tests' hook: with this variable set to N, the process kills itself (SIGKILL, as a
# power cut would) right before the Nth step of replace_tree. Read only there; unset in use.
CRASH_HOOK = "CELLOPS_TEST_KILL_AT_STEP"


def _step(counter: list[int]) -> None:
    counter[0] += 1
    if os.environ.get(CRASH_HOOK) == str(counter[0]):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _leftovers(target: Path, kind: str) -> list[Path]:
    return sorted(target.parent.glob(f".{glob.escape(target.name)}.*.{kind}"))


def _listing(package: Path) -> dict[str, Any]:
    try:
        data = json.loads((package / STATE_DIR / WRITTEN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _written(package: Path) -> set[str]:
    """What an earlier promote wrote into ``package`` (its own list, else its known shape)."""
    names = _listing(package).get("files")
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return set(names)
    known = {"pipeline.yaml", "requirements.lock", "Dockerfile", ".dockerignore", "README.md"}
    stages = {f"stages/{p.name}" for p in (package / "stages").glob("*.ipynb")}
    return known | {".gitignore"} | stages


def _user_entries(package: Path, written: set[str]) -> list[str]:
    """Files and folders of ``package`` no promote wrote (relative paths, outermost)."""
    prefixes = {p.as_posix() for w in written for p in Path(w).parents} - {"."}
    out: list[str] = []
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package).as_posix()
        if rel.split("/")[0] == STATE_DIR or rel in written or rel in prefixes:
            continue
        if any(rel.startswith(f"{o}/") for o in out):
            continue
        out.append(rel)
    return out


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _move_user_entry(src: Path, dest: Path, counter: list[int]) -> None:
    """A user's file or folder into the new tree; a folder the new tree also has (a package's
    ``files/``) is merged, so nothing of the user's inside it is lost."""
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        _step(counter)
        os.rename(src, dest)
    elif src.is_dir() and dest.is_dir() and not src.is_symlink():
        for child in sorted(src.iterdir()):
            _move_user_entry(child, dest / child.name, counter)
    # Else the new tree has that very file: replace_tree checked that the two are the same.


def _user_files(package: Path, entries: list[str]) -> list[str]:
    """``entries`` with folders expanded into the files below them."""
    out = []
    for rel in entries:
        path = package / rel
        if path.is_dir() and not path.is_symlink():
            out += sorted(p.relative_to(package).as_posix() for p in path.rglob("*"))
        else:
            out.append(rel)
    return out


def _carry_over(old: Path, target: Path, counter: list[int]) -> None:
    """Move the run state and the user's files of ``old`` into ``target``, then drop ``old``."""
    state = old / STATE_DIR
    if state.is_dir():
        (target / STATE_DIR).mkdir(exist_ok=True)
        for entry in sorted(state.iterdir()):
            if entry.name != WRITTEN and not (target / STATE_DIR / entry.name).exists():
                _step(counter)
                os.rename(entry, target / STATE_DIR / entry.name)
    for rel in _user_entries(old, _written(old)):
        _move_user_entry(old / rel, target / rel, counter)
    _step(counter)
    shutil.rmtree(old, ignore_errors=True)


def recover_tree(target: Path, *, marker: str) -> None:
    """Finish or undo a replace_tree that a crash interrupted, from what is on disk.

    ``.tmp`` is the new tree (complete once its ``marker`` file exists: it is written last);
    ``.old`` the previous package moved aside. No target and an ``.old``: the swap did not
    happen, so the old package goes back. A target and an ``.old``: the swap happened, so the
    state and user files move over. A complete ``.tmp`` and nothing else: a first promote
    that only missed its last rename.
    """
    counter = [0]
    # After an exchange the old package sits under the new tree's temporary name until it is
    # renamed to .old; the new tree records that name.
    swapped = target / STATE_DIR / WRITTEN
    tree = _listing(target).get("tree") if swapped.is_file() else None
    for tmp in _leftovers(target, "tmp"):
        if tmp.name == tree:
            os.rename(tmp, tmp.with_name(tmp.name[: -len(".tmp")] + ".old"))
    olds = _leftovers(target, "old")
    if not target.exists() and olds:
        os.rename(olds.pop(), target)
    if not target.exists():
        complete = [t for t in _leftovers(target, "tmp") if (t / marker).is_file()]
        if complete:
            os.rename(complete[-1], target)
    for old in olds:
        _carry_over(old, target, counter)
    for tmp in _leftovers(target, "tmp"):
        shutil.rmtree(tmp, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes
    import errno

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _write_tree(root: Path, files: Mapping[str, bytes], marker: str, counter: list[int]) -> None:
    # The marker goes last: a tree that has it is complete (recover_tree relies on it).
    for rel in sorted(files, key=lambda r: r == marker):
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        _step(counter)
        with open(dest, "wb") as fh:
            fh.write(files[rel])
            fh.flush()
            os.fsync(fh.fileno())


def replace_tree(target: Path, files: Mapping[str, bytes], *, marker: str) -> None:
    """Write ``files`` as the new content of ``target`` in one step.

    The files go to a sibling temporary directory which then takes the target's place by
    rename, so readers see the old package or the new one, never a mix. The package's state
    directory (cache, artifacts, runs) and every file no promote wrote (a data folder) move
    over; a user's file in the way of a new one is refused. A target that exists but is not a
    package (no ``marker`` file) and is not empty is refused rather than replaced. Leftovers of
    an interrupted earlier call are recovered first (recover_tree).
    """
    target = Path(target)
    recover_tree(target, marker=marker)
    if target.exists():
        if not target.is_dir():
            raise PackageError(f"{target} exists and is not a directory; choose another -o")
        if not (target / marker).exists() and any(target.iterdir()):
            raise PackageError(
                f"{target} exists, is not empty and holds no {marker}: refusing to replace it; "
                "choose an empty or new directory with -o"
            )
        # A user's copy identical to the new file (a referenced data file supplied by hand,
        # carried now) is the same file: promote takes it over.
        clash = [
            r
            for r in _user_files(target, _user_entries(target, _written(target)))
            if r in files and not _same(target / r, files[r])
        ]
        if clash:
            raise PackageError(
                f"{target / clash[0]} was not written by cellops promote and the new package "
                "has a file of that name: move it out of the package, then promote again"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    old = target.parent / f".{target.name}.{secrets.token_hex(4)}.old"
    counter = [0]
    listing = json.dumps({"tree": tmp.name, "files": sorted(files)}, indent=1).encode()
    try:
        _write_tree(tmp, {f"{STATE_DIR}/{WRITTEN}": listing, **files}, marker, counter)
        _step(counter)
        if target.exists() and _exchange(tmp, target):
            _step(counter)
            os.rename(tmp, old)
        else:
            # No atomic exchange here: between these two renames there is no package.
            if target.exists():
                os.rename(target, old)
                _step(counter)
            os.rename(tmp, target)
    except BaseException:
        recover_tree(target, marker=marker)
        raise
    if old.exists():
        _carry_over(old, target, counter)
