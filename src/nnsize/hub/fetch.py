"""Reading a Hub repo through huggingface_hub: its endpoint, token, cache and offline mode.

What is read, and nothing more:

    GET /api/models/{repo}/revision/{rev}       the commit and the list of files
    config.json, model.safetensors.index.json   small files, through hf_hub_download (its cache)
    each .safetensors shard                     Range: bytes=0-7 (the header's length N), then
                                                Range: bytes=8-(8+N-1) (the JSON header)
    a .gguf file                                its header, in ranges that grow until it is parsed
    a .bin (PyTorch zip)                        its end record and directory from the end, then
                                                data.pkl's range (importers/from_torch_checkpoint)

never tensor data.  Every response body is counted (bytes_transferred).  What was read is kept:
small files in huggingface_hub's cache, headers and the revision's file list in nnsize's (beside
it, in $HF_HOME/nnsize, or $NNSIZE_CACHE), so a second run is answered from the cache, and works
offline (HF_HUB_OFFLINE=1, or no network).
"""

from __future__ import annotations

import io
import json
import os
import threading
from typing import Any
from urllib.parse import quote

from ..errors import NnsizeError
from .name import HubName
from .records import Parts, Snapshot, Spans, Transfer

INSTALL = "pip install 'nnsize[hub]'"
MAX_SMALL_FILE = 64 * 1024 * 1024  # a config or an index; larger is not one
MAX_GGUF_HEADER = 256 * 1024 * 1024  # a tokenizer's vocabulary makes GGUF headers megabytes
TIMEOUT_S = 30.0
WORKERS = 8  # shard headers read at once


class HubError(NnsizeError):
    """A Hub name that cannot be read: no such repo, gated, offline with nothing cached...

    status: the HTTP status the web API answers it with (404 no such repo, revision or file;
    401 gated without a token, 403 with one not granted; 502 the Hub unreachable or failing,
    with nothing cached; 400 anything else about the repo)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _transport_error() -> type[Exception]:
    """What huggingface_hub's HTTP client raises when the network fails (httpx's HTTPError,
    which its own HTTP errors subclass too)."""
    from huggingface_hub import errors

    return getattr(errors, "HTTPError")  # type: ignore[no-any-return]  # noqa: B009


def _truthy(value: str | None) -> bool:
    return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}


class Remote:
    """A repo on the Hub, read through huggingface_hub's session, cache and settings."""

    def __init__(self, name: HubName, anonymous: bool = False) -> None:
        try:
            import huggingface_hub  # noqa: F401
        except ImportError as e:
            raise HubError(f"{name}: reading models from the Hugging Face Hub needs "
                           f"huggingface_hub: {INSTALL}") from e
        from huggingface_hub import constants, get_token

        self.name = name
        # read at call time, not when huggingface_hub was imported, so they can change
        self.endpoint = (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")
        home = os.environ.get("HF_HOME") or constants.HF_HOME
        self.cache_dir = os.environ.get("HF_HUB_CACHE") or os.path.join(home, "hub")
        self.own_cache = os.environ.get("NNSIZE_CACHE") or os.path.join(home, "nnsize")
        self.offline = constants.is_offline_mode() or _truthy(os.environ.get("HF_HUB_OFFLINE"))
        # anonymous: no token, whatever HF_TOKEN says (a server reading names its visitors
        # send must not lend them its operator's access to gated and private repos)
        self.anonymous = anonymous
        # False, not None: None would make huggingface_hub send the stored token anyway
        self.token: str | bool | None = False if anonymous else get_token()
        self.transfer = Transfer()
        self.revision = name.revision or "main"
        self.offline_reason = "HF_HUB_OFFLINE is set" if self.offline else ""

    # --- where things are kept -------------------------------------------------------------

    def _own(self, *parts: str) -> str:
        folder = "models--" + self.name.repo.replace("/", "--")
        return os.path.join(self.own_cache, folder, *parts)

    def _ref_path(self) -> str:
        return self._own("refs", quote(self.revision, safe=""))

    @staticmethod
    def _write(path: str, data: bytes) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # whole or not at all, even with two runs at once

    # --- the requests ----------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        from huggingface_hub import utils

        return dict(utils.build_hf_headers(token=self.token, library_name="nnsize"))  # type: ignore[attr-defined]

    def _fail(self, e: Exception, what: str) -> HubError:
        """One line for what huggingface_hub raised."""
        from huggingface_hub import errors

        repo = self.name.repo
        if isinstance(e, errors.GatedRepoError):
            how = ("this server reads the Hub without a token: count it with the nnsize "
                   "command, HF_TOKEN set, after accepting the model's terms on its page "
                   f"({self.endpoint}/{repo})" if self.anonymous else
                   "the token given has not been granted access: accept the model's terms on "
                   f"its page ({self.endpoint}/{repo})" if self.token else
                   "give a token: set HF_TOKEN=hf_... or run 'hf auth login', after accepting "
                   f"the model's terms on its page ({self.endpoint}/{repo})")
            return HubError(f"{repo} is a gated repo: {how}", 403 if self.token else 401)
        if isinstance(e, errors.RevisionNotFoundError):
            return HubError(f"{repo} has no revision {self.revision!r} (a branch, a tag or a "
                            f"commit)", 404)
        if isinstance(e, errors.RepositoryNotFoundError):
            private = "" if self.token or self.anonymous else " (if it is private, set HF_TOKEN)"
            return HubError(f"{repo}: no such model repo on {self.endpoint}{private}", 404)
        if isinstance(e, (errors.EntryNotFoundError, errors.RemoteEntryNotFoundError)):
            return HubError(f"{repo}: {what} is not in revision {self.revision!r}", 404)
        if isinstance(e, errors.HfHubHTTPError):
            status = e.response.status_code if e.response is not None else "?"
            return HubError(f"{repo}: {self.endpoint} answered HTTP {status} for {what}", 502)
        return HubError(f"{repo}: cannot reach {self.endpoint} ({type(e).__name__}: "
                        f"{str(e)[:120] or 'no answer'}), and {what} is not in the cache", 502)

    def _get_json(self, url: str, what: str) -> Any:
        from huggingface_hub import get_session, hf_raise_for_status

        with get_session().stream("GET", url, headers=self._headers(),
                                  timeout=TIMEOUT_S) as response:
            if response.status_code >= 400:  # the error's body, for huggingface_hub to read
                response.read()
                self.transfer.add(len(response.content))
                hf_raise_for_status(response)
            body = b""
            for chunk in response.iter_bytes():  # bounded: a repo's description is kilobytes
                body += chunk
                if len(body) > MAX_SMALL_FILE:
                    raise HubError(f"{self.name.repo}: {self.endpoint} sent more than "
                                   f"{MAX_SMALL_FILE:,} bytes for {what}")
            self.transfer.add(len(body))
        try:
            return json.loads(body)
        except ValueError as e:
            raise HubError(f"{self.name.repo}: {self.endpoint} sent {what} that is not JSON") \
                from e

    def _range(self, filename: str, commit: str, start: int, length: int,
               url: str = "") -> tuple[bytes, int, str]:
        """length bytes of a file from start (fewer at its end), the file's size, and the URL
        the Hub redirected to (where the next range of the same file is asked for).

        Streamed, so a server that ignores Range costs what is read here, not the whole file."""
        from huggingface_hub import get_session, hf_hub_url, hf_raise_for_status

        url = url or hf_hub_url(self.name.repo, filename, revision=commit,
                                endpoint=self.endpoint)
        headers = {**self._headers(), "Range": f"bytes={start}-{start + length - 1}",
                   "Accept-Encoding": "identity"}
        with get_session().stream("GET", url, headers=headers, timeout=TIMEOUT_S) as response:
            if response.status_code >= 400:
                response.read()
                self.transfer.add(len(response.content))
                hf_raise_for_status(response)
            total = _total_size(response.headers, start)
            skip = start if response.status_code == 200 else 0  # Range ignored: the whole file
            chunks, got, seen = [], 0, 0
            for chunk in response.iter_bytes():
                seen += len(chunk)
                if skip:
                    cut = min(skip, len(chunk))
                    chunk, skip = chunk[cut:], skip - cut
                chunks.append(chunk[:length - got])
                got += len(chunks[-1])
                if got >= length:
                    break
            self.transfer.add(seen)
            final = str(response.url)
        return b"".join(chunks), total, final

    # --- what the rest of nnsize asks for ---------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The commit the revision names and its files: asked of the Hub, else from the cache."""
        from huggingface_hub import errors

        if not self.offline:
            url = (f"{self.endpoint}/api/models/{self.name.repo}/revision/"
                   f"{quote(self.revision, safe='')}")
            try:
                info = self._get_json(url, "the repo's description")
            except errors.HfHubHTTPError as e:
                raise self._fail(e, "the repo") from e
            except _transport_error() as e:  # no network: the cache may still answer
                self.offline, self.offline_reason = True, f"cannot reach {self.endpoint}"
                cached = self._cached_snapshot()
                if cached is None:
                    raise self._fail(e, "the repo") from e
                return cached
            snapshot = _snapshot(info, self.name.repo)
            self._write(self._ref_path(), snapshot.commit.encode())
            self._write(self._own("snapshots", snapshot.commit, "files.json"),
                        json.dumps(list(snapshot.files)).encode())
            return snapshot
        cached = self._cached_snapshot()
        if cached is None:
            raise HubError(f"{self.name}: offline ({self.offline_reason}) and nothing of it is "
                           f"cached; run once with the network to cache it", 503)
        return cached

    def _cached_snapshot(self) -> Snapshot | None:
        try:
            with open(self._ref_path()) as f:
                commit = f.read().strip()
            with open(self._own("snapshots", commit, "files.json")) as f:
                files = json.load(f)
        except (OSError, ValueError):
            return self._downloaded_snapshot()
        self.transfer.cached()
        return Snapshot(commit, tuple(str(x) for x in files))

    def _downloaded_snapshot(self) -> Snapshot | None:
        """The revision as huggingface_hub's cache holds it, when the model was downloaded
        (by transformers, say): its ref, and the files of that snapshot."""
        repo = os.path.join(self.cache_dir, "models--" + self.name.repo.replace("/", "--"))
        try:
            with open(os.path.join(repo, "refs", self.revision)) as f:
                commit = f.read().strip()
        except OSError:
            commit = self.revision  # a commit named as the revision
        folder = os.path.join(repo, "snapshots", commit)
        if not commit or os.path.basename(commit) != commit or not os.path.isdir(folder):
            return None
        files = [os.path.relpath(os.path.join(root, n), folder)
                 for root, _, names in os.walk(folder) for n in names]
        self.transfer.cached()
        return Snapshot(commit, tuple(sorted(files)))

    def _downloaded(self, filename: str, commit: str) -> str | None:
        """The path of a whole file in huggingface_hub's cache, if it was downloaded."""
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(self.name.repo, filename, cache_dir=self.cache_dir,
                                       revision=commit)
        return found if isinstance(found, str) else None

    def small_file(self, filename: str, commit: str) -> bytes:
        """A config or an index, through huggingface_hub's cache (shared with transformers)."""
        from huggingface_hub import errors, hf_hub_download, try_to_load_from_cache

        cached = try_to_load_from_cache(self.name.repo, filename, cache_dir=self.cache_dir,
                                        revision=commit)
        if isinstance(cached, str):
            self.transfer.cached()
            return _read_small(cached, filename)
        if self.offline:
            raise HubError(f"{self.name}: offline ({self.offline_reason}) and its {filename} is "
                           f"not cached", 503)
        try:
            path = hf_hub_download(self.name.repo, filename, revision=commit,
                                   cache_dir=self.cache_dir, token=self.token,
                                   endpoint=self.endpoint, library_name="nnsize",
                                   etag_timeout=TIMEOUT_S)
        except (_transport_error(), errors.LocalEntryNotFoundError, OSError) as e:
            raise self._fail(e, filename) from e
        data = _read_small(str(path), filename)
        self.transfer.add(len(data), requests=2)  # HEAD, then GET
        return data

    def head(self, filename: str, commit: str, read: Any, chunk: int = 0) -> tuple[Any, int]:
        """read(stream, size) over the parts of a file it reads (a header; a zip's directory),
        fetched by ranges as read asks for them (at least chunk bytes a request), and kept:
        (what read returned, the bytes of the file it needed)."""
        path = self._own("snapshots", commit, "ranges", quote(filename, safe=""))
        try:
            with open(path, "rb") as f:
                kept = Parts.load(f.read())
            self.transfer.cached()
            return read(PartsStream(kept), kept.size), kept.nbytes
        except (OSError, ValueError):
            pass
        downloaded = self._downloaded(filename, commit)
        if downloaded is not None:  # the whole file is here already: read its header here
            from .folder import Folder

            self.transfer.cached()
            folder = Folder(os.path.dirname(downloaded))
            return folder.head(os.path.basename(downloaded), commit, read, chunk)
        if self.offline:
            raise HubError(f"{self.name}: offline ({self.offline_reason}) and the header of "
                           f"{filename} is not cached", 503)
        try:
            stream = RangeStream(self, filename, commit, chunk)
            result = read(stream, stream.size)
        except _transport_error() as e:
            raise self._fail(e, filename) from e
        kept = stream.kept()
        self._write(path, kept.dump())
        return result, kept.nbytes


class PartsStream(io.RawIOBase):
    """Parts of a file as a read-only stream (what a second run kept); a read outside them
    ends short, as at the end of a file."""

    def __init__(self, parts: Parts) -> None:
        super().__init__()
        self.parts, self.size, self.pos = parts, parts.size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self.pos + n)
        start, part = self.parts.find(self.pos)
        data = part[self.pos - start:end - start]
        self.pos += len(data)
        return data


class RangeStream(PartsStream):
    """A remote file as a read-only stream: bytes fetched by HTTP ranges as they are read
    (parts: what was fetched): the first 8 bytes alone, then what is asked for (a safetensors
    header: exactly it; a zip's end record, directory and data.pkl: exactly each), or with
    chunk, at least chunk bytes, doubling each time (a GGUF header, read in many small pieces;
    the last range may reach a little past the header)."""

    def __init__(self, remote: Remote, filename: str, commit: str, chunk: int = 0) -> None:
        first, size, url = remote._range(filename, commit, 0, 8)
        super().__init__(Parts(size))
        self.parts.add(0, first)
        self.remote, self.filename, self.commit = remote, filename, commit
        self.chunk, self.url = chunk, url
        self.spans = Spans()  # what read returned

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self.pos + n)
        start, part = self.parts.find(self.pos)
        if self.pos < end and start + len(part) < end:
            begin = start + len(part)
            if self.parts.nbytes + end - begin > MAX_GGUF_HEADER:
                raise HubError(f"{self.remote.name}: {self.filename} needs more than "
                               f"{MAX_GGUF_HEADER:,} bytes read for its header; nnsize reads "
                               f"headers, not weights")
            want = max(end - begin, min(self.chunk, self.size - begin))
            more, _, self.url = self.remote._range(self.filename, self.commit, begin, want,
                                                   self.url)
            self.parts.add(begin, more)
            self.chunk *= 2
            start, part = self.parts.find(self.pos)
        data = part[self.pos - start:end - start]
        self.spans.note(self.pos, self.pos + len(data))
        self.pos += len(data)
        return data

    def kept(self) -> Parts:
        """The bytes read returned, not all that was fetched: what a second run needs."""
        out = Parts(self.size)
        for start, end in self.spans.merged():
            at, part = self.parts.find(start)
            out.add(start, part[start - at:end - at])
        return out


def _total_size(headers: Any, start: int) -> int:
    content_range = headers.get("Content-Range", "")
    if "/" in content_range and content_range.rsplit("/", 1)[1].strip().isdigit():
        return int(content_range.rsplit("/", 1)[1])
    length = headers.get("Content-Length", "")
    if length.isdigit():
        return int(length) if not content_range else start + int(length)
    raise HubError("the server sent neither Content-Range nor Content-Length for a range")


def _snapshot(info: Any, repo: str) -> Snapshot:
    commit = info.get("sha") if isinstance(info, dict) else None
    siblings = info.get("siblings") if isinstance(info, dict) else None
    if not isinstance(commit, str) or not isinstance(siblings, list):
        raise HubError(f"{repo}: the Hub's description of the repo has no commit or no files")
    files = tuple(s["rfilename"] for s in siblings
                  if isinstance(s, dict) and isinstance(s.get("rfilename"), str))
    return Snapshot(commit, files)


def _read_small(path: str, filename: str) -> bytes:
    if os.path.getsize(path) > MAX_SMALL_FILE:
        raise HubError(f"{filename} is larger than {MAX_SMALL_FILE:,} bytes: not a config or "
                       f"an index")
    with open(path, "rb") as f:
        return f.read()

