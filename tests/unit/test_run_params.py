"""-p NAME=VALUE on the command line: typed by the spec, and only values a record can hold."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellops.errors import ParameterError
from cellops.package.spec import Parameter, PipelineSpec
from cellops.run.params import resolve

NON_FINITE = st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "-Infinity", "1e999"])


def _spec(*params: Parameter) -> PipelineSpec:
    return PipelineSpec("p", "nb.ipynb", "0" * 64, "python3", params, (), (), "0")


@settings(max_examples=40, deadline=None)
@given(NON_FINITE)
def test_a_non_finite_float_is_refused_naming_the_parameter(text: str) -> None:
    with pytest.raises(ParameterError, match=r"parameter 'x': .* is not finite"):
        resolve(_spec(Parameter("x", "float", 1.0)), [f"x={text}"])


# Python's json reads these spellings of NaN and infinity, so lists, dicts and untyped
# parameters could carry them into a record.
JSON_NON_FINITE = st.sampled_from(["NaN", "Infinity", "-Infinity"])


@settings(max_examples=40, deadline=None)
@given(JSON_NON_FINITE, st.sampled_from(["list", "dict", "none"]))
def test_a_non_finite_value_inside_json_is_refused(text: str, kind: str) -> None:
    default = {"list": [1.0], "dict": {"a": 1.0}, "none": None}[kind]
    raw = {"list": f"[1, {text}]", "dict": f'{{"a": [{text}]}}', "none": text}[kind]
    with pytest.raises(ParameterError, match=r"parameter 'x': .* is not finite"):
        resolve(_spec(Parameter("x", kind, default)), [f"x={raw}"])


@settings(max_examples=40, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_finite_float_round_trips(value: float) -> None:
    got = resolve(_spec(Parameter("x", "float", 0.5)), [f"x={value!r}"])["x"]
    assert got == value and math.isfinite(got)
