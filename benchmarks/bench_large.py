"""Promote a large notebook: 2,000 cells in 50 stages (``gen.large()``), target <= 2 s.

The median of 5 whole `cellops promote` processes, each into a fresh directory, next to
`cellops check` of the same notebook (analysis only, nothing written).
"""

from __future__ import annotations

import gen
from _common import Row, cellops, report, side_by_side, tempdir, write_notebook

RUNS = 5
TARGET = 2.0


def measure() -> list[Row]:
    with tempdir() as tmp:
        nb = write_notebook(gen.large(), tmp / "large.ipynb")
        t = side_by_side(
            {
                "promote": lambda i: cellops("promote", nb, "-o", tmp / f"pkg{i}"),
                "check": cellops("check", nb),
            },
            RUNS,
        )
    return [
        Row(
            "`cellops promote` 2,000 cells / 50 stages",
            t["promote"],
            target=TARGET,
            note=f"median of {RUNS}, whole CLI process",
        ),
        Row(
            "`cellops check` 2,000 cells / 50 stages",
            t["check"],
            note=f"median of {RUNS}; analysis without writing",
        ),
    ]


if __name__ == "__main__":
    report("large notebook", measure())
