"""What a warm kernel imports before its stage arrives.

A stage's own imports (pandas, scikit-learn) often cost more than its work. Warm kernels
import them while earlier stages run. Only libraries whose import has no order-dependent
side effects qualify: matplotlib (backend choice), torch or tensorflow (device environment
variables) must be imported when and where the notebook says.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from pathlib import Path

SAFE = frozenset(
    {
        "numpy",
        "pandas",
        "sklearn",
        "scipy",
        "pyarrow",
        "joblib",
        "statsmodels",
        "xgboost",
        "lightgbm",
        "polars",
    }
)


def _modules(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:  # IPython syntax: the stage itself will import what it needs
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {m for m in found if m.split(".")[0] in SAFE}


def prelude_code(notebooks: Iterable[Path]) -> str:
    """Import statements for the safe libraries the given stage notebooks import."""
    modules: set[str] = set()
    for path in notebooks:
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") == "code":
                src = cell.get("source", "")
                modules |= _modules("".join(src) if isinstance(src, list) else src)
    lines = [f"import {m}" for m in sorted(modules)]
    lines.append("import cellops.artifacts")
    # Stage kernels record the notebook's cells in the tracking store (cellops.tracking); the
    # runner sends each cell's id, run and stage with it. No name is left in the namespace.
    lines.append(
        "__import__('cellops.tracking.extension', fromlist=['start_run']).start_run(get_ipython())"
    )
    # One failing import must not stop the others; the stage reports its own errors.
    return "\n".join(f"try:\n    {line}\nexcept Exception:\n    pass" for line in lines)
