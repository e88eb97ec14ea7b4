"""``cellops run-stage``: one stage alone, reading and writing artifacts at given locations.

This is how engines that run each stage as its own container step (Argo, Kubeflow, Airflow)
use a package: the upstream stages' outputs are read from ``--inputs`` and this stage's
outputs written to ``--outputs``, local directories or fsspec URLs (``s3://...`` when s3fs
is installed). No cache and no run record: the engine keeps those.

Locations: ``--outputs LOC`` receives this stage's artifact files and ``manifest.json``.
``--inputs ROOT`` means each upstream stage wrote to ``ROOT/<stage>``; ``--inputs
STAGE=LOC`` names one upstream stage's location (repeatable, wins over a root).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from cellops.artifacts.kernel import MANIFEST
from cellops.artifacts.stores import join, read_manifest
from cellops.errors import ArtifactError, CellopsError, StageFailed
from cellops.fsutil import is_url
from cellops.package import layout
from cellops.package.spec import PipelineSpec, StageSpec, load
from cellops.run.cache import Output
from cellops.run.context import PackageContext, package_context
from cellops.run.package_run import PackageRun, RunOptions
from cellops.run.params import resolve
from cellops.run.record import RunRecord, StageError, StageRecord, failure_lines
from cellops.run.scheduler import Scheduler
from cellops.run.warm import WarmKernels


@dataclass(frozen=True)
class StageRunOptions:
    stage: str
    inputs: tuple[str, ...] = ()
    outputs: str | None = None
    params: tuple[str, ...] = ()
    notebook: str | None = None  # where the executed notebook goes (a path or fsspec URL)
    retries: int | None = None  # None: the stage's own retries option


@dataclass(frozen=True)
class StageRunResult:
    stage: str
    outputs: str | None
    notebook: str
    seconds: float


def _absolute(location: str) -> str:
    # The kernel runs in the package directory; a relative path means the caller's directory.
    return location if is_url(location) else os.path.abspath(location)


def upstream_locations(
    spec: PipelineSpec, stage: StageSpec, given: tuple[str, ...]
) -> dict[str, str]:
    """upstream stage -> the location holding its outputs."""
    roots: list[str] = []
    named: dict[str, str] = {}
    known = {s.name for s in spec.stages}
    for item in given:
        name, sep, loc = item.partition("=")
        if sep and name in known:
            named[name] = _absolute(loc)
        else:
            roots.append(_absolute(item))
    found = {}
    for upstream in sorted(set(stage.inputs.values())):
        if upstream in named:
            found[upstream] = named[upstream]
        elif roots:
            found[upstream] = join(roots[-1], upstream)
        else:
            names = ", ".join(n for n, s in sorted(stage.inputs.items()) if s == upstream)
            raise CellopsError(
                f"stage '{stage.name}' reads {names} from stage '{upstream}': pass --inputs ROOT "
                f"(with that stage's outputs in ROOT/{upstream}) or --inputs {upstream}=LOCATION"
            )
    return found


def _read_manifest(location: str) -> dict[str, Any]:
    path = join(location, MANIFEST)
    try:
        data: Any = read_manifest(location)
    except FileNotFoundError:
        data = None
    except ValueError as exc:
        raise ArtifactError(f"{path} is not a readable manifest ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("outputs"), dict):
        raise ArtifactError(f"no stage outputs at {location} ({MANIFEST} is missing)")
    return data


def input_paths(stage: StageSpec, locations: dict[str, str]) -> dict[str, str]:
    """input name -> artifact file, checked against the upstream manifests before any kernel."""
    manifests = {}
    for upstream, loc in locations.items():
        try:
            manifests[upstream] = _read_manifest(loc)["outputs"]
        except ArtifactError as exc:
            raise ArtifactError(
                f"stage '{stage.name}' needs the outputs of stage '{upstream}': {exc}; run "
                f"`cellops run-stage {upstream} --outputs {loc}` first"
            ) from None
    paths = {}
    for name, upstream in sorted(stage.inputs.items()):
        entry = manifests[upstream].get(name)
        if not isinstance(entry, dict) or "file" not in entry:
            raise ArtifactError(
                f"stage '{stage.name}' needs {name!r} from stage '{upstream}', but the outputs at "
                f"{locations[upstream]} do not include it; run stage '{upstream}' of this "
                "pipeline version again"
            )
        paths[name] = join(locations[upstream], str(entry["file"]))
    return paths


def _failure(stage: StageSpec, spec: PipelineSpec, error: StageError, executed: str) -> Exception:
    message = "\n".join(failure_lines(stage.name, error, spec.source_notebook, executed))
    return ArtifactError(message) if error.ename == "ArtifactError" else StageFailed(message)


def run_stage(
    package: str | Path, options: StageRunOptions, out: TextIO | None = None
) -> StageRunResult:
    stream = out or sys.stdout
    pkg = Path(package).resolve()
    spec = load(pkg)
    stage = spec.stage(options.stage)
    values = resolve(spec, options.params)
    params: dict[str, Any] = {n: values[n] for n in stage.parameters}
    if stage.inputs:
        params["cellops_inputs"] = input_paths(
            stage, upstream_locations(spec, stage, options.inputs)
        )
    outputs = _absolute(options.outputs) if options.outputs else None
    if stage.outputs:
        if outputs is None:
            raise CellopsError(
                f"stage '{stage.name}' writes {', '.join(stage.outputs)} for later stages: pass "
                "--outputs LOCATION (a directory or an fsspec URL)"
            )
        params["cellops_outputs"] = outputs
    retries = (stage.options.retries or 0) if options.retries is None else options.retries
    if retries < 0:
        raise CellopsError(f"--retries {retries}: give 0 or more attempts after a failure")
    target = options.notebook or str(layout.run_stage_notebook(pkg, stage.name))
    remote = is_url(target)
    shown = target if remote else str(Path(target).resolve())
    # A remote notebook (an orchestrator's step) is executed locally, then uploaded, failed or not.
    local_dir = tempfile.mkdtemp(prefix="cellops-stage-") if remote else None
    executed = Path(local_dir, f"{stage.name}.ipynb") if local_dir else Path(shown)
    print(f"running stage {stage.name} of {spec.name}", file=stream, flush=True)
    start = time.monotonic()
    try:
        _execute(pkg, spec, stage, params, executed, 1 + retries, shown=shown)
    finally:
        if local_dir:
            _upload(executed, target)
            shutil.rmtree(local_dir, ignore_errors=True)
    seconds = time.monotonic() - start
    where = f"; outputs: {outputs}" if stage.outputs else ""
    print(
        f"stage {stage.name} done in {seconds:.2f}s{where}; executed notebook: {shown}",
        file=stream,
        flush=True,
    )
    return StageRunResult(stage.name, outputs if stage.outputs else None, shown, seconds)


def _upload(executed: Path, target: str) -> None:
    if not executed.is_file():
        return  # the stage failed before a kernel ran; its error says why
    from cellops.artifacts.kernel import url_fs

    fs, path = url_fs(target, "upload the executed notebook to")
    fs.put_file(str(executed), path)


class _OneStage(PackageRun):
    """run-stage as a graph of one for the scheduler: no cache and no record on disk (the
    engine keeps those); inputs read from the upstream locations, outputs left at the given
    one, the executed notebook where it was asked for."""

    def __init__(
        self,
        context: PackageContext,
        rec: RunRecord,
        inputs: dict[str, str],
        outputs: str | None,
        executed: Path,
        attempts: int,
    ) -> None:
        super().__init__(context, rec, RunOptions(quiet=True), sys.stderr)
        self.given_inputs = inputs
        self.given_outputs = outputs or ""
        self.executed_at = executed
        self.attempt_count = attempts
        self.tracked_run_id = None  # a step of an engine's workflow: the engine has the run

    def save(self) -> None:
        pass

    def try_reuse(self, stage: StageSpec, *, fresh: bool = False) -> bool:
        return False

    def input_paths(self, stage: StageSpec) -> dict[str, str]:
        return self.given_inputs

    def work_area(self, stage: StageSpec) -> str:
        return self.given_outputs  # the caller's location: never emptied

    def executed_notebook(self, stage: StageSpec) -> Path:
        return self.executed_at

    def attempts(self, stage: StageSpec) -> int:
        return self.attempt_count

    def collect(self, stage: StageSpec, work: str, executed: Path) -> dict[str, Output]:
        layout.trace_file(executed).unlink(missing_ok=True)  # no cache here to check it for
        return {}


def _execute(
    pkg: Path,
    spec: PipelineSpec,
    stage: StageSpec,
    params: dict[str, Any],
    executed: Path,
    attempts: int,
    shown: str,
) -> None:
    # The stage alone: its upstream stages ran elsewhere, their outputs are at the inputs.
    alone = replace(stage, after=())
    context = package_context(pkg, replace(spec, stages=(alone,)))
    values = {n: params[n] for n in stage.parameters}
    rec = RunRecord("run-stage", spec.name, "running", values, time.time())
    rec.stages = {stage.name: StageRecord()}
    run = _OneStage(
        context,
        rec,
        params.get("cellops_inputs", {}),
        params.get("cellops_outputs"),
        executed,
        attempts,
    )
    executor = WarmKernels(context, jobs=1)
    try:
        Scheduler([run], executor, 1).run()
    finally:
        executor.close()
    srec = rec.stages[stage.name]
    if srec.status == "failed":
        error = srec.error or StageError("Error", "the stage failed", None, None)
        raise _failure(stage, spec, error, shown)
