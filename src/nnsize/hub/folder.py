"""A model folder on disk (what save_pretrained writes, or a downloaded snapshot), read as a Hub
repo is: config.json, and the checkpoint's headers through the index, never tensor data."""

from __future__ import annotations

import io
import os
from typing import Any

from ..errors import NnsizeError
from ..files import open_regular, read_bounded
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
        # a regular file, read with a bound (files.py): no FIFO, device or link loop
        return read_bounded(self._file(filename), MAX_SMALL_FILE, "a config or an index")

    def head(self, filename: str, commit: str, read: Any, chunk: int = 0) -> tuple[Any, int]:
        path = self._file(filename)
        try:
            with open_regular(path) as f:
                counted = _Counting(f)
                result = read(counted, os.fstat(f.fileno()).st_size)
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
