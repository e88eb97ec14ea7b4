"""Cell-level experiment tracking: every cell execution recorded in one SQLite store per project.

``extension`` is the IPython extension kernels load, ``store`` the database and its background
writer, ``reader`` and ``query`` read it back (plain rows for the server, pandas for users),
``mlflow_export`` turns executions into MLflow runs. This module imports nothing: kernels load
``cellops.tracking.extension`` at start-up and must not pay for the rest.
"""
