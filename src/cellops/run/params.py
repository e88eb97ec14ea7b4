"""``-p name=value`` -> typed parameter values checked against the pipeline's spec."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from cellops.errors import ParameterError
from cellops.package.spec import Parameter, PipelineSpec, non_finite

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def describe(spec: PipelineSpec) -> str:
    if not spec.parameters:
        return "this pipeline has no parameters"
    return "its parameters are: " + ", ".join(
        f"{p.name} ({p.type}, default {p.default!r})" for p in spec.parameters
    )


def coerce(param: Parameter, raw: str) -> Any:
    def wrong() -> ParameterError:
        return ParameterError(
            f"parameter '{param.name}' expects {param.type}, got {raw!r}; "
            f"for example -p {param.name}={param.default!r}"
        )

    text = raw.strip()
    kind = param.type
    if kind == "str":
        return raw
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise wrong() from None
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise wrong() from None
    if kind == "bool":
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise wrong()
    if kind in ("list", "dict"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise wrong() from None
        if not isinstance(value, list if kind == "list" else dict):
            raise wrong()
        return value
    # "none": the default was None, so any JSON value (or a plain string) is accepted.
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return raw


def resolve(spec: PipelineSpec, assignments: Iterable[str]) -> dict[str, Any]:
    """Defaults overridden by ``name=value`` strings, in the spec's order."""
    values = {p.name: p.default for p in spec.parameters}
    for item in assignments:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"-p {item!r}: write parameters as -p NAME=VALUE")
        param = spec.parameter(name)
        if param is None:
            raise ParameterError(f"unknown parameter '{name}'; {describe(spec)}")
        value = coerce(param, raw)
        if non_finite(value):
            # A run record, the REST answers and the engines' parameter files are strict JSON.
            raise ParameterError(
                f"parameter '{name}': {raw!r} is not finite; NaN and infinity cannot be "
                "recorded, pass a finite number"
            )
        values[name] = value
    return values


def check_value(param: Parameter, value: Any, where: str) -> Any:
    """A typed value (from YAML, CSV or Python) checked against the parameter's type.

    Strings are parsed as on the command line; ``where`` says where the value came from.
    """
    if isinstance(value, str) and param.type != "str":
        try:
            return coerce(param, value)
        except ParameterError:
            pass
    kind = param.type
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "bool": isinstance(value, bool),
        "list": isinstance(value, list),
        "dict": isinstance(value, dict),
    }.get(kind, True)
    if not ok:
        raise ParameterError(
            f"{where}: parameter '{param.name}' expects {kind} (its default is "
            f"{param.default!r}), got {value!r}"
        )
    return float(value) if kind == "float" else value
