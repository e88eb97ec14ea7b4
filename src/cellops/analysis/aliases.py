"""Which expressions share objects with names, for following changes made through aliases."""

from __future__ import annotations

import ast

# Calls whose result holds the very objects passed in (not copies).
_SHARING_CALLS = frozenset(
    {"list", "tuple", "set", "reversed", "sorted", "zip", "enumerate", "iter"}
)
_SHARING_METHODS = frozenset({"values", "items"})


def alias_sources(node: ast.expr | None) -> set[str]:
    """Names whose objects the value of ``node`` is or holds.

    Only forms that share for certain: a name, containers of them, their elements by constant
    index or slice. ``df[cols]``, ``df.copy()`` and other calls give new objects.
    """
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return set().union(*(alias_sources(e) for e in node.elts))
    if isinstance(node, ast.Starred):
        return alias_sources(node.value)
    if isinstance(node, ast.Dict):
        return set().union(*(alias_sources(v) for v in node.values))
    if isinstance(node, ast.IfExp):
        return alias_sources(node.body) | alias_sources(node.orelse)
    if isinstance(node, ast.BoolOp):
        return set().union(*(alias_sources(v) for v in node.values))
    if isinstance(node, ast.Subscript) and (
        isinstance(node.slice, ast.Slice)
        or (isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int))
        or (isinstance(node.slice, ast.UnaryOp) and isinstance(node.slice.operand, ast.Constant))
    ):
        return alias_sources(node.value)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in _SHARING_CALLS:
            return set().union(*(alias_sources(a) for a in node.args))
        if isinstance(func, ast.Attribute) and func.attr in _SHARING_METHODS and not node.args:
            return alias_sources(func.value)
    return set()


def target_names(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for e in node.elts for n in target_names(e)]
    if isinstance(node, ast.Starred):
        return target_names(node.value)
    return []
