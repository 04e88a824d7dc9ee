"""What reading a repo yields beside its files: the commit and its file list, what crossed the
network, and the parts of a file that were read."""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Snapshot:
    """One commit of a repo: its hash and its files."""

    commit: str
    files: tuple[str, ...]


@dataclass
class Transfer:
    """What crossed the network: response bodies, in bytes, and requests made."""

    bytes: int = 0
    requests: int = 0
    cached_files: int = 0  # files answered from the cache instead
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, nbytes: int, requests: int = 1) -> None:
        with self.lock:
            self.bytes += nbytes
            self.requests += requests

    def cached(self) -> None:
        """One file answered from the cache (shards are read from threads)."""
        with self.lock:
            self.cached_files += 1


@dataclass
class Parts:
    """The parts of a file of size bytes that were read: start -> bytes, merged where they
    touch or overlap (a safetensors header is one part from 0; a zip's are its end record,
    its directory and data.pkl)."""

    size: int
    parts: dict[int, bytes] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return sum(len(p) for p in self.parts.values())

    def add(self, start: int, data: bytes) -> None:
        end = start + len(data)
        for s in sorted(self.parts):
            part = self.parts[s]
            if s + len(part) < start or s > end:
                continue
            del self.parts[s]
            if s < start:
                data, start = part[:start - s] + data, s
            if s + len(part) > end:
                data, end = data + part[end - s:], s + len(part)
        if data:
            self.parts[start] = data

    def find(self, pos: int) -> tuple[int, bytes]:
        """The part holding byte pos, or (pos, b'') where none does."""
        for s, part in self.parts.items():
            if s <= pos < s + len(part):
                return s, part
        return pos, b""

    def dump(self) -> bytes:
        """[u64 size] then [u64 start][u64 length][bytes] for each part."""
        out = [struct.pack("<Q", self.size)]
        for s, part in sorted(self.parts.items()):
            out += [struct.pack("<QQ", s, len(part)), part]
        return b"".join(out)

    @classmethod
    def load(cls, raw: bytes, limit: int) -> Parts:
        """What dump() wrote, in at most limit bytes; ValueError for anything else (a cache
        written by another version, cut short, or larger than what is read of a file)."""
        if len(raw) > limit:
            raise ValueError(f"more than {limit:,} bytes")
        try:
            (size,) = struct.unpack_from("<Q", raw)
            kept, pos = cls(size), 8
            while pos < len(raw):
                start, length = struct.unpack_from("<QQ", raw, pos)
                if pos + 16 + length > len(raw) or start + length > size:
                    raise ValueError("a part past the end")
                kept.parts[start] = raw[pos + 16:pos + 16 + length]
                pos += 16 + length
        except struct.error as e:
            raise ValueError(str(e)) from e
        return kept


class Spans:
    """The byte ranges of a file that were read, noted in O(1) a read (a GGUF header is read in
    many small pieces, one after the other) and merged when asked for."""

    def __init__(self) -> None:
        self.spans: list[list[int]] = []

    def note(self, start: int, end: int) -> None:
        if self.spans and self.spans[-1][1] == start:
            self.spans[-1][1] = end
        elif end > start:
            self.spans.append([start, end])

    def merged(self) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for start, end in sorted(self.spans):
            if out and start <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        return out

    @property
    def nbytes(self) -> int:
        return sum(end - start for start, end in self.merged())
