"""``cellops export``: the package for Argo Workflows, Kubeflow Pipelines or Airflow."""

from __future__ import annotations

import argparse
from typing import Any

from cellops.commands import add_param_option


def add_parser(sub: Any) -> None:
    e = sub.add_parser(
        "export",
        help="export the package to Argo Workflows, Kubeflow Pipelines or Airflow",
        description="Write the package as a workflow of the engine a team already runs: each "
        "stage a container step in the pipeline's image (`cellops build`) running `run-stage`, "
        "the stage graph as the steps' dependencies, artifacts under STORAGE/<run id>/<stage>. "
        "Credentials are never written: steps read them from a Kubernetes secret (--secret) or "
        "the environment.",
        epilog="examples: cellops export PKG --to argo --image REG/wine:1 --storage s3://b/runs; "
        "cellops export PKG --to airflow --operator docker --image wine:1 --storage s3://b/runs",
    )
    e.add_argument("package", help="the package directory (written by `cellops promote`)")
    e.add_argument("--to", required=True, choices=("argo", "kubeflow", "airflow"), dest="engine")
    e.add_argument("--image", required=True, metavar="REF", help="the image `cellops build` made")
    e.add_argument(
        "--storage",
        required=True,
        metavar="URL",
        help="where runs keep their artifacts: s3://BUCKET/PREFIX, gs://..., abfs://... or a "
        "shared absolute path",
    )
    e.add_argument("-o", "--output", metavar="FILE", help="default: PACKAGE/export/NAME-ENGINE.*")
    add_param_option(e, "a new default of a pipeline parameter (repeatable)")
    e.add_argument(
        "--secret",
        metavar="NAME",
        help="Kubernetes secret whose keys become the steps' environment (storage credentials)",
    )
    e.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME",
        help="Airflow's Docker operator: forward this variable of the worker too (repeatable; "
        "the storage's credential variables are forwarded already)",
    )
    e.add_argument(
        "--volume",
        metavar="CLAIM",
        help="PersistentVolumeClaim holding a shared-path --storage (mounted at that path)",
    )
    e.add_argument("--namespace", help="Kubernetes namespace of the workflow or pods")
    e.add_argument(
        "--operator",
        choices=("kubernetes", "docker"),
        default="kubernetes",
        help="Airflow: KubernetesPodOperator (default) or DockerOperator",
    )
    e.add_argument("--network", help="Airflow's Docker operator: the containers' network mode")
    e.add_argument(
        "--template",
        action="store_true",
        help="Argo: write a WorkflowTemplate (argo template create) instead of a Workflow",
    )
    e.add_argument(
        "-g",
        "--grid",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="Argo: fan out over a parameter sweep, as in `cellops batch` (repeatable)",
    )
    e.add_argument("--params-file", metavar="FILE", help="Argo: the sweep as in `cellops batch`")


def run(args: argparse.Namespace) -> int:
    from cellops.export import export_package
    from cellops.export.plan import ExportOptions

    options = ExportOptions(
        engine=args.engine,
        image=args.image,
        storage=args.storage,
        params=tuple(args.param),
        secret=args.secret,
        env=tuple(args.env),
        volume=args.volume,
        operator=args.operator,
        network=args.network,
        namespace=args.namespace,
        template=args.template,
    )
    result = export_package(
        args.package, options, args.output, grid=args.grid, params_file=args.params_file
    )
    plan = result.plan
    runs = f", {len(plan.options.sweep)} runs of a sweep" if plan.options.sweep else ""
    print(f"wrote {result.path} ({args.engine}: {len(plan.steps)} stages{runs})")
    if plan.folder.referenced:
        from cellops.package.layout import IMAGE_PACKAGE, carried_file

        print(
            "the stages read files of the notebook's folder that were too large to carry; the "
            "image holds each only if it was in the package's files/ when it was built, else "
            "mount it into every step at:"
        )
        for f in plan.folder.referenced:
            print(f"  {IMAGE_PACKAGE}/{carried_file(f.path)}")
    return 0
