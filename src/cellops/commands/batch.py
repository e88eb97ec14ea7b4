"""``cellops batch``: run a package or a parameterised notebook over a parameter sweep."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cellops.commands import add_param_option, stop_on_sigint


def add_parser(sub: Any) -> None:
    b = sub.add_parser(
        "batch",
        help="run a pipeline (or a notebook with a parameters cell) over a parameter sweep",
        description="Run TARGET once per parameter set and collect one results table "
        "(parameters, metrics, status, duration, executed notebooks), saved as Parquet and CSV. "
        "Stages whose code, parameters and inputs are the same across runs run once.",
        epilog="examples: cellops batch PKG --grid max_depth=2,4,8 --grid C=0.1,1 -j 2; "
        "cellops batch nb.ipynb --params-file sweep.yaml; cellops batch PKG --resume",
    )
    b.add_argument("target", help="a package directory or a .ipynb notebook")
    b.add_argument(
        "-g",
        "--grid",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="values of one parameter; several --grid make their product (repeatable)",
    )
    b.add_argument(
        "--params-file",
        metavar="FILE",
        help="the sweep in YAML (NAME: [values], or runs: [{NAME: value}, ...]) or CSV "
        "(a header of names, one run per row)",
    )
    add_param_option(b, "fix a parameter for every run (repeatable)")
    b.add_argument("-j", "--jobs", type=int, help="stages to run at once (default: CPUs)")
    b.add_argument("--executor", choices=("local", "dask"), default="local")
    b.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address (tcp://HOST:8786); default: a local cluster",
    )
    b.add_argument(
        "--artifacts",
        metavar="PATH",
        help="with dask: where workers exchange the values passed between stages, a folder "
        "every worker mounts or an object-store URL (s3://BUCKET/PREFIX, credentials from the "
        "environment)",
    )
    b.add_argument("--retries", type=int, default=0, help="extra attempts for a failing stage")
    b.add_argument(
        "--resume", action="store_true", help="continue the latest batch: only unfinished runs"
    )
    b.add_argument("-q", "--quiet", action="store_true", help="no progress, only the table")
    # The server picks the id up front, so the sidebar can poll a sweep it just started.
    b.add_argument("--batch-id", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from cellops.errors import CellopsError
    from cellops.sweeps import prepare_batch
    from cellops.sweeps.results import render

    stop_on_sigint()
    if args.retries < 0:
        raise CellopsError("--retries must be 0 or more")
    if args.scheduler and args.executor != "dask":
        raise CellopsError("--scheduler is for --executor dask; add it or drop --scheduler")
    sweep = prepare_batch(
        args.target,
        args.grid or None,
        params_file=args.params_file,
        params=tuple(args.param),
        jobs=args.jobs,
        executor=args.executor,
        scheduler=args.scheduler,
        artifacts=args.artifacts,
        resume=args.resume,
        retries=args.retries,
        batch_id=args.batch_id,
        out=sys.stderr,
        quiet=args.quiet,
    )
    verb = "resuming" if args.resume else "running"
    if not args.quiet:
        print(
            f"{verb} batch {sweep.batch_id}: {len(sweep.plan.runs)} run(s) of "
            f"{sweep.target.spec.name}",
            file=sys.stderr,
        )
    try:
        rows = sweep.run()
    except KeyboardInterrupt:
        _summary(sweep)
        raise
    print(render(rows, sweep.params, sweep.plan.swept))
    _summary(sweep)
    return 0 if sweep.progress.status == "done" else 1


def _summary(sweep: Any) -> None:
    p = sweep.progress
    files = sweep.result_files
    where = f"; results: {files[0]} and {files[1].name}" if files else ""
    shared = ", ".join(f"{stage} x{n}" for stage, n in sorted(sweep.executed.items()))
    print(
        f"batch {sweep.batch_id} {p.status}: {p.done} done, {p.failed} failed of {p.total}"
        f" (stage executions: {shared or 'none, all cached'}){where}",
        file=sys.stderr,
    )
    if p.status == "interrupted":
        print(f"continue with `cellops batch {sweep.target.package} --resume`", file=sys.stderr)
