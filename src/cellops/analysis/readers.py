"""Calls that read a file outside Python's ``open``, with a path the code does not spell out.

The run-time recorder sees what Python opens (audit hooks). pyarrow, HDF5, polars, netCDF and
OpenCV open files in C, C++ or Rust: no event. The cache then relies on the paths the code
names (``analysis.paths``); a path computed at run time (``pd.read_parquet(path)`` where
``path`` comes from a function, another stage or the file system) escapes both. These are
found here, so ``check`` can say so; pure, like the rest of ``analysis``.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass

from cellops.analysis.ipython import prepare
from cellops.analysis.paths import _fold

__all__ = ["PathUse", "UnseenRead", "may_read_unseen", "path_use"]

# Readers that open their file in C, C++ or Rust whatever module calls them ...
_ANY = frozenset(
    {
        "read_parquet",
        "ParquetFile",
        "ParquetDataset",
        "read_orc",
        "read_hdf",
        "HDFStore",
        "memory_map",
        "OSFile",
        "open_dataset",
        "open_mfdataset",
        "scan_parquet",
        "scan_csv",
        "scan_ipc",
        "read_ipc",
    }
)
# ... and those whose name other libraries share with a reader that Python sees
# (``pd.read_table`` and ``pd.read_csv`` open the file in Python).
_BY_MODULE = {
    "read_table": frozenset({"pq", "parquet", "pf", "feather", "pa", "pyarrow"}),
    "read_csv": frozenset({"pcsv", "csv", "pv", "pl", "polars"}),
    "read_json": frozenset({"pl", "polars", "pj"}),
    "dataset": frozenset({"ds", "dataset", "pyarrow"}),
    "File": frozenset({"h5py"}),
    "open_file": frozenset({"tables", "tb"}),
    "imread": frozenset({"cv2"}),
}
_READERS = (*_ANY, *_BY_MODULE)
# Loops over these bind their target to paths the cache hashes (the glob's matches).
_LISTING = frozenset({"glob", "iglob", "rglob", "listdir", "scandir"})


@dataclass(frozen=True)
class UnseenRead:
    reader: str  # as the code calls it: "pd.read_parquet"
    variable: str | None  # the name passed as the path, if it is a plain name
    line: int


@dataclass(frozen=True)
class PathUse:
    unseen: tuple[UnseenRead, ...]  # C-level reads whose path is not a literal
    bound: frozenset[str]  # names bound to a literal path, an f-string or a glob's matches


def _spelled(func: ast.expr) -> tuple[str, str]:
    """(the callee's name, the module it is called on) of ``pq.read_table``."""
    if isinstance(func, ast.Attribute):
        base = func.value
        owner = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
        return func.attr, owner
    return (func.id, "") if isinstance(func, ast.Name) else ("", "")


def _spells_path(node: ast.expr) -> bool:
    return _fold(node) is not None or isinstance(node, ast.JoinedStr)


def _over_listing(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        return _spelled(node.func)[0] in _LISTING or (
            _spelled(node.func)[0] == "sorted" and bool(node.args) and _over_listing(node.args[0])
        )
    if isinstance(node, ast.List | ast.Tuple):
        return all(_spells_path(e) for e in node.elts)
    return False


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.unseen: list[UnseenRead] = []
        self.bound: set[str] = set()

    def visit_Assign(self, node: ast.Assign) -> None:
        if _spells_path(node.value):
            self.bound |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        if isinstance(node.target, ast.Name) and _over_listing(node.iter):
            self.bound.add(node.target.id)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if isinstance(node.target, ast.Name) and _over_listing(node.iter):
            self.bound.add(node.target.id)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name, owner = _spelled(node.func)
        if name in _ANY or owner in _BY_MODULE.get(name, ()):
            first = node.args[0] if node.args else None
            if first is None:
                first = next((k.value for k in node.keywords if k.arg in ("path", "source")), None)
            if first is not None and not _spells_path(first) and not _over_listing(first):
                variable = first.id if isinstance(first, ast.Name) else None
                reader = f"{owner}.{name}" if owner else name
                self.unseen.append(UnseenRead(reader, variable, node.lineno))
        self.generic_visit(node)


def may_read_unseen(source: str) -> bool:
    """False when ``source`` cannot hold an unseen read (no reader's name in its text): most
    cells, which then need no parse for this check."""
    return any(r in source for r in _READERS)


@functools.lru_cache(maxsize=4096)
def path_use(source: str) -> PathUse:
    """The unseen reads of one cell or module, and the names it binds to spelled-out paths."""
    if "'" not in source and '"' not in source and not may_read_unseen(source):
        return PathUse((), frozenset())  # most cells: no parse needed
    tree = prepare(source).tree
    finder = _Finder()
    if tree is not None:
        finder.visit(tree)
    return PathUse(tuple(finder.unseen), frozenset(finder.bound))
