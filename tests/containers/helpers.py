"""Reading what a test needs out of images, archives and run directories."""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.clirun import cellops as cellops  # re-exported for the container tests

REPO = Path(__file__).resolve().parents[2]
WINE = REPO / "examples" / "wine_fanout.ipynb"
EPOCH = "1700000000"  # SOURCE_DATE_EPOCH of the shared builds
CA_MARKER = "cellops-test-ca-marker-5b1f0e"
# pip ignores options it does not know; this one only shows where the merged pip.conf went.
PIP_MARKER = "cellops-test-pip-marker-0c7d2a"


@dataclass(frozen=True)
class Built:
    engine: str
    tag: str
    package: Path
    log: str
    returncode: int
    env: dict[str, str]


def scan_archive(path: Path, needles: list[bytes]) -> list[str]:
    """Every file (in every layer) or config of a docker-archive that contains a needle."""
    found = []
    with tarfile.open(path) as outer:
        for member in outer:
            if not member.isfile():
                continue
            data = outer.extractfile(member)
            assert data is not None
            if member.name.endswith(".tar"):
                with tarfile.open(fileobj=io.BytesIO(data.read())) as layer:
                    for inner in layer:
                        if not inner.isfile():
                            continue
                        content = layer.extractfile(inner)
                        assert content is not None
                        blob = content.read()
                        found += [f"{member.name}:{inner.name}" for n in needles if n in blob]
            else:
                blob = data.read()
                found += [member.name for n in needles if n in blob]
    return found


def latest_record(state: Path) -> dict[str, Any]:
    runs = state / "runs"
    run_id = (runs / "latest").read_text(encoding="utf-8").strip()
    data: dict[str, Any] = json.loads((runs / run_id / "run.json").read_text(encoding="utf-8"))
    data["_dir"] = str(runs / run_id)
    return data


def notebook_text(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append("".join(out["text"]))
    return "\n".join(parts)


def manifest(location: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((location / "manifest.json").read_text(encoding="utf-8"))
    return data
