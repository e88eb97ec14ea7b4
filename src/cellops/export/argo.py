"""Argo Workflows: a Workflow (or WorkflowTemplate) manifest.

Templates: one container template per stage running ``run-stage``; a ``pipeline`` DAG of those
with the stage graph's dependencies (independent stages are sibling tasks, so Argo runs them
at once); an entrypoint that runs the pipeline once with the workflow's arguments, or, for a
sweep, once per parameter set (``withItems``), each run under its own storage prefix.

The manifest is written as plain data: hera (Argo's Python SDK) takes 1.5 s to import its
models, which would triple the command's time. The tests validate every export against those
models, which are generated from Argo's own schema.
"""

from __future__ import annotations

from typing import Any

from cellops.export.plan import ExportPlan, StageStep

API_VERSION = "argoproj.io/v1alpha1"
RUN_ROOT = "run-root"


def _input(name: str) -> str:
    return f"{{{{inputs.parameters.{name}}}}}"


def _parameters(values: dict[str, str]) -> dict[str, Any]:
    return {"parameters": [{"name": k, "value": v} for k, v in values.items()]}


def _resources(step: StageStep) -> dict[str, Any]:
    requests, limits = step.kube_resources()
    out = {"requests": requests, "limits": limits}
    return {k: v for k, v in out.items() if v}


def _stage_template(plan: ExportPlan, step: StageStep) -> dict[str, Any]:
    options = plan.options
    container: dict[str, Any] = {
        "image": step.image,
        "args": step.args(_input(RUN_ROOT), _input),
    }
    resources = _resources(step)
    if resources:
        container["resources"] = resources
    if options.secret:
        container["envFrom"] = [{"secretRef": {"name": options.secret}}]
    template: dict[str, Any] = {
        "name": f"stage-{step.name}",
        "metadata": {"labels": {"cellops.stage": step.name}},
        "inputs": {"parameters": [{"name": n} for n in (RUN_ROOT, *step.parameters)]},
        "container": container,
    }
    if plan.storage.shared_path and options.volume:
        container["volumeMounts"] = [{"name": "storage", "mountPath": plan.storage.url}]
        template["volumes"] = [
            {"name": "storage", "persistentVolumeClaim": {"claimName": options.volume}}
        ]
    if step.retries:
        template["retryStrategy"] = {"limit": str(step.retries), "retryPolicy": "Always"}
    if step.timeout:
        template["activeDeadlineSeconds"] = str(step.timeout)
    return template


def _pipeline_dag(plan: ExportPlan) -> dict[str, Any]:
    tasks = []
    for step in plan.steps:
        task: dict[str, Any] = {
            "name": step.name,
            "template": f"stage-{step.name}",
            "arguments": _parameters({n: _input(n) for n in (RUN_ROOT, *step.parameters)}),
        }
        if step.upstream:
            task["dependencies"] = [plan.step(u).name for u in step.upstream]
        tasks.append(task)
    names = (RUN_ROOT, *(p.name for p in plan.parameters))
    return {
        "name": "pipeline",
        "inputs": {"parameters": [{"name": n} for n in names]},
        "dag": {"tasks": tasks},
    }


def _entrypoint(plan: ExportPlan) -> dict[str, Any]:
    root = f"{plan.storage.url}/{{{{workflow.name}}}}"
    arguments = {p.name: f"{{{{workflow.parameters.{p.name}}}}}" for p in plan.parameters}
    task: dict[str, Any] = {"name": "pipeline", "template": "pipeline"}
    if not plan.options.sweep:
        task["arguments"] = _parameters({RUN_ROOT: root, **arguments})
        return {"name": "main", "dag": {"tasks": [task]}}
    # One pipeline run per parameter set; a swept value comes from the item, the others from
    # the workflow's arguments, and each run writes under its own prefix.
    swept = plan.options.swept
    arguments.update({n: f"{{{{item.{n}}}}}" for n in swept})
    task["arguments"] = _parameters({RUN_ROOT: f"{root}/{{{{item.run}}}}", **arguments})
    task["withItems"] = [{k: item[k] for k in ("run", *swept)} for item in plan.sweep_items()]
    task["name"] = "run"
    return {"name": "sweep", "dag": {"tasks": [task]}}


def manifest(plan: ExportPlan) -> dict[str, Any]:
    options = plan.options
    entry = _entrypoint(plan)
    metadata: dict[str, Any] = (
        {"name": plan.name} if options.template else {"generateName": f"{plan.name}-"}
    )
    if options.namespace:
        metadata["namespace"] = options.namespace
    metadata["labels"] = plan.labels
    spec: dict[str, Any] = {"entrypoint": entry["name"]}
    if plan.parameters:
        spec["arguments"] = _parameters(
            {p.name: plan.default_text(p.name) for p in plan.parameters}
        )
    spec["templates"] = [
        *(_stage_template(plan, s) for s in plan.steps),
        _pipeline_dag(plan),
        entry,
    ]
    return {
        "apiVersion": API_VERSION,
        "kind": "WorkflowTemplate" if options.template else "Workflow",
        "metadata": metadata,
        "spec": spec,
    }


def render(plan: ExportPlan) -> str:
    from cellops.package.yamltext import dump_yaml

    kind = "WorkflowTemplate" if plan.options.template else "Workflow"
    submit = "argo template create" if plan.options.template else "argo submit"
    head = (
        f"# Argo Workflows {kind} of a cellops pipeline, written by `cellops export --to argo`.\n"
        "# Each stage runs `run-stage` in the pipeline's image; artifacts live under\n"
        f"# STORAGE/<workflow name>/<stage>. Submit: {submit} THIS_FILE"
        + ("\n" if plan.options.template else " [-p NAME=VALUE]\n")
    )
    return dump_yaml(head, manifest(plan))
