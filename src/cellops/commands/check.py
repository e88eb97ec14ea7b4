"""``cellops check``: stages, edges and diagnostics, nothing written."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    c = sub.add_parser(
        "check",
        help="show a notebook's stages, edges and diagnostics without writing anything",
    )
    c.add_argument("notebook")


def run(args: argparse.Namespace) -> int:
    from cellops.commands.report import print_check
    from cellops.notebook.read import read_notebook
    from cellops.package.promote import analyse

    analysis = analyse(read_notebook(args.notebook))
    print_check(analysis)
    return 2 if any(d.severity == "error" for d in analysis.diagnostics) else 0
