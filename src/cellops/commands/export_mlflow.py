"""``cellops export-mlflow``: recorded cell executions as MLflow runs."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "export-mlflow",
        help="export recorded cell executions to MLflow",
        description="Turn executions from the tracking database into MLflow runs (params, "
        "metrics, tags naming notebook, cell and run, and the code as an artifact). Filters "
        "combine; without any, every execution is exported.",
    )
    p.add_argument("--db", help="tracking database (default: the project's .cellops/tracking.db)")
    p.add_argument("--notebook", help="only executions of this notebook")
    p.add_argument("--cell", metavar="CELL_ID", help="only executions of this cell id")
    p.add_argument("--run", metavar="RUN_ID", help="only executions of this `cellops run`")
    p.add_argument("--stage", help="only executions of this pipeline stage")
    p.add_argument("--status", choices=["ok", "error", "interrupted"])
    p.add_argument(
        "--execution", type=int, action="append", metavar="ID", help="an execution id (repeatable)"
    )
    p.add_argument("--last", type=int, metavar="N", help="only the N newest matching executions")
    p.add_argument(
        "--tracking-uri", help="MLflow tracking URI (default: MLFLOW_TRACKING_URI or MLflow's)"
    )
    p.add_argument("--experiment", help="MLflow experiment (default: the notebook's file name)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cellops.errors import CellopsError
    from cellops.tracking import config
    from cellops.tracking.mlflow_export import export
    from cellops.tracking.reader import Filters

    if args.last is not None and args.last < 1:
        raise CellopsError("--last must be at least 1")
    db = Path(args.db) if args.db else config.resolve_db()
    if not db.is_file():
        raise CellopsError(
            f"{db}: no tracking database; run some cells first or name one with --db"
        )
    filters = Filters(
        notebook=str(Path(args.notebook).resolve()) if args.notebook else None,
        cell_id=args.cell,
        run_id=args.run,
        stage=args.stage,
        status=args.status,
        ids=tuple(args.execution) if args.execution else None,
        limit=args.last,
    )
    done = export(db, filters, tracking_uri=args.tracking_uri, experiment=args.experiment)
    for item in done:
        print(
            f"execution {item.execution_id} -> MLflow run {item.mlflow_run_id} ({item.experiment})"
        )
    print(f"exported {len(done)} execution(s) from {db}")
    return 0
