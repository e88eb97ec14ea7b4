"""``cellops ci``: write a CI workflow that builds, smoke-tests and pushes the image."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cellops.commands import add_param_option


def add_parser(sub: Any) -> None:
    c = sub.add_parser(
        "ci",
        help="write a CI workflow (GitHub Actions or GitLab CI) for the package's image",
        description="Write a workflow that builds the package's image on every change, runs "
        "the pipeline in it on small parameters as a smoke test, and pushes it to the registry "
        "named by CI secrets (REGISTRY, REGISTRY_USERNAME, REGISTRY_PASSWORD) from main only.",
    )
    c.add_argument("package", help="the package directory (written by `cellops promote`)")
    c.add_argument("--provider", choices=("github", "gitlab"), required=True)
    c.add_argument(
        "-o",
        "--output",
        type=Path,
        help="the workflow file (default: .github/workflows/cellops-NAME.yml or .gitlab-ci.yml "
        "at the root of the package's git repository)",
    )
    add_param_option(c, "a parameter of the smoke run, e.g. a small sample size (repeatable)")
    c.add_argument(
        "--install",
        metavar="REQUIREMENT",
        help="what CI installs to get cellops (default: cellops[image]==THIS_VERSION)",
    )


def run(args: argparse.Namespace) -> int:
    from cellops.ci import CiOptions, write_workflow

    path = write_workflow(
        args.package,
        CiOptions(
            provider=args.provider,
            output=args.output,
            params=tuple(args.param),
            install=args.install,
        ),
    )
    print(f"wrote {path}")
    return 0
