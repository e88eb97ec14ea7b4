"""What carrying the notebook's folder costs promote (issue 12 item 4).

Three `cellops promote` processes take turns (median of 5 each, every one into a fresh
directory). The first promotes the three-stage notebook alone. The second promotes it with a
folder of 200 data files (``SIZE_MB`` in all) read through ``glob`` and a helper module, all
carried. The third promotes the same folder with ``--carry-limit 0``, so every data file is
referenced, not copied. The ratios show what reading, hashing and writing the carried files
add, and what finding them alone costs.
"""

from __future__ import annotations

import os
import sys

import gen
from _common import Row, cellops, report, side_by_side, tempdir, write_notebook

RUNS = 5
FILES = 200
SIZE_MB = int(os.environ.get("CELLOPS_BENCH_FOLDER_MB", "100"))


def _notebook() -> dict[str, object]:
    nb = gen.three_stage()
    cells = nb["cells"]
    assert isinstance(cells, list)
    cells.insert(
        1,
        gen.code(
            "folder",
            "import glob, helpers\nnames = sorted(glob.glob('data/*.bin'))",
            "setup",
        ),
    )
    return nb


def measure() -> list[Row]:
    with tempdir() as tmp:
        (tmp / "plain").mkdir()
        plain = write_notebook(gen.three_stage(), tmp / "plain" / "nb.ipynb")
        folder = tmp / "project"
        (folder / "data").mkdir(parents=True)
        (folder / "helpers.py").write_text("def f(x):\n    return x\n", encoding="utf-8")
        chunk = os.urandom(SIZE_MB * (1 << 20) // FILES)
        for i in range(FILES):
            (folder / "data" / f"part-{i:03d}.bin").write_bytes(chunk)
        nb = write_notebook(_notebook(), folder / "nb.ipynb")
        t = side_by_side(
            {
                "plain": lambda i: cellops("promote", plain, "-o", tmp / f"plain-{i}"),
                "carried": lambda i: cellops("promote", nb, "-o", tmp / f"carried-{i}"),
                "referenced": lambda i: cellops(
                    "promote", nb, "-o", tmp / f"ref-{i}", "--carry-limit", "0"
                ),
            },
            RUNS,
        )
    note = f"median of {RUNS}, whole CLI process"
    return [
        Row("`cellops promote` three stages, no folder", t["plain"], note=note),
        Row(
            f"`cellops promote` + {FILES} files ({SIZE_MB} MB) carried",
            t["carried"],
            note=f"{note}; {t['carried'] / t['plain']:.2f}x the promote without a folder",
        ),
        Row(
            f"`cellops promote` + {FILES} files ({SIZE_MB} MB) referenced",
            t["referenced"],
            note=f"{note}; {t['referenced'] / t['plain']:.2f}x: finding and stat only",
        ),
    ]


if __name__ == "__main__":
    report("notebook folder", measure())
    sys.exit(0)
