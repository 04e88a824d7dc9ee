"""A bound on what a cache folder holds: at most max_bytes in at most max_entries files, the
least recently used removed first (a file's modification time, which a read from the cache
renews).  nnsize's Hub cache (hub/fetch.py) is held to MAX_BYTES in MAX_ENTRIES files, each of
its parts (what was read with a token, and without), for the command line and the web server
alike: a command run for many models, or a server asked for many by its visitors, does not fill
the disk.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

_LOCK = threading.Lock()  # one trim at a time in this process (the server's Hub threads)
# a GGUF header is at most 256 MiB (hub/fetch.py), a safetensors model's headers and config a
# few MiB (DeepSeek-V3's index: 8.9 MB)
MAX_BYTES = 1024**3
MAX_ENTRIES = 10_000  # files (a model's: its ref, file list, config, index, one per shard)


@dataclass(frozen=True)
class Bound:
    max_bytes: int
    max_entries: int


def default() -> Bound:
    """The bound of nnsize's Hub cache (MAX_BYTES and MAX_ENTRIES, read now)."""
    return Bound(MAX_BYTES, MAX_ENTRIES)


def used(path: str) -> None:
    """path was read from the cache: it is the most recently used now."""
    try:
        os.utime(path)
    except OSError:  # removed meanwhile, or a cache this process cannot write
        pass


def trim(root: str, bound: Bound) -> tuple[int, int]:
    """Remove the least recently used files under root until the rest are within bound, and
    the folders left empty; (bytes, files) kept."""
    with _LOCK:
        files = []
        for folder, _, names in os.walk(root):
            for name in names:
                if name.endswith(".tmp"):  # being written (fetch.Remote._write)
                    continue
                path = os.path.join(folder, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                files.append((st.st_mtime, st.st_size, path))
        files.sort(reverse=True)  # the most recently used first
        kept_bytes = kept = 0
        for _, size, path in files:
            if kept < bound.max_entries and kept_bytes + size <= bound.max_bytes:
                kept, kept_bytes = kept + 1, kept_bytes + size
                continue
            try:
                os.remove(path)
            except OSError:
                pass
        for folder, _, _ in sorted(os.walk(root), key=lambda w: -len(w[0])):
            if folder != root:
                try:
                    os.rmdir(folder)  # only if empty
                except OSError:
                    pass
        return kept_bytes, kept
