"""Build real notebook JSON from (source, tags[, cell_type]) tuples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CellSpec = tuple[str, Sequence[str]] | tuple[str, Sequence[str], str]


def notebook_dict(cells: Sequence[CellSpec]) -> dict[str, Any]:
    out = []
    for i, spec in enumerate(cells):
        source, tags = spec[0], list(spec[1])
        kind = spec[2] if len(spec) > 2 else "code"  # type: ignore[misc]
        cell: dict[str, Any] = {
            "cell_type": kind,
            "id": f"c{i}",
            "metadata": {"tags": tags} if tags else {},
            "source": source,
        }
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        out.append(cell)
    return {
        "cells": out,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
