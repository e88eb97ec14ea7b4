"""What a warm kernel imports before its stage arrives.

A stage's own imports (pandas, scikit-learn) often cost more than its work. Warm kernels
import them while earlier stages run. Only libraries whose import has no order-dependent
side effects qualify: matplotlib (backend choice), torch or tensorflow (device environment
variables) must be imported when and where the notebook says.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def prelude_code(imported: Iterable[str]) -> str:
    """Import statements for the safe libraries among the modules the stages import."""
    modules = {m for m in imported if m.split(".")[0] in SAFE}
    lines = [f"import {m}" for m in sorted(modules)]
    lines.append("import cellops.artifacts.kernel")
    # Stage kernels record the notebook's cells in the tracking store (cellops.tracking); the
    # runner sends each cell's id, run and stage with it. No name is left in the namespace.
    lines.append(
        "__import__('cellops.tracking.extension', fromlist=['start_run']).start_run(get_ipython())"
    )
    # One failing import must not stop the others; the stage reports its own errors.
    return "\n".join(f"try:\n    {line}\nexcept Exception:\n    pass" for line in lines)
