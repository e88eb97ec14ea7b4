"""``cellops.log_metric`` / ``cellops.log_param``: what a notebook reports about itself.

Logging must cost next to nothing (it sits inside training loops), so a call only appends to a
list in the kernel's memory. Consumers read the list through a cursor: the tracking extension
after each cell, a pipeline stage once at its end (``publish`` puts everything logged in the
stage into the executed notebook as one output, which batch runs and the run record read back).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

METRICS_MIME = "application/vnd.cellops.metrics+json"


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    value: float
    step: int | None
    timestamp: float


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    value: Any
    timestamp: float


_metrics: list[Metric] = []
_params: list[Param] = []


def log_metric(name: str, value: float, step: int | None = None) -> None:
    """Record a numeric metric (``step`` for a series, such as an epoch)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"log_metric: the name must be a non-empty string, not {name!r}")
    number = float(value)
    if step is not None and not isinstance(step, int):
        raise ValueError(f"log_metric({name!r}): step must be an int or None, not {step!r}")
    _metrics.append(Metric(name, number, step, time.time()))


def log_param(name: str, value: Any) -> None:
    """Record a parameter value the notebook chose or computed."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"log_param: the name must be a non-empty string, not {name!r}")
    _params.append(Param(name, value, time.time()))


def cursor() -> tuple[int, int]:
    return len(_metrics), len(_params)


def since(start: tuple[int, int]) -> tuple[list[Metric], list[Param]]:
    """Everything logged after ``start`` (a value of ``cursor()``)."""
    return _metrics[start[0] :], _params[start[1] :]


def summary(metrics: list[Metric], params: list[Param]) -> dict[str, Any]:
    """Last value of each metric and param, JSON-safe (a non-finite metric becomes None)."""
    last_metric = {m.name: (m.value if math.isfinite(m.value) else None) for m in metrics}
    last_param = {p.name: json_safe(p.value) for p in params}
    return {"metrics": last_metric, "params": last_param}


def json_safe(value: Any) -> Any:
    """``value`` as JSON data: non-finite floats become None, unknown objects their repr."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return repr(value)


def publish(start: tuple[int, int] = (0, 0)) -> None:
    """Show what was logged since ``start`` as one output of the running cell (stage end)."""
    metrics, params = since(start)
    if not metrics and not params:
        return
    from IPython.display import display

    display({METRICS_MIME: summary(metrics, params)}, raw=True)  # type: ignore[no-untyped-call]
