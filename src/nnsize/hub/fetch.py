"""Reading a Hub repo: its endpoint, token, cache and offline mode, as huggingface_hub sets them.

What is read, and nothing more (every request through session.Session: the token kept to the
endpoint's origin, a deadline, bounded retries, bounded bodies):

    GET /api/models/{repo}/revision/{rev}       the commit and the list of files (MAX_LISTING)
    config.json, model.safetensors.index.json   small files (MAX_SMALL_FILE)
    each .safetensors shard                     Range: bytes=0-7 (the header's length N), then
                                                Range: bytes=8-(8+N-1) (the JSON header)
    a .gguf file                                its header, in ranges that grow until it is parsed
    a .bin (PyTorch zip)                        its end record and directory from the end, then
                                                data.pkl's range (importers/from_torch_checkpoint)

never tensor data.  Every response body is counted (bytes_transferred).  What was read is kept in
nnsize's cache ($HF_HOME/nnsize, or $NNSIZE_CACHE), in two parts: what was read with a token
("token/") and what was read without ("public/"); a caller without a token reads only the second.
A second run is answered from the cache, and works offline (HF_HUB_OFFLINE=1, or no network).
A model downloaded whole into huggingface_hub's cache (by transformers) is read from there, by the
command line only: that cache cannot say whether a token fetched it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
from typing import Any
from urllib.parse import quote

from .cache import Bound, default, trim, used
from .name import HubName
from .records import Parts, Snapshot, Spans, Transfer
from .session import Answer, HubError, Session, Unreachable, http, retry_after

__all__ = ["HubError", "Remote", "RangeStream"]

INSTALL = "pip install 'nnsize[hub]'"
MAX_SMALL_FILE = 32 * 1024 * 1024  # a config or an index (DeepSeek-V3's index: 8.9 MB)
MAX_LISTING = 16 * 1024 * 1024  # the revision's description and file list
MAX_FILES = 100_000  # files of one revision
MAX_GGUF_HEADER = 256 * 1024 * 1024  # a tokenizer's vocabulary makes GGUF headers megabytes
MAX_KEPT = MAX_GGUF_HEADER + 1024 * 1024  # what the cache keeps of a file: parts and their places
MAX_FILE_SIZE = 2**62  # what a file may claim to weigh (a petabyte is 2**50)
WORKERS = 8  # shard headers read at once
COMMIT = re.compile(r"[0-9a-f]{40}")
# what the web API's 429 asks a visitor to wait when the Hub's own 429 named no time: a minute
RETRY_AFTER_S = 60


def _truthy(value: str | None) -> bool:
    return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def _cache_name(filename: str) -> str:
    """A repo's file as one name in a folder of the cache (a long one by its hash)."""
    name = quote(filename, safe="")
    return name if len(name) <= 200 else hashlib.sha256(filename.encode()).hexdigest()


class Remote:
    """A repo on the Hub, read through session.Session with huggingface_hub's settings."""

    def __init__(self, name: HubName, anonymous: bool = False,
                 deadline_s: float | None = None, bound: Bound | None = None) -> None:
        try:
            import huggingface_hub  # noqa: F401
        except ImportError as e:
            raise HubError(f"{name}: reading models from the Hugging Face Hub needs "
                           f"huggingface_hub: {INSTALL}") from e
        from huggingface_hub import constants, get_token, utils

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
        self.token: str | None = None if anonymous else get_token()
        self.transfer = Transfer()
        self.revision = name.revision or "main"
        self.offline_reason = "HF_HUB_OFFLINE is set" if self.offline else ""
        headers = dict(utils.build_hf_headers(token=self.token or False,  # type: ignore[attr-defined]
                                              library_name="nnsize"))
        self.session = Session(self.endpoint, headers, name.repo, self.transfer.add, deadline_s)
        # bound: the cache held to it (None: cache.py's, for every caller), and written only
        # once the model was counted (keep()): what was refused is never kept
        self.bound = default() if bound is None else bound
        self.pending: list[tuple[str, bytes]] = []

    # --- where things are kept -------------------------------------------------------------

    def _marks(self) -> list[str]:
        """The parts of the cache this caller may read, the one it writes first: what was read
        with a token is never answered to a caller without one."""
        return ["token", "public"] if self.token else ["public"]

    def _own(self, *parts: str, mark: str = "") -> str:
        folder = "models--" + self.name.repo.replace("/", "--")
        return os.path.join(self.own_cache, mark or self._marks()[0], folder, *parts)

    def _ref_name(self) -> str:
        return quote(self.revision, safe="")  # name.py: at most 100 of [A-Za-z0-9._/-]

    def _write(self, path: str, data: bytes) -> None:
        self.pending.append((path, data))

    def keep(self) -> None:
        """The model was counted: what was read for it goes into the cache, which is then
        trimmed to the bound (the least recently used first)."""
        pending, self.pending = self.pending, []
        if sum(len(data) for _, data in pending) > self.bound.max_bytes:
            return  # more than the whole cache may hold
        for path, data in pending:
            self._put(path, data)
        if pending:
            trim(os.path.join(self.own_cache, self._marks()[0]), self.bound)

    @staticmethod
    def _put(path: str, data: bytes) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # whole or not at all, even with two runs at once

    # --- the requests ----------------------------------------------------------------------

    def _fail(self, e: Exception, what: str) -> HubError:
        """One line for the error huggingface_hub reads in a Hub's answer."""
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
        status = e.response.status_code if isinstance(e, errors.HfHubHTTPError) \
            and e.response is not None else "?"
        return HubError(f"{repo}: {self.endpoint} answered HTTP {status} for {what}", 502)

    def _refused(self, answer: Answer, what: str) -> HubError:
        """One line for an answer that is not the file or the description asked for."""
        from huggingface_hub import hf_raise_for_status

        httpx = http()

        repo, status = self.name.repo, answer.status
        reason = "".join(c for c in answer.reason[:60] if c.isprintable())
        said = f"HTTP {status}" + (f" ({reason})" if reason else "")
        after = retry_after(answer.headers)
        if status == 429:
            when = f"in {after} s" if after is not None else "later"
            return HubError(f"{repo}: {self.endpoint} answered {said} to {answer.tries} tries "
                            f"for {what}: it asks for fewer requests; try again {when}", 429,
                            RETRY_AFTER_S if after is None else after)
        if status >= 500:
            when = f"in {after} s" if after is not None else "later"
            return HubError(f"{repo}: {self.endpoint} answered {said} to {answer.tries} tries "
                            f"for {what}; try again {when}", 502, after)
        if status < 400:
            return HubError(f"{repo}: {self.endpoint} answered {said} for {what}", 502)
        response = httpx.Response(status, headers=answer.headers, content=answer.body,
                                  request=httpx.Request("GET", answer.url))
        try:
            hf_raise_for_status(response)
        except Exception as e:  # noqa: BLE001  (what huggingface_hub makes of the answer)
            return self._fail(e, what)
        return HubError(f"{repo}: {self.endpoint} answered {said} for {what}", 502)

    def _get_json(self, url: str, what: str, limit: int) -> Any:
        answer = self.session.get(url, what, limit)
        if answer.status != 200:
            raise self._refused(answer, what)
        try:
            return json.loads(answer.body)
        except (ValueError, RecursionError) as e:
            raise HubError(f"{self.name.repo}: {self.endpoint} sent {what} that is not JSON",
                           502) from e

    def _range(self, filename: str, commit: str, start: int, length: int,
               url: str = "") -> tuple[bytes, int, str]:
        """length bytes of a file from start (fewer at its end), the file's size, and the URL
        the Hub redirected to (where the next range of the same file is asked for).

        Streamed, so a server that ignores Range costs what is read here, not the whole file
        (and is refused for a range far from the start, as a zip's directory at its end); an
        answer that is not the range asked for (a lying Content-Range, a short body) is one
        error."""
        from huggingface_hub import hf_hub_url

        url = url or hf_hub_url(self.name.repo, filename, revision=commit,
                                endpoint=self.endpoint)
        what = f"bytes {start}-{start + length - 1} of {filename}"
        # what is read of an answer that ignores Range: the file from its start, up to the
        # range where that is a header's reach, else only as much as the range itself
        reach = start + length if start + length <= MAX_GGUF_HEADER else length
        answer = self.session.get(url, what, reach,
                                  {"Range": f"bytes={start}-{start + length - 1}"}, cut=True)
        if answer.status == 206:
            first, last, total = _content_range(answer.headers.get("content-range", ""))
            data = answer.body
        elif answer.status == 200 and reach < start + length:
            raise HubError(f"{self.name.repo}: {self.endpoint} answered {what} with the whole "
                           f"file (it ignores Range); nnsize reads no further than "
                           f"{MAX_GGUF_HEADER:,} bytes into a file that way", 502)
        elif answer.status == 200:  # Range ignored: the whole file, from its start
            size = answer.headers.get("content-length", "")
            total = int(size) if size.isdigit() else -1
            first, data = start, answer.body[start:]
            last = start + len(data) - 1
        else:
            raise self._refused(answer, what)
        end = min(start + length, total)  # what was asked for, cut at the file's end
        if not 0 <= total <= MAX_FILE_SIZE or first != start or len(data) < end - start \
                or answer.status == 206 and last != end - 1:
            said = answer.headers.get("content-range", "none")[:60] if answer.status == 206 \
                else f"none, and {answer.headers.get('content-length', 'no')[:30]} bytes in all"
            raise HubError(f"{self.name.repo}: {self.endpoint} answered {what} with "
                           f"{len(data):,} bytes and Content-Range {said!r}: not the range "
                           f"asked for", 502)
        return data[:end - start], total, answer.url

    # --- what the rest of nnsize asks for ---------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The commit the revision names and its files: asked of the Hub, else from the cache."""
        if not self.offline:
            url = (f"{self.endpoint}/api/models/{self.name.repo}/revision/"
                   f"{quote(self.revision, safe='')}")
            try:
                info = self._get_json(url, "the repo's description", MAX_LISTING)
            except Unreachable as e:  # no network: the cache may still answer
                self.offline, self.offline_reason = True, f"cannot reach {self.endpoint}"
                cached = self._cached_snapshot()
                if cached is None:
                    raise HubError(f"{e}, and the repo is not in the cache", e.status) from e
                return cached
            snapshot = _snapshot(info, self.name.repo)
            self._write(self._own("refs", self._ref_name()), snapshot.commit.encode())
            self._write(self._own("snapshots", snapshot.commit, "files.json"),
                        json.dumps(list(snapshot.files)).encode())
            return snapshot
        cached = self._cached_snapshot()
        if cached is None:
            raise HubError(f"{self.name}: offline ({self.offline_reason}) and nothing of it is "
                           f"cached; run once with the network to cache it", 503)
        return cached

    def _cached_snapshot(self) -> Snapshot | None:
        for mark in self._marks():
            ref = self._own("refs", self._ref_name(), mark=mark)
            try:
                with open(ref) as f:
                    commit = f.read(64).strip()
                if not COMMIT.fullmatch(commit):
                    continue
                listing = self._own("snapshots", commit, "files.json", mark=mark)
                with open(listing, "rb") as f:
                    files = json.loads(f.read(MAX_LISTING + 1))
            except (OSError, ValueError, RecursionError):
                continue
            if isinstance(files, list) and all(isinstance(x, str) for x in files):
                used(ref)
                used(listing)
                self.transfer.cached()
                return Snapshot(commit, tuple(files))
        return self._downloaded_snapshot()

    def _downloaded_snapshot(self) -> Snapshot | None:
        """The revision as huggingface_hub's cache holds it, when the model was downloaded
        (by transformers, say): its ref, and the files of that snapshot.  The command line's
        only: that cache does not say whether a token fetched it."""
        if self.anonymous:
            return None
        repo = os.path.join(self.cache_dir, "models--" + self.name.repo.replace("/", "--"))
        try:
            with open(os.path.join(repo, "refs", self.revision)) as f:
                commit = f.read(64).strip()
        except OSError:
            commit = self.revision  # a commit named as the revision
        folder = os.path.join(repo, "snapshots", commit)
        if not COMMIT.fullmatch(commit) or not os.path.isdir(folder):
            return None
        files = [os.path.relpath(os.path.join(root, n), folder)
                 for root, _, names in os.walk(folder) for n in names]
        self.transfer.cached()
        return Snapshot(commit, tuple(sorted(files)))

    def _downloaded(self, filename: str, commit: str) -> str | None:
        """The path of a whole file in huggingface_hub's cache, if it was downloaded (for the
        command line only, as above)."""
        from huggingface_hub import try_to_load_from_cache

        if self.anonymous:
            return None
        found = try_to_load_from_cache(self.name.repo, filename, cache_dir=self.cache_dir,
                                       revision=commit)
        return found if isinstance(found, str) else None

    def small_file(self, filename: str, commit: str) -> bytes:
        """A config or an index: from the cache, else from the Hub (at most MAX_SMALL_FILE)."""
        for mark in self._marks():
            try:
                return self._read_small(self._own("snapshots", commit, "files",
                                                  _cache_name(filename), mark=mark), filename)
            except FileNotFoundError:
                pass
        downloaded = self._downloaded(filename, commit)
        if downloaded is not None:
            return self._read_small(downloaded, filename)
        if self.offline:
            raise HubError(f"{self.name}: offline ({self.offline_reason}) and its {filename} is "
                           f"not cached", 503)
        from huggingface_hub import hf_hub_url

        url = hf_hub_url(self.name.repo, filename, revision=commit, endpoint=self.endpoint)
        answer = self.session.get(url, filename, MAX_SMALL_FILE)
        if answer.status != 200:
            raise self._refused(answer, filename)
        self._write(self._own("snapshots", commit, "files", _cache_name(filename)), answer.body)
        return answer.body

    def _read_small(self, path: str, filename: str) -> bytes:
        if os.path.getsize(path) > MAX_SMALL_FILE:
            raise HubError(f"{self.name.repo}: its {filename} is larger than "
                           f"{MAX_SMALL_FILE:,} bytes: not a config or an index")
        with open(path, "rb") as f:
            data = f.read()
        used(path)
        self.transfer.cached()
        return data

    def head(self, filename: str, commit: str, read: Any, chunk: int = 0) -> tuple[Any, int]:
        """read(stream, size) over the parts of a file it reads (a header; a zip's directory),
        fetched by ranges as read asks for them (at least chunk bytes a request), and kept:
        (what read returned, the bytes of the file it needed)."""
        for mark in self._marks():
            path = self._own("snapshots", commit, "ranges", _cache_name(filename), mark=mark)
            try:
                with open(path, "rb") as f:
                    kept = Parts.load(f.read(MAX_KEPT + 1), MAX_KEPT)
            except (OSError, ValueError):
                continue
            used(path)
            self.transfer.cached()
            return read(PartsStream(kept), kept.size), kept.nbytes
        downloaded = self._downloaded(filename, commit)
        if downloaded is not None:  # the whole file is here already: read its header here
            from .folder import Folder

            self.transfer.cached()
            folder = Folder(os.path.dirname(downloaded))
            return folder.head(os.path.basename(downloaded), commit, read, chunk)
        if self.offline:
            raise HubError(f"{self.name}: offline ({self.offline_reason}) and the header of "
                           f"{filename} is not cached", 503)
        stream = RangeStream(self, filename, commit, chunk)
        result = read(stream, stream.size)
        kept = stream.kept()
        self._write(self._own("snapshots", commit, "ranges", _cache_name(filename)), kept.dump())
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
            # at least what is asked for, at most what the limit leaves
            want = max(end - begin, min(self.chunk, self.size - begin,
                                        MAX_GGUF_HEADER - self.parts.nbytes))
            more, size, self.url = self.remote._range(self.filename, self.commit, begin, want,
                                                      self.url)
            if size != self.size:
                raise HubError(f"{self.remote.name}: {self.filename} is {self.size:,} bytes "
                               f"by one answer of {self.remote.endpoint}, {size:,} by another",
                               502)
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


def _content_range(text: str) -> tuple[int, int, int]:
    """'bytes 0-7/1234' -> (0, 7, 1234); anything else -> (-1, -1, -1)."""
    m = re.fullmatch(r"\s*bytes\s+(\d{1,20})-(\d{1,20})/(\d{1,20})\s*", text)
    return (int(m[1]), int(m[2]), int(m[3])) if m else (-1, -1, -1)


def _snapshot(info: Any, repo: str) -> Snapshot:
    """The commit and files the Hub's description names; a commit is 40 hex digits, a file a
    relative path without '..', or the description is refused (both become paths here)."""
    commit = info.get("sha") if isinstance(info, dict) else None
    siblings = info.get("siblings") if isinstance(info, dict) else None
    if not isinstance(commit, str) or not isinstance(siblings, list):
        raise HubError(f"{repo}: the Hub's description of the repo has no commit or no files",
                       502)
    if not COMMIT.fullmatch(commit):
        raise HubError(f"{repo}: the Hub's description of the repo names the commit "
                       f"{commit[:60]!r}, not 40 hexadecimal digits", 502)
    if len(siblings) > MAX_FILES:
        raise HubError(f"{repo}: the Hub lists {len(siblings):,} files in the revision, more "
                       f"than the {MAX_FILES:,} nnsize reads", 502)
    files = tuple(s["rfilename"] for s in siblings
                  if isinstance(s, dict) and isinstance(s.get("rfilename"), str))
    for f in files:
        if not _relative(f):
            raise HubError(f"{repo}: the Hub lists a file {f[:60]!r}, not a path inside a repo",
                           502)
    return Snapshot(commit, files)


def _relative(path: str) -> bool:
    parts = path.split("/")
    return 0 < len(path) <= 1000 and path.isprintable() and "\\" not in path \
        and all(p not in ("", ".", "..") for p in parts)
