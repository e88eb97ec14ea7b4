"""Stage cache keys and entries.

A stage's key covers what can change its outputs: its normalised code's digest (comments,
blank lines and markdown do not count; ``run.context``), the values of the parameters it
reads, the hashes of its inputs and the kernel. What the stage read and imported at run time
(files, folder listings, local modules, the lock's pins of the distributions it imported) is
known only after it ran: the entry keeps it (``run.reads``) and is a hit only while all of it
is the same. So a pin change re-runs the stages that import that library, not all of them. Entries
are small JSON files written atomically, so a crash leaves either the old entry or the new one.
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
from cellops.run.reads import Reads

# 2: the code enters the key as the digest promote stored, not as the normalised text.
# 3: entries also hold the files and modules the stage used, checked before reuse.
# 4: the lock is no longer in the key: entries hold the pins of what the stage imported.
KEY_VERSION = 4


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


def cache_key(
    code: str,
    spec: PipelineSpec,
    stage: StageSpec,
    params: dict[str, Any],
    inputs: dict[str, str],
) -> str:
    payload = {
        "v": KEY_VERSION,
        "stage": stage.name,
        "kernel": spec.kernel,
        "code": code,  # the digest of the normalised code (PackageContext.code)
        "params": {name: params[name] for name in stage.parameters},
        "inputs": inputs,
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

    def get(
        self, key: str, *, fresh: bool = False
    ) -> tuple[dict[str, Output], Reads | None] | None:
        """The entry's outputs and what the run that made them used; None without both (an
        entry written before reads were recorded cannot be checked: a miss). ``fresh``: the
        entry was written a moment ago by this scheduler, so it needs no reads."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        reads = Reads.from_dict(data.get("reads"))
        if reads is None and not fresh:
            return None
        return outputs_from_dict(data.get("outputs", {})), reads

    def put(
        self,
        key: str,
        stage: str,
        outputs: dict[str, Output],
        notebook: Path | None,
        reads: Reads | None,
    ) -> None:
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
        entry: dict[str, Any] = {"stage": stage, "outputs": outputs_to_dict(outputs)}
        if reads is not None:
            entry["reads"] = reads.to_dict()
        atomic_write(self._path(key), json.dumps(entry, indent=1, sort_keys=True))
