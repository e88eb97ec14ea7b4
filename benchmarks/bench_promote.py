"""Promote speed: `cellops promote` as a whole process, next to other whole-CLI tools.

- `python -c pass`: interpreter start, the floor for any Python CLI
- `cellops promote examples/wine_fanout.ipynb -o TMP` (target <= 0.5 s), and the same with an
  empty XDG_CACHE_HOME (cellops caches installed distributions' metadata there)
- `jupyter nbconvert --to script` of the same notebook
- Kale 2.3 (`kubeflow-kale`, installed from the registry into benchmarks/.kale-venv on first
  use) compiling the Kale example, and cellops promoting the same notebook.
  CELLOPS_BENCH_KALE=0 leaves Kale out.

Medians of 7 runs, the commands taking turns; each promote writes a fresh directory.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from _common import EXAMPLES, PY, Command, Row, cellops, report, run, side_by_side, tempdir

RUNS = 7
TARGET = 0.5
KALE_VERSION = "2.3.0"
KALE = f"kubeflow-kale=={KALE_VERSION}"
KALE_VENV = Path(__file__).resolve().parent / ".kale-venv"
WINE = EXAMPLES / "wine_fanout.ipynb"
IRIS = EXAMPLES / "iris_kale.ipynb"
NBCONVERT = [PY, "-m", "jupyter", "nbconvert", "--to", "script"]


def kale_cli() -> tuple[Path | None, str]:
    """Kale's command line, installed on first use; or None and the reason."""
    if os.environ.get("CELLOPS_BENCH_KALE") == "0":
        return None, "left out (CELLOPS_BENCH_KALE=0)"
    kale = KALE_VENV / "bin" / "kale"
    if not kale.exists():
        print(f"installing {KALE} into {KALE_VENV} ...", file=sys.stderr)
        base: str = getattr(sys, "_base_executable", PY)
        pip: list[str | Path] = [KALE_VENV / "bin" / "python", "-m", "pip", "install", "-q", KALE]
        steps: list[list[str | Path]] = [[base, "-m", "venv", KALE_VENV], pip]
        for step in steps:
            proc = run(step, check=False)
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or ["?"])[-1]
                return None, f"{KALE} not installable here: {last}"
    return kale, ""


def kale_step_tags(src: Path, dest: Path) -> Path:
    """A copy of a Kale notebook with `block:` tags renamed `step:` (Kale 2.x's spelling)."""
    nb = json.loads(src.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags")
        if tags:
            cell["metadata"]["tags"] = [t.replace("block:", "step:", 1) for t in tags]
    dest.write_text(json.dumps(nb), encoding="utf-8")
    return dest


def kale_commands(tmp: Path) -> tuple[dict[str, Command], list[str]]:
    """Kale's timed command (if it can compile the example offline) and notes on it."""
    kale, why = kale_cli()
    if kale is None:
        return {}, [why]
    notes = []

    def compile_(nb: Path, i: int) -> list[str | Path]:
        return [kale, "--nb", nb, "--output_path", tmp / f"kale{i}"]

    nb = tmp / IRIS.name
    nb.write_bytes(IRIS.read_bytes())
    proc = run(compile_(nb, -9), cwd=tmp, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        notes.append(
            f"Kale {KALE_VERSION} rejects {IRIS.name} ({last}): timed on a copy "
            "with its `block:` tags renamed `step:`"
        )
        nb = kale_step_tags(IRIS, tmp / "iris_kale_step.ipynb")
        proc = run(compile_(nb, -9), cwd=tmp, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            return {}, [*notes, f"Kale {KALE_VERSION} cannot compile it offline either: {last}"]
    return {"kale": lambda i: compile_(nb, i)}, notes


def measure() -> list[Row]:
    with tempdir() as tmp:
        commands: dict[str, Command] = {
            "python": [PY, "-c", "pass"],
            "promote": lambda i: cellops("promote", WINE, "-o", tmp / f"wine{i}"),
            "promote_cold": lambda i: [
                "env",
                f"XDG_CACHE_HOME={tmp / f'xdg{i}'}",
                *cellops("promote", WINE, "-o", tmp / f"cold{i}"),
            ],
            "nbconvert": lambda i: [*NBCONVERT, WINE, "--output-dir", tmp / f"nbconvert{i}"],
        }
        kale, kale_notes = kale_commands(tmp)
        if kale:
            commands["promote_iris"] = lambda i: cellops("promote", IRIS, "-o", tmp / f"iris{i}")
            commands.update(kale)
        t = side_by_side(commands, RUNS, cwd=tmp)

    promote = t["promote"]
    rows = [
        Row("interpreter start (`python -c pass`)", t["python"], note=f"median of {RUNS}"),
        Row(
            "`cellops promote` wine_fanout.ipynb",
            promote,
            target=TARGET,
            note=f"median of {RUNS}, whole CLI process; "
            f"{promote - t['python']:.3f} s above interpreter start",
        ),
        Row(
            "`cellops promote` wine_fanout.ipynb, first on a machine",
            t["promote_cold"],
            note=f"median of {RUNS}; an empty cache dir, so the requirements lock reads "
            "every installed distribution's metadata",
        ),
        Row(
            "`jupyter nbconvert --to script` wine_fanout.ipynb",
            t["nbconvert"],
            note=f"median of {RUNS}; {t['nbconvert'] / promote:.1f}x the time of promote",
        ),
    ]
    if kale:
        rows += [
            Row(
                f"Kale {KALE_VERSION} `kale --nb` iris_kale.ipynb",
                t["kale"],
                note=f"median of {RUNS}, compiles the KFP pipeline offline; "
                + "; ".join(kale_notes),
            ),
            Row(
                "`cellops promote` iris_kale.ipynb",
                t["promote_iris"],
                note=f"median of {RUNS}; Kale takes {t['kale'] / t['promote_iris']:.1f}x as long",
            ),
        ]
    else:
        rows.append(
            Row(
                f"Kale {KALE_VERSION} `kale --nb` iris_kale.ipynb", None, note="; ".join(kale_notes)
            )
        )
    return rows


if __name__ == "__main__":
    report("promote", measure())
