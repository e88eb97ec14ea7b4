"""The ``cellops`` command.

Imports stay inside the commands: ``cellops --help`` and a fully cached ``cellops run`` must not
pay for papermill, pandas or the docker SDK. Errors are mapped to exit codes in one place,
``main``: bad input 2, a failing stage 1, Ctrl-C 130.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cellops",
        description="Turn tagged Jupyter notebooks into papermill pipelines and run them.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "promote",
        help="turn a tagged notebook into a pipeline package",
        description="Write a pipeline package (pipeline.yaml, one papermill notebook per stage, "
        "requirements.lock, README) for a tagged notebook. Nothing is written when the "
        "notebook has errors.",
    )
    p.add_argument("notebook", help="the .ipynb file")
    p.add_argument(
        "-o", "--output", help="package directory (default: NOTEBOOK-pipeline next to the notebook)"
    )
    p.add_argument("--name", help="pipeline name (default: from the notebook's file name)")

    c = sub.add_parser(
        "check",
        help="show a notebook's stages, edges and diagnostics without writing anything",
    )
    c.add_argument("notebook")

    r = sub.add_parser(
        "run",
        help="run a pipeline package locally, with caching and parallel stages",
        description="Execute the stages of a package with papermill in real kernels, in "
        "dependency order, independent stages in parallel. Unchanged stages come from the cache.",
    )
    r.add_argument("package", help="the package directory (written by `cellops promote`)")
    r.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a pipeline parameter (repeatable)",
    )
    r.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        help="stages to run at once (default: number of CPUs)",
    )
    r.add_argument(
        "--resume",
        action="store_true",
        help="continue the last failed run: finished stages are not run again",
    )
    r.add_argument("--no-cache", action="store_true", help="run every stage, ignoring the cache")
    r.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    return parser


def _promote(args: argparse.Namespace) -> int:
    from cellops.promote import promote
    from cellops.report import print_promote

    result = promote(args.notebook, args.output, args.name)
    print_promote(result)
    return 0


def _check(args: argparse.Namespace) -> int:
    from cellops.notebook import read_notebook
    from cellops.promote import analyse
    from cellops.report import print_check

    analysis = analyse(read_notebook(args.notebook))
    print_check(analysis)
    return 2 if any(d.severity == "error" for d in analysis.diagnostics) else 0


def _run(args: argparse.Namespace) -> int:
    from cellops.errors import CellopsError
    from cellops.run.local import RunOptions, run_package

    if args.jobs is not None and args.jobs < 1:
        raise CellopsError("--jobs must be at least 1")
    options = RunOptions(
        params=tuple(args.param),
        jobs=args.jobs or os.cpu_count() or 1,
        resume=args.resume,
        use_cache=not args.no_cache,
        quiet=args.quiet,
    )
    record = run_package(args.package, options)
    return 0 if record.status == "done" else 1


COMMANDS = {"promote": _promote, "check": _check, "run": _run}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
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
        return COMMANDS[args.command](args)
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
