"""Stage cache keys and entries.

A stage's key covers what can change its outputs: its normalised code's digest (comments,
blank lines and markdown do not count; ``run.context``), the values of the parameters it
reads, the hashes of its inputs, the requirements lock and the kernel. Entries are small JSON
files written atomically, so a crash leaves either the old entry or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cellops.fsutil import atomic_write
from cellops.package import layout
from cellops.package.spec import PipelineSpec, StageSpec

# 2: the code enters the key as the digest promote stored, not as the normalised text.
KEY_VERSION = 2


@dataclass(frozen=True)
class Output:
    sha256: str
    ext: str

    def to_dict(self) -> dict[str, str]:
        return {"sha256": self.sha256, "ext": self.ext}


def outputs_to_dict(outputs: dict[str, Output]) -> dict[str, dict[str, str]]:
    return {n: o.to_dict() for n, o in sorted(outputs.items())}


def outputs_from_dict(data: dict[str, dict[str, str]]) -> dict[str, Output]:
    return {n: Output(o["sha256"], o["ext"]) for n, o in data.items()}


def file_sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def cache_key(
    code: str,
    spec: PipelineSpec,
    stage: StageSpec,
    params: dict[str, Any],
    inputs: dict[str, str],
    lock_sha: str,
) -> str:
    payload = {
        "v": KEY_VERSION,
        "stage": stage.name,
        "kernel": spec.kernel,
        "code": code,  # the digest of the normalised code (PackageContext.code)
        "params": {name: params[name] for name in stage.parameters},
        "inputs": inputs,
        "lock": lock_sha,
    }
    blob = json.dumps(payload, sort_keys=True, default=repr).encode()
    return hashlib.sha256(blob).hexdigest()


class Cache:
    def __init__(self, package: Path) -> None:
        self.root = layout.cache_dir(package)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def notebook_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.ipynb"

    def get(self, key: str) -> dict[str, Output] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return outputs_from_dict(data.get("outputs", {}))

    def put(self, key: str, stage: str, outputs: dict[str, Output], notebook: Path | None) -> None:
        if notebook is not None and notebook.exists():
            dest = self.notebook_path(key)
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_suffix(".tmp")
            tmp.unlink(missing_ok=True)
            try:
                os.link(notebook, tmp)
            except OSError:
                tmp.write_bytes(notebook.read_bytes())
            os.replace(tmp, dest)
        entry = {
            "stage": stage,
            "outputs": outputs_to_dict(outputs),
        }
        atomic_write(self._path(key), json.dumps(entry, indent=1, sort_keys=True))
