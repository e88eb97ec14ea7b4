"""cellops: turn tagged Jupyter notebooks into papermill pipelines.

Importing ``cellops`` is cheap on purpose: the CLI and every stage kernel import it, so it
imports only the version and the metrics API; heavy libraries (papermill, pandas, docker) are
imported only where they are used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:
    from cellops._version import __version__
except ImportError:  # a source tree that was never built: the version lives in package.json
    __version__ = "0.0.0+unknown"

from cellops.metrics import log_metric, log_param

if TYPE_CHECKING:
    from cellops.sweeps import batch

__all__ = ["__version__", "batch", "log_metric", "log_param"]


def __getattr__(name: str) -> Any:
    # ``cellops.batch(...)`` is what notebooks call; the sweeps package (named so that no
    # submodule shadows the function) is imported on first use, not by every stage kernel.
    if name == "batch":
        from cellops.sweeps import batch

        return batch
    raise AttributeError(f"module 'cellops' has no attribute {name!r}")


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    """Where Jupyter Server finds the extension; imported only by the server itself."""
    from cellops.server import CellopsApp

    return [{"module": "cellops.server", "app": CellopsApp}]
