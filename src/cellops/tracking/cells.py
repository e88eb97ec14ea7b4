"""Runner side of tracking: stage cells reach the kernel with their source notebook's cell ids.

JupyterLab sends each cell's id in the execute request's metadata (``cellId``), which IPython
hands to ``post_run_cell``; nbclient (under papermill) sends none. Stage notebooks keep the
source cells' ids, so ``tag_cells`` makes the stage's kernel client put them in the metadata,
marking the cells cellops or papermill generated (parameters, loading and saving artifacts)
so that the kernel records only the notebook's own cells.
"""

from __future__ import annotations

from typing import Any

from cellops.tracking import config

_PARAMETER_TAGS = ("parameters", "injected-parameters")


def cell_metadata(cell: Any, context: dict[str, Any]) -> dict[str, Any]:
    """What the execute request of a stage notebook cell carries besides its code."""
    meta = cell.get("metadata") or {}
    info = meta.get("cellops") or {}
    tracking: dict[str, Any] = dict(context)
    if "source_index" in info:
        tracking["source_index"] = info["source_index"]
    else:
        tracking["generated"] = True
        tracking["parameters"] = any(t in _PARAMETER_TAGS for t in meta.get("tags", []))
    out: dict[str, Any] = {"cellops": tracking}
    if cell.get("id"):
        out["cellId"] = cell["id"]
    return out


def _client_class(marker: dict[str, Any], base: type) -> type:
    class CellTaggingClient(base):  # type: ignore[misc]
        """An ``execute`` that also sends the metadata the hook left for the next cell."""

        def execute(
            self,
            code: str,
            silent: bool = False,
            store_history: bool = True,
            user_expressions: dict[str, Any] | None = None,
            allow_stdin: bool | None = None,
            stop_on_error: bool = True,
        ) -> str:
            metadata = marker.pop("next", None)
            if metadata is None or silent:
                return str(
                    super().execute(
                        code, silent, store_history, user_expressions, allow_stdin, stop_on_error
                    )
                )
            # The same request jupyter_client builds, with metadata added (message spec 5.x).
            content = {
                "code": code,
                "silent": silent,
                "store_history": store_history,
                "user_expressions": user_expressions or {},
                "allow_stdin": self.allow_stdin if allow_stdin is None else allow_stdin,
                "stop_on_error": stop_on_error,
            }
            msg = self.session.msg("execute_request", content, metadata=metadata)
            self.shell_channel.send(msg)
            return str(msg["header"]["msg_id"])

    return CellTaggingClient


def tag_cells(km: Any, context: dict[str, Any] | None) -> dict[str, Any]:
    """Make papermill's client for ``km`` send cell ids; returns papermill engine arguments.

    ``context`` comes from the scheduler (the stage's database, source notebook, run id and
    stage name); None runs the stage untracked.

    nbclient calls ``on_cell_execute`` right before it sends each cell, on the same task, so
    the metadata left for the next request is always that cell's.
    """
    if context is None or not config.enabled():
        return {}
    marker: dict[str, Any] = {}

    def on_cell_execute(cell: Any, cell_index: int) -> None:
        marker["next"] = cell_metadata(cell, context)

    km.client_factory = _client_class(marker, km.client_factory)
    return {"on_cell_execute": on_cell_execute}


def preload_kernel_side() -> None:
    """Import what a stage kernel's tracking needs and read the environment it records, in a
    process that kernels are forked from (``run.forkserver``): each fork inherits both."""
    import cellops.tracking.extension  # noqa: F401
    from cellops.tracking import fingerprint

    fingerprint.prime(background=False)
