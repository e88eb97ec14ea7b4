"""Static analysis of notebook cell code: which names each cell reads, binds and changes.

cellops infers the data flow between stages from this, so it never runs user code and never
imports IPython (too slow for the CLI's start-up budget). Cells may contain IPython syntax
(magics, shell escapes, help); those lines are replaced by plain Python with the same bindings
before parsing, see ``ipython.py``. Nothing here raises on bad code: a cell that cannot
be parsed reports ``error`` instead, so one broken cell does not hide every other diagnostic.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
import tokenize
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cellops.analysis.implied import magic_imports
from cellops.analysis.ipython import Prepared, prepare, split_lines
from cellops.analysis.names import collect_names

__all__ = [
    "BUILTIN_NAMES",
    "CellAnalysis",
    "LiteralParameter",
    "Statement",
    "analyze_cell",
    "literal_parameters",
    "normalize_code",
    "select_statements",
    "split_statements",
]

# Names a Jupyter kernel provides without any cell defining them.
_KERNEL_NAMES = frozenset(
    {
        "display", "get_ipython", "In", "Out", "exit", "quit", "_", "__", "___", "_i", "_ii",
        "_iii", "_ih", "_oh", "_dh", "__name__", "__builtins__", "__doc__", "__spec__",
        "__loader__", "__package__", "__builtin__", "__IPYTHON__",
    }
)  # fmt: skip
BUILTIN_NAMES: frozenset[str] = frozenset(dir(builtins)) | _KERNEL_NAMES

_EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CellAnalysis:
    defines: frozenset[str]
    uses: frozenset[str]
    mutates: frozenset[str]
    deletes: frozenset[str]
    imports: frozenset[str]
    star_import: bool
    magics: bool
    error: str | None
    # (name, names whose objects it may share), see ``names.alias_sources``.
    aliases: tuple[tuple[str, frozenset[str]], ...] = ()
    # (name, "import" | "function" | "class" | "lambda") for names bound by a definition.
    definitions: tuple[tuple[str, str], ...] = ()
    changes_params: tuple[tuple[str, frozenset[int]], ...] = ()  # function -> positions
    calls: tuple[tuple[str, tuple[tuple[int, str], ...]], ...] = ()

    def changed_by_calls(self, changers: Mapping[str, frozenset[int]]) -> frozenset[str]:
        """Arguments this cell passes to functions that change them (``changers``)."""
        return frozenset(
            name
            for func, args in self.calls
            for position, name in args
            if position in changers.get(func, _NO_POSITIONS)
        )


_NO_POSITIONS: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Statement:
    source: str
    defines: frozenset[str]
    uses: frozenset[str]
    imports: frozenset[str]
    magic: bool


@dataclass(frozen=True)
class LiteralParameter:
    name: str
    type: str
    default: object
    line: int


# The sidebar re-analyses the whole notebook after each edit, and most cells have not changed:
# the result depends on the source alone, so it is cached by source (frozen, safe to share).
@functools.lru_cache(maxsize=8192)
def analyze_cell(source: str) -> CellAnalysis:
    """Names the cell binds (``defines``) and needs from earlier cells (``uses``), and more.

    ``star_import`` is also set by ``%run``, which defines names no one can list either.
    """
    prepared = prepare(source)
    magics = bool(prepared.magic_lines)
    implied = frozenset(magic_imports(prepared.magic_lines.values()))
    if prepared.tree is None:
        return CellAnalysis(_EMPTY, _EMPTY, _EMPTY, _EMPTY, implied, False, magics, prepared.error)
    names = collect_names(prepared.tree.body)
    return CellAnalysis(
        defines=frozenset(names.defines),
        uses=frozenset(names.uses),
        mutates=frozenset(names.mutates),
        deletes=frozenset(names.deletes),
        imports=frozenset(names.imports | implied),
        star_import=names.star_import or prepared.runs_script,
        magics=magics,
        error=None,
        aliases=tuple(sorted((k, frozenset(v)) for k, v in names.aliases.items())),
        definitions=tuple(sorted(names.definitions.items())),
        changes_params=tuple(sorted((k, frozenset(v)) for k, v in names.changes_params.items())),
        calls=tuple(names.calls),
    )


# -- statements ---------------------------------------------------------------------------


class _Text:
    """Maps the parser's (line, UTF-8 byte column) positions back to the original cell text."""

    def __init__(self, source: str, prepared: Prepared) -> None:
        self.source = source
        self.lines = prepared.lines
        self.magic = prepared.magic_lines
        self.starts = [0]
        for match in re.finditer(r"\r\n|\r|\n", source):
            self.starts.append(match.end())

    def offset(self, line: int, byte_col: int) -> int:
        text = self.lines[line - 1]
        return self.starts[line - 1] + len(text.encode()[:byte_col].decode(errors="ignore"))

    def segment(self, first: ast.stmt, last: ast.stmt) -> str:
        start_line = _first_line(first)
        # Top-level statements start at column 0 unless they follow a `;` on the same line.
        start_col = first.col_offset if start_line == first.lineno else 0
        end_line = last.end_lineno or last.lineno
        end_col = last.end_col_offset or 0
        # A replaced IPython line has the replacement's columns, not the original's.
        if start_line in self.magic:
            start_col = 0
        if end_line in self.magic:
            end_col = len(self.lines[end_line - 1].encode())
        return self.source[self.offset(start_line, start_col) : self.offset(end_line, end_col)]


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return decorators[0].lineno if decorators else node.lineno


def split_statements(source: str) -> tuple[Statement, ...]:
    """The cell's top-level statements with the names each binds and reads, in order."""
    prepared = prepare(source)
    if prepared.tree is None:
        return (Statement(source, _EMPTY, _EMPTY, _EMPTY, magic=prepared.opaque),)
    groups: list[list[ast.stmt]] = []
    for node in prepared.tree.body:
        # `%time a = 1; b = 2` parses as two statements on one IPython line: keep them together.
        line = _first_line(node)
        if groups and line in prepared.magic_lines and groups[-1][-1].end_lineno == line:
            groups[-1].append(node)
        else:
            groups.append([node])
    text = _Text(source, prepared)
    statements = []
    for group in groups:
        names = collect_names(group)
        first, last = _first_line(group[0]), group[-1].end_lineno or group[-1].lineno
        magic = [
            prepared.magic_lines[n] for n in range(first, last + 1) if n in prepared.magic_lines
        ]
        implied = magic_imports(magic)
        statements.append(
            Statement(
                source=text.segment(group[0], group[-1]),
                defines=frozenset(names.defines),
                uses=frozenset(names.uses),
                imports=frozenset(names.imports | implied),
                magic=bool(magic),
            )
        )
    return tuple(statements)


def select_statements(statements: Sequence[Statement], needed: Iterable[str]) -> tuple[int, ...]:
    """Indices of the statements that produce ``needed``, with what those in turn use.

    Statements that bind nothing (``warnings.filterwarnings(...)``, ``%matplotlib inline``) are
    kept when everything they use is bound by kept statements, so a stage gets the settings
    that go with its imports but not those of libraries it never touches.
    """
    wanted = set(needed)
    kept: set[int] = set()
    changed = True
    while changed:
        changed = False
        for index, statement in enumerate(statements):
            if index not in kept and not statement.defines.isdisjoint(wanted):
                kept.add(index)
                wanted |= statement.uses
                changed = True
    provided = set().union(*(statements[i].defines for i in kept))
    for index, statement in enumerate(statements):
        if not statement.defines and statement.uses - BUILTIN_NAMES <= provided:
            kept.add(index)
    return tuple(sorted(kept))


# -- parameters ---------------------------------------------------------------------------

_ANNOTATION_TYPES = frozenset({"int", "float", "str", "bool", "list", "dict"})
_LITERAL_HELP = (
    "parameters must be literal values (numbers, strings, booleans, None, lists, dicts) "
    "so they can be typed and overridden"
)


def literal_parameters(source: str) -> tuple[tuple[LiteralParameter, ...], tuple[str, ...]]:
    """The parameters a papermill ``parameters`` cell declares, and what is wrong with it.

    Each problem starts with ``line N:`` and says what to change. A tuple is reported as type
    "list" with its default converted to a list, as that is what an override will supply.
    """
    prepared = prepare(source)
    problems = [
        f"line {n}: `{text.strip()}` is IPython syntax; the parameters cell may only assign "
        "literal values, so move it to another cell"
        for n, text in sorted(prepared.magic_lines.items())
    ]
    if prepared.tree is None:
        if prepared.error:
            problems.append(f"{prepared.error}; fix the syntax of the parameters cell")
        return (), _by_line(problems)
    text = _Text(source, prepared)
    found: dict[str, LiteralParameter] = {}
    for node in prepared.tree.body:
        if node.lineno in prepared.magic_lines:
            continue
        snippet = _snippet(text.segment(node, node))
        where = f"line {node.lineno}: `{snippet}`"
        if isinstance(node, ast.Pass) or (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            problems.append(
                f"{where} imports a module; the parameters cell may only assign literal values, "
                "so move imports to a setup cell"
            )
            continue
        if isinstance(node, ast.AnnAssign) and node.value is None:
            problems.append(
                f"{where} has no value; give the parameter a default, e.g. `n: int = 0`"
            )
            continue
        if isinstance(node, ast.Assign):
            targets, annotation, value_node = node.targets, None, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, annotation, value_node = [node.target], node.annotation, node.value
        else:
            problems.append(
                f"{where} is not an assignment; the parameters cell may only contain "
                "`name = value` lines, so move other code to another cell"
            )
            continue
        names = [target.id for target in targets if isinstance(target, ast.Name)]
        if len(names) != len(targets):
            problems.append(
                f"{where} does not assign a plain name; write one `name = value` per line"
            )
            continue
        try:
            value = _lists(ast.literal_eval(value_node))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            problems.append(f"{where} is not a literal; {_LITERAL_HELP}")
            continue
        kind = _literal_type(value)
        if kind is None:
            problems.append(
                f"{where} is a {type(value).__name__}, not a supported literal; {_LITERAL_HELP}"
            )
            continue
        declared = _annotation_type(annotation)
        if declared is not None and value is not None and declared != kind:
            if declared == "float" and isinstance(value, int):
                value = float(value)
            else:
                problems.append(
                    f"{where} is annotated `{declared}` but its value is a {kind}; "
                    "change the annotation or the value so they agree"
                )
                continue
        for name in names:
            found.pop(name, None)  # the last assignment wins, in its own position
            found[name] = LiteralParameter(name, declared or kind, value, node.lineno)
    return tuple(found.values()), _by_line(problems)


def _by_line(problems: list[str]) -> tuple[str, ...]:
    return tuple(sorted(problems, key=lambda problem: int(problem.split(":")[0][5:])))


def _snippet(code: str) -> str:
    line = " ".join(code.split())
    return line if len(line) <= 60 else line[:57] + "..."


def _lists(value: object) -> object:
    """Tuples become lists: an override arrives as a list, so the default should be one too."""
    if isinstance(value, (tuple, list)):
        return [_lists(item) for item in value]
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    return value


def _literal_type(value: object) -> str | None:
    if value is None:
        return "none"
    for kind in (bool, int, float, str, list, dict):  # bool first: True is also an int
        if isinstance(value, kind):
            return kind.__name__
    return None


def _annotation_type(annotation: ast.expr | None) -> str | None:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:  # a quoted annotation, as under `from __future__ import annotations` style
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        # `int | None`: None is allowed as a default anyway, the other side is the type.
        for side, other in (
            (annotation.left, annotation.right),
            (annotation.right, annotation.left),
        ):
            if isinstance(other, ast.Constant) and other.value is None:
                return _annotation_type(side)
        return None
    if isinstance(annotation, ast.Subscript):
        if isinstance(annotation.value, ast.Name) and annotation.value.id == "Optional":
            return _annotation_type(annotation.slice)
        annotation = annotation.value  # list[int] -> list
    if isinstance(annotation, ast.Name):
        name = annotation.id.lower() if annotation.id in ("List", "Dict") else annotation.id
        return name if name in _ANNOTATION_TYPES else None
    return None


# -- cache keys ---------------------------------------------------------------------------


def normalize_code(source: str) -> str:
    """A canonical form of the cell for cache keys: comments and layout do not count.

    IPython lines are kept verbatim (stripped) in place of placeholders, so even a cell with
    magics is compared after ``ast.unparse``. Cells that do not parse, and cell magics whose
    body is not Python, fall back to comparing lines without comments or trailing blanks.
    """
    prepared = prepare(source)
    if prepared.tree is not None and not prepared.magic_lines:
        return ast.unparse(prepared.tree)
    if prepared.tree is not None:
        lines = list(prepared.lines)
        placeholders: dict[str, str] = {}
        for number, original in prepared.magic_lines.items():
            key = f"__cellops_magic_{number}__"
            placeholders[key] = original.strip()
            lines[number - 1] = original[: len(original) - len(original.lstrip())] + key
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:  # pragma: no cover - the same lines parsed with other stand-ins
            pass
        else:
            out = []
            for line in ast.unparse(tree).split("\n"):
                body = line.lstrip()
                magic = placeholders.get(body)
                out.append(line if magic is None else line[: len(line) - len(body)] + magic)
            return "\n".join(out)
    return _normalize_lines(split_lines(source), strip_comments=not prepared.opaque)


def _normalize_lines(lines: Sequence[str], strip_comments: bool) -> str:
    comment_at: Mapping[int, int] = _comment_columns(lines) if strip_comments else {}
    out = []
    for number, line in enumerate(lines, start=1):
        column = comment_at.get(number)
        line = (line if column is None else line[:column]).rstrip()
        if line.strip():
            out.append(line)
    return "\n".join(out)


def _comment_columns(lines: Sequence[str]) -> dict[int, int]:
    found: dict[int, int] = {}
    feed = iter([line + "\n" for line in lines])
    try:
        for token in tokenize.generate_tokens(lambda: next(feed, "")):
            if token.type == tokenize.COMMENT:
                found[token.start[0]] = token.start[1]
    except (tokenize.TokenError, SyntaxError):
        pass  # keep the comments found before the broken part
    return found
