"""Print the project's runtime dependencies and those of the named extras, one per line.

The Makefile installs these first, the way pip builds dependencies for any user (each sdist in
its own isolated build environment), and only then the project itself, editable and without
build isolation so that its JupyterLab extension builds with the virtualenv's own jupyterlab.

usage: python scripts/dependencies.py [EXTRA ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pip vendors the same parser
    from pip._vendor import tomli as tomllib


def main(extras: list[str]) -> int:
    project = tomllib.loads(Path(__file__).parent.parent.joinpath("pyproject.toml").read_text())
    project = project["project"]
    optional = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        print(f"dependencies.py: no extra {', '.join(unknown)} in pyproject.toml", file=sys.stderr)
        return 2
    for requirement in project["dependencies"] + [r for e in extras for r in optional[e]]:
        print(requirement)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
