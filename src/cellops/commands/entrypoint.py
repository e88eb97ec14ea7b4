"""The image's entrypoint: the whole pipeline by default, or any cellops command.

``docker run IMAGE -p seed=1`` runs ``cellops run /pipeline -p seed=1``; parameters can also
come from the environment as ``CELLOPS_PARAM_<name>`` (the name as in the notebook, or in
upper case), and arguments win over the environment. ``docker run IMAGE run-stage NAME ...``
(or any other cellops command) runs that command instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

PACKAGE = "/pipeline"
PREFIX = "CELLOPS_PARAM_"


def params_from_env(names: Sequence[str], env: Mapping[str, str]) -> list[str]:
    args = []
    for name in names:
        for key in (PREFIX + name, PREFIX + name.upper()):
            if key in env:
                args += ["-p", f"{name}={env[key]}"]
                break
    return args


def command(argv: Sequence[str], env: Mapping[str, str]) -> list[str]:
    from cellops.commands import COMMANDS

    commands = {c.replace("_", "-") for c in COMMANDS}
    if argv and (argv[0] in commands or argv[0] in ("--help", "-h", "--version")):
        return list(argv)
    from cellops.package.spec import load

    package = env.get("CELLOPS_PACKAGE") or (PACKAGE if os.path.isdir(PACKAGE) else ".")
    names = [p.name for p in load(package).parameters]
    return ["run", package, *params_from_env(names, env), *argv]


def main(argv: Sequence[str] | None = None) -> int:
    from cellops.cli import main as cli_main
    from cellops.errors import CellopsError

    args = sys.argv[1:] if argv is None else argv
    try:
        full = command(args, os.environ)
    except CellopsError as exc:
        print(f"cellops: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return cli_main(full)


if __name__ == "__main__":
    sys.exit(main())
