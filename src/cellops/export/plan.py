"""What every export shares: the stages as container steps, checked once, engine-neutral.

An export runs each stage in the pipeline's image as ``run-stage NAME`` (the image's
entrypoint is cellops), with the run's artifacts under ``STORAGE/<run id>/<stage>``. This
module turns a package and the export options into that plan; the engine modules only
translate it into Argo, Kubeflow or Airflow terms, so the three exports cannot disagree about
dependencies, arguments or resources. Nothing here imports an engine SDK.

Credentials never appear in the plan: the storage URL is refused when it carries any, and the
steps name the environment variables (or the Kubernetes secret) that hold them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from cellops.errors import CellopsError, PackageError
from cellops.fsutil import is_url
from cellops.image.requirements import LOCK, pins
from cellops.package.layout import SPEC_FILE
from cellops.package.lock import canonical
from cellops.package.spec import Parameter, PipelineSpec, StageSpec, param_text

ENGINES = ("argo", "kubeflow", "airflow")

# fsspec protocol -> the distribution the image needs for it, and the variables that carry
# its credentials (read by the storage library inside the container, never written down).
STORAGE_PROTOCOLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "s3": (
        "s3fs",
        (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_DEFAULT_REGION",
            "AWS_REGION",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_S3",
        ),
    ),
    "gs": ("gcsfs", ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT")),
    "gcs": ("gcsfs", ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT")),
    "abfs": (
        "adlfs",
        (
            "AZURE_STORAGE_ACCOUNT_NAME",
            "AZURE_STORAGE_ACCOUNT_KEY",
            "AZURE_STORAGE_CONNECTION_STRING",
            "AZURE_STORAGE_SAS_TOKEN",
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "AZURE_TENANT_ID",
        ),
    ),
}
STORAGE_PROTOCOLS["az"] = STORAGE_PROTOCOLS["abfs"]
_SECRET_QUERY = re.compile(r"(key|secret|token|password|sig|credential)", re.IGNORECASE)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class Storage:
    """Where a run's artifacts go: an object store URL or a path every step mounts."""

    url: str  # without a trailing slash
    protocol: str  # "" for a shared path
    credential_env: tuple[str, ...]  # variables a step forwards to the storage library

    @property
    def shared_path(self) -> bool:
        return not self.protocol


@dataclass(frozen=True)
class ExportOptions:
    engine: str
    image: str
    storage: str
    params: tuple[str, ...] = ()  # -p NAME=VALUE: new defaults of the exported parameters
    secret: str | None = None  # Kubernetes secret whose keys become the steps' environment
    env: tuple[str, ...] = ()  # more variable names to forward (values never written)
    volume: str | None = None  # PersistentVolumeClaim mounted at a shared-path storage
    operator: str = "kubernetes"  # airflow: kubernetes | docker
    network: str | None = None  # airflow docker: the containers' network mode
    namespace: str | None = None
    template: bool = False  # argo: a WorkflowTemplate instead of a Workflow
    sweep: tuple[dict[str, Any], ...] = ()  # parameter sets a sweep fans out over (argo)
    swept: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageStep:
    """One stage as a container step."""

    stage: str  # the pipeline's stage name
    name: str  # a DNS-1123 label derived from it (Kubernetes, Argo and Kubeflow names)
    upstream: tuple[str, ...]  # stage names it waits for (data and after:)
    parameters: tuple[str, ...]  # pipeline parameters it reads
    cpu: str | None
    memory: str | None
    gpu: int | None
    retries: int
    timeout: int | None  # seconds
    image: str  # the stage's own image option, else the export's

    def kube_resources(self) -> tuple[dict[str, str], dict[str, str]]:
        """Kubernetes (requests, limits). CPU is a request (idle cores on the node still help);
        memory is requested and capped alike (a kernel over its request is OOM-killed anyway);
        GPUs are a limit (Kubernetes requests as many)."""
        requests: dict[str, str] = {}
        limits: dict[str, str] = {}
        if self.cpu:
            requests["cpu"] = self.cpu
        if self.memory:
            requests["memory"] = limits["memory"] = self.memory
        if self.gpu:
            limits["nvidia.com/gpu"] = str(self.gpu)
        return requests, limits

    def args(self, run_root: str, value: Callable[[str], str]) -> list[str]:
        """The container's arguments (the image's entrypoint is cellops).

        ``run_root`` is the engine's expression for ``STORAGE/<run id>``; ``value(name)`` its
        expression for a parameter's value. Retries are the engine's, so run-stage makes one
        attempt; the executed notebook goes next to the stage's outputs.
        """
        out = f"{run_root}/{self.stage}"
        args = ["run-stage", self.stage, "--outputs", out, "--retries", "0"]
        if self.upstream:
            args[2:2] = ["--inputs", run_root]
        args += ["--notebook", f"{out}/{self.stage}.ipynb"]
        for name in self.parameters:
            args += ["-p", f"{name}={value(name)}"]
        return args


@dataclass(frozen=True)
class ExportPlan:
    pipeline: str  # the pipeline's name
    name: str  # its DNS-1123 form
    parameters: tuple[Parameter, ...]  # with the export's -p values as defaults
    steps: tuple[StageStep, ...]  # in the pipeline's order (dependencies first)
    storage: Storage
    options: ExportOptions
    labels: dict[str, str] = field(default_factory=dict)

    def step(self, stage: str) -> StageStep:
        return next(s for s in self.steps if s.stage == stage)

    def default_text(self, name: str) -> str:
        param = next(p for p in self.parameters if p.name == name)
        return param_text(param.default)

    @property
    def credential_env(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.storage.credential_env, *self.options.env)))

    def sweep_items(self) -> list[dict[str, str]]:
        """The sweep's parameter sets as text (engines pass strings), each with its run key."""
        return [
            {"run": f"run-{i:03d}", **{k: param_text(v) for k, v in params.items()}}
            for i, params in enumerate(self.options.sweep)
        ]


def dns_name(name: str) -> str:
    """``train_forest`` -> ``train-forest``: what Kubernetes accepts as a name."""
    text = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return text[:63].rstrip("-") or "stage"


def label_value(text: str) -> str:
    """A Kubernetes label value: 63 of [A-Za-z0-9._-], alphanumeric at both ends
    (a development version's ``+g1234`` becomes ``_g1234``)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:63].strip("._-")


def check_storage(url: str, package: Path) -> Storage:
    """The storage URL, refused with what to do when it cannot work in the steps' containers."""
    text = url.strip().rstrip("/")
    if not text:
        raise CellopsError("--storage is empty: give s3://BUCKET/PREFIX, gs://... or /shared/path")
    if not text.isprintable() or any(c.isspace() for c in text):
        raise CellopsError(
            f"--storage {url!r}: a storage URL or path has no spaces, line breaks or control "
            "characters; percent-encode them (%20) or choose another prefix"
        )
    if not is_url(text):
        if not PurePosixPath(text).is_absolute():
            raise CellopsError(
                f"--storage {url}: a shared path must be absolute (every step mounts it at the "
                "same place), or use object storage such as s3://BUCKET/PREFIX"
            )
        return Storage(text, "", ())
    parts = urlsplit(text)
    protocol = parts.scheme
    if protocol == "file":
        return check_storage(parts.path, package)
    if parts.username or parts.password or "@" in parts.netloc:
        raise CellopsError(
            f"--storage: {protocol}:// URL carries credentials, which would be written into the "
            "exported file; remove them and let the steps read them from the environment "
            "(--secret NAME on Kubernetes, the worker's environment for Airflow's Docker operator)"
        )
    if parts.query and _SECRET_QUERY.search(parts.query):
        raise CellopsError(
            f"--storage: the query of {protocol}:// URL looks like it holds a key or token; "
            "credentials come from the environment or a Kubernetes secret (--secret NAME)"
        )
    if protocol not in STORAGE_PROTOCOLS:
        known = ", ".join(f"{p}://" for p in STORAGE_PROTOCOLS)
        raise CellopsError(
            f"--storage {url}: cellops exports know {known} and shared paths; {protocol}:// "
            "is not one of them"
        )
    if not parts.netloc:
        raise CellopsError(f"--storage {url}: name the bucket, as in {protocol}://BUCKET/PREFIX")
    dist, env = STORAGE_PROTOCOLS[protocol]
    if canonical(dist) not in {canonical(n) for n in pins(package)}:
        raise CellopsError(
            f"--storage {protocol}://: the steps need {dist} in the image, and the package's "
            f"{LOCK} does not pin it; install it (pip install {dist}), promote again with "
            f"--require {dist}, rebuild the image, then export"
        )
    return Storage(text, protocol, env)


def _step(stage: StageSpec, image: str, names: dict[str, str]) -> StageStep:
    opts = stage.options
    return StageStep(
        stage=stage.name,
        name=names[stage.name],
        upstream=tuple(stage.after),
        parameters=tuple(stage.parameters),
        cpu=opts.cpu,
        memory=opts.memory,
        gpu=opts.gpu,
        retries=opts.retries or 0,
        timeout=opts.timeout,
        image=opts.image or image,
    )


def _step_names(spec: PipelineSpec) -> dict[str, str]:
    names: dict[str, str] = {}
    for stage in spec.stages:
        base = dns_name(stage.name)
        name, n = base, 2
        while name in names.values():  # train_a and train-a must not become one step
            name, n = f"{base[:60]}-{n}", n + 1
        names[stage.name] = name
    return names


def _check_options(options: ExportOptions, storage: Storage) -> None:
    if options.engine not in ENGINES:
        raise CellopsError(f"--to {options.engine}: choose one of {', '.join(ENGINES)}")
    if not options.image.strip():
        raise CellopsError("--image is empty: give the image `cellops build` made (REPO:TAG)")
    if any(c.isspace() for c in options.image):
        raise CellopsError(f"--image {options.image!r}: an image reference has no spaces")
    docker = options.engine == "airflow" and options.operator == "docker"
    if options.env and not docker:
        raise CellopsError(
            "--env forwards the worker's variables to Airflow's Docker operator only; on "
            "Kubernetes put them in a secret and pass --secret NAME"
        )
    if options.network and not docker:
        raise CellopsError("--network applies to Airflow's Docker operator only")
    for name in options.env:
        if not _ENV_NAME.match(name):
            raise CellopsError(
                f"--env {name!r}: give the name of an environment variable (its value is read "
                "where the step runs, never written into the export)"
            )
    for flag, value in (("--secret", options.secret), ("--volume", options.volume)):
        if value is not None and not _K8S_NAME.match(value):
            raise CellopsError(
                f"{flag} {value!r}: a Kubernetes name is lower-case letters, digits and '-'"
            )
    if storage.shared_path and not docker and options.volume is None:
        raise CellopsError(
            f"--storage {storage.url}: a shared path on Kubernetes needs the volume that holds "
            "it: pass --volume CLAIM (a ReadWriteMany PersistentVolumeClaim, mounted there), "
            "or use object storage such as s3://BUCKET/PREFIX"
        )
    if options.sweep and options.engine != "argo":
        raise CellopsError(
            f"--grid/--params-file: sweeps fan out in the Argo export only; export to argo, or "
            f"run `cellops batch --executor dask` next to {options.engine}"
        )


def make_plan(
    spec: PipelineSpec,
    package: Path,
    options: ExportOptions,
    *,
    defaults: dict[str, Any] | None = None,
) -> ExportPlan:
    """The export's plan; ``defaults`` are the resolved ``-p`` values (all parameters)."""
    storage = check_storage(options.storage, package)
    _check_options(options, storage)
    values = defaults or {}
    parameters = tuple(
        Parameter(p.name, p.type, values.get(p.name, p.default)) for p in spec.parameters
    )
    names = _step_names(spec)
    steps = tuple(_step(s, options.image.strip(), names) for s in spec.stages)
    labels = {
        "cellops.pipeline": dns_name(spec.name),
        "cellops.version": label_value(spec.cellops_version),
    }
    return ExportPlan(spec.name, dns_name(spec.name), parameters, steps, storage, options, labels)


def require_package(package: str | Path) -> Path:
    path = Path(package).resolve()
    if not (path / SPEC_FILE).is_file():
        raise PackageError(
            f"{package} is not a pipeline package (no pipeline.yaml); make one with "
            "`cellops promote NOTEBOOK`"
        )
    return path
