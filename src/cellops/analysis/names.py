"""Which names a block of cell code binds, reads, mutates and deletes.

The engine behind ``cellops.analysis.cells``. It walks the tree in execution order, keeping a
stack of scopes, because data flow between stages hinges on *order*: ``x = x + 1`` needs ``x``
from an earlier stage while ``y = 1; print(y)`` does not. Control flow is read straight through (an
``if`` body counts as run): guessing which branch runs would make the result depend on data.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from cellops.analysis.aliases import alias_sources, target_names
from cellops.analysis.implied import LAZY_IMPORTS

# Methods that change their receiver. Kept short on purpose: a false mutation makes stages that
# could run in parallel wait for each other, a missed one only matters if two stages both touch
# the same object.
INPLACE_METHODS = frozenset(
    {
        "fit", "partial_fit", "fit_transform", "fit_predict", "append", "extend", "insert",
        "update", "pop", "popitem", "remove", "clear", "sort", "reverse", "add", "discard",
        "setdefault", "set_params", "load_state_dict", "train", "compile",
    }
)  # fmt: skip

# Receivers that are modules, not data: `np.sort(a)`, `re.compile(p)` and `sys.path.append(p)`
# call functions or touch interpreter state, which never flows between stages as a value.
MODULE_ALIASES = frozenset(
    {
        "np", "numpy", "pd", "pandas", "plt", "matplotlib", "sns", "os", "sys", "re", "json",
        "math", "random", "shutil", "warnings", "logging", "torch", "tf", "tensorflow", "keras",
        "jax", "jnp", "scipy", "sklearn", "collections", "itertools", "functools",
    }
)  # fmt: skip

_LEAVES = (ast.Constant, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

# How a read resolves: to a local of some inner scope, to the module while this code runs, or
# to the module later (inside a function body, which runs only when called).
_LOCAL, _NOW, _LATER = 0, 1, 2


@dataclass
class Names:
    defines: set[str] = field(default_factory=set)
    uses: set[str] = field(default_factory=set)
    mutates: set[str] = field(default_factory=set)
    deletes: set[str] = field(default_factory=set)
    imports: set[str] = field(default_factory=set)
    star_import: bool = False
    # name -> names whose objects it may share (`a = b`, `data = [x, y]`, `for d in data`),
    # so a change through one is a change of the others.
    aliases: dict[str, set[str]] = field(default_factory=dict)
    # Module-level names bound by a definition rather than a computed value: "import", "function",
    # "class" or "lambda". Such a name cannot be passed between stages as a value.
    definitions: dict[str, str] = field(default_factory=dict)
    # Module-level functions -> positions of the parameters their body changes in place, and
    # calls of module-level functions: (function, ((position, argument name), ...)). Together
    # they make `add_features(df)` a change of `df`.
    changes_params: dict[str, set[int]] = field(default_factory=dict)
    calls: list[tuple[str, tuple[tuple[int, str], ...]]] = field(default_factory=list)


class _Scope:
    __slots__ = ("aliases", "bound", "globals", "kind", "nonlocals")

    def __init__(
        self,
        kind: str,
        bound: set[str] | None = None,
        globals_: set[str] | None = None,
        nonlocals: set[str] | None = None,
    ) -> None:
        self.kind = kind  # "module" | "function" | "class" | "comp"
        # Module, class and comprehension scopes fill `bound` as execution reaches each binding;
        # a function's locals are known up front, as the compiler decides them for the whole body.
        self.bound = bound if bound is not None else set()
        self.globals = globals_ or set()
        self.nonlocals = nonlocals or set()
        # a comprehension's targets -> the outer names whose elements they are
        self.aliases: dict[str, set[str]] = {}


def collect_names(nodes: Sequence[ast.stmt]) -> Names:
    visitor = _Visitor()
    for node in nodes:
        visitor.visit(node)
    result = visitor.names
    # Function bodies run after the whole cell has run, so any module binding in the cell counts.
    result.uses |= visitor.later - result.defines
    result.mutates -= visitor.imported | MODULE_ALIASES
    return result


def _function_locals(args: ast.arguments | None, body: Iterable[ast.AST]) -> _Scope:
    bound: set[str] = set()
    globals_: set[str] = set()
    nonlocals: set[str] = set()
    if args is not None:
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        params += [a for a in (args.vararg, args.kwarg) if a is not None]
        bound.update(a.arg for a in params)
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
        elif isinstance(node, _DEFS):
            bound.add(node.name)  # its body is a scope of its own
        elif isinstance(node, ast.Lambda):
            pass
        elif isinstance(node, _COMPREHENSIONS):
            # Comprehension targets stay inside it; only a walrus binds in the function.
            bound.update(sub.target.id for sub in ast.walk(node) if isinstance(sub, ast.NamedExpr))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update(_import_binding(alias) for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Global):
            globals_.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            nonlocals.update(node.names)
        else:
            name = getattr(node, "name", None) or getattr(node, "rest", None)
            if isinstance(name, str):  # except-as, match captures
                bound.add(name)
            stack.extend(ast.iter_child_nodes(node))
    return _Scope("function", bound - globals_ - nonlocals, globals_, nonlocals)


def _import_binding(alias: ast.alias) -> str:
    return alias.asname or alias.name.split(".")[0]


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.names = Names()
        self.module = _Scope("module")
        self.stack = [self.module]
        self.later: set[str] = set()
        self.imported: set[str] = set()
        # (name, parameter names) of the module-level function whose body is being visited
        self.function: tuple[str, list[str]] | None = None

    # ast.NodeVisitor looks each method up by name on every node (and routes constants through
    # a deprecation shim); a per-class table keeps whole-notebook analysis well under a second.
    _handlers: ClassVar[dict[type[ast.AST], Callable[[_Visitor, Any], None] | None]] = {}

    def visit(self, node: ast.AST) -> None:
        try:
            handler = self._handlers[type(node)]
        except KeyError:
            handler = self._handler(type(node))
        if handler is not None:
            handler(self, node)

    @classmethod
    def _handler(cls, kind: type[ast.AST]) -> Callable[[_Visitor, Any], None] | None:
        handler: Callable[[_Visitor, Any], None] | None
        if issubclass(kind, _LEAVES) or not kind._fields:
            handler = None
        else:
            handler = getattr(cls, "visit_" + kind.__name__, cls.generic_visit)
        cls._handlers[kind] = handler
        return handler

    def generic_visit(self, node: ast.AST) -> None:
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    # -- name resolution --------------------------------------------------------------------

    def _resolve(self, name: str) -> int:
        stack = self.stack
        top = len(stack) - 1
        later = False
        for i in range(top, 0, -1):
            scope = stack[i]
            if scope.kind == "function":
                if name in scope.globals:
                    return _LATER
                if name in scope.bound:
                    return _LOCAL
                later = True
            # A class body's names are invisible to the functions and comprehensions inside it.
            elif (scope.kind == "comp" or i == top) and name in scope.bound:
                return _LOCAL
        return _LATER if later else _NOW

    def _load(self, name: str) -> None:
        where = self._resolve(name)
        if where == _NOW:
            if name not in self.module.bound:
                self.names.uses.add(name)
        elif where == _LATER:
            self.later.add(name)

    def _store(self, name: str, scope: _Scope | None = None) -> None:
        scope = scope or self.stack[-1]
        if scope.kind == "module":
            scope.bound.add(name)
            self.names.defines.add(name)
            self.names.definitions.pop(name, None)
        elif scope.kind == "function":
            if name in scope.globals:
                self.names.defines.add(name)
        else:
            scope.bound.add(name)

    def _mutate(self, node: ast.expr) -> None:
        name = _root_name(node)
        if name is None:
            return
        if self._resolve(name) != _LOCAL:
            self.names.mutates.add(name)
        elif self.stack[-1].kind == "comp" and name in self.stack[-1].aliases:
            # `[d.drop(columns=c, inplace=True) for d in data]` changes data's elements.
            for outer in sorted(self.stack[-1].aliases[name]):
                self._mutate(ast.Name(outer))
        elif self.function is not None and name in self.function[1]:
            # The caller's argument is changed (unless the parameter was rebound first; the
            # safe side is to count it anyway).
            position = self.function[1].index(name)
            self.names.changes_params.setdefault(self.function[0], set()).add(position)

    # -- names and targets ------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node.id)
        elif isinstance(node.ctx, ast.Store):
            self._store(node.id)
        else:
            self._load(node.id)  # `del x` needs x to exist
            scope = self.stack[-1]
            if scope.kind == "module" or node.id in scope.globals:
                self.names.deletes.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._mutate(node)
        self.visit(node.value)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._mutate(node)
        self.visit(node.value)
        self.visit(node.slice)

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if called in LAZY_IMPORTS:
            self.names.imports.add(LAZY_IMPORTS[called])
        if isinstance(func, ast.Name) and self._resolve(func.id) != _LOCAL:
            args = tuple(
                (i, a.id)
                for i, a in enumerate(node.args)
                if isinstance(a, ast.Name) and self._resolve(a.id) != _LOCAL
            )
            if args:
                self.names.calls.append((func.id, args))
        if isinstance(func, ast.Attribute) and (
            func.attr in INPLACE_METHODS
            or any(kw.arg == "inplace" and _is_true(kw.value) for kw in node.keywords)
        ):
            self._mutate(func.value)

    # -- statements whose parts run out of field order --------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)
            self._alias(target, node.value)
            if isinstance(node.value, ast.Lambda) and isinstance(target, ast.Name):
                self._definition(target.id, "lambda")

    def _alias(self, target: ast.expr, value: ast.expr) -> None:
        if self.stack[-1].kind != "module":
            return
        sources = alias_sources(value)
        for name in target_names(target):
            self.names.aliases.pop(name, None)  # rebound: what it shared before is gone
            if sources - {name}:
                self.names.aliases[name] = sources - {name}

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self._load(node.target.id)
            self.visit(node.value)
            self._store(node.target.id)
        else:
            self.visit(node.target)
            self.visit(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        if self.stack[-1].kind != "function":  # a local's annotation is never evaluated
            self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        self._alias(node.target, node.iter)  # the loop variable is each element in turn
        for stmt in (*node.body, *node.orelse):
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        scope = next(s for s in reversed(self.stack) if s.kind != "comp")
        self._store(node.target.id, scope)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.names.imports.add(alias.name.split(".")[0])
            self._bind_import(_import_binding(alias))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.names.imports.add(node.module.split(".")[0])
        for alias in node.names:
            if alias.name == "*":
                self.names.star_import = True
            else:
                self._bind_import(alias.asname or alias.name)

    def _bind_import(self, name: str) -> None:
        self.imported.add(name)
        self._store(name)
        self._definition(name, "import")

    def _definition(self, name: str, kind: str) -> None:
        if self.stack[-1].kind == "module":
            self.names.definitions[name] = kind

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._store(node.name)
        for stmt in node.body:
            self.visit(stmt)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self._store(node.name)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._store(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.generic_visit(node)
        if node.rest:
            self._store(node.rest)

    # -- scopes -----------------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._defaults(node.args)
        args = node.args
        for arg in (*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg):
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)
        if node.returns is not None:
            self.visit(node.returns)
        self._store(node.name)
        self._definition(node.name, "function")
        outer = self.function
        if self.stack[-1].kind == "module":
            self.function = (node.name, [a.arg for a in (*args.posonlyargs, *args.args)])
        self._body(_function_locals(node.args, node.body), node.body)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._defaults(node.args)
        self._body(_function_locals(node.args, [node.body]), [node.body])

    def _defaults(self, args: ast.arguments) -> None:
        for default in (*args.defaults, *args.kw_defaults):
            if default is not None:
                self.visit(default)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in (*node.decorator_list, *node.bases, *(kw.value for kw in node.keywords)):
            self.visit(expr)
        self._body(_Scope("class"), node.body)
        self._store(node.name)
        self._definition(node.name, "class")

    def _body(self, scope: _Scope, body: Iterable[ast.AST]) -> None:
        self.stack.append(scope)
        for item in body:
            self.visit(item)
        self.stack.pop()

    def _comprehension(self, generators: list[ast.comprehension], results: list[ast.expr]) -> None:
        # The first iterable is evaluated outside the comprehension's own scope.
        self.visit(generators[0].iter)
        scope = _Scope("comp")
        self.stack.append(scope)
        for i, generator in enumerate(generators):
            if i:
                self.visit(generator.iter)
            self.visit(generator.target)
            # `for row in rows for d in row`: d is an element of what row is an element of.
            sources = set().union(
                *(scope.aliases.get(n, set()) if n in scope.bound else {n}
                  for n in alias_sources(generator.iter))
            )  # fmt: skip
            for target in target_names(generator.target):
                if sources - {target}:
                    scope.aliases[target] = sources - {target}
            for condition in generator.ifs:
                self.visit(condition)
        for result in results:
            self.visit(result)
        self.stack.pop()

    def visit_ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> None:
        self._comprehension(node.generators, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node.generators, [node.key, node.value])
