"""Serving the app with uvicorn, with limits on what a connection may hold.

    a connection that has not sent a whole request head (line and headers) within
    HEAD_SECONDS of opening, or of its previous answer, is closed: idle and half-sent
    connections do not pile up;
    request heads are at most 16 KiB (h11's limit), bodies and time per request are bounded by
    guard.Guard (1 MiB JSON, 16 MiB checkpoint headers, REQUEST_SECONDS);
    at most MAX_CONNECTIONS connections at once; past that, 503 at once.
"""

from __future__ import annotations

from typing import Any

HEAD_SECONDS = 10.0
KEEP_ALIVE_SECONDS = 5  # an idle keep-alive connection after an answer (uvicorn's default)
MAX_CONNECTIONS = 200
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def protocol() -> type:
    """uvicorn's h11 protocol with a deadline for each request head."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeadDeadline(H11Protocol):
        _deadline: Any = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
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
            super().data_received(data)
            if self.cycle is not cycle:  # a whole request head arrived: a new cycle began
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeadDeadline


def serve(app: Any, host: str, port: int) -> None:
    """Serve app (create_app()'s, which guard.Guard wraps already) until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", http=protocol(),
                timeout_keep_alive=KEEP_ALIVE_SECONDS, limit_concurrency=MAX_CONNECTIONS,
                timeout_graceful_shutdown=5)
