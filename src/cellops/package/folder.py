"""What the stages need of the notebook's folder: found at promote, carried or referenced.

A notebook in JupyterLab runs in its own folder: ``import helpers`` finds ``helpers.py`` next
to it, ``pd.read_csv("data/x.csv")`` the data beside it. Promote copies what the code names
(``analysis.paths`` finds the candidates; here they meet the file system) into the package's
``layout.WORKDIR`` in the same relative layout, and the stages run there. Files over the size
limits are referenced instead: the spec lists them and the user supplies them at run time.
Paths outside the notebook's folder are reported and never copied.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cellops.analysis.paths import escapes, file_refs
from cellops.fsutil import is_url
from cellops.package import layout
from cellops.package.spec import FolderFile, FolderSpec

MB = 1 << 20
FILE_LIMIT = 50 * MB  # a larger file is referenced, not carried
TOTAL_LIMIT = 200 * MB  # files past this total (in path order, modules first) are referenced
# Never carried: run state, version control, editor and interpreter caches.
SKIP_DIRS = frozenset({layout.STATE_DIR, ".git", ".ipynb_checkpoints", "__pycache__"})


@dataclass(frozen=True)
class CarryLimits:
    file_bytes: int = FILE_LIMIT
    total_bytes: int = TOTAL_LIMIT


@dataclass(frozen=True)
class FolderPlan:
    folder: FolderSpec
    contents: dict[str, bytes] = field(hash=False)  # carried path -> its bytes
    why: dict[str, str] = field(hash=False)  # path -> what needs it ("cell 3", "helpers.py")
    outside: tuple[tuple[str, str], ...] = ()  # (path as the code spells it, where)
    limits: CarryLimits = CarryLimits()


DEFAULT_LIMITS = CarryLimits()


class _Finder:
    def __init__(self, folder: Path, exclude: Sequence[Path]) -> None:
        self.folder = folder
        self.exclude = exclude
        self.needed: dict[str, str] = {}
        self.outside: dict[str, str] = {}
        self.modules: set[str] = set()

    def inside(self, path: Path) -> str | None:
        """``path`` relative to the folder if it is (really, links resolved) inside it."""
        try:
            real = Path(os.path.realpath(path))
            rel = real.relative_to(self.folder)
        except (OSError, ValueError):
            return None
        if any(real == e or e in real.parents for e in self.exclude):
            return None
        if rel.parts and not SKIP_DIRS.intersection(rel.parts):
            return rel.as_posix()
        return None

    def add(self, path: Path, why: str, spelled: str) -> None:
        """Need ``path`` (a file, or every file of a folder) for ``why``."""
        try:
            is_dir = path.is_dir()
        except OSError:
            return
        if not is_dir:
            rel = self.inside(path)
            if rel is not None and path.is_file():
                self.needed.setdefault(rel, why)
            elif rel is None and path.is_file():
                self.outside.setdefault(spelled, why)  # a link out of the folder
            return
        if self.inside(path) is None:
            return  # the folder itself ("."), the package, a cache
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(names):
                self.add(Path(root, name), why, spelled)

    def module(self, name: str, why: str) -> list[str]:
        """The files of local module ``name`` (a ``.py`` file or a package folder), if any."""
        if name in self.modules:
            return []
        self.modules.add(name)
        before = set(self.needed)
        package, single = self.folder / name, self.folder / f"{name}.py"
        if package.is_dir() and any(package.glob("*.py")):
            # A package goes whole: its modules import each other, read data beside them.
            self.add(package, why, name)
        elif single.is_file():
            self.add(single, why, f"{name}.py")
        return sorted(set(self.needed) - before)

    def code(self, where: str, source: str) -> list[tuple[str, str]]:
        """Need what ``source`` names; returns the local modules' (path, source) to follow."""
        refs = file_refs(source)
        follow = []
        for name in sorted(refs.modules):
            for rel in self.module(name, f"module {name}, imported by {where}"):
                if rel.endswith(".py"):
                    text = (self.folder / rel).read_text(encoding="utf-8", errors="replace")
                    follow.append((rel, text))
        for spelled in sorted(refs.paths):
            if is_url(spelled):
                continue  # read from where it is, in every run
            if escapes(spelled):
                shown = Path(os.path.expanduser(spelled))
                if spelled in refs.reads or shown.exists():
                    self.outside.setdefault(spelled, where)
            else:
                self.add(self.folder / spelled, f"read by {where}", spelled)
        for pattern in sorted(refs.patterns):
            if escapes(pattern):
                self.outside.setdefault(pattern, where)
                continue
            try:
                matches = sorted(self.folder.glob(pattern))
            except (ValueError, NotImplementedError):
                continue  # not a pattern Path.glob takes (the stage's own glob may differ)
            for match in matches:
                self.add(match, f"glob {pattern!r} of {where}", pattern)
        return follow


def find_needed(
    folder: Path,
    sources: Sequence[tuple[str, str]],
    *,
    seen: Iterable[str] = (),
    exclude: Sequence[Path] = (),
) -> tuple[dict[str, str], dict[str, str]]:
    """(path -> why, outside path -> where) for cells ``sources`` of the notebook in ``folder``.

    ``sources``: (where, code) pairs, e.g. ("cell 3", ...). Local modules are followed through
    their own imports. ``seen``: paths relative to the folder that a run recorded (run time
    knows what static analysis cannot: computed paths, lazy imports); they are needed too.
    ``exclude``: folders never carried (the package being written).
    """
    real = Path(os.path.realpath(folder))
    finder = _Finder(real, [Path(os.path.realpath(e)) for e in exclude])
    queue = list(sources)
    while queue:
        where, source = queue.pop(0)
        queue += finder.code(where, source)
    for rel in sorted(set(seen)):
        if escapes(rel):
            finder.outside.setdefault(rel, "a run")
        else:
            finder.add(real / rel, "read in a run", rel)
    return finder.needed, finder.outside


def plan_folder(
    folder: Path,
    sources: Sequence[tuple[str, str]],
    *,
    seen: Iterable[str] = (),
    exclude: Sequence[Path] = (),
    limits: CarryLimits = DEFAULT_LIMITS,
) -> FolderPlan:
    """What to carry and what to reference; reads the carried files (deterministic order)."""
    needed, outside = find_needed(folder, sources, seen=seen, exclude=exclude)
    real = Path(os.path.realpath(folder))
    carried: list[FolderFile] = []
    referenced: list[FolderFile] = []
    contents: dict[str, bytes] = {}
    total = 0
    # Modules first: a stage cannot run without its code, data can be supplied.
    for rel in sorted(needed, key=lambda r: (not needed[r].startswith("module"), r)):
        size = (real / rel).stat().st_size
        if size > limits.file_bytes or total + size > limits.total_bytes:
            referenced.append(FolderFile(rel, size))
            continue
        data = (real / rel).read_bytes()
        total += len(data)
        contents[rel] = data
        carried.append(FolderFile(rel, len(data), hashlib.sha256(data).hexdigest()))
    spec = FolderSpec(
        tuple(sorted(carried, key=lambda f: f.path)),
        tuple(sorted(referenced, key=lambda f: f.path)),
    )
    return FolderPlan(spec, contents, needed, tuple(sorted(outside.items())), limits)


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB // 10 else f"{n} bytes"


def _listed(paths: Sequence[str], limit: int = 12) -> str:
    more = f", and {len(paths) - limit} more" if len(paths) > limit else ""
    return ", ".join(paths[:limit]) + more


def folder_report(
    folder: FolderSpec,
    package: Path,
    outside: Sequence[tuple[str, str]] = (),
    limits: CarryLimits | None = None,
) -> list[str]:
    """Lines for promote and build: what was carried, what must be supplied, what was not."""
    lines = []
    work = layout.workdir(package, True)
    if folder.carried:
        total = sum(f.size for f in folder.carried)
        paths = [f.path for f in folder.carried]
        lines.append(
            f"carried from the notebook's folder into {work}/ "
            f"({len(paths)} file(s), {_size(total)}): {_listed(paths)}"
        )
    if folder.referenced:
        why = ""
        if limits is not None:
            why = (
                f" (over the carry limits of {_size(limits.file_bytes)} a file, "
                f"{_size(limits.total_bytes)} in all)"
            )
        lines.append(f"referenced, not carried{why}; supply each before a run:")
        for f in folder.referenced:
            if (work / f.path).exists():
                # There: runs find it, and an image built now holds it.
                lines.append(f"  {f.path} ({_size(f.size)}): supplied at {work / f.path}")
                continue
            lines.append(
                f"  {f.path} ({_size(f.size)}, missing): copy it to {work / f.path}, or mount it "
                f"at {layout.IMAGE_PACKAGE}/{layout.carried_file(f.path)} in the image"
            )
    for spelled, where in outside:
        lines.append(
            f"not carried: {spelled!r} ({where}) is outside the notebook's folder; move it "
            "into that folder (or below) and use a relative path, or read it from a URL"
        )
    return lines
