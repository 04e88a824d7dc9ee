"""Work that may allocate or run without bound, done in a child process under limits.

    memory    RLIMIT_AS (address space): past it an allocation fails, MemoryError in the child
    CPU       RLIMIT_CPU: past it the kernel stops the child (SIGXCPU)
    time      a deadline on the wall clock: past it the parent kills the child (SIGKILL)
    priority  optionally nice: the server's own loop keeps answering while children compute

Any of these ends in LimitError (an NnsizeError: one line on the CLI, a 4xx from the API) that
names the limit; the child's own errors come back as they were raised.  The result and the
errors travel back pickled, so fn must be a module-level function.

The child is forked from this process when it runs a single thread (cheap, and whatever was
imported is shared); from a process with threads (the server), it is forked from a
forkserver instead, since a lock held by another thread at the fork would stay held forever in
the child.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import NnsizeError

T = TypeVar("T")
GiB = 1024**3
# modules every forkserver child needs, imported once in the forkserver instead of per child
PRELOAD = ["nnsize.architectures", "nnsize.network", "nnsize.importers", "nnsize.memory",
           "nnsize.render.json", "nnsize.render.report"]


class LimitError(NnsizeError):
    """Work stopped at one of the limits it ran under (the API answers 422, as for its own
    deadline)."""

    status = 422


def run(fn: Callable[..., T], *args: Any, memory: int, seconds: float, what: str,
        wall: float | None = None, nice: int = 0) -> T:
    """fn(*args) in a child process with at most memory bytes of address space, seconds of
    CPU and wall seconds of wall time (seconds if None: a busy machine may need more); what
    names the work in the error at a limit."""
    wall = seconds if wall is None else wall
    ctx: Any = multiprocessing.get_context(
        "fork" if threading.active_count() == 1 else "forkserver")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sender, fn, args, memory, seconds, nice, what),
                          daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(wall):
            raise LimitError(f"{what} took longer than {wall:g} s, nnsize's limit for it")
        try:
            ok, value = receiver.recv()
        except (EOFError, OSError):  # the child ended without an answer: a limit stopped it
            process.join(1)
            if process.exitcode == -signal.SIGXCPU:
                raise LimitError(f"{what} took more than {seconds:g} s of CPU, nnsize's limit "
                                 f"for it") from None
            raise LimitError(f"{what} ended without an answer (exit {process.exitcode}): it "
                             f"needed more than {memory / GiB:g} GiB of memory, nnsize's limit "
                             f"for it, or was stopped") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def start_forkserver(extra: tuple[str, ...] = ()) -> None:
    """Start the forkserver now (a server calls this before it serves), with PRELOAD and the
    extra modules imported: its children would otherwise wait for it, and import them each."""
    from multiprocessing import forkserver

    PRELOAD.extend(m for m in extra if m not in PRELOAD)
    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()


def _child(sender: Any, fn: Callable[..., Any], args: tuple[Any, ...], memory: int,
           seconds: float, nice: int, what: str) -> None:
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"  # one thread each: their stacks would count against memory
    _limit(resource.RLIMIT_AS, memory)
    cpu = math.ceil(seconds) + 1
    _limit(resource.RLIMIT_CPU, cpu)
    if nice:
        os.nice(nice)
    try:
        answer: tuple[bool, Any] = (True, fn(*args))
    except MemoryError:
        answer = (False, LimitError(f"{what} needed more than {memory / GiB:g} GiB of memory, "
                                    f"nnsize's limit for it"))
    except BaseException as e:  # noqa: BLE001 - every error goes back to the parent
        answer = (False, e)
    try:
        sender.send(answer)
    except Exception:  # noqa: BLE001 - a result or error that cannot be pickled: its words
        value = answer[1]
        sender.send((False, NnsizeError(f"{what} failed: {type(value).__name__}: {value}")))
    sender.close()


def _limit(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(which, (soft, hard))
