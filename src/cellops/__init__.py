"""cellops: turn tagged Jupyter notebooks into papermill pipelines.

Importing ``cellops`` is cheap on purpose: the CLI and every stage kernel import it, so heavy
libraries (papermill, pandas, docker) are imported only where they are used.
"""

from __future__ import annotations

try:
    from cellops._version import __version__
except ImportError:  # a source tree that was never built: the version lives in package.json
    __version__ = "0.0.0+unknown"

# After this import ``cellops.batch`` is the function; the package's modules stay importable as
# ``cellops.batch.sweep`` etc. (it imports nothing heavy until a sweep runs).
from cellops.batch import batch
from cellops.metrics import log_metric, log_param

__all__ = ["__version__", "batch", "log_metric", "log_param"]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    """Where Jupyter Server finds the extension; imported only by the server itself."""
    from cellops.server import CellopsApp

    return [{"module": "cellops.server", "app": CellopsApp}]
