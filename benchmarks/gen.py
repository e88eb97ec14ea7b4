"""Generated, tagged notebooks for the benchmarks (plain nbformat 4.5 dicts, fixed cell ids).

``three_stage()``: setup, parameters ``n = 3`` and three trivial stages a -> b -> c.
``large()``: 2,000 cells in 50 stages (about 37 code cells each), data flowing from each
stage to the next and, from stage 3 on, from three stages back too.

``python benchmarks/gen.py DIR`` writes both to DIR, to look at or to run by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

Cell = dict[str, Any]

METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def code(cid: str, source: str, *tags: str) -> Cell:
    meta = {"tags": list(tags)} if tags else {}
    return {
        "cell_type": "code",
        "id": cid,
        "metadata": meta,
        "source": source,
        "execution_count": None,
        "outputs": [],
    }


def markdown(cid: str, source: str) -> Cell:
    return {"cell_type": "markdown", "id": cid, "metadata": {}, "source": source}


def notebook(cells: list[Cell]) -> dict[str, Any]:
    return {"cells": cells, "metadata": METADATA, "nbformat": 4, "nbformat_minor": 5}


def three_stage(last_stage: str = "print(sum(y))", first_comment: str = "") -> dict[str, Any]:
    """The 3-stage notebook; the arguments make the edits of the incremental benchmark."""
    return notebook(
        [
            markdown("intro", "# Three trivial stages"),
            code("setup", "import math", "setup"),
            code("params", "n = 3", "parameters"),
            code("a", f"{first_comment}x = [math.sqrt(i) for i in range(n)]", "stage:a"),
            code("b", "y = [v * 2 for v in x]", "stage:b"),
            code("c", last_stage, "stage:c"),
        ]
    )


def chain(stages: int = 21) -> dict[str, Any]:
    """``stages`` trivial stages s0 -> s1 -> ...: each adds one to the value of the one before."""
    cells = [code("params", "n = 3", "parameters"), code("s0", "v0 = list(range(n))", "stage:s0")]
    for i in range(1, stages):
        cells.append(code(f"s{i}", f"v{i} = [x + 1 for x in v{i - 1}]", f"stage:s{i}"))
    cells.append(code("last", f"print(v{stages - 1})"))
    return notebook(cells)


SETUP = """\
import json
import math
import statistics
from collections import Counter


def scale(values, factor):
    return [v * factor for v in values]
"""

PARAMETERS = 'size = 20\nfactor = 1.5\nlabel = "bench"'


def _cell(s: int, k: int) -> str:
    """Untagged cell ``k`` of stage ``s``: a few lines that extend ``v{s}_{k-1}``."""
    prev = f"v{s}_{k - 1}"
    if k % 4 == 1:
        return f"v{s}_{k} = [v + {k} for v in {prev}]\nm{s}_{k} = statistics.mean(v{s}_{k})"
    if k % 4 == 2:
        return f"v{s}_{k} = []\nfor v in {prev}:\n    v{s}_{k}.append(math.sqrt(abs(v)) + v)"
    if k % 4 == 3:
        return f"counts{s}_{k} = Counter(int(v) % 7 for v in {prev})\nv{s}_{k} = {prev}"
    return f"v{s}_{k} = sorted({prev})\nsummary{s}_{k} = json.dumps({{'n': len(v{s}_{k})}})"


def _stage(s: int, n: int, last: bool) -> list[Cell]:
    """``n`` cells: a heading, the ``stage:sN`` cell, untagged code cells, one note."""
    source = f"d{s - 1}" if s else "list(range(size))"
    cells = [
        markdown(f"h{s}", f"## Stage {s}"),
        code(f"s{s}", f"# stage {s}\nv{s}_0 = scale({source}, factor)", f"stage:s{s}"),
    ]
    cells += [code(f"s{s}c{k}", _cell(s, k)) for k in range(1, n - 3)]
    out = f"v{s}_{n - 4}"
    result = f"d{s} = [round(v % 1000, 3) for v in {out}][:size]"
    if s >= 3:  # and a look further back, so not every edge is to the neighbour
        result += f"\nd{s}[0] += len(d{s - 3})"
    if last:
        result += f"\nprint(label, sum(d{s}))"
    cells.append(code(f"s{s}out", result))
    cells.insert(n // 2, markdown(f"s{s}note", f"Stage {s} so far: *{out}* and friends."))
    return cells


def large(stages: int = 50, per_stage: int = 40) -> dict[str, Any]:
    """``stages * per_stage`` cells (2,000): setup, parameters, then the stages in turn."""
    cells = [code("setup", SETUP, "setup"), code("params", PARAMETERS, "parameters")]
    for s in range(stages):
        n = per_stage - (len(cells) if s == 0 else 0)  # stage 0 makes room for the head
        cells += _stage(s, n, last=s == stages - 1)
    return notebook(cells)


if __name__ == "__main__":
    import json

    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    for name, nb in (("three_stage", three_stage()), ("large", large())):
        (out / f"{name}.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")
        print(out / f"{name}.ipynb", len(nb["cells"]), "cells")
