"""``promote``: a notebook under the root -> a pipeline package under the root."""

from __future__ import annotations

from pathlib import Path

from tornado import web

from cellops.errors import PackageError
from cellops.package.layout import SPEC_FILE
from cellops.package.promote import PromoteResult, default_output, promote
from cellops.server import schema
from cellops.server.base import CellopsHandler, Conflict


class PromoteHandler(CellopsHandler):
    @web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        notebook = self.notebook_file(self.field(body, "path", str))
        target_field = self.optional(body, "target", str)
        target = (
            self.confined(target_field, "target")
            if target_field
            else default_output(notebook)  # next to the notebook, so inside the root too
        )
        self.check_target(target, target_field or self.api_path(target))
        name = self.optional(body, "name", str) or None
        try:
            result = await self.in_thread(promote, notebook, target, name)
        except PackageError as exc:  # the target changed under us since the check
            raise Conflict(exc.message) from exc
        self.reply(self.answer(result), 201)

    def check_target(self, target: Path, shown: str) -> None:
        if target == self.root:
            raise Conflict("the target folder cannot be the server's root; name a new folder")
        blocked = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
        if blocked is not None:
            raise Conflict(f"target '{shown}': {self.api_path(blocked)} is a file, not a folder")
        if not target.exists():
            return
        if not target.is_dir():
            raise Conflict(f"target '{shown}' is a file; choose a new or empty folder")
        if not (target / SPEC_FILE).is_file() and any(target.iterdir()):
            raise Conflict(
                f"target folder '{shown}' exists and is not a cellops pipeline package (it "
                f"holds no {SPEC_FILE}); choose a new or empty folder"
            )

    def answer(self, result: PromoteResult) -> schema.PromoteResult:
        return {
            "package": self.api_path(result.package),
            "name": result.spec.name,
            "files": [self.api_path(result.package / f) for f in result.files],
            "stages": [s.name for s in result.spec.stages],
            "parameters": [schema.parameter(p) for p in result.spec.parameters],
            "warnings": [schema.diagnostic(d) for d in result.warnings],
        }
