"""Export speed: `cellops export` to each engine as a whole process (target <= 1 s each).

The promoted wine example (its object storage library pinned with `--require s3fs`) is
exported to Argo, Kubeflow (compiled by the kfp SDK) and Airflow (both operators), next to
`python -c pass` (the floor of any Python CLI). Medians of 7 runs, the commands taking turns.

Parallelism is counted, not timed: in each export, the stage pairs with no path between them
in the stage graph (train_forest and train_logreg) must have no dependency between them either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from _common import EXAMPLES, PY, Command, Row, cellops, report, run, side_by_side, tempdir

RUNS = 7
TARGET = 1.0
WINE = EXAMPLES / "wine_fanout.ipynb"
ENGINES = {
    "argo": ["--to", "argo"],
    "kubeflow": ["--to", "kubeflow"],
    "airflow": ["--to", "airflow"],
    "airflow_docker": ["--to", "airflow", "--operator", "docker", "--network", "host"],
}


def _argo_deps(text: str) -> dict[str, set[str]]:
    docs = yaml.safe_load(text)
    dag = next(t for t in docs["spec"]["templates"] if t["name"] == "pipeline")["dag"]
    return {t["name"]: set(t.get("dependencies", [])) for t in dag["tasks"]}


def _kfp_deps(text: str) -> dict[str, set[str]]:
    spec = next(d for d in yaml.safe_load_all(text) if d and "root" in d)
    tasks = spec["root"]["dag"]["tasks"]
    return {name: set(t.get("dependentTasks", [])) for name, t in tasks.items()}


def _closure(deps: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}

    def up(name: str) -> set[str]:
        if name not in out:
            out[name] = set(deps[name]).union(*(up(d) for d in deps[name]))
        return out[name]

    for name in deps:
        up(name)
    return out


def parallel_pairs(deps: dict[str, set[str]]) -> int:
    """Pairs of tasks neither of which waits (directly or not) for the other."""
    reach = _closure(deps)
    names = sorted(deps)
    return sum(
        1
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if a not in reach[b] and b not in reach[a]
    )


def graph_pairs(package: Path) -> int:
    spec = yaml.safe_load((package / "pipeline.yaml").read_text(encoding="utf-8"))
    return parallel_pairs({n: set(s.get("after", [])) for n, s in spec["stages"].items()})


def measure() -> list[Row]:
    with tempdir() as tmp:
        package = tmp / "wine"
        run(cellops("promote", WINE, "-o", package, "--require", "s3fs"))
        base = ["--image", "registry.example/wine:1", "--storage", "s3://bucket/runs"]
        commands: dict[str, Command] = {"python": [PY, "-c", "pass"]}
        for name, args in ENGINES.items():
            out = tmp / f"{name}.out"
            commands[name] = cellops("export", package, *args, *base, "-o", out)
        t = side_by_side(commands, RUNS, cwd=tmp)
        expected = graph_pairs(package)
        counted: dict[str, Any] = {
            "argo": parallel_pairs(_argo_deps((tmp / "argo.out").read_text())),
            "kubeflow": parallel_pairs(_kfp_deps((tmp / "kubeflow.out").read_text())),
        }
    rows = [Row("interpreter start (`python -c pass`)", t["python"], note=f"median of {RUNS}")]
    for name in ENGINES:
        label = name.replace("_docker", " (DockerOperator)")
        rows.append(
            Row(
                f"`cellops export --to {label}` wine",
                t[name],
                target=TARGET,
                note=f"median of {RUNS}, whole CLI process",
            )
        )
    for name, pairs in counted.items():
        rows.append(
            Row(
                f"independent stage pairs left parallel, {name}",
                pairs,
                unit="pairs",
                target=expected,
                exact=True,
                note=f"the stage graph has {expected}; the Airflow DAG's are checked by "
                "Airflow's loader in tests/export/test_airflow.py",
            )
        )
    return rows


if __name__ == "__main__":
    report("export", measure())
