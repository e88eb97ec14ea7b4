"""What a stage's code names counts as read, for readers the audit hook cannot see.

The recorder (``run.trace``) sees what Python opens. Libraries that open files in C or C++
raise no audit event: pyarrow (``pd.read_parquet``, ``pyarrow.parquet.read_table``, datasets,
``pyarrow.csv``), HDF5 (h5py, PyTables), polars, netCDF. A stage reading through one of them
must not be served stale, so what its code names is hashed like a recorded read (the safe
side): each literal path (a file: its bytes; a folder: every file below it and each folder's
listing), each literal glob pattern (its matches and the folders holding them), each string
parameter value the stage reads, and the same for the local modules it imported. Names that
match nothing (column names, separators) fall away. Static paths the cache cannot follow (a
path computed at run time) are the check-time diagnostic ``unseen-read``
(``package.unseen``).

Python source files are left to the module tracking (normalised source: a comment-only edit
of a helper re-runs nothing).
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cellops.analysis.paths import file_refs
from cellops.fsutil import is_url
from cellops.package.folder import SKIP_DIRS

# A named folder with more files than this is not hashed: the stage's result is then not
# reused (the safe side) and the run says why.
MAX_FILES = 10_000
_GLOB_CHARS = re.compile(r"[*?\[]")
_SOURCE = (".py", ".pyc", ".pyi")
_SYSTEM = ("/proc/", "/dev/", "/sys/")


@dataclass
class Named:
    """Absolute paths of the files and folders named, and whether the walk was complete."""

    files: set[str] = field(default_factory=set)
    listings: set[str] = field(default_factory=set)
    too_large: str | None = None  # a folder over MAX_FILES

    def _file(self, path: str) -> None:
        if not path.endswith(_SOURCE) and "__pycache__" not in path:
            self.files.add(path)

    def _folder(self, path: str) -> None:
        count = 0
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            self.listings.add(root)
            for name in names:
                count += 1
                if count > MAX_FILES:
                    self.too_large = path
                    return
                file = os.path.join(root, name)
                if os.path.isfile(file):  # not a FIFO or a device: those never end
                    self._file(file)


def own_modules(files: Iterable[str], roots: Iterable[Path]) -> set[str]:
    """Of the local module files ``files``, the notebook's own helpers: those under ``roots``.
    A library outside the environment (on ``PYTHONPATH``) is not one: it names paths of its own
    installation, not the stage's data, and ``run.reads`` hashes it by bytes."""
    inside = tuple(os.path.join(os.path.abspath(r), "") for r in roots)
    return {path for path in files if os.path.abspath(path).startswith(inside)}


def module_names(files: Iterable[str]) -> set[str]:
    """The paths and patterns the module files ``files`` name."""
    found: set[str] = set()
    for path in files:
        try:
            source = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        refs = file_refs(source)
        found |= refs.paths | refs.patterns
    return found


def named_paths(workdir: Path, spelled: Iterable[str], protected: Iterable[Path]) -> Named:
    """The files and folders that ``spelled`` (paths as the code wrote them, relative to the
    stages' working directory) name. ``protected``: folders never walked whole (the package,
    the working directory: a literal ``"."`` is not a read of everything)."""
    named = Named()
    guarded = {os.path.normpath(p) for p in protected}
    for text in sorted(set(spelled)):
        if not text.strip() or is_url(text) or "\x00" in text:
            continue
        path = os.path.normpath(os.path.join(workdir, os.path.expanduser(text)))
        if path in guarded or any(g.startswith(os.path.join(path, "")) for g in guarded):
            continue  # the working directory, the package or a folder above them
        if path.startswith(_SYSTEM):
            continue
        try:
            if os.path.isfile(path):
                named._file(path)
            elif os.path.isdir(path):
                named._folder(path)
            elif _GLOB_CHARS.search(text):
                base = path[: _GLOB_CHARS.search(path).start()]  # type: ignore[union-attr]
                named.listings.add(os.path.dirname(base) or "/")
                for match in glob.glob(path, recursive=True):
                    if os.path.isfile(match):
                        named._file(match)
                        named.listings.add(os.path.dirname(match))
        except (OSError, ValueError):
            continue
        if named.too_large:
            break
    return named
