"""Every file and folder name of a pipeline package and of its ``.cellops/`` state, in one place.

``PACKAGE/`` holds what promote writes (``pipeline.yaml``, ``requirements.lock``,
``stages/NAME.ipynb``, the Dockerfile); ``PACKAGE/.cellops/`` what runs leave (runs, batches,
the cache, artifacts, run-stage notebooks). Everything else asks this module for a path.
"""

from __future__ import annotations

from pathlib import Path

from cellops.fsutil import STATE_DIR as STATE_DIR  # the base defines it; packages ask here

SPEC_FILE = "pipeline.yaml"
LOCK_FILE = "requirements.lock"
STAGES_DIR = "stages"
RUN_FILE = "run.json"
BATCH_FILE = "batch.json"
BATCH_REQUEST = "request.json"  # the sweep a server asked for, as `cellops batch` reads it
LATEST = "latest"  # the id of the run (batch) that --resume continues


def stage_notebook(stage: str) -> str:
    """A stage's notebook relative to the package (also inside a run folder, executed)."""
    return f"{STAGES_DIR}/{stage}.ipynb"


PREPARED_INPUT = ".{stage}.input.ipynb"  # next to the executed notebook, while a stage runs


def prepared_input(executed: Path) -> Path:
    """The notebook a stage's kernel really reads (the stage's plus generated cells)."""
    return executed.with_name(PREPARED_INPUT.format(stage=executed.stem))


def state_dir(package: Path) -> Path:
    return package / STATE_DIR


def runs_dir(package: Path) -> Path:
    return state_dir(package) / "runs"


def batches_dir(package: Path) -> Path:
    return state_dir(package) / "batches"


def cache_dir(package: Path) -> Path:
    return state_dir(package) / "cache"


def artifacts_dir(package: Path) -> Path:
    return state_dir(package) / SHARED_ARTIFACTS


def run_stage_notebook(package: Path, stage: str) -> Path:
    return state_dir(package) / "run-stage" / f"{stage}.ipynb"


def run_outputs(run_dir: Path) -> Path:
    """Where a run's stages write their outputs before they enter the artifact store."""
    return run_dir / "outputs"


# Under a shared location (``--artifacts``, a folder or an object-store URL).
SHARED_ARTIFACTS = "artifacts"
SHARED_WORK = "work"  # then RUN_ID/STAGE


def notebook_package(notebook: Path) -> Path:
    """The package a plain notebook is silently promoted into for a sweep."""
    return notebook.parent / STATE_DIR / "batch" / f"{notebook.stem}-pipeline"
