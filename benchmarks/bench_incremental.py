"""Incremental re-runs, counted rather than timed, on the 3-stage package (``gen.three_stage()``).

1. promote and run: all 3 stages run;
2. edit only the last stage's code, promote again, run: exactly 1 stage should run;
3. add a comment to the first stage, promote again, run: no stage should run.

The counts come from the run record, PKG/.cellops/runs/<latest>/run.json.
"""

from __future__ import annotations

import gen
from _common import Row, cellops, report, run, stage_counts, tempdir, write_notebook

STEPS = [
    ("first run", {}, 3),
    ("edit the last stage's code", {"last_stage": "print(sum(y) + 1)"}, 1),
    (
        "comment-only edit in the first stage",
        {"last_stage": "print(sum(y) + 1)", "first_comment": "# square roots\n"},
        0,
    ),
]


def measure() -> list[Row]:
    rows = []
    with tempdir() as tmp:
        nb, pkg = tmp / "three_stage.ipynb", tmp / "pkg"
        for label, edits, expected in STEPS:
            write_notebook(gen.three_stage(**edits), nb)
            run(cellops("promote", nb, "-o", pkg))
            run(cellops("run", pkg))
            counts = stage_counts(pkg)
            ran, cached = counts.get("done", 0), counts.get("cached", 0)
            rows.append(
                Row(
                    f"stages run after: {label}",
                    ran,
                    unit="ran",
                    target=expected,
                    exact=True,
                    note=f"{cached} cached, of 3",
                )
            )
    return rows


if __name__ == "__main__":
    report("incremental runs", measure())
