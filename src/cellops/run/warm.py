"""The local executor: stage notebooks run through papermill in warm kernels on this machine."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from cellops.package.spec import StageSpec
from cellops.run.context import PackageContext, StageTask
from cellops.run.prelude import prelude_code


def warm_bound(jobs: int) -> int:
    """How many kernels the pool keeps started ahead of need for ``jobs`` stages at once: those
    that can run at once (``jobs``, but no more than the cores: more kernels booting at once
    only slow each other), plus the next one."""
    return max(1, min(jobs, os.cpu_count() or 1)) + 1


class WarmKernels:
    """An ``Executor`` with one pool of warm kernels, started when the first stage is due."""

    def __init__(
        self, context: PackageContext, *, jobs: int, stages: Sequence[StageSpec] | None = None
    ) -> None:
        """``jobs``: stages run at once; ``stages``: those whose imports the warm kernels load
        ahead (default: all)."""
        self.context = context
        self.warm = warm_bound(jobs)
        self.stages = tuple(context.spec.stages if stages is None else stages)
        self.pool: Any = None

    def slots(self) -> int | None:
        return None

    def begin(self, expected: int) -> None:
        from cellops.run.kernels import KernelPool

        if self.pool is None:
            ctx = self.context
            self.pool = KernelPool(
                ctx.spec.kernel,
                str(ctx.workdir),
                total=expected,
                warm=self.warm,
                prelude=prelude_code(ctx.imported(self.stages)),
            )

    def expect_fewer(self, count: int) -> None:
        if self.pool is not None:
            self.pool.expect_fewer(count)

    def execute(self, task: StageTask) -> None:
        from cellops.run.execute import execute_stage

        self.begin(1)
        execute_stage(
            self.pool,
            task.notebook,
            task.executed,
            task.parameters,
            kernel_name=self.context.spec.kernel,
            timeout=task.stage.options.timeout,
            tracking=task.tracking(),
        )

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.kill_all()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
