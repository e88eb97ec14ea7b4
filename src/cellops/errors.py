"""Errors a user can act on.

Every error carries one message that names the cell, stage or setting at fault and says what
to do. The CLI maps ``CellopsError`` to exit code 2 (bad input, nothing written) and
``StageFailed`` to exit code 1 (the pipeline itself failed while running).
"""

from __future__ import annotations


class Reported(Exception):
    """An error whose message is meant for the user as it is, with the CLI's exit code."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class CellopsError(Reported):
    """Bad input: the message says what is wrong and what to do. Exit code 2."""

    exit_code = 2


class NotebookError(CellopsError):
    """The file is not a notebook cellops can read."""


class DiagnosticsError(CellopsError):
    """The notebook's tags or code have errors; ``diagnostics`` lists each one."""

    def __init__(self, message: str, diagnostics: tuple[object, ...]) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class PackageError(CellopsError):
    """A pipeline package is missing or damaged."""


class ParameterError(CellopsError):
    """A ``-p name=value`` does not match the pipeline's parameters."""


class ArtifactError(CellopsError):
    """A value cannot be stored or loaded as an artifact between stages."""


class StageFailed(Reported):
    """A stage raised while running. Exit code 1."""
