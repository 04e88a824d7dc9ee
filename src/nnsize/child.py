"""Work that may allocate or run without bound, done in a child process under limits.

    memory    RLIMIT_AS (address space): past it an allocation fails, MemoryError in the child
    CPU       RLIMIT_CPU: past it the kernel stops the child (SIGXCPU)
    time      a deadline on the wall clock: past it the parent kills the child (SIGKILL)
    priority  optionally nice: the server's own loop keeps answering while children compute

Work asked for inside a child (a traced training step planned for a server's request) runs
there, under the limits already in force, never in a grandchild: a child killed at its wall
time leaves nothing behind that outlives its limits.

Any of these ends in LimitError (an NnsizeError: one line on the CLI, a 4xx from the API) that
names the limit; the child's own errors come back as they were raised.  The result and the
errors travel back pickled, so fn must be a module-level function.

The child is forked from this process when it runs a single thread (cheap, and whatever was
imported is shared); from a process with threads (the server), it is forked from a
forkserver instead, since a lock held by another thread at the fork would stay held forever in
the child.  Work that imports modules that take long to import (torch and transformers: many
seconds each time) names them (run's warm), and its child is forked from a warm parent that
imported them once, a process of its own beside the forkserver (whose other children, under
smaller limits, should not carry them).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import pickle
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
_in_child = False  # set in a child at its start (_child)


class LimitError(NnsizeError):
    """Work stopped at one of the limits it ran under (the API answers 422, as for its own
    deadline)."""

    status = 422


def run(fn: Callable[..., T], *args: Any, memory: int, seconds: float, what: str,
        wall: float | None = None, nice: int = 0, warm: tuple[str, ...] = ()) -> T:
    """fn(*args) in a child process with at most memory bytes of address space, seconds of
    CPU and wall seconds of wall time (seconds if None: a busy machine may need more); what
    names the work in the error at a limit.

    warm: modules the work imports that take long to import (torch, transformers): from a
    process with threads, the child is then forked from a warm parent that imported them once
    (see _Warm) instead of from the forkserver, which would leave each child to import them."""
    if _in_child:  # the limits of the child this process is already hold
        return fn(*args)
    wall = seconds if wall is None else wall
    if threading.active_count() == 1:
        return _run(multiprocessing.get_context("fork"), fn, args, memory, seconds, wall, nice,
                    what)
    if warm:
        return _Warm.call(warm, fn, args, memory, seconds, wall, nice, what)
    ctx: Any = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return _run(ctx, fn, args, memory, seconds, wall, nice, what)


def _run(ctx: Any, fn: Callable[..., T], args: tuple[Any, ...], memory: int, seconds: float,
         wall: float, nice: int, what: str) -> T:
    """run's work, with the child started from ctx."""
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


class _Warm:
    """A warm parent: a process (started from the forkserver) that imports its modules once,
    then for each call forks a child that works under the call's limits (run in fork mode: the
    warm parent has one thread), waits for it and sends back its answer.  Each call has a warm
    parent to itself, so calls at once run at once; up to MAX_IDLE of them wait for later
    calls, the others end.

    The work travels pickled to the child and is unpickled there, under its limits: the warm
    parent imports nothing but its modules, whatever the calls ask for."""

    MAX_IDLE = 2
    START_SECONDS = 300.0  # its imports: seconds when the machine is quiet, a minute when busy
    SLACK_SECONDS = 30.0  # its own work around a call's child, past the call's wall time
    _idle: dict[tuple[str, ...], list[_Warm]] = {}
    _lock = threading.Lock()

    def __init__(self, modules: tuple[str, ...]) -> None:
        ctx: Any = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        self.modules = modules
        self.conn, theirs = ctx.Pipe()
        self.process = ctx.Process(target=_warm_parent, args=(theirs, modules), daemon=True)
        self.process.start()
        theirs.close()
        self.ready = False

    @classmethod
    def call(cls, modules: tuple[str, ...], fn: Callable[..., T], args: tuple[Any, ...],
             memory: int, seconds: float, wall: float, nice: int, what: str) -> T:
        payload = pickle.dumps((fn, args))
        with cls._lock:
            idle = cls._idle.setdefault(modules, [])
            warm = idle.pop() if idle else None
        if warm is None:
            warm = cls(modules)
        done = False
        try:
            answer = warm._ask(payload, memory, seconds, wall, nice, what)
            done = True
        finally:
            with cls._lock:
                idle = cls._idle.setdefault(modules, [])
                keep = done and len(idle) < cls.MAX_IDLE
                if keep:
                    idle.append(warm)
            if not keep:
                warm.close()
        ok, value = answer
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def _ask(self, payload: bytes, memory: int, seconds: float, wall: float, nice: int,
             what: str) -> tuple[bool, Any]:
        if not self.ready:
            if not self.conn.poll(self.START_SECONDS):
                raise NnsizeError(f"{what}: importing {', '.join(self.modules)} took longer "
                                  f"than {self.START_SECONDS:g} s")
            self._receive(what)
            self.ready = True
        self.conn.send((payload, memory, seconds, wall, nice, what))
        if not self.conn.poll(wall + self.SLACK_SECONDS):
            raise LimitError(f"{what} took longer than {wall:g} s, nnsize's limit for it")
        return self._receive(what)  # type: ignore[no-any-return]

    def _receive(self, what: str) -> Any:
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            self.process.join(1)
            raise NnsizeError(f"{what}: the process that starts its work ended (exit "
                              f"{self.process.exitcode})") from None

    def close(self) -> None:
        self.conn.close()  # it ends at the end of its pipe
        self.process.join(1)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def warm_up(modules: tuple[str, ...]) -> None:
    """Start a warm parent for run's warm=modules now (a server calls this before it serves),
    not when the first call needs it; it waits for that call."""
    warm = _Warm(modules)
    with _Warm._lock:
        _Warm._idle.setdefault(modules, []).append(warm)


def _warm_parent(conn: Any, modules: tuple[str, ...]) -> None:
    """_Warm's process: imports modules, then answers each call until its pipe closes."""
    import importlib

    for module in modules:
        importlib.import_module(module)
    # its children are the calls' children, ended by run when their work is done or stopped
    multiprocessing.current_process().daemon = False
    conn.send(True)
    ctx = multiprocessing.get_context("fork")
    while True:
        try:
            payload, memory, seconds, wall, nice, what = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[bool, Any] = (True, _run(ctx, _unpickled, (payload,), memory, seconds,
                                                   wall, nice, what))
        except BaseException as e:  # noqa: BLE001 - the child's errors go back as they are
            answer = (False, e)
        try:
            conn.send(answer)
        except Exception:  # noqa: BLE001 - an answer that cannot be pickled again: its words
            value = answer[1]
            conn.send((False, NnsizeError(f"{what} failed: {type(value).__name__}: {value}")))


def _unpickled(payload: bytes) -> Any:
    """A call's work, unpickled in its child (under its limits) and done."""
    fn, args = pickle.loads(payload)
    return fn(*args)


def start_forkserver(extra: tuple[str, ...] = ()) -> None:
    """Start the forkserver now (a server calls this before it serves), with PRELOAD and the
    extra modules imported: its children would otherwise wait for it, and import them each."""
    from multiprocessing import forkserver

    PRELOAD.extend(m for m in extra if m not in PRELOAD)
    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()


def _child(sender: Any, fn: Callable[..., Any], args: tuple[Any, ...], memory: int,
           seconds: float, nice: int, what: str) -> None:
    global _in_child
    _in_child = True
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
