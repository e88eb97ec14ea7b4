"""Jinja rendering of the files cellops generates (templates/ in the source tree)."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2


def templates_dir() -> Path:
    here = Path(__file__).resolve().parent
    # Installed wheels carry the templates inside the package; a source checkout has them at
    # the repository root.
    for candidate in (here / "templates", here.parent.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"cellops templates not found next to {here}; reinstall cellops")


def _pyrepr(value: Any) -> str:
    return repr(value)


def _dockerquote(value: str) -> str:
    """A Dockerfile ``LABEL``/``ARG`` value: a JSON string, which the Dockerfile reads as one
    double-quoted word, with ``$`` escaped so the builder does not substitute variables."""
    return json.dumps(str(value), ensure_ascii=False).replace("$", "\\$")


def _optstr(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items()) or "—"


def _mermaid_id(name: str) -> str:
    return "s_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    cache_dir = (
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cellops" / "jinja"
    )
    bytecode_cache = None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Compiling templates costs more than the rest of a promote; reuse the bytecode.
        bytecode_cache = jinja2.FileSystemBytecodeCache(str(cache_dir))
    except OSError:
        pass
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        bytecode_cache=bytecode_cache,
        autoescape=False,  # the outputs are code, YAML and Markdown, not HTML
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        pyrepr=_pyrepr, dockerquote=_dockerquote, optstr=_optstr, mermaid_id=_mermaid_id
    )
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
