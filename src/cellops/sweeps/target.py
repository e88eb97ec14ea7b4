"""What a batch runs: a pipeline package, or a plain notebook with a ``parameters`` cell.

A notebook is promoted (silently, deterministically) into a package under ``.cellops/batch/``
next to it, so it gets the same typed parameters, cache and run records as a package, while
its kernels keep the notebook's folder as working directory (relative paths still work).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cellops.errors import PackageError, ParameterError
from cellops.package import layout
from cellops.package.spec import PipelineSpec, load


@dataclass(frozen=True)
class Target:
    package: Path
    spec: PipelineSpec
    workdir: Path  # the kernels' working directory
    notebook: Path | None = None  # the plain notebook the package was made from


def notebook_package(notebook: Path) -> Path:
    return layout.notebook_package(notebook)


def resolve_target(path: str | Path) -> Target:
    p = Path(path)
    if p.is_dir():
        package = p.resolve()
        return Target(package, load(package), package)
    if p.suffix == ".ipynb" and p.is_file():
        from cellops.package.promote import promote

        nb = p.resolve()
        result = promote(nb, notebook_package(nb))
        spec = load(result.package)
        if not spec.parameters:
            raise ParameterError(
                f"{p} has no parameters to sweep: tag the cell that assigns them 'parameters' "
                "(papermill's convention)"
            )
        return Target(result.package.resolve(), spec, nb.parent, nb)
    raise PackageError(
        f"{p}: not a pipeline package directory (from `cellops promote`) nor a .ipynb notebook"
    )
