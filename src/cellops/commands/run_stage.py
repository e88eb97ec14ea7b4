"""``cellops run-stage``: run one stage alone with given input and output locations."""

from __future__ import annotations

import argparse
import os
from typing import Any

from cellops.commands import add_param_option


def add_parser(sub: Any) -> None:
    r = sub.add_parser(
        "run-stage",
        help="run one stage alone, reading and writing artifacts at given locations",
        description="Run one stage of a package in a kernel, reading its inputs from the "
        "upstream stages' output locations and writing its outputs to --outputs (local "
        "directories or fsspec URLs such as s3://bucket/run). No cache, no run record: this is "
        "the step an orchestrator (Argo, Kubeflow, Airflow) runs in the pipeline's image.",
    )
    r.add_argument("stage", help="the stage to run")
    r.add_argument(
        "--package",
        default=os.environ.get("CELLOPS_PACKAGE", "."),
        help="the package directory (default: $CELLOPS_PACKAGE or the current directory)",
    )
    r.add_argument(
        "--inputs",
        action="append",
        default=[],
        metavar="ROOT|STAGE=LOC",
        help="where upstream outputs are: ROOT (stage S wrote to ROOT/S) or STAGE=LOC (repeatable)",
    )
    r.add_argument("--outputs", metavar="LOC", help="where this stage writes its outputs")
    add_param_option(r, "set a pipeline parameter (repeatable)")
    r.add_argument(
        "--notebook",
        metavar="PATH|URL",
        help="where the executed notebook goes, a path or fsspec URL, written also when the "
        "stage fails (default: PACKAGE/.cellops/run-stage/STAGE.ipynb)",
    )
    r.add_argument(
        "--retries",
        type=int,
        metavar="N",
        help="attempts after a failure (default: the stage's retries option; orchestrators that "
        "retry the step themselves pass 0)",
    )


def run(args: argparse.Namespace) -> int:
    from cellops.run.stage import StageRunOptions, run_stage

    run_stage(
        args.package,
        StageRunOptions(
            stage=args.stage,
            inputs=tuple(args.inputs),
            outputs=args.outputs,
            params=tuple(args.param),
            notebook=args.notebook,
            retries=args.retries,
        ),
    )
    return 0
