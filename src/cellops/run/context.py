"""The context handed down from the scheduler to every stage execution.

Computed once per run (or sweep) from the spec and what promote stored in it: where the
package is, the kernels' working directory, where executions are tracked, each stage's code
digest and imports. Nothing below the scheduler re-reads ``pipeline.yaml``, guesses a package
from a path or parses a stage notebook again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cellops.analysis.digest import read_stage_facts, sha256_of
from cellops.errors import PackageError
from cellops.package import layout
from cellops.package.spec import PipelineSpec, StageSpec

if TYPE_CHECKING:
    from cellops.package.lock import Dist


@dataclass(frozen=True)
class Tracking:
    """Where a stage kernel files its cells' executions."""

    db: str
    notebook: str  # the source notebook the stage's cells come from


@dataclass(frozen=True)
class PackageContext:
    package: Path
    spec: PipelineSpec
    workdir: Path  # the kernels' working directory
    tracking: Tracking | None
    code: dict[str, str] = field(hash=False)  # stage -> digest of its normalised code
    imports: dict[str, tuple[str, ...]] = field(hash=False)  # stage -> modules it imports
    # stage -> literal paths and glob patterns its code names (counted as read: ``run.named``)
    named: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)

    def notebook(self, stage: StageSpec) -> Path:
        return self.package / stage.notebook

    @functools.cached_property
    def installed(self) -> dict[str, Dist]:
        """The installed distributions by name, for the versions and pins a stage's record
        names: looked up once per run (a scan of every installed distribution's metadata), on
        first use, so a fully cached run never pays for it."""
        from cellops.package.lock import installed

        return installed()

    @functools.cached_property
    def distributions(self) -> dict[str, list[Dist]]:
        """top-level module -> the installed distributions providing it (``installed``)."""
        from cellops.package.lock import module_distributions

        return module_distributions(self.installed)

    def imported(self, stages: Iterable[StageSpec] | None = None) -> set[str]:
        """The modules the given stages (default: all) import, for the warm kernels' prelude."""
        chosen = self.spec.stages if stages is None else stages
        return {m for s in chosen for m in self.imports[s.name]}


@dataclass(frozen=True)
class StageTask:
    """One execution of a stage notebook, as the scheduler hands it to an ``Executor``."""

    context: PackageContext
    stage: StageSpec
    run_id: str | None
    executed: Path  # where the executed notebook goes (on this machine)
    parameters: dict[str, Any] = field(hash=False)  # what papermill injects: what it reads
    # Every parameter of the run: its tracked executions carry them all, so two runs of a
    # sweep differ by C in every stage, not only in the one stage that reads C.
    run_parameters: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def notebook(self) -> Path:
        return self.context.notebook(self.stage)

    def tracking(self) -> dict[str, Any] | None:
        """What the stage kernel's cell events carry (``tracking.cells``), or None: untracked."""
        t = self.context.tracking
        if t is None:
            return None
        return {
            "db": t.db,
            "notebook": t.notebook,
            "run_id": self.run_id,
            "stage": self.stage.name,
            "params": self.run_parameters,
        }


def _tracking(package: Path, spec: PipelineSpec, notebook: Path | None) -> Tracking | None:
    from cellops.tracking import config

    if not config.enabled():
        return None
    # Promote writes a package next to its notebook unless told which notebook it came from.
    source = notebook or package.parent / spec.source_notebook
    return Tracking(str(config.resolve_db(source.parent)), str(source))


def package_context(
    package: Path, spec: PipelineSpec, *, workdir: Path | None = None, notebook: Path | None = None
) -> PackageContext:
    """The context of runs of ``package``; stage facts from the spec where they are current."""
    code: dict[str, str] = {}
    imports: dict[str, tuple[str, ...]] = {}
    named: dict[str, tuple[str, ...]] = {}
    for stage in spec.stages:
        path = package / stage.notebook
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        current = stage.code_sha256 and stage.notebook_sha256 == sha256_of(data)
        if current and stage.named is not None:
            code[stage.name], imports[stage.name] = stage.code_sha256, stage.imports
            named[stage.name] = stage.named
        elif data:
            # An older spec, or a notebook changed by hand since promote: read it this once.
            facts = read_stage_facts(data)
            code[stage.name], imports[stage.name] = facts["code_sha256"], facts["imports"]
            named[stage.name] = facts["named"]
        else:
            code[stage.name], imports[stage.name], named[stage.name] = "", (), ()
    work = workdir or layout.workdir(package, bool(spec.folder))
    _check_referenced(package, spec, work)
    tracking = _tracking(package, spec, notebook)
    return PackageContext(package, spec, work, tracking, code, imports, named)


def _check_referenced(package: Path, spec: PipelineSpec, work: Path) -> None:
    """Before any kernel: the files promote referenced (too large to carry) must be there."""
    missing = [f.path for f in spec.folder.referenced if not (work / f.path).exists()]
    if not missing:
        return
    listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    raise PackageError(
        f"{package}: the stages read {listed} from the notebook's folder, too large to carry "
        f"into the package, and not supplied: copy each to {work}/ (same relative path), or "
        f"mount it there ({layout.IMAGE_PACKAGE}/{layout.WORKDIR}/... in the image)"
    )
