"""Bounded pools for the work one visitor could use to stall the others.

    CPU     counts of specs, configs, checkpoints, plans (every endpoint but the calculator's,
            the presets' and the lists): each in a child process (child.py) with at most
            CPU_MEMORY bytes, REQUEST_SECONDS of time and a lower priority (nice), at most
            CPU_SLOTS at once
    HUB     reads from the Hugging Face Hub: each in a thread of the pool's own, at most
            HUB_SLOTS at once, so that requests waiting on a slow Hub hold none of the threads
            the other endpoints answer from
    TRACED  a training plan whose step is traced on fake tensors (memory.traced: an encoder such
            as BERT, an encoder-decoder, a vision model): torch and transformers alone pass the
            CPU pool's memory, and the trace takes seconds of CPU.  Such a plan, refused in
            the CPU pool's child (traced.Deferred), is planned again in a child of its own
            budget: TRACED_MEMORY of address space, TRACED_SECONDS of CPU and of wall time
            from when it starts (the request's deadline moves with it), forked from a warm
            parent that imported torch and transformers once, at most TRACED_SLOTS at once
            and TRACED_QUEUE waiting

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
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from starlette.responses import Response

from ..errors import NnsizeError
from .guard import DEADLINE, REQUEST_SECONDS, Deadline

T = TypeVar("T")
CPU_SLOTS = 4
CPU_MEMORY = 1024**3  # bytes of address space of each child
CPU_NICE = 10  # below the server's own loop (nice 0); 19 starved them on a busy machine
HUB_SLOTS = 8
QUEUE = 32
TRACED_SLOTS = 1  # 4 GiB each: the machine's memory, not its cores, bounds them
TRACED_QUEUE = 4
TRACED_MEMORY = 4 * 1024**3  # memory.traced.TRACE_MEMORY: torch, transformers and the model
TRACED_SECONDS = 60.0  # BERT-base at 512 tokens: about 10 s on a busy 2-core machine


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
        """fn(*args) in a thread of its own once a slot is free."""
        return await self.run_async(
            lambda: anyio.to_thread.run_sync(fn, *args, limiter=CapacityLimiter(1)))

    async def run_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        """await fn() once a slot is free: at most queue others wait for one, past that Busy."""
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
            return await fn()
        finally:
            limiter.release()


# imported once by the forkserver the children are forked from, not by each child
PRELOAD = ("nnsize.web.app", "yaml", "numpy", "gguf", "onnx")

CPU = Pool("counting", CPU_SLOTS)
HUB = Pool("Hub", HUB_SLOTS)
TRACED = Pool("traced training", TRACED_SLOTS, TRACED_QUEUE)


def _dumped(fn: Callable[..., dict[str, Any]], *args: Any) -> bytes:
    """fn(*args) as JSON, as FastAPI writes an endpoint's dict answer (pydantic's dump_json):
    in the child, so the server receives bytes, not millions of objects.  A training step is
    not traced here (traced.Deferred: the request is planned again under traced's budget)."""
    from pydantic import TypeAdapter

    from ..memory import traced

    traced.DEFER = True
    return TypeAdapter(dict[str, Any]).dump_json(fn(*args))


async def compute(fn: Callable[..., dict[str, Any]], *args: Any) -> Response:
    """fn(*args), picklable, in a child process under the CPU pool's limits: the JSON
    response of its answer."""
    from .. import child

    child.start_forkserver(PRELOAD)  # at once if started already
    loop = asyncio.get_running_loop()
    deadline = DEADLINE.get(Deadline(loop.time() + REQUEST_SECONDS, REQUEST_SECONDS))
    # the time left to the request once a slot is free: a child started late ends with it
    body = await CPU.run(lambda: child.run(_dumped, fn, *args, memory=CPU_MEMORY,
                                           seconds=REQUEST_SECONDS,
                                           wall=max(deadline.at - loop.time(), 0.1),
                                           what="this request", nice=CPU_NICE))
    return Response(body, media_type="application/json")


# what a traced plan's child imports: once in its warm parent, not per request
TRACED_WARM = ("torch", "transformers", "transformers.modeling_utils", "nnsize.web.app")


async def traced(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args), picklable, a plan that traces a training step: in a child of the traced
    budget (TRACED_MEMORY, TRACED_SECONDS), forked from a warm parent; the request's deadline
    moves to TRACED_SECONDS from when a slot is free."""
    from .. import child

    loop = asyncio.get_running_loop()
    deadline = DEADLINE.get(Deadline(loop.time() + REQUEST_SECONDS, REQUEST_SECONDS))

    def work() -> T:
        return child.run(fn, *args, memory=TRACED_MEMORY, seconds=TRACED_SECONDS,
                         wall=TRACED_SECONDS, what="tracing a training step",
                         nice=CPU_NICE, warm=TRACED_WARM)

    async def started() -> T:
        deadline.extend(loop.time(), TRACED_SECONDS + 5.0)  # its child's time, and the answer
        return await anyio.to_thread.run_sync(work, limiter=CapacityLimiter(1))

    return await TRACED.run_async(started)


async def from_hub(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in a thread of the Hub pool."""
    return await HUB.run(fn, *args)
