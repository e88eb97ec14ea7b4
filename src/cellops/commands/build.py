"""``cellops build``: build a package into a container image."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    b = sub.add_parser(
        "build",
        help="build a pipeline package into a container image (Docker Engine or buildah)",
        description="Build the package into an image from its Dockerfile: dependencies in a "
        "builder stage, the pipeline's files in the last layer, a non-root user. The host's pip "
        "configuration and CA bundle reach the build as secrets and stay out of the image.",
    )
    b.add_argument("package", help="the package directory (written by `cellops promote`)")
    b.add_argument(
        "--engine",
        choices=("auto", "docker", "buildah"),
        default="auto",
        help="Docker Engine (DOCKER_HOST honoured) or daemonless buildah; auto: what is there",
    )
    b.add_argument("--base", metavar="IMAGE", help="base image (default: python:X.Y-slim)")
    b.add_argument("--tag", help="image tag (default: NAME:<content hash>)")
    b.add_argument(
        "--network", help="network mode of the build's RUN steps, e.g. host (default: engine's)"
    )
    b.add_argument(
        "--cellops-wheel",
        type=Path,
        metavar="PATH",
        help="the cellops wheel to install (default: from the index, or built from the "
        "source checkout cellops is installed from)",
    )
    b.add_argument(
        "--ca-bundle",
        type=Path,
        metavar="PATH",
        help="CA bundle pip trusts inside the build (default: the one the host's pip uses)",
    )
    b.add_argument(
        "--no-host-pip-config",
        action="store_true",
        help="do not pass the host's pip configuration to the build",
    )
    b.add_argument("-q", "--quiet", action="store_true", help="show only the build steps")


def run(args: argparse.Namespace) -> int:
    from cellops.image.build import BuildOptions, build_package

    build_package(
        args.package,
        BuildOptions(
            engine=args.engine,
            base=args.base,
            tag=args.tag,
            network=args.network,
            cellops_wheel=args.cellops_wheel,
            ca_bundle=args.ca_bundle,
            host_pip_config=not args.no_host_pip_config,
            verbose=not args.quiet,
        ),
    )
    return 0
