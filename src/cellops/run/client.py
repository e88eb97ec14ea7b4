"""The kernel client of stage kernels: jupyter_client's, without its 0.2 s wait at connect.

``wait_for_ready`` in jupyter_client ends by reading IOPub until it has been quiet for 0.2 s,
to drop what the kernel published before. Every stage connects a new client (papermill's
nbclient, the pool's warm-up), so that wait was a fixed 0.2 s per stage of a pipeline of small
stages. The messages it drops cannot be mistaken for a cell's: nbclient keeps only IOPub
messages whose parent is its own request. So this client drops what is already there and
goes on. The rest is jupyter_client's check, kept as is: a kernel_info reply on the shell
channel, then one IOPub message (its busy/idle status) proving IOPub is connected, retried
until then, since a subscriber misses what was published before it joined.
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_core.utils import ensure_async

_REPLY_WAIT = 1.0  # seconds per kernel_info attempt, as jupyter_client
_IOPUB_WAIT = 0.2  # seconds for the IOPub message that proves the channel connected


class StageKernelClient(AsyncKernelClient):
    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await ensure_async(self.shell_channel.get_msg(timeout=_REPLY_WAIT))
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply" and await self._iopub_connected():
                    self._handle_kernel_info_reply(msg)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        await self._drop_pending()

    async def _iopub_connected(self) -> bool:
        try:
            await ensure_async(self.iopub_channel.get_msg(timeout=_IOPUB_WAIT))
        except Empty:
            return False
        return True

    async def _drop_pending(self) -> None:
        while True:
            try:
                await ensure_async(self.iopub_channel.get_msg(timeout=0))
            except Empty:
                return
