"""The REST types are one contract: ``labextension/src/tokens.ts`` == ``cellops.server.schema``.

Each ``export interface IName`` must have a TypedDict ``Name`` with the same fields, the same
optional fields and the same types; each ``export type`` union of strings a ``Literal`` alias
of the same values. Types are compared in one normal form: ``number`` is Python's int or
float, ``unknown`` is Any or object, ``T[]`` a list, ``Record<string, T>`` a dict.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import pytest

from cellops.server import schema

TOKENS = Path(__file__).resolve().parents[2] / "labextension" / "src" / "tokens.ts"
SCALARS = {"string": "str", "number": "number", "boolean": "bool", "unknown": "any", "null": "null"}
PY_SCALARS = {str: "str", int: "number", float: "number", bool: "bool", object: "any"}
PY_SCALARS[type(None)] = "null"


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _split_union(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "<([{"
        depth -= ch in ">)]}"
        if ch == "|" and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return [p for p in parts if p]


class TypeScript:
    def __init__(self, text: str) -> None:
        text = _strip_comments(text)
        self.aliases = {
            m[1]: m[2].strip() for m in re.finditer(r"export type (\w+)\s*=\s*([^;]+);", text)
        }
        self.interfaces: dict[str, dict[str, tuple[bool, str]]] = {}
        pattern = r"export interface (\w+)(?:\s+extends\s+(\w+))?\s*\{(.*?)\n\}"
        for m in re.finditer(pattern, text, flags=re.S):
            # An interface extending an earlier one starts with that one's fields.
            fields = dict(self.interfaces[m[2]]) if m[2] else {}
            for f in re.finditer(r"^\s*(\w+)(\??):\s*([^;]+);", m[3], flags=re.M):
                fields[f[1]] = (f[2] == "?", self.norm(f[3]))
            self.interfaces[m[1]] = fields

    def norm(self, text: str) -> str:
        parts: set[str] = set()
        for part in _split_union(text.strip()):
            if part.startswith("'"):
                parts.add(part.replace("'", '"'))
            elif part.endswith("[]"):
                parts.add(f"list[{self.norm(part[:-2])}]")
            elif m := re.fullmatch(r"Record<string,\s*(.+)>", part):
                parts.add(f"dict[str, {self.norm(m[1])}]")
            elif part in SCALARS:
                parts.add(SCALARS[part])
            elif part in self.aliases:
                parts.add(self.norm(self.aliases[part]))
            elif re.fullmatch(r"I[A-Z]\w*", part):
                parts.add(part[1:])
            else:
                raise AssertionError(f"tokens.ts: no rule for the type {part!r}")
        return " | ".join(sorted(parts))


def py_norm(tp: Any) -> str:
    if tp is Any:
        return "any"
    if tp in PY_SCALARS:
        return PY_SCALARS[tp]
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return " | ".join(sorted({py_norm(a) for a in get_args(tp)}))
    if origin is Literal:
        return " | ".join(sorted(f'"{v}"' for v in get_args(tp)))
    if origin is list:
        return f"list[{py_norm(get_args(tp)[0])}]"
    if origin is dict:
        key, value = get_args(tp)
        assert key is str, tp
        return f"dict[str, {py_norm(value)}]"
    if typing.is_typeddict(tp):
        return str(tp.__name__)
    raise AssertionError(f"schema.py: no rule for the type {tp!r}")


def _typeddicts() -> dict[str, Any]:
    return {
        name: obj
        for name, obj in vars(schema).items()
        if typing.is_typeddict(obj) and not name.startswith("_")
    }


TS = TypeScript(TOKENS.read_text(encoding="utf-8"))


def test_tokens_ts_is_parsed() -> None:
    assert len(TS.interfaces) >= 15
    assert TS.interfaces["IAnalysis"]["elapsed_ms"] == (False, "number")
    assert TS.interfaces["IPromoteRequest"]["target"] == (True, "str")


def test_same_interfaces_on_both_sides() -> None:
    assert sorted(n[1:] for n in TS.interfaces) == sorted(_typeddicts())


@pytest.mark.parametrize("interface", sorted(TS.interfaces))
def test_fields_optionality_and_types_agree(interface: str) -> None:
    typed = _typeddicts()[interface[1:]]
    hints = get_type_hints(typed)
    python = {name: (name in typed.__optional_keys__, py_norm(tp)) for name, tp in hints.items()}
    assert python == TS.interfaces[interface]


def test_string_unions_agree() -> None:
    for name, text in TS.aliases.items():
        assert py_norm(getattr(schema, name)) == TS.norm(text), name
