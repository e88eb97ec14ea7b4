"""What cell code needs from the notebook's folder: modules it imports, paths it names.

Pure and static: the finder never touches the file system. It returns candidates (every
literal that may be a path, every glob pattern), and the promote side keeps those that name a
file of the notebook's folder. Literals that are not paths (column names, separators) match no
file there and fall away, so the finder can be generous: a path a stage reads and cellops
misses would fail the run, a string it keeps for nothing costs one ``stat``.
"""

from __future__ import annotations

import ast
import functools
import posixpath
import re
from dataclasses import dataclass

from cellops.analysis.ipython import prepare

__all__ = ["FileRefs", "escapes", "file_refs"]

# Calls whose first argument is read: a path given to one of them that leaves the notebook's
# folder is reported even when no such file exists here.
_READER = re.compile(
    r"^(open|read\w*|load\w*|genfromtxt|fromfile|imread|glob|iglob|listdir|scandir|walk|"
    r"Path|PurePath|PosixPath|ZipFile|File)$"
)
# Calls that may write a path given anywhere in their arguments or as their receiver:
# ``df.to_csv(p)``, ``np.save(p, a)``, ``joblib.dump(m, p)``, ``Path(p).write_text(t)``.
_WRITER = re.compile(
    r"^(to_\w+|save\w*|dump\w*|write\w*|export\w*|mkdir|makedirs|copy\w*|move|rename|replace|"
    r"touch|unlink|remove|rmtree|extractall)$"
)
_GLOB_CHARS = re.compile(r"[*?\[]")
_MAX_LITERAL = 1024
_FOLDABLE = (ast.Constant, ast.BinOp, ast.Call)  # what _fold can spell a path from


@dataclass(frozen=True)
class FileRefs:
    modules: frozenset[str]  # top-level names of absolute imports
    paths: frozenset[str]  # literals (and literal joins) that may name a file or folder
    reads: frozenset[str]  # of those, the ones passed straight to a reading call
    patterns: frozenset[str]  # glob patterns, joined with their literal folder where given
    writes: frozenset[str] = frozenset()  # literals given to a call that may write them

    @staticmethod
    def union(refs: list[FileRefs]) -> FileRefs:
        """What several cells name together (a stage's)."""
        return FileRefs(
            frozenset().union(*(r.modules for r in refs)),
            frozenset().union(*(r.paths for r in refs)),
            frozenset().union(*(r.reads for r in refs)),
            frozenset().union(*(r.patterns for r in refs)),
            frozenset().union(*(r.writes for r in refs)),
        )


def _callee(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _join(parts: list[str]) -> str:
    return posixpath.join(*parts) if parts else ""


def _fold(node: ast.expr) -> str | None:
    """The path a literal expression spells: ``"a"``, ``Path("a") / "b"``, ``os.path.join``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left, right = _fold(node.left), _fold(node.right)
        return None if left is None or right is None else _join([left, right])
    if isinstance(node, ast.Call) and not node.keywords:
        name = _callee(node.func)
        if name in ("Path", "PurePath", "PosixPath") or (
            name == "join"
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "path"
        ):
            parts = [_fold(a) for a in node.args]
            if parts and all(p is not None for p in parts):
                return _join([p for p in parts if p is not None])
    return None


def _path_like(text: str) -> bool:
    # URLs stay in: telling them apart is fsutil.is_url's job, on the promote side.
    return 0 < len(text) <= _MAX_LITERAL and "\n" not in text


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.modules: set[str] = set()
        self.paths: set[str] = set()
        self.reads: set[str] = set()
        self.patterns: set[str] = set()
        self.writes: set[str] = set()

    def visit_Import(self, node: ast.Import) -> None:
        self.modules |= {alias.name.split(".")[0] for alias in node.names}

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.modules.add(node.module.split(".")[0])

    def visit_Call(self, node: ast.Call) -> None:
        name = _callee(node.func)
        first = node.args[0] if node.args else None
        folded = _fold(first) if first is not None else None
        if name in ("glob", "iglob", "rglob") and folded and _GLOB_CHARS.search(folded):
            base = node.func.value if isinstance(node.func, ast.Attribute) else None
            folder = _fold(base) if base is not None else None
            parts = [folder] if folder else []
            parts += ["**"] if name == "rglob" else []
            self.patterns.add(_join([*parts, folded]))
            # Not the receiver: Path("data").glob("*.csv") reads the matches, not all of data/.
            for child in [*node.args, *node.keywords]:
                self.visit(child)
            return
        if folded is not None and _READER.match(name) and _path_like(folded):
            self.reads.add(folded)
        self._writes(node, name)
        self.generic_visit(node)

    def _writes(self, node: ast.Call, name: str) -> None:
        if name == "open":
            modes = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "mode")]
            if not any(set(_fold(m) or "") & set("wax+") for m in modes):
                return  # open(p) and open(p, "rb") only read
            args: list[ast.expr] = node.args[:1]
        elif _WRITER.match(name):
            args = [*node.args, *(k.value for k in node.keywords)]
            if isinstance(node.func, ast.Attribute):
                args.append(node.func.value)  # Path("out.txt").write_text(...)
        else:
            return
        self.writes.update(p for p in map(_fold, args) if p is not None and _path_like(p))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        # f"data/{name}.csv" may name any of data/*.csv: carry the matches (the safe side).
        parts = [v.value if isinstance(v, ast.Constant) else "*" for v in node.values]
        literal = "".join(p for p in parts if isinstance(p, str) and p != "*")
        pattern = "".join(str(p) for p in parts)
        if ("/" in literal or "." in literal) and _path_like(pattern) and "**" not in pattern:
            self.patterns.add(pattern)
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                self.visit(value.value)

    def generic_visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            # The exact type, not isinstance: most children are Names and operators.
            folded = None
            if type(child) in _FOLDABLE and isinstance(child, ast.expr):
                folded = _fold(child)
            if folded is None:
                self.visit(child)
            elif _path_like(folded):
                # A join stands for its whole path: "data" of Path("data") / "x.csv" must not
                # carry the whole data folder.
                self.paths.add(folded)
                if isinstance(child, ast.Call) and _READER.match(_callee(child.func)):
                    self.reads.add(folded)


_NOTHING = FileRefs(frozenset(), frozenset(), frozenset(), frozenset())


@functools.lru_cache(maxsize=4096)
def file_refs(source: str) -> FileRefs:
    """Modules, path literals and glob patterns of one cell or module (IPython syntax allowed)."""
    if "import" not in source and "'" not in source and '"' not in source:
        return _NOTHING  # most cells of a large notebook: no parse needed
    tree = prepare(source).tree
    finder = _Finder()
    if tree is not None:
        finder.visit(tree)
    return FileRefs(
        frozenset(finder.modules),
        frozenset(finder.paths | finder.reads),
        frozenset(finder.reads),
        frozenset(finder.patterns),
        frozenset(finder.writes),
    )


def escapes(path: str) -> bool:
    """True if ``path``, taken relative to the notebook's folder, names something outside it."""
    if path.startswith(("/", "~", "\\")) or re.match(r"^[A-Za-z]:[\\/]", path):
        return True
    depth = 0
    for part in re.split(r"[\\/]+", path):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False
