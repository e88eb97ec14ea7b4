"""Ordering edges for stages that talk through a file instead of a variable.

A stage that writes ``model.pkl`` and a later one that loads it share no name, so the data
edges leave them unordered and a parallel run may start the reader first: it would read the
file of an earlier run (a wrong result) or none. In the notebook the writer runs first, so the
safe side is to keep that order wherever two stages' code names the same file path and one of
them writes it (or one writes a path the other's glob pattern matches). The finder is
generous (``analysis.paths``), so only literals that look like file paths count here: a
column name shared by two stages must not take their parallelism away.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Mapping, Sequence

from cellops.analysis.ipython import prepare
from cellops.analysis.paths import FileRefs, fold_path
from cellops.fsutil import is_url

# A folder separator, or a file name's extension: what a column name or a label rarely has.
_FILE_LIKE = re.compile(r"/|\.[A-Za-z0-9]{1,8}$")
# Calls that write a path given anywhere in their arguments: ``df.to_csv(p)``, ``np.save(p,
# a)``, ``joblib.dump(m, p)``, ``plt.savefig(p)``, ``Path(p).write_text(t)``, ``shutil.copy``.
_WRITER = re.compile(
    r"^(to_\w+|save\w*|dump\w*|write\w*|export\w*|mkdir|makedirs|copy\w*|move|rename|replace|"
    r"touch|unlink|remove|rmtree|extractall)$"
)


def _mode_writes(call: ast.Call) -> bool:
    """``open(p, "w")``, ``open(p, mode="a")``: a mode that writes."""
    modes = [*call.args[1:2], *(k.value for k in call.keywords if k.arg == "mode")]
    return any(
        isinstance(m, ast.Constant) and isinstance(m.value, str) and set(m.value) & set("wax+")
        for m in modes
    )


def written(source: str) -> set[str]:
    """Literal paths the code may write (its own pass: the reference finder cannot tell a
    read from a write, and the safe side here is to count too many)."""
    tree = prepare(source).tree
    found: set[str] = set()
    if tree is None:
        return found
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        receiver = func.value if isinstance(func, ast.Attribute) else None
        if name == "open" and _mode_writes(node):
            args: list[ast.expr] = node.args[:1]
        elif _WRITER.match(name):
            args = [*node.args, *(k.value for k in node.keywords)]
            if receiver is not None:
                args.append(receiver)  # Path("out.txt").write_text(...)
        else:
            continue
        for arg in args:
            path = fold_path(arg)
            if path and _FILE_LIKE.search(path):
                found.add(path)
    return found


def _files(refs: FileRefs) -> set[str]:
    return {p for p in refs.paths | refs.reads if _FILE_LIKE.search(p) and not is_url(p)}


def _shared(
    a: set[str],
    a_writes: set[str],
    b: set[str],
    b_writes: set[str],
    b_patterns: frozenset[str],
    a_patterns: frozenset[str],
) -> set[str]:
    """The paths through which two stages (their file-like names ``a``, ``b``, what each
    writes, their glob patterns) depend on each other's order: one writes what the other
    names."""
    found = {p for p in a & b if p in a_writes or p in b_writes}
    for pattern in b_patterns:
        found |= {p for p in a_writes if fnmatch.fnmatchcase(p, pattern)}
    for pattern in a_patterns:
        found |= {p for p in b_writes if fnmatch.fnmatchcase(p, pattern)}
    return found


def _reaches(edges: set[tuple[str, str]], a: str, b: str) -> bool:
    seen, todo = {a}, [a]
    while todo:
        here = todo.pop()
        for x, y in edges:
            if x == here and y not in seen:
                if y == b:
                    return True
                seen.add(y)
                todo.append(y)
    return False


def file_edges(
    stages: Sequence[str],
    refs: Mapping[str, FileRefs],
    writes: Mapping[str, set[str]],
    edges: set[tuple[str, str]],
) -> dict[tuple[str, str], set[str]]:
    """Edges (earlier stage, later stage) -> shared paths, for ``stages`` in notebook order.

    A pair the graph (``edges``, with the file edges added so far) already orders needs no
    edge, and a pair it orders the other way (an ``after:`` tag) keeps that order rather than
    becoming a cycle.
    """
    files = {s: _files(refs[s]) for s in stages}
    known = set(edges)
    out: dict[tuple[str, str], set[str]] = {}
    for i, a in enumerate(stages):
        for b in stages[i + 1 :]:
            shared = _shared(
                files[a], writes[a], files[b], writes[b], refs[b].patterns, refs[a].patterns
            )
            if shared and not _reaches(known, a, b) and not _reaches(known, b, a):
                out[(a, b)] = shared
                known.add((a, b))
    return out
