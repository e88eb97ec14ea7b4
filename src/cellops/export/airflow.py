"""Airflow: a DAG file with one container task per stage (templates/export/airflow_dag.py.j2).

A DAG is Python, so the export is a rendered template rather than an SDK object; Airflow
itself is only needed where the file runs. Each task runs ``run-stage`` in the pipeline's
image, with ``KubernetesPodOperator`` (a pod per stage) or ``DockerOperator`` (a container on
the worker's Docker Engine). The pipeline's parameters become the DAG's ``params``, passed to
the tasks through Jinja, so a run triggered with other values (``airflow dags trigger -c``)
runs the stages with them. Each run keeps its artifacts under ``STORAGE/<run id>``.
"""

from __future__ import annotations

import json
import keyword
import re
import shlex
import textwrap
from dataclasses import dataclass
from typing import Any

from cellops import __version__
from cellops.export.plan import ExportPlan, StageStep
from cellops.notebook.options import memory_bytes
from cellops.package.spec import Parameter

TEMPLATE = "export/airflow_dag.py.j2"

# cellops parameter type -> JSON-schema type of the Airflow Param (None: any JSON value).
_SCHEMA_TYPES = {
    "int": "integer",
    "float": "number",
    "str": "string",
    "bool": "boolean",
    "list": "array",
    "dict": "object",
}
# Values Jinja would print as Python (True, ['a'], None) where cellops reads JSON.
_JSON_TYPES = {"bool", "list", "dict", "none"}
# Names the generated module defines or imports itself; a stage's task variable avoids them.
_MODULE_NAMES = {
    "os", "re", "datetime", "timezone", "timedelta", "DAG", "Param", "k8s", "Mount",
    "DeviceRequest", "KubernetesPodOperator", "DockerOperator", "dag", "path_safe", "LABELS",
    "CREDENTIAL_ENV", "STORAGE_ENV", "DOCKER_URL", "DOCKER_API_TIMEOUT", "STORAGE_ENV_FROM",
    "STORAGE_VOLUMES", "STORAGE_MOUNTS",
}  # fmt: skip
RUN_ROOT_EXPR = "{{ run_id | path_safe }}"


@dataclass(frozen=True)
class Task:
    """What the template writes for one stage."""

    var: str  # the Python variable holding the operator
    step: StageStep
    args: list[str]
    labels: dict[str, str]
    requests: dict[str, str]  # Kubernetes container resources
    limits: dict[str, str]
    cpus: float | None  # Docker's relative CPU weight
    mem_limit: int | None  # bytes


def param_value(param: Parameter) -> str:
    """The Jinja expression of a parameter's value as ``-p NAME=VALUE`` reads it back."""
    ref = (
        f"params.{param.name}"
        if param.name.isidentifier() and not hasattr(dict, param.name)
        else f"params[{param.name!r}]"
    )
    return f"{{{{ {ref} | tojson }}}}" if param.type in _JSON_TYPES else f"{{{{ {ref} }}}}"


def cpu_cores(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def py(value: Any) -> str:
    """``value`` as a Python literal in the style of the generated file (double quotes)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a Python string
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(py(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(f"{py(v)}, " for v in value).rstrip(" ") + ")"
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)
    raise TypeError(f"no Python literal for {type(value).__name__}")


# A shell word: unquoted, single- and double-quoted parts (shlex.quote writes ' as "'").
_SHELL_WORD = re.compile(r"""(?:[^\s'"]+|'[^']*'|"[^"]*")+""")


def _wrap_words(command: str, width: int) -> list[str]:
    """``command`` in lines of at most ``width`` where it can, broken between shell words
    only (a break inside a quoted word would change the command)."""
    lines: list[str] = []
    for word in _SHELL_WORD.findall(command):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def comment(text: str) -> str:
    """Paragraphs (blank-line separated) as ``#`` comment lines wrapped at 96 columns.

    A line starting with ``$ `` is a command, kept whole (continued with backslashes).
    """
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        lines: list[str] = []
        words: list[str] = []
        for line in para.splitlines():
            if line.startswith("$ "):
                lines += textwrap.wrap(" ".join(words), 94, break_on_hyphens=False)
                lines += [" \\\n#     ".join(_wrap_words(line, 92))]
                words = []
            else:
                words += line.split()
        lines += textwrap.wrap(" ".join(words), 94, break_on_hyphens=False)
        out.append("\n".join(f"# {line}" for line in lines))
    return "\n#\n".join(out)


def call(function: str, args: list[str], indent: int) -> str:
    """``function(args)`` on one line when it fits in 100 columns, else one argument a line."""
    line = f"{function}({', '.join(args)})"
    if indent + len(line) <= 100 - 2:  # the closing ``),`` or ``,`` of the enclosing literal
        return line
    pad = " " * (indent + 4)
    return f"{function}(\n" + "".join(f"{pad}{a},\n" for a in args) + " " * indent + ")"


def _param(param: Parameter) -> str:
    args = [py(param.default)]
    if param.type in _SCHEMA_TYPES:
        args.append(f"type={py(_SCHEMA_TYPES[param.type])}")
    args.append(f"description={py(f'cellops parameter ({param.type})')}")
    return call("Param", args, indent=8 + len(py(param.name)) + 2)


def _variables(plan: ExportPlan) -> dict[str, str]:
    """stage -> a readable Python variable for its task, unique and not a name of the file."""
    taken = set(_MODULE_NAMES)
    out = {}
    for step in plan.steps:
        base = re.sub(r"\W", "_", step.stage)
        if not base.isidentifier() or keyword.iskeyword(base):
            base = f"stage_{base}"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name)
        out[step.stage] = name
    return out


def _task(plan: ExportPlan, step: StageStep, var: str) -> Task:
    params = {p.name: p for p in plan.parameters}
    args = step.args(f"{plan.storage.url}/{RUN_ROOT_EXPR}", lambda n: param_value(params[n]))
    requests, limits = step.kube_resources()
    return Task(
        var=var,
        step=step,
        args=args,
        labels={**plan.labels, "cellops.stage": step.name},
        requests=requests,
        limits=limits,
        cpus=cpu_cores(step.cpu) if step.cpu else None,
        mem_limit=memory_bytes(step.memory) if step.memory else None,
    )


def _word(text: str) -> str:
    """One shell word of the header's command. The header is a comment, so a value that is not
    printable (a line break in a -p value) is not shown: the DAG's params hold it."""
    return shlex.quote(text) if text.isprintable() else "VALUE"


def _command(plan: ExportPlan) -> str:
    """The export command, as the header shows it (without the package's path)."""
    o = plan.options
    parts = ["cellops export PACKAGE --to airflow", f"--operator {_word(o.operator)}"]
    parts += [f"--image {_word(o.image)}", f"--storage {_word(plan.storage.url)}"]
    for p in o.params:
        shown = p if p.isprintable() else p.partition("=")[0] + "=VALUE"
        parts.append(f"-p {_word(shown)}")
    for flag, value in (
        ("--secret", o.secret),
        ("--volume", o.volume),
        ("--namespace", o.namespace),
        ("--network", o.network),
    ):
        if value:
            parts.append(f"{flag} {_word(value)}")
    parts += [f"--env {_word(name)}" for name in o.env]
    return "$ " + " ".join(parts)


def context(plan: ExportPlan) -> dict[str, Any]:
    variables = _variables(plan)
    tasks = [_task(plan, step, variables[step.stage]) for step in plan.steps]
    return {
        "py": py,
        "comment": comment,
        "plan": plan,
        "version": __version__,
        "command": _command(plan),
        "dag_id": plan.name.replace("-", "_"),
        "docker": plan.options.operator == "docker",
        "params": [(p.name, _param(p)) for p in plan.parameters],
        # ASCII JSON (every control character escaped) as one shell word.
        "trigger_conf": shlex.quote(json.dumps({p.name: p.default for p in plan.parameters[:1]})),
        "tasks": tasks,
        "timeouts": any(t.step.timeout for t in tasks),
        "docker_types": [
            name
            for name, used in (
                ("DeviceRequest", any(t.step.gpu for t in tasks)),
                ("Mount", plan.storage.shared_path),
            )
            if used
        ],
        "dependencies": [
            ([variables[u] for u in t.step.upstream], t.var) for t in tasks if t.step.upstream
        ],
        "run_root": f"{plan.storage.url}/<run-id>",
    }


def render(plan: ExportPlan) -> str:
    from cellops.templating import render as render_template

    return render_template(TEMPLATE, **context(plan))
