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


def run(args: argparse.Namespace) -> int:
    from cellops.commands.report import print_promote
    from cellops.package.promote import promote

    result = promote(args.notebook, args.output, args.name, args.require)
    print_promote(result)
    return 0
