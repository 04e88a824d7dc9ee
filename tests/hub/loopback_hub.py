"""A Hugging Face Hub on 127.0.0.1, for tests and benchmarks: a real HTTP server (http.server in
a thread) that answers what huggingface_hub asks, as huggingface.co does:

    GET  /api/models/{repo}/revision/{rev}   {"id", "sha", "siblings": [{"rfilename"}]}
    GET  /api/models/{repo}/tree/{rev}       [{"type", "path", "size", "oid"}] (downloads)
    HEAD /{repo}/resolve/{rev}/{file}        X-Repo-Commit, ETag, Content-Length; for large
    GET  /{repo}/resolve/{rev}/{file}        (LFS) files a 302 to /lfs/... with X-Linked-Etag
    GET  /lfs/{sha256}                       and X-Linked-Size; Range: bytes=a-b -> 206
    401 (X-Error-Code: GatedRepo / RepoNotFound), 404 (RevisionNotFound, EntryNotFound)

It logs every request and every byte of every body it sends, and the headers of every request
(seen), so tests can say what was read and what was sent to it.  Hostile behaviours
(hostile_hub.py) are functions in .hostile, asked first: one that answers returns True.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".gguf", ".bin")


@dataclass
class Repo:
    files: dict[str, bytes]
    commit: str
    gated: bool = False
    branches: dict[str, str] = field(default_factory=dict)
    lfs_url: str = ""  # where large files are redirected to ("": this server)


# a hostile behaviour: (request, its path, whether to send a body) -> answered
Behaviour = Callable[[BaseHTTPRequestHandler, str, bool], bool]


class Hub:
    """Repos served over HTTP on loopback; .url for HF_ENDPOINT."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.blobs: dict[str, tuple[bytes, str]] = {}  # sha256 -> (file, commit)
        self.shas: dict[tuple[str, str], str] = {}  # (repo, file) -> sha256
        self.token = "hf_test_token"
        self.ignore_range = False  # answer ranges with the whole file, as some servers do
        self.log: list[tuple[str, str, int]] = []  # (method, path, body bytes)
        self.seen: list[tuple[str, dict[str, str]]] = []  # (path, headers, names lowercase)
        self.hostile: list[Behaviour] = []
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                hub._answer(self, body=True)

            def do_HEAD(self) -> None:
                hub._answer(self, body=False)

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # clients connect in parallel (5 would drop some SYNs)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, repo: str, folder_or_files: str | dict[str, bytes], gated: bool = False,
            branches: tuple[str, ...] = ("main",), lfs_url: str = "") -> str:
        """Serve a folder (what save_pretrained wrote) as repo; returns its commit."""
        if isinstance(folder_or_files, str):
            files = {}
            for root, _, names in os.walk(folder_or_files):
                for n in names:
                    path = os.path.join(root, n)
                    with open(path, "rb") as f:
                        files[os.path.relpath(path, folder_or_files)] = f.read()
        else:
            files = dict(folder_or_files)
        digest = hashlib.sha1(repr(sorted((k, hashlib.sha1(v).hexdigest())
                                          for k, v in files.items())).encode()).hexdigest()
        self.repos[repo] = Repo(files, digest, gated, dict.fromkeys(branches, digest), lfs_url)
        for name, data in files.items():
            sha = hashlib.sha256(data).hexdigest()
            self.blobs[sha] = (data, digest)
            self.shas[(repo, name)] = sha
        return digest

    @property
    def bytes_sent(self) -> int:
        return sum(b for _, _, b in self.log)

    # --- answering ---------------------------------------------------------------------------

    def _send(self, h: BaseHTTPRequestHandler, status: int, headers: dict[str, str],
              payload: bytes, body: bool) -> None:
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        sent = 0
        try:
            for i in range(0, len(payload) if body else 0, 65536):  # the client may hang up
                h.wfile.write(payload[i:i + 65536])
                sent += len(payload[i:i + 65536])
        except (BrokenPipeError, ConnectionResetError):
            pass
        with self.lock:
            self.log.append((h.command, h.path, sent))

    def _error(self, h: BaseHTTPRequestHandler, status: int, code: str, body: bool) -> None:
        self._send(h, status, {"X-Error-Code": code, "Content-Type": "application/json"},
                   json.dumps({"error": code}).encode(), body)

    def _repo(self, h: BaseHTTPRequestHandler, name: str, rev: str, body: bool) -> Repo | None:
        repo = self.repos.get(name)
        authorized = h.headers.get("Authorization") == f"Bearer {self.token}"
        if repo is None:
            self._error(h, 401 if not authorized else 404, "RepoNotFound", body)
            return None
        if repo.gated and not authorized:
            self._error(h, 401, "GatedRepo", body)
            return None
        if rev not in repo.branches and rev != repo.commit:
            self._error(h, 404, "RevisionNotFound", body)
            return None
        return repo

    def _answer(self, h: BaseHTTPRequestHandler, body: bool) -> None:
        path = urlsplit(h.path).path
        with self.lock:
            self.seen.append((path, {k.lower(): v for k, v in h.headers.items()}))
        if any(behave(h, unquote(path), body) for behave in self.hostile):
            return
        m = re.fullmatch(r"/api/models/([^/]+/[^/]+)/revision/([^/]+)", path)
        if m:
            name, rev = unquote(m[1]), unquote(m[2])
            repo = self._repo(h, name, rev, body)
            if repo is not None:
                info = {"id": name, "sha": repo.commit, "gated": repo.gated, "private": False,
                        "siblings": [{"rfilename": f} for f in sorted(repo.files)]}
                self._send(h, 200, {"Content-Type": "application/json"},
                           json.dumps(info).encode(), body)
            return
        m = re.fullmatch(r"/api/models/([^/]+/[^/]+)/tree/([^/]+)", path)
        if m:  # the file listing snapshot_download asks for
            repo = self._repo(h, unquote(m[1]), unquote(m[2]), body)
            if repo is not None:
                tree = [{"type": "file", "path": f, "size": len(data),
                         "oid": hashlib.sha1(data).hexdigest()}
                        for f, data in sorted(repo.files.items())]
                self._send(h, 200, {"Content-Type": "application/json"},
                           json.dumps(tree).encode(), body)
            return
        m = re.fullmatch(r"/lfs/([0-9a-f]{64})", path)
        if m:
            if m[1] in self.blobs:
                return self._file(h, *self.blobs[m[1]], body)
            return self._error(h, 404, "EntryNotFound", body)
        m = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if not m:
            return self._error(h, 404, "RepoNotFound", body)
        name, rev, filename = unquote(m[1]), unquote(m[2]), unquote(m[3])
        repo = self._repo(h, name, rev, body)
        if repo is None:
            return
        if filename not in repo.files:
            return self._error(h, 404, "EntryNotFound", body)
        data = repo.files[filename]
        if filename.endswith(LFS_SUFFIXES):  # large files: redirected, as the Hub does
            sha = self.shas[(name, filename)]
            return self._send(h, 302, {"Location": f"{repo.lfs_url}/lfs/{sha}",
                                       "X-Repo-Commit": repo.commit,
                                       "X-Linked-Etag": f'"{sha}"',
                                       "X-Linked-Size": str(len(data))}, b"", body)
        self._file(h, data, repo.commit, body)

    def _file(self, h: BaseHTTPRequestHandler, data: bytes, commit: str, body: bool) -> None:
        headers = {"X-Repo-Commit": commit, "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
                   "Accept-Ranges": "bytes"}
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", h.headers.get("Range", ""))
        if m is None or self.ignore_range:
            return self._send(h, 200, headers, data, body)
        start = int(m[1])
        end = min(int(m[2]) if m[2] else len(data) - 1, len(data) - 1)
        if start >= len(data):
            return self._send(h, 416, {"Content-Range": f"bytes */{len(data)}"}, b"", body)
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        self._send(h, 206, headers, data[start:end + 1], body)
