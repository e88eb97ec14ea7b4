"""``analysis``: stages, edges and diagnostics of a saved notebook or of unsaved content."""

from __future__ import annotations

import json
import time
from typing import Any, cast

from tornado import web

from cellops.notebook.read import parse_notebook
from cellops.package.promote import Analysis, analyse
from cellops.server import schema
from cellops.server.base import BadRequest, CellopsHandler


def answer(a: Analysis, path: str | None, elapsed_ms: float) -> schema.Analysis:
    nb, tagged, graph = a.notebook, a.tagged, a.graph
    stage_of = {i: s.name for s in tagged.stages for i in s.cells}
    stages: list[schema.StageInfo] = [
        {
            "name": f.name,
            "cell_ids": [nb.cells[i].id for i in f.stage.cells],
            "inputs": list(f.inputs),
            "outputs": list(f.outputs),
            "parameters": list(f.parameters),
            "upstream": list(f.upstream),
            "options": cast(schema.StageOptions, f.stage.options.to_dict()),
        }
        for f in graph.stages
    ]
    return {
        "path": path,
        "dialect": tagged.dialect,
        "stages": stages,
        "edges": [
            {"source": e.source, "target": e.target, "names": list(e.names), "explicit": e.explicit}
            for e in graph.edges
        ],
        "parameters": [schema.parameter(p) for p in graph.parameters],
        "cells": [
            {
                "id": c.id,
                "index": c.index,
                "role": tagged.roles[c.index],
                "stage": stage_of.get(c.index),
            }
            for c in nb.cells
        ],
        "diagnostics": [schema.diagnostic(d) for d in graph.diagnostics],
        "elapsed_ms": elapsed_ms,
    }


def analyse_raw(raw: bytes | str, path: str | None) -> schema.Analysis:
    start = time.perf_counter()
    # Messages and an untagged notebook's stage name come from the name the user knows.
    a = analyse(parse_notebook(raw, path or "<unsaved notebook>"))
    return answer(a, path, (time.perf_counter() - start) * 1000)


class AnalysisHandler(CellopsHandler):
    @web.authenticated
    async def get(self) -> None:
        await self.saved(self.query("path"))

    @web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        path = self.optional(body, "path", str)
        content: Any = body.get("content")
        if content is None:
            if path is None:
                raise BadRequest(
                    "send 'path' (a saved notebook) or 'content' (the notebook's JSON, unsaved)"
                )
            await self.saved(path)
            return
        if isinstance(content, dict):
            content = json.dumps(content)
        elif not isinstance(content, str):
            raise BadRequest("the field 'content' must be the notebook as a JSON object")
        name = self.api_path(self.confined(path)) if path is not None else None
        self.reply(await self.in_thread(analyse_raw, content, name))

    async def saved(self, api_path: str) -> None:
        path = self.notebook_file(api_path)
        raw = await self.in_thread(path.read_bytes)
        self.reply(await self.in_thread(analyse_raw, raw, self.api_path(path)))
