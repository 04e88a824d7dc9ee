"""What reading a repo yields beside its files: the commit and its file list, and what crossed
the network."""

from __future__ import annotations

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
