"""The build host's pip configuration as the image build gets it (no engine needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellops.image.context import write_secrets
from cellops.image.pipconf import PipConfig, host_pip_config
from cellops.package.dockerfile import SECRET_IDS, dockerfile
from cellops.package.spec import load
from tests.clirun import cellops
from tests.containers.helpers import corporate_pip_conf

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "wine_fanout.ipynb"


def test_every_host_path_is_forwarded_with_its_content_or_named_as_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", str(corporate_pip_conf(tmp_path)))
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "99")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)  # PIP_* variables outrank the file
    pip = host_pip_config()
    # No path of this host is in the build's pip.conf; the remote locations are.
    assert str(tmp_path) not in pip.text and "/nonexistent" not in pip.text
    assert "file://" not in pip.text
    assert "https://index.example.invalid/simple" in pip.text
    assert "https://wheels.example.invalid/" in pip.text
    assert "[install]\nno-compile = true" in pip.text and "default-timeout = 99" in pip.text
    # The constraint file travels as a secret, its local include inlined, its host-path
    # option line dropped; pip inside the build reads it at the secret's mount point.
    assert "constraint = /run/secrets/pip-constraints.txt" in pip.text
    caps = pip.files["pip-constraints.txt"].decode()
    assert "numpy<99" in caps.splitlines() and "urllib3<99" in caps.splitlines()
    assert not [line for line in caps.splitlines() if line.startswith("-")]
    assert "client-cert = /run/secrets/pip-client.pem" in pip.text
    assert pip.files["pip-client.pem"] == b"CLIENT-CERT-CONTENT\n"
    notes = "\n".join(pip.notes)
    for setting in (
        "global.constraint forwarded as a build secret",
        "global.client-cert forwarded",
        "install.requirement left out",
        "global.cache-dir left out",
        "global.find-links left out: /nonexistent/cellops-test-wheels",
        "global.extra-index-url left out: file:///nonexistent/simple",
        "'-f ./wheels'",
    ):
        assert setting in notes


def test_a_missing_constraint_file_is_named_and_not_forwarded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nconstraint = {tmp_path / 'gone.txt'}\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_CONSTRAINT", str(tmp_path / "gone.txt"))  # outranks the host's own
    pip = host_pip_config()
    assert "constraint" not in pip.text and "pip-constraints.txt" not in pip.files
    assert any("gone.txt (no such file)" in note for note in pip.notes)


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=200), st.binary(max_size=200))
def test_secrets_hold_exactly_what_was_forwarded(constraints: bytes, client: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        pip = PipConfig("[global]\n", files={"pip-constraints.txt": constraints,
                                             "pip-client.pem": client})  # fmt: skip
        paths = write_secrets(Path(tmp) / "secrets", pip, None)
        assert set(paths) == set(SECRET_IDS)
        assert paths["pip-constraints.txt"].read_bytes() == constraints
        assert paths["pip-client.pem"].read_bytes() == client
        assert paths["ca.crt"].read_bytes() == b""
        assert all(p.stat().st_mode & 0o077 == 0 for p in paths.values())


def test_the_install_step_mounts_every_secret(tmp_path: Path) -> None:
    proc = cellops("promote", EXAMPLE, "-o", tmp_path / "pkg", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = dockerfile(load(tmp_path / "pkg"), "python:3.11-slim")
    run = next(line for line in text.splitlines() if "--mount=type=secret" in line)
    assert [f"--mount=type=secret,id={sid}" in run for sid in SECRET_IDS] == [True] * len(
        SECRET_IDS
    )
