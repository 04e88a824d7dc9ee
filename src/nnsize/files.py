"""Opening the files nnsize reads: regular files only, and never more bytes than a format needs.

A FIFO named net.json would block a reader forever, and a link to /dev/zero would feed it
without end; both are refused before a byte is read.  The file is opened without blocking, then
checked with fstat (the same file that will be read, not a name that could change between).
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from .errors import SpecError


def open_regular(path: str) -> BinaryIO:
    """path opened for reading in binary; SpecError unless it is an existing regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as e:
        raise SpecError(f"{path}: no such file") from e
    except IsADirectoryError as e:
        raise SpecError(f"{path}: is a directory, not a file") from e
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the name
        raise SpecError(f"{path}: cannot be read ({getattr(e, 'strerror', None) or e})") from e
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise SpecError(f"{path}: is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise SpecError(f"{path}: not a regular file (a FIFO, device or socket); nnsize "
                            f"reads only regular files")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_regular(path: str) -> int:
    """The size in bytes of path, a regular file (for readers that open it themselves)."""
    with open_regular(path) as f:
        return os.fstat(f.fileno()).st_size


def read_bounded(path: str, limit: int, what: str) -> bytes:
    """All of a regular file of at most limit bytes."""
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise SpecError(f"{path}: {size:,} bytes is too large for {what} (at most "
                            f"{limit:,})")
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise SpecError(f"{path}: cannot be read ({e.strerror or e})") from e
    if len(data) > limit:  # grew while being read
        raise SpecError(f"{path}: more than {limit:,} bytes is too large for {what}")
    return data
