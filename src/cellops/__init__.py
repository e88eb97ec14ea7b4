"""cellops: turn tagged Jupyter notebooks into papermill pipelines.

Importing ``cellops`` is cheap on purpose: the CLI and every stage kernel import it, so heavy
libraries (papermill, pandas, docker) are imported only where they are used.
"""

from __future__ import annotations

try:
    from cellops._version import __version__
except ImportError:  # a source tree that was never built: the version lives in package.json
    __version__ = "0.0.0+unknown"

from cellops.metrics import log_metric, log_param

__all__ = ["__version__", "log_metric", "log_param"]
