"""``cellops promote``: a tagged notebook -> a pipeline package."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "promote",
        help="turn a tagged notebook into a pipeline package",
        description="Write a pipeline package (pipeline.yaml, one papermill notebook per stage, "
        "requirements.lock, README) for a tagged notebook. Nothing is written when the "
        "notebook has errors.",
    )
    p.add_argument("notebook", help="the .ipynb file")
    p.add_argument(
        "-o", "--output", help="package directory (default: NOTEBOOK-pipeline next to the notebook)"
    )
    p.add_argument("--name", help="pipeline name (default: from the notebook's file name)")
    p.add_argument(
        "--require",
        action="append",
        default=[],
        metavar="DIST",
        help="also pin this installed distribution, which no stage imports (e.g. s3fs for "
        "`cellops export --storage s3://...`; repeatable)",
    )
    p.add_argument(
        "--carry-limit",
        type=float,
        default=50,
        metavar="MB",
        help="carry files of the notebook's folder up to this size each into the package; "
        "larger ones are referenced, to be supplied at run time (default: 50)",
    )
    p.add_argument(
        "--carry-total",
        type=float,
        default=200,
        metavar="MB",
        help="carry at most this much in all; the files past it are referenced (default: 200)",
    )


def run(args: argparse.Namespace) -> int:
    from cellops.commands.report import print_promote
    from cellops.errors import CellopsError
    from cellops.package.folder import MB, CarryLimits
    from cellops.package.promote import promote

    if args.carry_limit < 0 or args.carry_total < 0:
        raise CellopsError("--carry-limit and --carry-total take a size in MB, 0 or more")
    limits = CarryLimits(int(args.carry_limit * MB), int(args.carry_total * MB))
    result = promote(args.notebook, args.output, args.name, args.require, limits=limits)
    print_promote(result)
    return 0
