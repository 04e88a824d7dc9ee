"""Bounded pools for the work one visitor could use to stall the others.

    CPU     counts of specs, configs, checkpoints, plans (every endpoint but the calculator's,
            the presets' and the lists): each in a child process (child.py) with at most
            CPU_MEMORY bytes, REQUEST_SECONDS of time and a lower priority (nice), at most
            CPU_SLOTS at once
    HUB     reads from the Hugging Face Hub: each in a thread of the pool's own, at most
            HUB_SLOTS at once, so that requests waiting on a slow Hub hold none of the threads
            the other endpoints answer from

A child answers with the JSON bytes of the response, made there as FastAPI would make them: the
server's loop only writes them out.  A big answer (a 2,000-layer config: 7 MB of JSON) unpickled
and serialized in the server instead held its loop, and every other visitor's answer, for a
third of a second.

A request finding its pool's slots taken waits for one, at most QUEUE others waiting beside it
in each pool; past that it is answered 503 at once (Retry-After: 1).  The calculator's
/api/count (a shorthand or four numbers: bounded and quick) runs in the server itself and keeps
its latency while both pools are busy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from starlette.responses import Response

from ..errors import NnsizeError
from .guard import DEADLINE, REQUEST_SECONDS

T = TypeVar("T")
CPU_SLOTS = 4
CPU_MEMORY = 1024**3  # bytes of address space of each child
CPU_NICE = 10  # below the server's own loop (nice 0); 19 starved them on a busy machine
HUB_SLOTS = 8
QUEUE = 32


class Busy(NnsizeError):
    """Every slot taken and the queue full: 503."""

    status = 503
    retry_after = 1


class Pool:
    """At most slots pieces of work at once, each in a thread of the pool's own."""

    def __init__(self, name: str, slots: int, queue: int = QUEUE) -> None:
        self.name, self.slots, self.queue = name, slots, queue
        self.waiting = 0
        self._limiters: dict[int, CapacityLimiter] = {}  # one per event loop

    def _limiter(self) -> CapacityLimiter:
        loop = id(asyncio.get_running_loop())
        if loop not in self._limiters:
            self._limiters = {loop: CapacityLimiter(self.slots)}
        return self._limiters[loop]

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        limiter = self._limiter()
        if limiter.available_tokens == 0 and self.waiting >= self.queue:
            raise Busy(f"the server is busy: {self.slots} {self.name} requests are under way "
                       f"and {self.waiting} wait; try again in a moment")
        self.waiting += 1
        try:
            await limiter.acquire()
        finally:
            self.waiting -= 1
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=CapacityLimiter(1))
        finally:
            limiter.release()


# imported once by the forkserver the children are forked from, not by each child
PRELOAD = ("nnsize.web.app", "yaml", "numpy", "gguf", "onnx")

CPU = Pool("counting", CPU_SLOTS)
HUB = Pool("Hub", HUB_SLOTS)


def _dumped(fn: Callable[..., dict[str, Any]], *args: Any) -> bytes:
    """fn(*args) as JSON, as FastAPI writes an endpoint's dict answer (pydantic's dump_json):
    in the child, so the server receives bytes, not millions of objects."""
    from pydantic import TypeAdapter

    return TypeAdapter(dict[str, Any]).dump_json(fn(*args))


async def compute(fn: Callable[..., dict[str, Any]], *args: Any) -> Response:
    """fn(*args), picklable, in a child process under the CPU pool's limits: the JSON
    response of its answer."""
    from .. import child

    child.start_forkserver(PRELOAD)  # at once if started already
    loop = asyncio.get_running_loop()
    deadline = DEADLINE.get(loop.time() + REQUEST_SECONDS)
    # the time left to the request once a slot is free: a child started late ends with it
    body = await CPU.run(lambda: child.run(_dumped, fn, *args, memory=CPU_MEMORY,
                                           seconds=REQUEST_SECONDS,
                                           wall=max(deadline - loop.time(), 0.1),
                                           what="this request", nice=CPU_NICE))
    return Response(body, media_type="application/json")


async def from_hub(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in a thread of the Hub pool."""
    return await HUB.run(fn, *args)
