"""What every cellops handler shares: JSON in and out, paths confined to the server's root,
and the one place where exceptions become HTTP status codes.

Status codes: bad input 400, unknown path/package/run 404, conflict 409, a notebook with
errors asked to be promoted 422, anything unexpected 500 (logged with its traceback).
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.ioloop import IOLoop

from cellops.errors import CellopsError, DiagnosticsError
from cellops.notebook.tags import Diagnostic
from cellops.package.layout import SPEC_FILE
from cellops.package.spec import non_finite
from cellops.server import schema

T = TypeVar("T")


class BadRequest(CellopsError):
    """The request itself is malformed: its JSON, a missing or wrongly typed field."""


class NotFound(CellopsError):
    """The path, package or run does not exist (or is outside the server's root)."""


class Conflict(CellopsError):
    """The request clashes with the state on disk or a running run."""


def error_status(exc: BaseException) -> int:
    if isinstance(exc, web.HTTPError):
        return exc.status_code
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, DiagnosticsError):
        return 422
    if isinstance(exc, CellopsError):
        return 400
    return 500


def error_body(exc: BaseException | None, status: int) -> schema.ErrorBody:
    if isinstance(exc, CellopsError):
        body: schema.ErrorBody = {"message": exc.message}
        if isinstance(exc, DiagnosticsError):
            body["diagnostics"] = [
                schema.diagnostic(d) for d in exc.diagnostics if isinstance(d, Diagnostic)
            ]
        return body
    if isinstance(exc, web.HTTPError):
        return {"message": exc.log_message or exc.reason or f"HTTP {status}"}
    if exc is not None:
        return {
            "message": f"internal error in the cellops server extension ({type(exc).__name__}: "
            f"{exc}); the server log has the traceback"
        }
    return {"message": f"HTTP {status}"}


class CellopsHandler(APIHandler):
    """Base of every cellops route; each verb must still be ``@web.authenticated``."""

    @property
    def root(self) -> Path:
        root: Path = self.settings["cellops"].root
        return root

    # -- errors: the one mapping -----------------------------------------------------------
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        status = error_status(exc) if exc is not None else status_code
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        body = error_body(exc, status)
        # Messages come from the core, which names real paths; answers name them from the root.
        root = str(self.root)
        body["message"] = body["message"].replace(root + os.sep, "").replace(root, ".")
        self.finish(strict_json(body))

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(value, CellopsError):
            # The user's mistake, answered with its message: no traceback in the server log.
            self.log.info("cellops: %s %s: %s", self.request.method, self.request.path, value)
            return
        super().log_exception(typ, value, tb)

    # -- request bodies ----------------------------------------------------------------------
    def json_body(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"", parse_constant=_no_constant)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequest(f"the request body is not valid JSON ({exc})") from None
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object")
        return body

    @staticmethod
    def optional(body: dict[str, Any], name: str, kind: type[T]) -> T | None:
        value = body.get(name)
        if value is None:
            return None
        # bool is an int in Python; a JSON true is no number.
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise BadRequest(
                f"the field '{name}' must be a JSON {_JSON_NAMES.get(kind, kind.__name__)}"
            )
        return value

    def field(self, body: dict[str, Any], name: str, kind: type[T]) -> T:
        value = self.optional(body, name, kind)
        if value is None:
            raise BadRequest(f"the request has no '{name}' field; it is required")
        return value

    def query(self, name: str) -> str:
        value = self.get_query_argument(name, None)
        if not value:
            raise BadRequest(f"the query parameter '{name}' is missing, e.g. ?{name}=PATH")
        return value

    def int_query(self, name: str, *, required: bool = True) -> int | None:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            if required:
                raise BadRequest(f"the query parameter '{name}' is missing")
            return None
        try:
            value = int(raw)
        except ValueError:
            raise BadRequest(
                f"the query parameter '{name}' must be an integer, not {raw!r}"
            ) from None
        if abs(value) > INT_MAX:
            raise BadRequest(f"the query parameter '{name}' is out of range: {raw}")
        return value

    # -- paths -------------------------------------------------------------------------------
    def confined(self, api_path: str, what: str = "path") -> Path:
        """The real location of ``api_path`` (relative to the root, or absolute inside it).

        Symbolic links are followed before the check, so a link that leads outside the root
        is refused like ``../``. Refusals are 404s: the server shows nothing outside its root.
        """
        if "\0" in api_path:
            raise BadRequest(f"the {what} contains a NUL character")
        encoded = os.fsencode(api_path)
        if len(encoded) > _PATH_MAX or any(len(p) > _NAME_MAX for p in encoded.split(b"/")):
            raise BadRequest(
                f"the {what} is too long (at most {_NAME_MAX} bytes a name, {_PATH_MAX} in all)"
            )
        real = Path(os.path.realpath(self.root / api_path))
        if real != self.root and self.root not in real.parents:
            raise NotFound(f"{what} '{api_path}' is outside the server's root directory")
        return real

    def api_path(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def notebook_file(self, api_path: str) -> Path:
        path = self.confined(api_path, "notebook")
        if not path.exists():
            raise NotFound(f"notebook '{api_path}' does not exist under the server's root")
        if not path.is_file():
            raise BadRequest(f"'{api_path}' is a directory, not a notebook (.ipynb) file")
        return path

    def package_dir(self, api_path: str) -> Path:
        path = self.confined(api_path, "package")
        if not (path / SPEC_FILE).is_file():
            raise NotFound(
                f"'{api_path}' is not a pipeline package (no {SPEC_FILE}); promote a notebook "
                "to create one"
            )
        return path

    # -- answers -----------------------------------------------------------------------------
    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(strict_json(data))

    async def in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking work off the event loop, so one big notebook stalls no other request."""
        return await IOLoop.current().run_in_executor(None, functools.partial(fn, *args))


INT_MAX = 2**63 - 1  # SQLite's largest integer; beyond it binding overflows
_NAME_MAX, _PATH_MAX = 255, 4096  # Linux's limits: longer is an OSError, not a missing file


def _no_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON and no parameter value.
    raise json.JSONDecodeError(f"{name} is not JSON (no NaN or infinity here)", name, 0)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf": shown, and the answer stays JSON
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def strict_json(data: Any) -> str:
    """Every answer: strict JSON. A NaN or infinity from a record written elsewhere (a run of
    the command line) is carried as text, never as the bare NaN browsers cannot parse."""
    try:
        # Almost every answer is finite: walking it in Python first cost more than encoding
        # it (0.5 s for 10,000 executions); only the rare answer holding a NaN pays for that.
        return json.dumps(data, allow_nan=False)
    except ValueError:
        return json.dumps(_json_safe(data), allow_nan=False)


def refuse_non_finite(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if non_finite(value):
            raise BadRequest(
                f"parameter '{name}' = {value!r}: NaN and infinity are no parameter values "
                "(strict JSON has neither); give a finite number"
            )


_JSON_NAMES = {str: "string", dict: "object", bool: "boolean", list: "array", int: "number"}
