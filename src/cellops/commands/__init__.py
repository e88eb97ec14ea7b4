"""One module per ``cellops`` subcommand.

Each module defines ``add_parser(sub)`` (argparse only, so importing it stays cheap) and
``run(args) -> int``; heavy imports live inside ``run``. ``cellops.cli`` registers the modules
listed in ``COMMANDS`` in that order.
"""

from __future__ import annotations

import argparse

COMMANDS: tuple[str, ...] = (
    "promote",
    "check",
    "run",
    "batch",
    "export_mlflow",
    "build",
    "run_stage",
    "ci",
    "export",
)


def add_param_option(parser: argparse.ArgumentParser, help: str) -> None:
    """``-p/--param NAME=VALUE`` (repeatable), the same in every command that takes parameters."""
    parser.add_argument(
        "-p", "--param", action="append", default=[], metavar="NAME=VALUE", help=help
    )


def stop_on_sigint() -> None:
    """Make SIGINT a KeyboardInterrupt again in a runner (``run``, ``batch``).

    A runner started by a process that ignores SIGINT (a Jupyter server started in a shell's
    background) inherits that; Ctrl-C and the server's cancel must still stop its kernels.
    """
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)
