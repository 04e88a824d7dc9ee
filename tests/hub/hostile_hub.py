"""A lying Hub: what a hostile HF_ENDPOINT answers, case by case, for test_session.py.

Each Case is a repo, evil/NAME, served by the loopback Hub with a behaviour that answers some of
its requests as no honest Hub would (a '..' commit, a drip, a lying Content-Range, a listing of
a million files, a gzip bomb...), and the one line nnsize must answer with: the same on the
command line (exit 2) and in the web API (with the status named).
"""

from __future__ import annotations

import json
import struct
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from loopback_hub import Behaviour, Hub

DRIP_S = 0.2  # a byte every DRIP_S seconds
DRIP_BYTES = 300  # ... for at most a minute, so the server's thread ends too

CONFIG = {"model_type": "llama", "hidden_size": 16, "intermediate_size": 24,
          "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2,
          "vocab_size": 64}


def safetensors(tensors: int = 1, prefix: str = "t") -> bytes:
    """A safetensors file of one-float tensors (its data too: 4 bytes each)."""
    header = {f"{prefix}{i}": {"dtype": "F32", "shape": [1], "data_offsets": [4 * i, 4 * i + 4]}
              for i in range(tensors)}
    raw = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(raw)) + raw + bytes(4 * tensors)


def send(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str],
         body: Iterable[bytes] = (), pause_s: float = 0.0) -> bool:
    """An answer as it is given, its Content-Length whatever headers say (or none: the body
    ends when the connection closes); each piece of body after pause_s."""
    try:
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        if h.command != "HEAD":
            for piece in body:
                time.sleep(pause_s)
                h.wfile.write(piece)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up: what it should do
    h.close_connection = True
    return True


def drip(data: bytes) -> Iterable[bytes]:
    return (data[i:i + 1] for i in range(min(len(data), DRIP_BYTES)))


def _on(repo: str, kind: str, answer: Callable[[BaseHTTPRequestHandler, str], bool],
        file: str = "") -> Behaviour:
    """answer(request, path) for requests of repo: kind 'revision' (its description), 'resolve'
    (its file, or any file), 'any'."""
    def behave(h: BaseHTTPRequestHandler, path: str, body: bool) -> bool:
        if kind == "revision" and path.startswith(f"/api/models/{repo}/revision/") or \
                kind == "resolve" and path.startswith(f"/{repo}/resolve/") and \
                path.endswith("/" + file) or \
                kind == "any" and repo in path:
            return answer(h, path)
        return False

    return behave


def _description(repo: str, sha: str, files: Iterable[str]) -> bytes:
    return json.dumps({"id": repo, "sha": sha,
                       "siblings": [{"rfilename": f} for f in files]}).encode()


def _json_headers(length: int | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if length is not None:
        headers["Content-Length"] = str(length)
    return headers


# --- the behaviours -------------------------------------------------------------------------

def commit(sha: str) -> Callable[[str], Behaviour]:
    def make(repo: str) -> Behaviour:
        body = _description(repo, sha, ["config.json"])
        return _on(repo, "revision", lambda h, p: send(h, 200, _json_headers(len(body)), [body]))
    return make


def listing(body: bytes | Callable[[str], bytes], length: int | None = -1,
            headers: dict[str, str] | None = None, pause_s: float = 0.0,
            slow: bool = False) -> Callable[[str], Behaviour]:
    """The repo's description as body (length: its Content-Length, -1 the true one, None
    none), dripped when slow."""
    def make(repo: str) -> Behaviour:
        data = body(repo) if callable(body) else body
        size = len(data) if length == -1 else length
        pieces = drip(data) if slow else [data[i:i + 65536] for i in range(0, len(data), 65536)]
        return _on(repo, "revision", lambda h, p: send(
            h, 200, {**_json_headers(size), **(headers or {})}, pieces,
            DRIP_S if slow else pause_s))
    return make


def file(name: str, body: bytes, headers: dict[str, str] | None = None,
         slow: bool = False) -> Callable[[str], Behaviour]:
    """The file name of the repo, answered with body and headers (dripped when slow)."""
    def make(repo: str) -> Behaviour:
        pieces = drip(body) if slow else [body]
        return _on(repo, "resolve", lambda h, p: send(
            h, 200, {"Content-Length": str(len(body)), **(headers or {})}, pieces,
            DRIP_S if slow else 0.0), name)
    return make


def ranges(name: str, answer: Callable[[int, int, bytes], tuple[int, dict[str, str], bytes]]
           ) -> Callable[[str], Behaviour]:
    """Range requests of the file name answered with answer(start, end, the true file)."""
    def make(repo: str) -> Behaviour:
        def one(h: BaseHTTPRequestHandler, path: str) -> bool:
            start, end = (int(x) for x in h.headers["Range"].split("=")[1].split("-"))
            status, headers, body = answer(start, end, TRUE_SHARD)
            return send(h, status, headers, [body])
        return _on(repo, "resolve", one, name)
    return make


def statuses(codes: list[int], headers: dict[str, str] | None = None
             ) -> Callable[[str], Behaviour]:
    """Every request of the repo answered with the codes in turn (the last one for ever)."""
    def make(repo: str) -> Behaviour:
        left = list(codes)

        def one(h: BaseHTTPRequestHandler, path: str) -> bool:
            code = left.pop(0) if len(left) > 1 else left[0]
            if code < 300:
                return False  # the honest answer
            body = json.dumps({"error": "try again"}).encode()
            return send(h, code, {**_json_headers(len(body)), **(headers or {})}, [body])
        return _on(repo, "any", one)
    return make


def redirect(location: Callable[[str], str]) -> Callable[[str], Behaviour]:
    def make(repo: str) -> Behaviour:
        return _on(repo, "resolve", lambda h, p: send(
            h, 302, {"Location": location(p), "Content-Length": "0"}), "model.safetensors")
    return make


def slow_head(repo: str) -> Behaviour:
    """The answer's head, a byte at a time: no read ever waits long, the whole never ends."""
    def one(h: BaseHTTPRequestHandler, path: str) -> bool:
        head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * DRIP_BYTES
        try:
            for piece in drip(head):
                time.sleep(DRIP_S)
                h.wfile.write(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        h.close_connection = True
        return True
    return _on(repo, "revision", one)


def gzip_bomb(inflated: int) -> bytes:
    """JSON whitespace, gzip-compressed about 1,000 to 1."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * (1 << 20)
    parts = [z.compress(chunk) for _ in range(inflated >> 20)]
    return b"".join(parts) + z.compress(b"{}") + z.flush()


TRUE_SHARD = safetensors(4)
HEADER = struct.unpack("<Q", TRUE_SHARD[:8])[0]


@dataclass(frozen=True)
class Case:
    name: str  # the repo is evil/NAME
    behave: Callable[[str], Behaviour] | None
    message: str  # a regular expression for the one line ("": counted, no error)
    status: int  # what POST /api/hub answers
    files: dict[str, bytes] = field(default_factory=lambda: {
        "config.json": json.dumps(CONFIG).encode()})
    model: str = ""  # the name asked for, when not evil/NAME
    retry_after: str | None = None  # the Retry-After POST /api/hub answers with (None: none)

    @property
    def repo(self) -> str:
        return f"evil/{self.name}"

    def serve(self, hub: Hub) -> str:
        """Serve the case; the name to ask for."""
        hub.add(self.repo, self.files)
        if self.behave is not None:
            hub.hostile.append(self.behave(self.repo))
        return self.model or self.repo


SHARD = {"model.safetensors": TRUE_SHARD}
BIG_INDEX_SHARDS = 5000  # more than repo.MAX_SHARDS


def _many_shards() -> dict[str, bytes]:
    names = [f"model-{i:05d}.safetensors" for i in range(BIG_INDEX_SHARDS)]
    index = {"weight_map": {f"t{i}": n for i, n in enumerate(names)}}
    return {"model.safetensors.index.json": json.dumps(index).encode(),
            **dict.fromkeys(names, TRUE_SHARD)}


def summed_shards(shards: int, tensors: int = 1, prefix_bytes: int = 1) -> dict[str, bytes]:
    """An index and its shards, each legal alone, of tensors tensors named with prefix_bytes
    letters and a number (the index names the first of each)."""
    names = [f"model-{i:05d}.safetensors" for i in range(shards)]
    prefixes = [f"{i}{'s' * prefix_bytes}." for i in range(shards)]
    files = {n: safetensors(tensors, p) for n, p in zip(names, prefixes)}
    index = {"weight_map": {p + "0": n for n, p in zip(names, prefixes)}}
    return {"model.safetensors.index.json": json.dumps(index).encode(), **files}


def cases() -> list[Case]:
    listing_of = lambda n: lambda repo: _description(  # noqa: E731
        repo, "0" * 40, (f"f{i}" for i in range(n)))
    return [
        # what a commit names becomes a path: 40 hex digits or refused
        Case("sha-dotdot", commit("../../../../../../../tmp/nnsize-escape"),
             r"names the commit '\.\./\.\./.*', not 40 hexadecimal digits", 502),
        Case("sha-absolute", commit("/tmp/nnsize-escape"), "not 40 hexadecimal digits", 502),
        Case("file-dotdot", listing(lambda repo: _description(repo, "a" * 40,
                                                              ["../../x.safetensors"])),
             r"lists a file '\.\./\.\./x\.safetensors', not a path inside a repo", 502),
        # revisions: checked before a request
        Case("rev-long", None, "the revision after '@' must be a branch, a tag or a commit",
             400, model="evil/rev-long@" + "a" * 255),
        Case("rev-dotdot", None, "the revision after '@' must be", 400,
             model="evil/rev-dotdot@../../../etc"),
        Case("rev-slashes", None, "the revision after '@' must be", 400,
             model="evil/rev-slashes@a//b/"),
        # time: a deadline for the command, whatever drips
        Case("drip-listing", listing(lambda repo: _description(repo, "a" * 40, ["x"]) * 20,
                                     slow=True),
             r"has not answered the repo's description within 4 s, the deadline .*"
             r"\(--hub-deadline, NNSIZE_HUB_DEADLINE\)", 504),
        Case("drip-head", slow_head, r"within 4 s, the deadline", 504),
        Case("drip-config", file("config.json", json.dumps(CONFIG).encode() * 50, slow=True),
             r"has not answered config.json within 4 s", 504),
        Case("drip-range", file("model.safetensors", TRUE_SHARD, slow=True),
             r"has not answered bytes \d+-\d+ of model.safetensors within 4 s", 504,
             files=SHARD),
        # statuses: retried a few times, then one line naming them
        Case("status-503", statuses([503]),
             r"answered HTTP 503 \(Service Unavailable\) to [34] tries for the repo's "
             r"description; try again later", 502),
        Case("status-429", statuses([429], {"Retry-After": "1"}),
             r"answered HTTP 429 \(Too Many Requests\) to [34] tries for the repo's "
             r"description: it asks for fewer requests; try again in 1 s", 429,
             retry_after="1"),
        # a 429 that names no time: the server's visitor is asked to wait a minute
        Case("status-bare-429", statuses([429]), r"answered HTTP 429 \(Too Many Requests\) to "
             r"[34] tries for the repo's description: it asks for fewer requests; try again "
             r"later", 429, retry_after="60"),
        # a 503 that names its time: passed on with the 502
        Case("status-after-503", statuses([503], {"Retry-After": "2"}),
             r"answered HTTP 503 \(Service Unavailable\) to [23] tries for the repo's "
             r"description; try again in 2 s", 502, retry_after="2"),
        Case("status-500-once", statuses([500, 200]), "", 200),
        Case("status-418", statuses([418]), r"answered HTTP 418 for the repo", 502),
        # redirects
        Case("redirect-loop", redirect(lambda path: path), "redirected bytes 0-7 of "
             "model.safetensors more than 5 times", 502, files=SHARD),
        Case("redirect-file", redirect(lambda path: "file:///etc/passwd"),
             r"sent bytes 0-7 of model.safetensors to 'file:///etc/passwd', not an http\(s\) "
             r"URL", 502, files=SHARD),
        # ranges that are not the one asked for
        Case("range-elsewhere", ranges("model.safetensors", lambda a, b, data: (
            206, {"Content-Range": f"bytes {a + 5}-{b + 5}/{len(data)}",
                  "Content-Length": str(b - a + 1)}, data[a + 5:b + 6])),
             r"answered bytes 0-7 of model.safetensors with 8 bytes and Content-Range "
             r"'bytes 5-12/.*': not the range asked for", 502, files=SHARD),
        Case("range-resized", ranges("model.safetensors", lambda a, b, data: (
            206, {"Content-Range": f"bytes {a}-{b}/{len(data) + 1000 * a}",
                  "Content-Length": str(b - a + 1)}, data[a:b + 1])),
             r"model.safetensors is \d[\d,]* bytes by one answer of .*, [\d,]+ by another",
             502, files=SHARD),
        Case("range-huge", ranges("model.safetensors", lambda a, b, data: (
            206, {"Content-Range": f"bytes {a}-{b}/{10**19}", "Content-Length": str(b - a + 1)},
            data[a:b + 1])), "not the range asked for", 502, files=SHARD),
        Case("range-garbled", ranges("model.safetensors", lambda a, b, data: (
            206, {"Content-Range": "bytes lies", "Content-Length": str(b - a + 1)},
            data[a:b + 1])), "Content-Range 'bytes lies': not the range asked for", 502,
             files=SHARD),
        Case("range-short", ranges("model.safetensors", lambda a, b, data: (
            206, {"Content-Range": f"bytes {a}-{b}/{len(data)}", "Content-Length": "8"},
            data[a:a + 3])), r"broke off its answer to bytes 0-7 of model.safetensors", 502,
             files=SHARD),
        Case("range-short-whole", ranges("model.safetensors", lambda a, b, data: (
            200, {}, data[:5])), "not the range asked for", 502, files=SHARD),
        # sizes: refused before they are read, or as soon as they pass the limit
        Case("listing-63mb", listing(b"{" * 1000, length=63 * 2**20),
             r"sent more than 16,777,216 bytes for the repo's description \(its Content-Length "
             r"says 66,060,288\)", 502),
        Case("listing-endless", listing(b" " * (20 * 2**20), length=None),
             r"sent more than 16,777,216 bytes for the repo's description$", 502),
        Case("listing-files", listing(listing_of(100_001)),
             "lists 100,001 files in the revision, more than the 100,000 nnsize reads", 502),
        Case("listing-gzip-bomb", listing(gzip_bomb(32 * 2**20),
                                          headers={"Content-Encoding": "gzip"}),
             r"sent more than 16,777,216 bytes for the repo's description$", 502),
        Case("listing-brotli", listing(b"{}", headers={"Content-Encoding": "br"}),
             "in a Content-Encoding nnsize did not ask for", 502),
        Case("listing-deflate-garbage", listing(b"not deflate",
                                                headers={"Content-Encoding": "gzip"}),
             "compressed wrongly", 502),
        Case("listing-not-json", listing(b"<html>"), "sent the repo's description that is "
             "not JSON", 502),
        Case("config-gzip-bomb", file("config.json", gzip_bomb(64 * 2**20),
                                      {"Content-Encoding": "gzip"}),
             r"sent more than 33,554,432 bytes for config.json$", 502),
        Case("config-huge", file("config.json", b"{}", {"Content-Length": str(2**40)}),
             r"sent more than 33,554,432 bytes for config.json \(its Content-Length says", 502),
        Case("index-shards", None, "names 5,000 shards; nnsize reads at most 4,096", 400,
             files=_many_shards()),
    ]
