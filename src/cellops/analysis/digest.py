"""What runs need to know of a stage notebook, taken from it once: its code's digest, imports
and the paths its code names (counted as read by the cache: ``run.named``).

Promote stores these in the spec (with the notebook file's own sha256), so a run parses no
stage notebook. A notebook edited by hand after promote, or a spec written before these fields
existed, is read once per run instead: a key is never computed from stale facts.
"""

from __future__ import annotations

import ast
import hashlib
import json
from typing import Any

from cellops.analysis.cells import normalize_code
from cellops.analysis.ipython import prepare
from cellops.analysis.paths import file_refs

_GENERATED = "# cellops:"


def _code_cells(notebook: dict[str, Any]) -> list[str]:
    """The sources of the code cells, without the parameters cell."""
    out = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if "parameters" in (cell.get("metadata") or {}).get("tags", []):
            continue
        src = cell.get("source", "")
        out.append("".join(src) if isinstance(src, list) else src)
    return out


def _modules(code: str) -> set[str]:
    tree = prepare(code).tree
    if tree is None:  # not Python even without IPython syntax: the stage imports what it needs
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def stage_facts(notebook: dict[str, Any], data: bytes) -> dict[str, Any]:
    """The spec fields of a stage whose notebook is ``notebook``, serialised as ``data``."""
    cells = _code_cells(notebook)
    code = "\n\x00\n".join(normalize_code(src) for src in cells)
    modules: set[str] = set()
    named: set[str] = set()
    for src in cells:
        modules |= _modules(src)
        if not src.startswith(_GENERATED):  # promote's own cells name artifacts, not data
            refs = file_refs(src)
            named |= refs.paths | refs.patterns
    return {
        "imports": tuple(sorted(modules)),
        "named": tuple(sorted(named)),
        "code_sha256": hashlib.sha256(code.encode()).hexdigest(),
        "notebook_sha256": sha256_of(data),
    }


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_stage_facts(data: bytes) -> dict[str, Any]:
    return stage_facts(json.loads(data.decode("utf-8")), data)
