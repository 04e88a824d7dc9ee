"""Every HTTP request nnsize makes of a Hub, with what a hostile Hub cannot change:

    the token     sent only to the endpoint's origin (scheme, host and port); a redirect to
                  another origin is followed without it, as huggingface_hub does for its own
                  downloads; at most MAX_REDIRECTS redirects a request
    the time      a request is answered within its timeout (--hub-timeout, NNSIZE_HUB_TIMEOUT,
                  else REQUEST_S), and everything a command asks within its deadline
                  (--hub-deadline, NNSIZE_HUB_DEADLINE, else DEADLINE_S): its headers and body
                  too, however slowly they drip
    failures      429 and 5xx are asked again, at most RETRIES times, after 0.5, 1, 2 s (or the
                  Retry-After asked for, if the deadline allows it); then the answer stands
    sizes         a body is read up to a limit, refused before a byte is read when its
                  Content-Length says more; a compressed one (asked for without) is inflated
                  up to the limit, never further

The requests run on one event loop in a thread of their own, so a deadline cuts a request off
wherever it is (a thread blocked on a socket could not be).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import threading
import time
import zlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..errors import NnsizeError
from .deadlines import DEADLINE_S, LONGEST_S, OPTIONS, REQUEST_S

RETRIES = 3
BACKOFF_S = 0.5  # doubled after each try
MAX_RETRY_AFTER_S = 10.0
MAX_REDIRECTS = 5
RETRIED = frozenset({429, 500, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
ERROR_BODY = 64 * 1024  # what is read of an error's body (huggingface_hub's message is in it)


class HubError(NnsizeError):
    """A Hub name that cannot be read: no such repo, gated, offline with nothing cached...

    status: the HTTP status the web API answers it with (404 no such repo, revision or file;
    401 gated without a token, 403 with one not granted; 429 the Hub asks us to slow down;
    502 the Hub unreachable or failing, with nothing cached; 503 offline with nothing cached;
    504 no answer in time; 400 anything else about the repo).  retry_after: the seconds the
    Hub asked to wait (its Retry-After), which the web API passes on in its own."""

    def __init__(self, message: str, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.retry_after = status, retry_after

    def __reduce__(self) -> tuple[Any, ...]:  # the status travels with it from a child process
        return type(self), (str(self), self.status, self.retry_after)


def retry_after(headers: dict[str, str]) -> int | None:
    """The whole seconds an answer's Retry-After asks for (at most a day), or None."""
    text = headers.get("retry-after", "").strip()
    return min(int(text), 86400) if text.isdigit() and len(text) < 10 else None


class Unreachable(HubError):
    """No answer at all: the connection failed, or the time ran out (the cache may answer)."""


@dataclass(frozen=True)
class Answer:
    """A final answer (redirects followed): its status, headers, the body read (up to the
    limit asked for) and the URL that gave it."""

    status: int
    headers: dict[str, str]
    body: bytes
    url: str
    reason: str = ""
    tries: int = 1  # the times it was asked (429 and 5xx are asked again)


def seconds(variable: str, default: float) -> float:
    """A positive number of seconds from the command line's option, or the environment, else
    default."""
    if variable in OPTIONS:
        return OPTIONS[variable]
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= LONGEST_S:
        raise NnsizeError(f"{variable}={text!r}: give a number of seconds, more than 0")
    return value


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


class Session:
    """The requests of one command: its endpoint, its token (or none), its deadline.

    add(nbytes, requests) is told every body's bytes and every request (records.Transfer)."""

    def __init__(self, endpoint: str, headers: dict[str, str], where: str,
                 add: Callable[[int, int], None], deadline_s: float | None = None) -> None:
        self.endpoint, self.where, self.add = endpoint, where, add
        self.request_s = seconds("NNSIZE_HUB_TIMEOUT", REQUEST_S)
        self.deadline_s = seconds("NNSIZE_HUB_DEADLINE", DEADLINE_S)
        if deadline_s is not None:  # a caller's own limit (the web server's, shorter)
            self.deadline_s = min(self.deadline_s, deadline_s)
        self.deadline = time.monotonic() + self.deadline_s
        self.headers = headers  # with Authorization where there is a token
        self.public = {k: v for k, v in headers.items() if k.lower() != "authorization"}

    def _left(self, what: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._late(what)
        return left

    def _late(self, what: str) -> Unreachable:
        return Unreachable(f"{self.where}: {self.endpoint} has not answered {what} within "
                           f"{self.deadline_s:g} s, the deadline for reading a Hub model "
                           f"(--hub-deadline, NNSIZE_HUB_DEADLINE)", 504)

    def get(self, url: str, what: str, limit: int, headers: dict[str, str] | None = None,
            cut: bool = False) -> Answer:
        """GET url, redirects followed and 429 / 5xx asked again; the body read up to limit
        bytes (cut: a longer one is cut there; else it is refused)."""
        for attempt in range(RETRIES + 1):
            answer = self._follow(url, what, limit, headers or {}, cut)
            answer = replace(answer, tries=attempt + 1)
            if answer.status not in RETRIED or attempt == RETRIES:
                return answer
            wait = BACKOFF_S * 2 ** attempt
            after = answer.headers.get("retry-after", "")
            if after.isdigit():
                wait = max(wait, min(float(after), MAX_RETRY_AFTER_S))
            if wait >= self.deadline - time.monotonic():
                return answer  # no time to ask again: the answer stands
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _follow(self, url: str, what: str, limit: int, extra: dict[str, str],
                cut: bool) -> Answer:
        home = origin(self.endpoint)
        for _ in range(MAX_REDIRECTS + 1):
            if urlsplit(url).scheme not in ("http", "https"):
                raise HubError(f"{self.where}: {self.endpoint} sent {what} to {url[:100]!r}, "
                               f"not an http(s) URL", 502)
            # the token stays with its origin: never to a host the Hub redirects to
            headers = {**(self.headers if origin(url) == home else self.public), **extra,
                       "Accept-Encoding": "identity"}
            left = self._left(what)
            timeout = min(self.request_s, left)
            try:
                answer = _run(_get(url, headers, limit, cut, timeout, self.add), timeout)
            except _timeouts() as e:
                if left <= self.request_s:  # the command's deadline is what ran out
                    raise self._late(what) from e
                raise Unreachable(f"{self.where}: {self.endpoint} has not answered {what} "
                                  f"within {self.request_s:g} s (--hub-timeout, "
                                  f"NNSIZE_HUB_TIMEOUT)", 504) from e
            except _TooLarge as e:
                raise HubError(f"{self.where}: {self.endpoint} sent more than {limit:,} bytes "
                               f"for {what}{e}", 502) from e
            except _BadEncoding as e:
                raise HubError(f"{self.where}: {self.endpoint} sent {what} {e}", 502) from e
            except _transport_errors() as e:
                how = f"cannot reach {self.endpoint}" if _unanswered(e) else \
                    f"{self.endpoint} broke off its answer to {what}"
                raise Unreachable(f"{self.where}: {how} ({type(e).__name__}: "
                                  f"{' '.join(str(e).split())[:120] or 'no answer'})", 502) from e
            location = answer.headers.get("location")
            if answer.status not in REDIRECTS or not location:
                return answer
            url = urljoin(url, location)
        raise HubError(f"{self.where}: {self.endpoint} redirected {what} more than "
                       f"{MAX_REDIRECTS} times", 502)


# --- the event loop the requests run on -------------------------------------------------------

class _TooLarge(Exception):
    pass


class _BadEncoding(Exception):
    pass


_loop: asyncio.AbstractEventLoop | None = None
_client: Any = None
_lock = threading.Lock()


def http() -> Any:
    """The HTTP library huggingface_hub uses (httpx in 1.x, httpx2 in 2.x): its errors and
    answers are what huggingface_hub reads, and it is installed with it."""
    from huggingface_hub import errors

    error: type[Exception] = getattr(errors, "HTTPError")  # noqa: B009  (re-exported there)
    return importlib.import_module(error.__module__.partition(".")[0])


def _transport_errors() -> tuple[type[Exception], ...]:
    httpx = http()

    return (httpx.HTTPError, httpx.InvalidURL, OSError)


def _unanswered(e: Exception) -> bool:
    """Whether the connection failed before an answer began (else it broke off midway)."""
    httpx = http()

    return isinstance(e, (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.ProxyError,
                          httpx.InvalidURL)) or not isinstance(e, httpx.HTTPError)


def _timeouts() -> tuple[type[Exception], ...]:
    httpx = http()

    return (TimeoutError, httpx.TimeoutException)


def _run(coroutine: Coroutine[Any, Any, Answer], timeout: float) -> Answer:
    """The coroutine's result, run on the requests' loop, cut off after timeout seconds."""
    global _loop, _client
    httpx = http()

    with _lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="nnsize-hub", daemon=True).start()
            # redirects followed above, where the token is decided; proxies from the environment
            _client = httpx.AsyncClient(follow_redirects=False, trust_env=True)
    task = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coroutine, timeout), _loop)
    try:
        return task.result()
    except BaseException:
        task.cancel()
        raise


async def _get(url: str, headers: dict[str, str], limit: int, cut: bool, timeout: float,
               add: Callable[[int, int], None]) -> Answer:
    httpx = http()

    seen = 0
    try:
        async with _client.stream("GET", url, headers=headers,
                                  timeout=httpx.Timeout(timeout)) as response:
            status = response.status_code
            if status >= 400:
                limit, cut = ERROR_BODY, True
            elif status in REDIRECTS:
                limit, cut = 0, True
            length = response.headers.get("content-length", "")
            if not cut and length.isdigit() and int(length) > limit:
                raise _TooLarge(f" (its Content-Length says {int(length):,})")
            inflate = _inflater(response.headers.get("content-encoding", ""))
            body = bytearray()
            async for raw in response.aiter_raw():
                seen += len(raw)
                body += inflate(raw, limit + 1 - len(body))
                if len(body) > limit:
                    if not cut:
                        raise _TooLarge("")
                    del body[limit:]
                    break
            return Answer(status, {k.lower(): v for k, v in response.headers.items()},
                          bytes(body), str(response.url), response.reason_phrase)
    finally:
        add(seen, 1)


def _inflater(encoding: str) -> Callable[[bytes, int], bytes]:
    """What turns the body's raw bytes into at most n bytes of its content."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return lambda raw, n: raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise _BadEncoding(f"in a Content-Encoding nnsize did not ask for ({encoding[:40]!r})")
    z = zlib.decompressobj(47 if encoding != "deflate" else 15)  # 47: gzip or zlib header

    def inflate(raw: bytes, n: int) -> bytes:
        try:
            return z.decompress(raw, max(n, 1))  # never more than the limit left, plus one
        except zlib.error as e:
            raise _BadEncoding(f"compressed wrongly ({e})") from e

    return inflate
