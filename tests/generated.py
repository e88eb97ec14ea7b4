"""Readers of generated files for the tests: a Dockerfile's instructions, a notebook on disk."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path

from tests.nbfactory import CellSpec, notebook_dict


def write_notebook(path: Path, cells: Sequence[CellSpec]) -> Path:
    path.write_text(json.dumps(notebook_dict(cells)), encoding="utf-8")
    return path


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) as the Dockerfile parser sees them: comment lines dropped,
    lines ending in a backslash joined with the next."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in text.split("\n"):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        logical = (pending + line).strip()
        pending = ""
        keyword, _, args = logical.partition(" ")
        out.append((keyword.upper(), args))
    return out


def commented_command(text: str, start: str) -> list[str] | None:
    """The shell words of the ``# $ START...`` command in a file's comments (continuation
    lines joined), or None when there is none."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(f"# $ {start}"):
            command = line.removeprefix("# $ ")
            while command.endswith(" \\"):
                i += 1
                command = command[:-1] + lines[i].removeprefix("#").lstrip()
            return shlex.split(command)
    return None
