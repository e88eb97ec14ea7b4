"""The ``cellops`` command.

Imports stay inside the commands: ``cellops --help`` and a fully cached ``cellops run`` must not
pay for papermill, pandas or the docker SDK. Errors are mapped to exit codes in one place,
``main``: bad input 2, a failing stage 1, Ctrl-C 130.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from cellops.commands import COMMANDS


def _parser() -> tuple[argparse.ArgumentParser, dict[str, Callable[[argparse.Namespace], int]]]:
    parser = argparse.ArgumentParser(
        prog="cellops",
        description="Turn tagged Jupyter notebooks into papermill pipelines and run them.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    handlers = {}
    for name in COMMANDS:
        module = importlib.import_module(f"cellops.commands.{name}")
        module.add_parser(sub)
        handlers[name.replace("_", "-")] = module.run
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    parser, handlers = _parser()
    args = parser.parse_args(argv)
    if args.version:
        from cellops import __version__

        print(__version__)
        return 0
    if not args.command:
        parser.print_help()
        return 2
    from cellops.errors import CellopsError, StageFailed

    try:
        return handlers[args.command](args)
    except CellopsError as exc:
        print(f"cellops: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except StageFailed as exc:
        print(f"cellops: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cellops: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
