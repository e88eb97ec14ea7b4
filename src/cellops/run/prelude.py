"""What a warm kernel imports before its stage arrives.

A stage's own imports (pandas, scikit-learn) often cost more than its work. Warm kernels
import them while earlier stages run. Only libraries whose import has no order-dependent
side effects qualify: matplotlib (backend choice), torch or tensorflow (device environment
variables) must be imported when and where the notebook says.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

TRACE_SWITCH = "CELLOPS_TRACE"

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


def preloaded(imported: Iterable[str]) -> set[str]:
    """The modules among ``imported`` that the prelude imports ahead of the stage."""
    return {m for m in imported if m.split(".")[0] in SAFE}


def tracing() -> bool:
    """Whether stages record what they read (``CELLOPS_TRACE=0`` turns it off, for measuring;
    results of untraced stages are never reused)."""
    return os.environ.get(TRACE_SWITCH) != "0"


def prelude_code(imported: Iterable[str]) -> str:
    """Import statements for the safe libraries among the modules the stages import, then
    the start of the recorder (``run.trace``)."""
    lines = [f"import {m}" for m in sorted(preloaded(imported))]
    lines.append("import cellops.artifacts.kernel")
    # Stage kernels record the notebook's cells in the tracking store (cellops.tracking); the
    # runner sends each cell's id, run and stage with it. No name is left in the namespace.
    lines.append(
        "__import__('cellops.tracking.extension', fromlist=['start_run']).start_run(get_ipython())"
    )
    if tracing():
        # Started last, after the head-start imports (the runner counts those as imported):
        # a kernel serves one stage, so from here on everything it does is that stage's. A
        # generated first cell would cost a kernel round trip per stage. A prelude that fails
        # leaves it unstarted, and then no trace is written: the result is never reused.
        lines.append("__import__('cellops.run.trace', fromlist=['start']).start()")
    # One failing import must not stop the others; the stage reports its own errors.
    return "\n".join(f"try:\n    {line}\nexcept Exception:\n    pass" for line in lines)
