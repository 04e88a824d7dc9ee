"""Serving the app with uvicorn, with limits on what a connection may hold.

    a connection that has not sent a whole request head (line and headers) within
    HEAD_SECONDS of opening, or of its previous answer, is closed: idle and half-sent
    connections do not pile up;
    request heads are at most HEAD_BYTES (16 KiB, h11's own limit; httptools has none, so it
    is counted here: past it, 431 and the connection closed); bodies and time per request are
    bounded by guard.Guard (1 MiB JSON, 16 MiB checkpoint headers, REQUEST_SECONDS);
    at most MAX_CONNECTIONS connections at once; past that, 503 at once (Retry-After: 1);
    at most PER_ADDRESS of them from one client address; past that, 503 at once (Retry-After:
    1) and the new connection closed: one client's half-open sockets (slowloris) cannot lock
    the others out.
"""

from __future__ import annotations

from typing import Any

HEAD_SECONDS = 10.0
HEAD_BYTES = 16 * 1024
KEEP_ALIVE_SECONDS = 5  # an idle keep-alive connection after an answer (uvicorn's default)
MAX_CONNECTIONS = 200
PER_ADDRESS = 32  # a browser opens 6 to a host; a proxy or NAT in front of many, more
LOOPBACK = ("127.0.0.1", "localhost", "::1")


_BODY = (b'{"detail": "more than %d connections at once from this address; close some and '
         b'try again"}' % PER_ADDRESS)
_TOO_MANY = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
             b"connection: close\r\nretry-after: 1\r\ncontent-length: %d\r\n\r\n%s"
             % (len(_BODY), _BODY))


_LONG_HEAD = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
              b"connection: close\r\ncontent-length: 55\r\n\r\n"
              b'{"detail": "a request head of more than 16,384 bytes"}\n')
assert len(_LONG_HEAD.split(b"\r\n\r\n")[1]) == 55


_FULL = (b'{"detail": "the server has %d connections and requests under way, its limit; try '
         b'again in a moment"}' % MAX_CONNECTIONS)


async def _unavailable(scope: Any, receive: Any, send: Any) -> None:
    """uvicorn's answer past limit_concurrency, with the Retry-After it lacks."""
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"), (b"retry-after", b"1"),
                            (b"content-length", str(len(_FULL)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": _FULL, "more_body": False})


def protocol() -> type:
    """uvicorn's HTTP protocol with a deadline for each request head: httptools' (llhttp, in C)
    where the web extra installed it, else h11's (pure Python, a third of the speed)."""
    try:
        from uvicorn.protocols.http import httptools_impl as impl
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    except ImportError:
        from uvicorn.protocols.http import h11_impl as impl  # type: ignore[no-redef]
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base  # type: ignore[assignment]

    # the module's name for the app answering past MAX_CONNECTIONS (uvicorn's own has no
    # Retry-After); only nnsize serve's process uses uvicorn
    impl.service_unavailable = _unavailable  # type: ignore[attr-defined]

    class HeadDeadline(Base):
        _deadline: Any = None
        _head = 0  # bytes received since the last request head began
        _address: str | None = None  # counted in open_from
        open_from: dict[str, int] = {}  # open connections by client address

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            peer = transport.get_extra_info("peername")
            address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
            if self.open_from.get(address, 0) >= PER_ADDRESS:
                transport.write(_TOO_MANY)
                transport.close()
                return
            self._address = address
            self.open_from[address] = self.open_from.get(address, 0) + 1
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(HEAD_SECONDS, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            if (self.cycle is None or self.cycle.response_complete) and \
                    not self.transport.is_closing():
                self.transport.close()  # no request under way: nothing to answer

        def data_received(self, data: bytes) -> None:
            cycle = self.cycle
            if cycle is None or cycle.response_complete:  # between requests: a head arrives
                end = data.find(b"\r\n\r\n")  # where this head ends, if in this chunk
                if self._head + (len(data) if end < 0 else end + 4) > HEAD_BYTES:
                    if not self.transport.is_closing():
                        self.transport.write(_LONG_HEAD)
                        self.transport.close()
                    return
                self._head += len(data)
            super().data_received(data)
            if self.cycle is not cycle:  # a whole request head arrived: a new cycle began
                self._head = 0
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._address is not None:
                left = self.open_from[self._address] - 1
                if left:
                    self.open_from[self._address] = left
                else:
                    del self.open_from[self._address]
                self._address = None
            super().connection_lost(exc)

    return HeadDeadline


def serve(app: Any, host: str, port: int) -> None:
    """Serve app (create_app()'s, which guard.Guard wraps already) until interrupted."""
    import gc

    import uvicorn

    from ..architectures import fallback
    from ..child import start_forkserver, warm_up
    from .pool import PRELOAD

    # pool.py's children, ready before the first request; /api/hub builds with transformers
    # what nnsize has no builder for (in a child forked from a warm parent that imported
    # torch and transformers): imported once, not per request
    hub = any(getattr(route, "path", "") == "/api/hub" for route in app.routes)
    start_forkserver(PRELOAD)
    if hub and fallback.available():
        warm_up(fallback.WARM)
    from ..memory.traced import available

    if available():  # a training plan traced on fake tensors (pool.traced): its warm parent
        from .pool import TRACED_WARM

        warm_up(TRACED_WARM)
    if hub:  # imported now, not by the first Hub request while others wait to be answered
        import importlib

        for module in ("nnsize.hub", "nnsize.render.hub", "nnsize.shorthand", "nnsize.render.json",
                       "nnsize.render.report"):
            importlib.import_module(module)
    # what was imported lives as long as the server: out of the cyclic collector's sight, so
    # that a full collection (100 ms and more over this heap on a busy machine) never walks it
    # while a visitor waits for an answer
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="warning", http=protocol(),
                timeout_keep_alive=KEEP_ALIVE_SECONDS, limit_concurrency=MAX_CONNECTIONS,
                timeout_graceful_shutdown=5, loop=_loop())


def _loop() -> str:
    """uvloop (libuv) where the web extra installed it, else asyncio's own loop."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"
