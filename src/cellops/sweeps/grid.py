"""Sweeps: ``--grid NAME=V1,V2``, ``--params-file`` and fixed ``-p`` -> the parameter sets of a
batch, each checked against the pipeline's typed parameters before anything runs."""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cellops.errors import ParameterError
from cellops.package.spec import Parameter, PipelineSpec
from cellops.run.params import check_value, describe, resolve

GridInput = Mapping[str, Sequence[Any]] | Sequence[str]


@dataclass(frozen=True)
class SweepPlan:
    runs: tuple[dict[str, Any], ...]  # every parameter of the pipeline, one dict per run
    swept: tuple[str, ...]  # the parameters the grid, file or -p set, in the order given


def run_key(params: Mapping[str, Any]) -> str:
    """One string per parameter set: how a resumed batch finds the runs it already finished."""
    return json.dumps(params, sort_keys=True, default=repr)


def split_values(text: str) -> list[str]:
    """``1,2,3`` -> ['1', '2', '3']; commas inside brackets or quotes do not split, so list and
    dict parameters can be swept: ``layers=[1,2],[3]``."""
    parts: list[str] = []
    depth = 0
    quote = ""
    current = ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _param(spec: PipelineSpec, name: str, where: str) -> Parameter:
    param = spec.parameter(name)
    if param is None:
        raise ParameterError(f"{where}: unknown parameter '{name}'; {describe(spec)}")
    return param


def _grid_from_args(items: Sequence[str]) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"--grid {item!r}: write a grid as --grid NAME=VALUE1,VALUE2")
        if name in grid:
            raise ParameterError(f"--grid {name} is given twice; list all its values in one")
        values = split_values(raw)
        if not values:
            raise ParameterError(
                f"--grid {name} has no values; write them comma-separated: --grid {name}=1,2,3"
            )
        grid[name] = values
    return grid


def _check_grid(
    spec: PipelineSpec, grid: Mapping[str, Sequence[Any]], where: str
) -> dict[str, list[Any]]:
    checked: dict[str, list[Any]] = {}
    for name, values in grid.items():
        param = _param(spec, name, where)
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            values = [values]
        if not values:
            raise ParameterError(f"{where}: the grid of '{name}' is empty; give it values")
        checked[name] = [check_value(param, v, f"{where} ({name})") for v in values]
    return checked


def _check_run(spec: PipelineSpec, run: Any, where: str) -> dict[str, Any]:
    if not isinstance(run, Mapping):
        raise ParameterError(f"{where}: a run is a mapping of parameter names to values")
    return {
        str(name): check_value(_param(spec, str(name), where), value, f"{where} ({name})")
        for name, value in run.items()
    }


def load_params_file(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(grid, runs) from a YAML or CSV sweep file; values are still unchecked."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"--params-file {p}: cannot read it ({exc.strerror})") from None
    if p.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        # An empty cell keeps the parameter's default for that run.
        return {}, [{k: v for k, v in row.items() if k and v not in (None, "")} for row in rows]
    if p.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise ParameterError(f"--params-file {p}: use a .yaml, .yml, .json or .csv file")
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParameterError(f"--params-file {p}: not valid YAML ({exc})") from None
    if isinstance(data, list):
        return {}, data
    if isinstance(data, dict) and ("grid" in data or "runs" in data):
        extra = set(data) - {"grid", "runs"}
        if extra:
            raise ParameterError(
                f"--params-file {p}: unknown key(s) {sorted(extra)}; use 'grid' and 'runs'"
            )
        grid, runs = data.get("grid") or {}, data.get("runs") or []
        if not isinstance(grid, dict) or not isinstance(runs, list):
            raise ParameterError(
                f"--params-file {p}: 'grid' maps names to lists of values, 'runs' is a list "
                "of mappings"
            )
        return grid, runs
    if isinstance(data, dict):
        return data, []
    raise ParameterError(
        f"--params-file {p}: expected a mapping of parameter names to lists of values, "
        "a list of runs, or 'grid:' and 'runs:' keys"
    )


def plan_sweep(
    spec: PipelineSpec,
    *,
    grid: GridInput | None = None,
    params_file: str | Path | None = None,
    runs: Sequence[Mapping[str, Any]] | None = None,
    fixed: Sequence[str] | Mapping[str, Any] = (),
) -> SweepPlan:
    """Every run of the sweep: each explicit run (file or ``runs``) times the grid's product,
    over the defaults and the fixed ``-p`` values. Raises ParameterError naming the parameter."""
    if isinstance(fixed, Mapping):
        base = {**resolve(spec, ()), **_check_run(spec, fixed, "params")}
        swept = list(fixed)
    else:
        base = resolve(spec, fixed)
        swept = [item.partition("=")[0].strip() for item in fixed]
    if grid is None:
        grid_values: dict[str, list[Any]] = {}
    elif isinstance(grid, Mapping):
        grid_values = _check_grid(spec, grid, "grid")
    else:
        grid_values = _check_grid(spec, _grid_from_args(grid), "--grid")
    explicit: list[dict[str, Any]] = [_check_run(spec, r, "runs") for r in runs or ()]
    if params_file is not None:
        file_grid, file_runs = load_params_file(params_file)
        where = f"--params-file {params_file}"
        for name, values in _check_grid(spec, file_grid, where).items():
            if name in grid_values:
                raise ParameterError(f"{where}: '{name}' is also given by --grid; keep one")
            grid_values[name] = values
        explicit += [_check_run(spec, r, where) for r in file_runs]
        if not file_grid and not file_runs:
            raise ParameterError(f"{where}: the file defines no runs")
    if not grid_values and not explicit:
        raise ParameterError(
            "the sweep is empty: give --grid NAME=V1,V2 (repeatable) or --params-file FILE"
        )
    for r in explicit:
        swept += list(r)
    swept += list(grid_values)
    names = list(grid_values)
    combos = [dict(zip(names, vs, strict=True)) for vs in itertools.product(*grid_values.values())]
    planned: dict[str, dict[str, Any]] = {}
    for r in explicit or [{}]:
        for combo in combos:
            params = {**base, **r, **combo}
            planned.setdefault(run_key(params), params)
    return SweepPlan(tuple(planned.values()), tuple(dict.fromkeys(swept)))
