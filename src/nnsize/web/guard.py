"""ASGI middleware: every request gets a bounded body, a deadline and an answer.

    body over its limit (by Content-Length, or as a chunked body streams)   -> 413, once read
        to its end (up to DRAIN_LIMIT; a larger one at once, the connection closed)
    body not received within REQUEST_SECONDS (sent a byte at a time)        -> 408
    no answer within REQUEST_SECONDS of the request's start                 -> 422
        (a training plan that traces a step on fake tensors: its own budget, pool.TRACED_SECONDS
        from when the trace starts, which extends the request's Deadline)
    a JSON body that is not strict JSON: NaN, Infinity (or 1e999), a lone surrogate (no
        character), an integer of more than MAX_DIGITS digits               -> 422
    an exception nothing else handled                                       -> 500, and the
        keep-alive connection stays usable for the next request

The body is read here, whole (it is at most 16 MiB), and replayed to the app, so the app never
waits on a slow client.  The app runs as its own task: at the deadline the answer goes out, the
task is cancelled (work waiting in a pool's queue never starts) and whatever the app sends later
is dropped (a thread cannot be stopped; a child process gets only the time left to its request,
and every count nnsize makes in a thread is bounded, so it ends soon after).  A 408, or a 413
before the body's end, closes the connection: the unread rest of the body would otherwise be
read as the next request.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON_LIMIT = 1024 * 1024  # bytes of a JSON request body
HEADER_LIMIT = 16 * 1024 * 1024  # bytes of a checkpoint's first bytes (/api/checkpoint)
REQUEST_SECONDS = 10.0  # from the request's start to its answer, body included
# A body over its limit is still read (and dropped) up to this many bytes, so the client, still
# sending, hears the 413 instead of a reset connection; past it the connection is closed.
DRAIN_LIMIT = 64 * 1024 * 1024
# digits of an integer in a JSON body: far past any size (10**1000 parameters), and short of
# Python's 4,300-digit limit on converting integers to text, which products would pass
MAX_DIGITS = 1000

log = logging.getLogger("nnsize.web")


class Deadline:
    """A request's deadline on its event loop's clock (loop.time()): at, and the seconds it
    allows from the request's start (said in the 422).  Work with a budget of its own (a traced
    training step, pool.traced) moves it later, once, by a bounded amount."""

    def __init__(self, at: float, seconds: float) -> None:
        self.at, self.seconds = at, seconds

    def extend(self, now: float, seconds: float) -> None:
        if now + seconds > self.at:
            self.seconds += now + seconds - self.at
            self.at = now + seconds


# the request's deadline, for the work it starts: pool.compute gives its child only the time left
DEADLINE: contextvars.ContextVar[Deadline] = contextvars.ContextVar("nnsize_deadline")


# bytes of a plan's body: it may carry a checkpoint's first bytes, base64 (the page plans a
# dropped file with them)
PLAN_LIMIT = HEADER_LIMIT * 4 // 3 + JSON_LIMIT


def body_limit(path: str) -> int:
    return {"/api/checkpoint": HEADER_LIMIT, "/api/memory": PLAN_LIMIT}.get(path, JSON_LIMIT)


class _Refused(Exception):
    def __init__(self, status: int, detail: str, close: bool = True) -> None:
        super().__init__(detail)
        self.status, self.detail, self.close = status, detail, close


async def answer(send: Send, status: int, detail: str, close: bool = False) -> None:
    """A JSON error answer {"detail": ...}, as FastAPI writes its own."""
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Wraps an ASGI app; see the module's docstring."""

    def __init__(self, app: App, seconds: float | None = None) -> None:
        self.app, self.seconds = app, REQUEST_SECONDS if seconds is None else seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        try:
            body = await _read_body(scope, receive, deadline, loop, self.seconds)
        except _Refused as e:
            await answer(send, e.status, e.detail, close=e.close)
            return
        refused = strict_json(body) if scope["path"] != "/api/checkpoint" else ""
        if refused:
            await answer(send, 422, refused)
            return
        await self._run(scope, body, receive, send, deadline, loop)

    async def _run(self, scope: Scope, body: bytes, receive: Receive, send: Send,
                   deadline: float,
                   loop: asyncio.AbstractEventLoop) -> None:
        state = {"started": False, "done": False, "cut": False}
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: the server says when the client leaves

        async def guarded_send(message: Message) -> None:
            if state["cut"]:
                return  # the deadline answered already
            if message["type"] == "http.response.start":
                state["started"] = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                state["done"] = True
            await send(message)

        limit = Deadline(deadline, self.seconds)
        token = DEADLINE.set(limit)
        try:  # the task runs in a copy of this context: it sees the deadline
            task = asyncio.ensure_future(self.app(scope, replay, guarded_send))
        finally:
            DEADLINE.reset(token)
        done: set[Any] = set()
        while task not in done and loop.time() < limit.at:  # until the deadline, as it moves
            done, _ = await asyncio.wait({task}, timeout=max(limit.at - loop.time(), 0))
        if task in done:
            error = task.exception()
            if error is not None:
                log.error("nnsize: %s %s failed", scope.get("method"), scope.get("path"),
                          exc_info=error)
                if not state["started"]:
                    state["cut"] = True
                    await answer(send, 500, "internal error: nnsize could not answer this "
                                            "request (a bug; please report it)")
            return
        state["cut"] = True
        # work still waiting for a pool's slot never starts; a thread under way ends on its own
        # (and a child at its wall time, which is this deadline)
        task.cancel()
        task.add_done_callback(_forget)
        if not state["started"]:
            await answer(send, 422, f"the request took longer than {limit.seconds:g} s, the "
                                    f"limit for one request; count it with the nnsize command, "
                                    f"which has none")
        elif not state["done"]:  # half an answer sent: nothing better than closing
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def _constant(name: str) -> Any:
    raise _Refused(422, f"the body is not JSON: {name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Refused(422, f"the body holds {text[:40]}, a number past the largest float")
    return value


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _Refused(422, f"the body holds an integer of {len(text.lstrip('-')):,} digits; "
                            f"nnsize reads integers of at most {MAX_DIGITS:,}")
    return int(text)


def strict_json(body: bytes) -> str:
    """Why body cannot be read as strict JSON ('' if it can, or if it is no JSON at all: the
    app answers that): NaN or Infinity, a lone surrogate, an integer past MAX_DIGITS."""
    if not body.strip():
        return ""
    try:
        text = body.decode("utf-8")
        data = json.loads(text, parse_constant=_constant, parse_int=_integer,
                          parse_float=_float)
        if "\\u" in text:  # an escaped surrogate that pairs with nothing makes no character
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except _Refused as e:
        return e.detail
    except UnicodeEncodeError:
        return "the body is not JSON text: it holds a lone surrogate (\\ud800-\\udfff), which " \
               "is no character"
    except (ValueError, RecursionError):  # not JSON, or nested too deep: the app answers
        return ""
    return ""


def _forget(task: asyncio.Future[None]) -> None:
    """A request cut off at its deadline finished later: its result goes nowhere."""
    if not task.cancelled() and task.exception() is not None:
        log.info("nnsize: a request cut off at its deadline ended with %r", task.exception())


async def _read_body(scope: Scope, receive: Receive, deadline: float,
                     loop: asyncio.AbstractEventLoop, seconds: float) -> bytes:
    limit = body_limit(scope["path"])
    headers = dict(scope.get("headers") or [])
    length = headers.get(b"content-length")
    if length is not None and (not length.isdigit() or int(length) > DRAIN_LIMIT):
        raise _Refused(413, f"request larger than {limit:,} bytes")
    chunks, seen = [], 0
    while True:
        left = deadline - loop.time()
        try:
            message = await asyncio.wait_for(receive(), timeout=max(left, 0))
        except asyncio.TimeoutError:
            raise _Refused(408, f"the request's body did not arrive within {seconds:g} s") \
                from None
        if message["type"] == "http.disconnect":
            raise _Refused(400, "the client went away before sending the whole body")
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > DRAIN_LIMIT:
            raise _Refused(413, f"request larger than {limit:,} bytes")
        if seen <= limit:
            chunks.append(chunk)
        if not message.get("more_body"):
            if seen > limit:  # read to its end, so the client hears the answer
                raise _Refused(413, f"request larger than {limit:,} bytes", close=False)
            return b"".join(chunks)
