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

import fnmatch
import re
from collections.abc import Mapping, Sequence

from cellops.analysis.paths import FileRefs
from cellops.fsutil import is_url

# A folder separator, or a file name's extension: what a column name or a label rarely has.
_FILE_LIKE = re.compile(r"/|\.[A-Za-z0-9]{1,8}$")


def _files(paths: frozenset[str]) -> set[str]:
    return {p for p in paths if _FILE_LIKE.search(p) and not is_url(p)}


def _shared(a: FileRefs, b: FileRefs) -> set[str]:
    """The paths through which two stages depend on each other's order: one may write what
    the other names, or what the other's glob pattern matches."""
    a_writes, b_writes = _files(a.writes), _files(b.writes)
    found = _files(a.paths & b.paths) & (a_writes | b_writes)
    for pattern in b.patterns:
        found |= {p for p in a_writes if fnmatch.fnmatchcase(p, pattern)}
    for pattern in a.patterns:
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
    stages: Sequence[str], refs: Mapping[str, FileRefs], edges: set[tuple[str, str]]
) -> dict[tuple[str, str], set[str]]:
    """Edges (earlier stage, later stage) -> shared paths, for ``stages`` in notebook order.

    A pair the graph (``edges``, with the file edges added so far) already orders needs no
    edge, and a pair it orders the other way (an ``after:`` tag) keeps that order rather than
    becoming a cycle.
    """
    known = set(edges)
    out: dict[tuple[str, str], set[str]] = {}
    for i, a in enumerate(stages):
        for b in stages[i + 1 :]:
            shared = _shared(refs[a], refs[b])
            if shared and not _reaches(known, a, b) and not _reaches(known, b, a):
                out[(a, b)] = shared
                known.add((a, b))
    return out
