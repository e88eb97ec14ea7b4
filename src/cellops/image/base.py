"""What every image engine shares: the build request, the result, errors and progress."""

from __future__ import annotations

import re
import sys
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from cellops.errors import CellopsError

TAIL_LINES = 25
# "Step 3/20 : RUN ..." (Docker's classic builder) and "[1/3] STEP 3/5: RUN ..." (buildah).
_STEP = re.compile(r"^(?:\[\d+/\d+\] )?(?:Step|STEP) \d+/\d+ ?: ")


class BuildError(CellopsError):
    """An image build failed or cannot start; the message names the step and what to do."""


class EngineUnavailable(CellopsError):
    """The chosen engine is not installed or not reachable."""


@dataclass(frozen=True)
class BuildRequest:
    context: Path  # holds the Dockerfile
    tag: str
    build_args: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, Path] = field(default_factory=dict)  # id -> file (mount mode only)
    network: str | None = None  # e.g. "host" where builds have no other network
    source_date_epoch: int | None = None


@dataclass(frozen=True)
class ImageInfo:
    tag: str
    image_id: str
    labels: Mapping[str, str]
    layers: tuple[str, ...]  # diff ids (sha256 of each uncompressed layer), base first
    size: int  # bytes, uncompressed
    user: str
    entrypoint: tuple[str, ...]


class Engine(Protocol):
    name: str
    # "mount": RUN --mount=type=secret; "stage": secrets copied into a throw-away stage.
    secrets_mode: str

    def build(self, request: BuildRequest, log: BuildLog) -> None: ...

    def inspect(self, ref: str) -> ImageInfo | None: ...

    def base_digest(self, ref: str) -> str | None:
        """The repo digest of a local image (``name@sha256:...``), when the engine knows one."""
        ...


class BuildLog:
    """Streams build output as it comes and keeps what a failure message needs.

    Step lines are always shown; the other lines only when ``verbose``. The last lines and the
    current step are kept so a failing build can name both.
    """

    def __init__(self, out: TextIO | None = None, *, verbose: bool = True) -> None:
        self.out = out or sys.stdout
        self.verbose = verbose
        self.step = ""
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)

    def line(self, text: str) -> None:
        text = text.rstrip("\r\n")
        if not text.strip():
            return
        if _STEP.match(text):
            self.step = text
            self.tail.clear()
            print(text, file=self.out, flush=True)
            return
        self.tail.append(text)
        if self.verbose:
            print(f"    {text}", file=self.out, flush=True)

    def failure(self, engine: str, reason: str) -> BuildError:
        where = f" at {_shorten(self.step)}" if self.step else ""
        tail = "\n".join(f"  | {t}" for t in self.tail) or "  | (no output)"
        return BuildError(
            f"{engine} build failed{where}: {reason.strip()}\nlast lines of the build log:\n"
            f"{tail}\nfix the cause above (a requirement pip cannot find: check the package's "
            "requirements.lock and your pip configuration) and run `cellops build` again"
        )


def _shorten(step: str, width: int = 160) -> str:
    step = " ".join(step.split())
    return step if len(step) <= width else step[: width - 3] + "..."
