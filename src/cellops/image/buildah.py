"""Daemonless builds with buildah (``RUN --mount=type=secret`` works, so build secrets are
mounted, never copied). Storage and isolation follow buildah's own settings
(``CONTAINERS_STORAGE_CONF``, ``STORAGE_DRIVER``, ``BUILDAH_ISOLATION``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from cellops.image.base import BuildLog, BuildRequest, EngineUnavailable, ImageInfo


def executable() -> str:
    path = shutil.which("buildah")
    if path is None:
        raise EngineUnavailable(
            "buildah is not installed; install it (Debian/Ubuntu: apt-get install buildah)"
        )
    return path


class BuildahEngine:
    name = "buildah"
    secrets_mode = "mount"

    def __init__(self) -> None:
        self.exe = executable()

    def _json(self, *args: str) -> Any:
        proc = subprocess.run(
            [self.exe, *args], capture_output=True, text=True, check=False, timeout=300
        )
        if proc.returncode != 0:
            return None
        return json.loads(proc.stdout or "null")

    def build(self, request: BuildRequest, log: BuildLog) -> None:
        argv = [self.exe, "bud", "--layers", "--file", "Dockerfile", "--tag", request.tag]
        for key, value in request.build_args.items():
            argv += ["--build-arg", f"{key}={value}"]
        for sid, path in request.secrets.items():
            argv += ["--secret", f"id={sid},src={path}"]
        if request.network:
            argv += ["--network", request.network]
        if request.source_date_epoch is not None:
            # Fixes the image's created time and every file time in its layers.
            argv += ["--timestamp", str(request.source_date_epoch)]
        argv.append(str(request.context))
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
        assert proc.stdout is not None
        reason = ""
        with proc:
            for text in proc.stdout:
                if text.lower().startswith(("error", "erro[")):
                    reason = text
                log.line(text)
        if proc.returncode != 0:
            raise log.failure(self.name, reason or f"buildah exited with {proc.returncode}")

    def inspect(self, ref: str) -> ImageInfo | None:
        data = self._json("inspect", "--type", "image", ref)
        if not data:
            return None
        oci = data.get("OCIv1") or {}
        config = oci.get("config") or {}
        return ImageInfo(
            tag=ref,
            image_id=str(data.get("FromImageID") or ""),
            labels=dict(config.get("Labels") or {}),
            layers=tuple((oci.get("rootfs") or {}).get("diff_ids") or ()),
            size=self._size(ref),
            user=str(config.get("User") or ""),
            entrypoint=tuple(config.get("Entrypoint") or ()),
        )

    def _size(self, ref: str) -> int:
        rows = self._json("images", "--json", ref) or []
        for row in rows:
            size = row.get("size")
            if isinstance(size, int):
                return size
        return 0

    def base_digest(self, ref: str) -> str | None:
        # Local storage knows the manifest digest of every image it holds, pulled or made here.
        data = self._json("inspect", "--type", "image", ref)
        digest = str((data or {}).get("FromImageDigest") or "")
        if not digest:
            return None
        name = ref.split("@", 1)[0]
        if ":" in name.rsplit("/", 1)[-1]:
            name = name.rsplit(":", 1)[0]
        return f"{name}@{digest}"
