"""The results table of a batch: one row per run, from its record and executed notebooks.

A row holds the run's parameters, its metrics (what the stages published with
``cellops.log_metric`` / ``log_param``, plus the stage outputs that are plain scalars), its
status and error, the seconds its own stages ran (stages shared with another run or taken
from the cache count 0) and the folder of its executed notebooks. Rows are plain JSON-safe
dicts (the server returns them as they are); ``frame`` makes the pandas DataFrame.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cellops.artifacts.stores import Store
from cellops.errors import ArtifactError
from cellops.metrics import METRICS_MIME
from cellops.run.record import RunRecord

FIXED_COLUMNS = ("status", "error", "duration", "run_id", "notebooks")
_MAX_TEXT = 200


def _published(notebook: Path) -> dict[str, Any]:
    """Metrics and params a stage published (the last value of each)."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return {}
    found: dict[str, Any] = {}
    for cell in cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {}).get(METRICS_MIME)
            if isinstance(data, dict):
                found.update(data.get("params") or {})
                found.update(data.get("metrics") or {})
    return found


def _scalar(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= _MAX_TEXT
    return isinstance(value, (bool, int, float)) or value is None


def _scalar_outputs(outputs: dict[str, dict[str, str]], store: Store) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, out in sorted(outputs.items()):
        if out.get("ext") != "json":
            continue
        try:
            value = json.loads(store.read_bytes(out["sha256"], "json"))
        except (OSError, ValueError, ArtifactError):
            continue
        if _scalar(value):
            found[name] = value
    return found


def run_row(
    index: int, rec: RunRecord, run_dir: Path, store: Store, params: Sequence[str]
) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    error = ""
    seconds = 0.0
    for name, srec in rec.stages.items():
        if srec.status == "done":
            seconds += srec.duration or 0.0
        if srec.status in ("done", "cached"):
            metrics.update(_scalar_outputs(srec.outputs, store))
            if srec.notebook:
                metrics.update(_published(run_dir / srec.notebook))
        if srec.status == "failed" and srec.error is not None and not error:
            where = f" in {srec.error.source_cell}" if srec.error.source_cell else ""
            error = f"stage '{name}'{where}: {srec.error.ename}: {srec.error.evalue}"
    row: dict[str, Any] = {"run": index}
    row.update({p: rec.parameters.get(p) for p in params})
    for name, value in metrics.items():
        column = name if name not in row and name not in FIXED_COLUMNS else f"metric:{name}"
        row[column] = value if not isinstance(value, float) or math.isfinite(value) else None
    row.update(
        status=rec.status,
        error=error,
        duration=round(seconds, 3),
        run_id=rec.run_id,
        notebooks=str(run_dir / "stages"),
    )
    return row


def columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Run and parameters first, then metrics in order of appearance, then the fixed ones."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(k for k in row if k not in FIXED_COLUMNS))
    return [*seen, *FIXED_COLUMNS]


def frame(rows: Sequence[dict[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame(list(rows), columns=columns(rows) if rows else ["run", *FIXED_COLUMNS])


def _cell(value: Any) -> Any:
    # Parquet wants one type per column: lists and dicts (list/dict parameters) go as JSON.
    return json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value


def save(rows: Sequence[dict[str, Any]], directory: Path) -> tuple[Path, Path]:
    """results.parquet and results.csv in ``directory``, each written atomically."""
    from cellops.fsutil import atomic_write

    df = frame([{k: _cell(v) for k, v in row.items()} for row in rows])
    csv_path, parquet_path = directory / "results.csv", directory / "results.parquet"
    atomic_write(csv_path, df.to_csv(index=False))
    import io

    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    atomic_write(parquet_path, buf.getvalue())
    return parquet_path, csv_path


def render(rows: Sequence[dict[str, Any]], params: Sequence[str], swept: Sequence[str]) -> str:
    """The table printed at the end: swept parameters, metrics, status, duration (and the
    errors when a run failed)."""
    if not rows:
        return "(no runs)"
    df = frame(rows)
    hidden = {"run_id", "notebooks", *(p for p in params if p not in swept)}
    if not any(row.get("error") for row in rows):
        hidden.add("error")
    return str(
        df[[c for c in df.columns if c not in hidden]].to_string(index=False, max_colwidth=60)
    )
