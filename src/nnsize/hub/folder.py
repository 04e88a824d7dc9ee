"""A model folder on disk (what save_pretrained writes, or a downloaded snapshot), read as a Hub
repo is: config.json, and the checkpoint's headers through the index, never tensor data."""

from __future__ import annotations

import io
import os
from typing import Any

from ..errors import NnsizeError
from .name import HubName
from .records import Snapshot, Spans, Transfer

MAX_SMALL_FILE = 64 * 1024 * 1024


class Folder:
    """The same questions Remote answers, answered from a folder."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = HubName(path.rstrip("/") or "/")
        self.revision, self.endpoint, self.offline_reason = "", "", ""
        self.transfer = Transfer()

    def snapshot(self) -> Snapshot:
        files = []
        for root, _, names in os.walk(self.path):
            rel = os.path.relpath(root, self.path)
            if rel.count(os.sep) > 2:  # a model folder is flat, or nearly
                continue
            files += [n if rel == "." else os.path.join(rel, n) for n in names]
        return Snapshot("", tuple(sorted(files)))

    def _file(self, filename: str) -> str:
        return os.path.join(self.path, filename)

    def small_file(self, filename: str, commit: str) -> bytes:
        path = self._file(filename)
        if os.path.getsize(path) > MAX_SMALL_FILE:
            raise NnsizeError(f"{path} is larger than {MAX_SMALL_FILE:,} bytes: not a config or "
                              f"an index")
        with open(path, "rb") as f:
            return f.read()

    def head(self, filename: str, commit: str, read: Any, chunk: int = 0) -> tuple[Any, int]:
        path = self._file(filename)
        try:
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                counted = _Counting(f)
                result = read(counted, size)
        except OSError as e:
            raise NnsizeError(f"{path}: cannot be read ({e.strerror or e})") from e
        return result, counted.spans.nbytes


class _Counting(io.RawIOBase):
    """A file, and the parts of it that were read (a zip's are at its end, not its start)."""

    def __init__(self, f: Any) -> None:
        super().__init__()
        self.f, self.spans = f, Spans()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return int(self.f.tell())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return int(self.f.seek(offset, whence))

    def read(self, n: int = -1) -> bytes:
        start = int(self.f.tell())
        data: bytes = self.f.read(n)
        self.spans.note(start, start + len(data))
        return data
