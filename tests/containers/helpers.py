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
# A constraint on a distribution nothing installs (pip ignores it): shows where the forwarded
# constraint file went.
CONSTRAINT_MARKER = "cellops-test-constraint-marker-9e41aa"


def corporate_pip_conf(root: Path, remote: bool = True) -> Path:
    """A pip.conf in the shape corporate machines have, every setting naming a host path: a
    constraint file (with a nested include and a host-path option line), a requirement file,
    a client certificate, a local find-links folder and a ``file://`` index that do not exist
    in a build. ``remote`` adds index locations that do not resolve (only for tests that run
    no pip with it)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "policy").mkdir(exist_ok=True)
    (root / "policy" / "caps.txt").write_text("numpy<99  # the platform team's cap\n")
    (root / "constraints.txt").write_text(
        "# versions the company allows\n-c policy/caps.txt\n-f ./wheels\n"
        f"urllib3<99\n{CONSTRAINT_MARKER}<1\n"
    )
    (root / "always.txt").write_text("leftpad==1.0\n")
    (root / "client.pem").write_text("CLIENT-CERT-CONTENT\n")
    extra = " https://index.example.invalid/simple" if remote else ""
    links = " https://wheels.example.invalid/" if remote else ""
    # A build would need a real client certificate: only with ``remote``.
    cert = f"client-cert = {root / 'client.pem'}\n" if remote else ""
    conf = root / "pip.conf"
    conf.write_text(
        f"[global]\n{cert}"
        f"constraint = {root / 'constraints.txt'}\n"
        f"find-links = /nonexistent/cellops-test-wheels{links}\n"
        f"extra-index-url = file:///nonexistent/simple{extra}\n"
        f"cache-dir = {root / 'cache'}\n"
        "[install]\n"
        f"requirement = {root / 'always.txt'}\n"
        "no-compile = true\n"
    )
    return conf


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
