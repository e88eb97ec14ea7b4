"""``cellops run``: execute a package locally."""

from __future__ import annotations

import argparse
import os
from typing import Any

from cellops.commands import add_param_option, stop_on_sigint


def add_parser(sub: Any) -> None:
    r = sub.add_parser(
        "run",
        help="run a pipeline package locally, with caching and parallel stages",
        description="Execute the stages of a package with papermill in real kernels, in "
        "dependency order, independent stages in parallel. Unchanged stages come from the cache.",
    )
    r.add_argument("package", help="the package directory (written by `cellops promote`)")
    add_param_option(r, "set a pipeline parameter (repeatable)")
    r.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        help="stages to run at once (default: number of CPUs)",
    )
    r.add_argument(
        "--resume",
        action="store_true",
        help="continue the last failed run: finished stages are not run again",
    )
    r.add_argument("--no-cache", action="store_true", help="run every stage, ignoring the cache")
    r.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    r.add_argument("--run-id", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from cellops.errors import CellopsError

    stop_on_sigint()
    from cellops.run.local import RunOptions, run_package

    if args.jobs is not None and args.jobs < 1:
        raise CellopsError("--jobs must be at least 1")
    options = RunOptions(
        params=tuple(args.param),
        jobs=args.jobs or os.cpu_count() or 1,
        resume=args.resume,
        use_cache=not args.no_cache,
        quiet=args.quiet,
        run_id=args.run_id,
    )
    record = run_package(args.package, options)
    return 0 if record.status == "done" else 1
