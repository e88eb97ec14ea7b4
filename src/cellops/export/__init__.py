"""``cellops export``: the package as an Argo Workflow, a Kubeflow pipeline or an Airflow DAG.

Every export runs each stage in the pipeline's image with ``run-stage``; ``plan`` holds what
they share, one module per engine translates it. Engine SDKs are imported only by the engine
that needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cellops.export.plan import ExportOptions, ExportPlan, make_plan, require_package
from cellops.fsutil import atomic_write

# engine -> its default file's suffix; the module cellops.export.<engine> writes it
_SUFFIXES = {"argo": "-argo.yaml", "kubeflow": "-kfp.yaml", "airflow": "_dag.py"}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    plan: ExportPlan
    text: str


def plan_export(
    package: str | Path,
    options: ExportOptions,
    *,
    grid: list[str] | None = None,
    params_file: str | None = None,
) -> ExportPlan:
    from dataclasses import replace

    from cellops.package.spec import load
    from cellops.run.params import resolve

    pkg = require_package(package)
    spec = load(pkg)
    defaults = resolve(spec, options.params)
    if grid or params_file:
        from cellops.sweeps.grid import plan_sweep

        sweep = plan_sweep(spec, grid=grid or None, params_file=params_file, fixed=options.params)
        fixed = {p.partition("=")[0].strip() for p in options.params}
        swept = tuple(n for n in sweep.swept if n not in fixed)
        options = replace(options, sweep=sweep.runs, swept=swept)
    return make_plan(spec, pkg, options, defaults=defaults)


def render(plan: ExportPlan) -> str:
    import importlib

    # Only Kubeflow needs an SDK; its module says what to install when it is missing.
    return str(importlib.import_module(f"cellops.export.{plan.options.engine}").render(plan))


def default_output(package: Path, plan: ExportPlan) -> Path:
    name = plan.name.replace("-", "_") if plan.options.engine == "airflow" else plan.name
    return package / "export" / f"{name}{_SUFFIXES[plan.options.engine]}"


def export_package(
    package: str | Path,
    options: ExportOptions,
    output: str | Path | None = None,
    *,
    grid: list[str] | None = None,
    params_file: str | None = None,
) -> ExportResult:
    """Write the export (atomically) and return where it went."""
    plan = plan_export(package, options, grid=grid, params_file=params_file)
    text = render(plan)
    path = Path(output) if output else default_output(require_package(package), plan)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)
    return ExportResult(path, plan, text)
