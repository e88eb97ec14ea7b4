"""Docker Engine through the docker SDK (``DOCKER_HOST`` and the other ``DOCKER_*`` settings
are honoured). The Engine API builds with the classic builder, which has no secret mounts, so
build secrets go into a throw-away builder stage (``secrets_mode = "stage"``)."""

from __future__ import annotations

from typing import Any

from cellops.image.base import BuildLog, BuildRequest, EngineUnavailable, ImageInfo

_NOISE = (" ---> ", "Removing intermediate container")


def connect() -> Any:
    """A connected client, or EngineUnavailable saying why not."""
    try:
        import docker  # type: ignore[import-untyped]
    except ImportError:
        raise EngineUnavailable(
            "the docker engine needs the docker SDK: pip install 'cellops[image]' (or docker)"
        ) from None
    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except Exception as exc:
        raise EngineUnavailable(
            f"Docker Engine is not reachable ({_first_line(exc)}); start it, or point DOCKER_HOST "
            "at its socket"
        ) from None
    return client


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


class DockerEngine:
    name = "docker"
    secrets_mode = "stage"

    def __init__(self, client: Any = None) -> None:
        self.client = client if client is not None else connect()

    def build(self, request: BuildRequest, log: BuildLog) -> None:
        import docker.errors  # type: ignore[import-untyped]

        try:
            stream = self.client.api.build(
                path=str(request.context),
                dockerfile="Dockerfile",
                tag=request.tag,
                buildargs=dict(request.build_args),
                network_mode=request.network,
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
            )
            for chunk in stream:
                if "stream" in chunk:
                    for text in str(chunk["stream"]).splitlines():
                        if not text.startswith(_NOISE):
                            log.line(text)
                elif "error" in chunk:
                    raise log.failure(self.name, str(chunk["error"]))
        except docker.errors.APIError as exc:
            raise log.failure(self.name, _first_line(exc)) from None

    def inspect(self, ref: str) -> ImageInfo | None:
        import docker.errors

        try:
            data = self.client.api.inspect_image(ref)
        except docker.errors.ImageNotFound:
            return None
        config = data.get("Config") or {}
        return ImageInfo(
            tag=ref,
            image_id=str(data["Id"]),
            labels=dict(config.get("Labels") or {}),
            layers=tuple((data.get("RootFS") or {}).get("Layers") or ()),
            size=int(data.get("Size") or 0),
            user=str(config.get("User") or ""),
            entrypoint=tuple(config.get("Entrypoint") or ()),
        )

    def base_digest(self, ref: str) -> str | None:
        import docker.errors

        try:
            digests = self.client.api.inspect_image(ref).get("RepoDigests") or []
        except docker.errors.ImageNotFound:
            return None
        return str(digests[0]) if digests else None
