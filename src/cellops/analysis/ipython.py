"""Parsing cell code that may contain IPython syntax, without importing IPython.

IPython's own transformers would be exact, but importing IPython costs more than the CLI's whole
start-up budget. Instead each IPython line is swapped for plain Python that binds and reads the
same names (`files = !ls` -> `files = None`), keeping line numbers so positions in the parsed
tree still point into the original cell.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field

# Cell magics whose body is Python run in the user namespace.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})

_ASSIGN_MAGIC = re.compile(
    r"(?P<target>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*(?P<kind>[!%])(?P<rest>.*)"
)
# `{name}` in a shell command or line magic is replaced by the variable's value, so it is a read.
_INTERPOLATED = re.compile(r"(?<!\{)\{([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\}(?!\})")
_TIMEIT_OPTIONS = re.compile(r"^(?:(?:-[nrp]\s*\d+|-[tcqo])\s+)*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Prepared:
    tree: ast.Module | None  # None when the cell is not Python or does not parse
    lines: tuple[str, ...]  # the original cell, split as the parser counts lines
    # 1-based line number -> original text, for each line that was IPython syntax.
    magic_lines: dict[int, str] = field(default_factory=dict)
    opaque: bool = False  # a cell magic whose body is not Python (%%bash, %%writefile, ...)
    runs_script: bool = False  # %run: defines names no one can list
    error: str | None = None  # "line N: msg" when it does not parse even without IPython syntax


def split_lines(source: str) -> list[str]:
    return _LINE_BREAK.split(source)


@functools.lru_cache(maxsize=4096)
def prepare(source: str) -> Prepared:
    """The cell's parse tree, with IPython lines swapped for equivalent Python.

    Cached because promote walks every cell several times (analysis, the folder's references,
    the stages' digests), so the cache holds a large notebook's cells; callers must not mutate
    the tree.
    """
    try:
        return Prepared(ast.parse(source), tuple(split_lines(source)))
    except SyntaxError:
        pass
    original = split_lines(source)
    lines = list(original)
    magic_lines: dict[int, str] = {}

    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        header = lines[first].strip()[2:]
        name, _, rest = header.partition(" ")
        magic_lines[first + 1] = original[first]
        if name not in PYTHON_CELL_MAGICS:
            return Prepared(None, tuple(original), magic_lines, opaque=True)
        lines[first] = _cell_magic_header(name, rest.strip())

    # Fast path: replace every line that looks like IPython syntax and parse once. It only
    # counts if each replaced line starts a statement; otherwise one was inside a string or a
    # bracketed expression, where `!`, `%` and a trailing `?` are ordinary Python.
    guess = list(lines)
    guessed = dict(magic_lines)
    for number, line in enumerate(original, start=1):
        if number not in guessed:
            replacement = neutralise(line)
            if replacement is not None:
                guess[number - 1] = replacement
                guessed[number] = line
    try:
        tree = ast.parse("\n".join(guess))
    except SyntaxError:
        pass
    else:
        starts = {node.lineno for node in ast.walk(tree) if isinstance(node, ast.stmt)}
        if starts.issuperset(guessed):
            return _parsed(tree, original, guessed)

    # Slow path: replace only the lines the parser rejects, one at a time.
    for _ in range(len(lines) + 1):
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError as exc:
            bad = exc.lineno
            if bad is None or not 1 <= bad <= len(lines):
                return _failed(original, magic_lines, exc)
            if bad in magic_lines:
                # A `%time` statement that is itself broken: analyse nothing in its place.
                if lines[bad - 1].strip() == "pass":
                    return _failed(original, magic_lines, exc)
                lines[bad - 1] = _indent(original[bad - 1]) + "pass"
                continue
            replacement = neutralise(original[bad - 1])
            if replacement is None:
                return _failed(original, magic_lines, exc)
            magic_lines[bad] = original[bad - 1]
            lines[bad - 1] = replacement
        else:
            return _parsed(tree, original, magic_lines)
    raise AssertionError("unreachable: each pass replaces a different line")


def _parsed(tree: ast.Module, original: list[str], magic_lines: dict[int, str]) -> Prepared:
    runs_script = any(text.lstrip().startswith("%run ") for text in magic_lines.values())
    return Prepared(tree, tuple(original), magic_lines, runs_script=runs_script)


def _failed(original: list[str], magic_lines: dict[int, str], exc: SyntaxError) -> Prepared:
    return Prepared(None, tuple(original), magic_lines, error=f"line {exc.lineno or 1}: {exc.msg}")


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _cell_magic_header(name: str, rest: str) -> str:
    if name == "capture":
        words = [word for word in rest.split() if not word.startswith("-")]
        if words and words[-1].isidentifier():
            return f"{words[-1]} = None"
    elif name == "timeit":
        setup = _without_timeit_options(rest)
        if setup:
            return setup
    return "pass"


def neutralise(line: str) -> str | None:
    """Plain Python with the same bindings and reads as an IPython line, or None if it is not."""
    indent = _indent(line)
    body = line.strip()
    if not body:
        return None
    assign = _ASSIGN_MAGIC.fullmatch(body)
    if assign:
        return f"{indent}{assign['target']} = {_reads(assign['rest']) or 'None'}"
    if body.startswith("%") and not body.startswith("%%"):
        name, _, rest = body[1:].partition(" ")
        rest = rest.strip()
        if name == "time" and rest:
            return indent + rest
        if name == "timeit" and rest:
            return indent + _without_timeit_options(rest)
        return indent + (_reads(rest) or "pass")
    if body.startswith(("!", "%%")):
        return indent + (_reads(body) or "pass")
    if body.startswith("?") or body.endswith("?"):
        return indent + "pass"
    return None


def _without_timeit_options(text: str) -> str:
    return _TIMEIT_OPTIONS.sub("", text + " ", count=1).strip()


def _reads(text: str) -> str:
    names = _INTERPOLATED.findall(text)
    return f"({', '.join(names)},)" if names else ""
