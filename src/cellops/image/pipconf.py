"""The build host's pip configuration, as pip inside an image build can use it.

What ``pip config list`` shows (/etc/pip.conf, the user's pip.conf, ``PIP_CONFIG_FILE``,
``PIP_*`` variables) is merged into one pip.conf. Settings that name files or folders of the
build host mean nothing inside the build, so each one is either forwarded with its content
(the CA bundle, a constraint file, a client certificate: build secrets of their own, mounted
at ``/run/secrets/ID``) or left out and reported. Nothing of it is written into the package or
into a layer of the final image.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cellops.fsutil import is_url, url_protocol
from cellops.package.dockerfile import FORWARDED, SECRETS_MOUNT

# Settings whose value is a path of the build host and that the build does without, with why.
# The CA bundle (``cert``) reaches the build as ca.crt and is taken by ``ca_bundle``.
_LEFT_OUT = {
    "cert": "forwarded as the ca.crt build secret",
    "config-file": "merged into the build's pip.conf",  # PIP_CONFIG_FILE itself
    "requirement": "the image installs exactly requirements.lock",
    "editable": "the image installs exactly requirements.lock",
    "build-constraint": "a file of this host",
    "cache-dir": "the build keeps no pip cache",
    "log": "a file of this host",
    "log-file": "a file of this host",
    "local-log": "a file of this host",
    "report": "a file of this host",
    "target": "the build installs into its own virtualenv",
    "prefix": "the build installs into its own virtualenv",
    "root": "the build installs into its own virtualenv",
    "src": "a folder of this host",
    "python": "an interpreter of this host",
    "build": "a folder of this host",
    "build-dir": "a folder of this host",
    "dest": "a folder of this host",
    "wheel-dir": "a folder of this host",
}
# Settings that hold locations: remote ones are kept, local folders and file:// URLs are not.
_LOCATIONS = {"find-links", "index-url", "extra-index-url"}
_ITEM = re.compile(r"^([^.]*)\.([^=]+)=(.*)$")
_INCLUDE = re.compile(r"^(-c|-r|--constraint|--requirement)(?:\s*=\s*|\s+)(\S+)\s*$")
HEADER = "# pip configuration of the build host, given to the image build as a secret\n"


@dataclass(frozen=True)
class PipConfig:
    text: str  # "" when the host has none
    notes: tuple[str, ...] = ()  # one line per setting forwarded with its content or left out
    cert: str | None = None  # the CA bundle the host's pip trusts
    files: dict[str, bytes] = field(default_factory=dict)  # secret id -> content


def _remote(location: str) -> bool:
    return is_url(location) and url_protocol(location).lower() != "file"


def _settings() -> dict[str, dict[str, str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    sections: dict[str, dict[str, str]] = {}
    for line in proc.stdout.splitlines() if proc.returncode == 0 else []:
        m = _ITEM.match(line.strip())
        if not m:
            continue
        section = "global" if m.group(1) in ("", ":env:") else m.group(1)
        value = m.group(3).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        sections.setdefault(section, {})[m.group(2).strip()] = value
    return sections


def _inline(path: Path, dropped: list[str], seen: set[Path]) -> list[str]:
    """The lines of a constraint file with its local ``-c``/``-r`` includes inlined.

    Option lines that name host paths (``-f ./wheels``, ``-i file://...``) are dropped.
    """
    resolved = path.resolve()
    if resolved in seen:
        return []
    seen.add(resolved)
    out: list[str] = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        include = _INCLUDE.match(line)
        if include and not _remote(include.group(2)):
            nested = (path.parent / include.group(2)).expanduser()
            if nested.is_file():
                out += _inline(nested, dropped, seen)
            else:
                dropped.append(f"{line!r} (no such file)")
        elif line.startswith("-") and not (include or _remote(re.split(r"[=\s]+", line)[-1])):
            dropped.append(repr(line))
        else:
            out.append(line)
    return out


def _forward(key: str, value: str) -> tuple[str | None, bytes, str]:
    """(value for the build's pip.conf, secret content, note) of a forwarded setting."""
    secret = f"{SECRETS_MOUNT}/{FORWARDED[key]}"
    if key == "client-cert":
        path = Path(value).expanduser()
        if not path.is_file():
            return None, b"", f"no such file {value}: left out"
        return secret, path.read_bytes(), "forwarded as a build secret"
    remote = [v for v in value.split() if _remote(v)]
    lines: list[str] = []
    dropped: list[str] = []
    for item in value.split():
        if _remote(item):
            continue
        path = Path(item.removeprefix("file://")).expanduser()
        if path.is_file():
            lines += _inline(path, dropped, set())
        else:
            dropped.append(f"{item} (no such file)")
    content = "".join(f"{line}\n" for line in dict.fromkeys(lines)).encode()
    kept = [*remote, secret] if content else remote
    note = f"forwarded as a build secret ({len(lines)} lines)" if content else "left out"
    if dropped:
        note += "; left out of it: " + ", ".join(dropped)
    return (" ".join(kept) or None), content, note


def host_pip_config() -> PipConfig:
    """The host's effective pip settings as one pip.conf the build can use."""
    sections = _settings()
    notes: list[str] = []
    files: dict[str, bytes] = {}
    lines = [HEADER]
    for section, items in sections.items():
        kept = []
        for key, value in items.items():
            setting = f"{section}.{key}"
            if key in _LEFT_OUT:
                if key not in ("cert", "config-file"):
                    notes.append(f"{setting} left out: {_LEFT_OUT[key]}")
                continue
            if key in FORWARDED:
                build_value, content, note = _forward(key, value)
                notes.append(f"{setting} {note}")
                if content:
                    sid = FORWARDED[key]
                    files[sid] = files.get(sid, b"") + content
                if build_value is None:
                    continue
                value = build_value
            elif key in _LOCATIONS:
                remote = [v for v in value.split() if _remote(v)]
                if len(remote) < len(value.split()):
                    local = [v for v in value.split() if not _remote(v)]
                    notes.append(f"{setting} left out: {' '.join(local)} (a path of this host)")
                if not remote:
                    continue
                value = " ".join(remote)
            kept.append(f"{key} = {value}\n")
        if kept:
            lines += [f"[{section}]\n", *kept]
    text = "".join(lines) if len(lines) > 1 else ""
    return PipConfig(text, tuple(notes), sections.get("global", {}).get("cert"), files)
