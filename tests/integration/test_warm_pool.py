"""The warm-kernel pool boots no more kernels ahead of need than can run at once (``--jobs``,
bounded by the cores) plus the next one, however high ``--jobs`` is. Real (forked) kernels."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil
import pytest

from cellops.run import warm
from cellops.run.warm import WarmKernels


def _kernels(executor: WarmKernels) -> list[psutil.Process]:
    """The kernel processes alive: the children of the pool's template, once none is starting."""
    pool = executor.pool
    deadline = time.monotonic() + 120
    while pool.starting and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pool.starting == 0, "kernels still starting after 120 s"
    template = psutil.Process(pool.template.process.pid)
    return [p for p in template.children() if p.is_running()]


@pytest.mark.kernel
def test_high_jobs_boot_no_more_kernels_than_the_cores_allow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warm.os, "cpu_count", lambda: 2)
    context: Any = SimpleNamespace(
        spec=SimpleNamespace(kernel="python3", stages=()),
        workdir=tmp_path,
        imported=lambda stages=None: set(),
    )
    executor = WarmKernels(context, jobs=8)
    executor.begin(20)  # twenty stages to come
    try:
        assert len(_kernels(executor)) == 3  # two cores' worth, plus the next one
        taken = executor.pool.take()
        # Taking one starts one for the next taker: three waiting, one in use.
        assert len(_kernels(executor)) == 4
        assert len(executor.pool.ready) == 3
        executor.pool.release(taken)
    finally:
        executor.close()
