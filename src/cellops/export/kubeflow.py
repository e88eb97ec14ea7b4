"""Kubeflow Pipelines v2: the package as a pipeline compiled by the kfp SDK to its YAML (IR).

One container component per stage runs ``run-stage`` in the stage's image; its tasks wait for
their upstream stages with ``after`` (no data flows between tasks: artifacts live under the
storage URL), so independent stages are siblings that Kubeflow runs at once. The pipeline's
inputs are the package's typed parameters with the export's defaults.

The run root is ``STORAGE/<run id>``. Kubeflow's backend resolves a job placeholder only when a
task input is exactly that placeholder, so every component takes the run's id as an input
(``run_id``) and its arguments join it to the storage URL.

Credentials: with ``--secret NAME`` each task reads the storage's credential variables from
that Kubernetes secret. kfp-kubernetes maps secret keys to variables one by one (there is no
``envFrom``), so the secret's keys must be named like the variables (``AWS_ACCESS_KEY_ID``,
...). The mapping is optional per key: a secret that holds only some of them still starts the
pod (KFP backends that predate per-key ``optional`` need every key present).

Stage options become task settings (cpu request, memory request and limit, an nvidia.com/gpu
accelerator, retries). KFP v2 has no per-task timeout, so ``timeout:`` is the pod's
``activeDeadlineSeconds`` through kfp-kubernetes. Kubeflow's cache is off for every task. A
pipeline has no namespace (it is chosen at upload or run time), so ``--namespace`` is refused.
"""

from __future__ import annotations

import inspect
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cellops.errors import CellopsError
from cellops.export.plan import ExportPlan, StageStep
from cellops.notebook.options import MEMORY_UNITS, memory_bytes
from cellops.package.spec import param_text

# The image's ENTRYPOINT (templates/Dockerfile.j2). Kubeflow's launcher runs a component's
# command and args itself, never the image's entrypoint, so the component names it.
ENTRYPOINT = ("python3", "-m", "cellops.commands.entrypoint")
GPU_RESOURCE = "nvidia.com/gpu"
# cellops parameter type -> kfp parameter type. Lists, dicts and untyped (None) values travel
# as JSON text: the launcher writes LIST/STRUCT values into a command line with Go's
# encoding/json on protobuf messages, which `-p NAME=VALUE` could not read back, while a
# string reaches run-stage unchanged and cellops parses its JSON.
_TYPES: dict[str, type] = {"int": int, "float": float, "bool": bool, "str": str}
# Memory quantities kfp's setters accept: whole numbers, and no "k" suffix.
_KFP_MEMORY = re.compile(r"^[0-9]+(E|Ei|P|Pi|T|Ti|G|Gi|M|Mi|Ki)?$")
_KFP_UNITS = sorted(
    ((u, n) for u, n in MEMORY_UNITS.items() if u != "k"), key=lambda item: -item[1]
)


def _kfp() -> tuple[Any, Any, Any]:
    try:
        from kfp import compiler, dsl, kubernetes  # type: ignore[import-untyped]
    except ImportError as exc:
        raise CellopsError(
            f"--to kubeflow needs the kfp SDK and kfp-kubernetes, which are not installed here "
            f"({exc}); pip install 'cellops[export]'"
        ) from None
    return compiler, dsl, kubernetes


def run_id_input(plan: ExportPlan) -> str:
    """The components' input for the run's id: ``run_id`` unless a parameter has that name."""
    names = {p.name for p in plan.parameters}
    name = "run_id"
    while name in names:
        name = f"cellops_{name}"
    return name


def _type(plan: ExportPlan, name: str) -> type:
    param = next(p for p in plan.parameters if p.name == name)
    return _TYPES.get(param.type, str)


def _default(plan: ExportPlan, name: str) -> Any:
    param = next(p for p in plan.parameters if p.name == name)
    if param.type in _TYPES:
        return param.default
    return param_text(param.default)


def _function(
    name: str, parameters: list[inspect.Parameter], body: Callable[..., Any], doc: str
) -> Callable[..., Any]:
    """``body`` with the signature kfp reads a component's or pipeline's inputs from.

    The inputs are the package's parameters, known only at export time; kfp calls the function
    with one placeholder or channel per input, positionally, in the signature's order.
    """
    body.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    body.__name__ = name
    body.__doc__ = doc
    return body


def _stage_component(plan: ExportPlan, step: StageStep, dsl: Any) -> Any:
    """The stage as a container component: ``run-stage`` in the stage's image."""
    run_id = run_id_input(plan)
    names = [run_id, *step.parameters]

    def stage(*placeholders: Any) -> Any:
        given = dict(zip(names, placeholders, strict=True))
        # Placeholders format as {{$.inputs.parameters['NAME']}}, which the launcher replaces
        # anywhere inside an argument.
        run_root = f"{plan.storage.url}/{given[run_id]}"
        args = step.args(run_root, lambda name: str(given[name]))
        return dsl.ContainerSpec(image=step.image, command=list(ENTRYPOINT), args=args)

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    inputs = [
        inspect.Parameter(run_id, kind, annotation=str),
        *(inspect.Parameter(p, kind, annotation=_type(plan, p)) for p in step.parameters),
    ]
    doc = f"cellops stage {step.stage} of pipeline {plan.pipeline}"
    return dsl.container_component(_function(step.name, inputs, stage, doc))


def kfp_memory(value: str) -> str:
    """A memory quantity as kfp takes it, the same size: ``1.5Gi`` -> ``1536Mi``, ``4k`` ->
    ``4000``. Anything else is left for kfp to refuse."""
    if _KFP_MEMORY.match(value):
        return value
    try:
        size = memory_bytes(value)
    except ValueError:
        return value
    for unit, unit_size in _KFP_UNITS:
        if size >= unit_size and size % unit_size == 0:
            return f"{size // unit_size}{unit}"
    return str(size)


def _configure(plan: ExportPlan, step: StageStep, task: Any, kubernetes: Any) -> None:
    # cellops caches stages itself; kfp's cache would skip a stage whose outputs live under
    # another run's prefix, leaving this run's downstream stages without inputs.
    task.set_caching_options(False)
    try:
        if step.cpu:
            # A request, not a limit: idle cores on the node still help a kernel.
            task.set_cpu_request(step.cpu)
        if step.memory:
            # Requested and capped alike: a kernel over its request is OOM-killed anyway.
            task.set_memory_request(kfp_memory(step.memory))
            task.set_memory_limit(kfp_memory(step.memory))
        if step.gpu:
            task.set_accelerator_type(GPU_RESOURCE)
            task.set_accelerator_limit(step.gpu)
    except ValueError as exc:
        raise CellopsError(
            f"stage '{step.stage}': Kubeflow refuses its resources ({exc}); fix the stage's "
            "cpu:/memory:/gpu: tag (for example cpu:2, cpu:500m, memory:4Gi, gpu:1) and promote "
            "again"
        ) from None
    if step.retries:
        task.set_retry(num_retries=step.retries)
    if step.timeout:
        # KFP v2 has no per-task timeout of its own; kfp-kubernetes sets the pod's
        # activeDeadlineSeconds, so each attempt (retries included) gets the full time.
        kubernetes.set_timeout(task, step.timeout)
    options = plan.options
    if options.secret and plan.credential_env:
        kubernetes.use_secret_as_env(
            task,
            secret_name=options.secret,
            secret_key_to_env={name: name for name in plan.credential_env},
            optional=True,
        )
    if plan.storage.shared_path and options.volume:
        kubernetes.mount_pvc(task, pvc_name=options.volume, mount_path=plan.storage.url)
    for key, value in {**plan.labels, "cellops.stage": step.name}.items():
        kubernetes.add_pod_label(task, key, value)


def build(plan: ExportPlan) -> Any:
    """The kfp pipeline (a GraphComponent), ready for ``Compiler().compile``."""
    _, dsl, kubernetes = _kfp()
    components = {s.stage: _stage_component(plan, s, dsl) for s in plan.steps}
    run_id = run_id_input(plan)
    names = [p.name for p in plan.parameters]

    def pipeline(*channels: Any) -> None:
        given = dict(zip(names, channels, strict=True))
        tasks: dict[str, Any] = {}
        for step in plan.steps:
            # The whole input is the placeholder: the backend resolves job placeholders only
            # there, not inside a longer string.
            arguments = {run_id: dsl.PIPELINE_JOB_ID_PLACEHOLDER}
            arguments.update({p: given[p] for p in step.parameters})
            task = components[step.stage](**arguments)
            _configure(plan, step, task, kubernetes)
            if step.upstream:
                task.after(*(tasks[u] for u in step.upstream))
            tasks[step.stage] = task

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    inputs = [
        inspect.Parameter(
            p.name, kind, default=_default(plan, p.name), annotation=_type(plan, p.name)
        )
        for p in plan.parameters
    ]
    description = (
        f"cellops pipeline {plan.pipeline} ({len(plan.steps)} stages), exported by "
        f"`cellops export --to kubeflow`; artifacts under {plan.storage.url}/<run id>"
    )
    function = _function(plan.name.replace("-", "_"), inputs, pipeline, description)
    return dsl.pipeline(name=plan.name, display_name=plan.pipeline, description=description)(
        function
    )


def _check(plan: ExportPlan) -> None:
    options = plan.options
    for p in plan.parameters:
        if not p.name[:1].isascii() or not p.name[:1].isalpha():
            raise CellopsError(
                f"parameter '{p.name}': Kubeflow takes only input names that begin with a "
                "letter; rename it in the notebook's parameters cell and promote again"
            )
    if options.namespace:
        raise CellopsError(
            f"--namespace {options.namespace}: a Kubeflow pipeline carries no namespace; choose "
            "it when you upload or run the pipeline (the Kubeflow UI, or "
            "kfp.Client(namespace=...)), and export without --namespace"
        )
    if options.secret and not plan.credential_env:
        raise CellopsError(
            f"--secret {options.secret}: Kubeflow maps a secret's keys to variables by name, and "
            f"the shared path {plan.storage.url} needs no credentials, so there is nothing to "
            "map; export without --secret"
        )


HEADER = (
    "# Kubeflow Pipelines v2 pipeline (IR YAML) of a cellops pipeline, written by\n"
    "# `cellops export --to kubeflow`. Upload it in the Kubeflow UI or with kfp.Client().\n"
)


def render(plan: ExportPlan) -> str:
    _check(plan)
    compiler, _, _ = _kfp()
    import yaml
    from google.protobuf import json_format  # type: ignore[import-untyped]

    pipeline = build(plan)
    with tempfile.TemporaryDirectory(prefix="cellops-kfp-") as tmp:
        path = Path(tmp) / f"{plan.name}.yaml"
        compiler.Compiler().compile(pipeline_func=pipeline, package_path=str(path))
        text = path.read_text(encoding="utf-8")
    # kfp heads the file with comments listing the inputs and their defaults, unescaped: a
    # default holding a line break would end the comment and add YAML. The documents below
    # are what kfp wrote after that header; the header is replaced by a fixed one.
    documents = [json_format.MessageToDict(pipeline.pipeline_spec)]
    if len(pipeline.platform_spec.platforms):
        documents.append(json_format.MessageToDict(pipeline.platform_spec))
    body = yaml.safe_dump_all(documents, sort_keys=True)
    if not text.endswith(body):
        raise CellopsError(
            "this kfp version writes its pipeline YAML differently from what cellops knows; "
            "install the kfp version cellops pins (pip install 'cellops[export]')"
        )
    return HEADER + body
