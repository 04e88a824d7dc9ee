"""safetensors files, read from their header alone: 8 bytes of length, then JSON.

    [u64 little-endian N][N bytes of JSON: {name: {dtype, shape, data_offsets}, __metadata__}]

The header is bounded (100 MB, as the safetensors library bounds it), checked against the file's
size, and every entry validated; the tensor data is never read.  A sharded model is read through
its model.safetensors.index.json, every shard it names.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

from ..errors import SpecError, shown
from ..model import Report, numel
from ..records import replace
from . import Format
from .tensors import DTYPE_BITS, INT_BITS, Stored, checkpoint_report

MAX_HEADER = 100 * 1024 * 1024  # bytes of JSON, as the safetensors library bounds it
# entries of one header: the largest published models hold about 140,000 (Kimi K2: 384 experts
# x 60 layers x 3 weights and their FP8 scales); a million took 20 s and over 1 GiB to read
MAX_TENSORS = 150_000
MAX_DIMS = 16


def header_length(head: bytes, size: int, path: str) -> int:
    """The header's length from the first 8 bytes, checked against a file of size bytes."""
    if len(head) < 8:
        raise SpecError(f"{path}: too short to be a safetensors file ({size} bytes)")
    (length,) = struct.unpack("<Q", head[:8])
    if length > MAX_HEADER or length > size - 8:
        raise SpecError(f"{path}: the header claims {length:,} bytes, but the file has "
                        f"{max(size - 8, 0):,} after its length (and headers stop at "
                        f"{MAX_HEADER:,}): not a valid safetensors file")
    return int(length)


def read_header(path: str) -> list[Stored]:
    from ..files import open_regular

    with open_regular(path) as f:
        try:
            size = os.fstat(f.fileno()).st_size
            head = f.read(8)
            length = header_length(head, size, path)
            raw = f.read(length)
        except OSError as e:
            raise SpecError(f"{path}: cannot be read ({e.strerror or e})") from e
    if len(raw) < length:
        raise SpecError(f"{path}: the file ended inside its header (truncated while read?)")
    return parse_header(raw, size - 8 - length, path)


def from_bytes(data: bytes, size: int, where: str) -> list[Stored]:
    """The tensors of a safetensors file of size bytes whose first bytes are data (at least
    its length and header: what a browser sends, sliced from a file it does not upload)."""
    length = header_length(data, size, where)
    if len(data) < 8 + length:
        raise SpecError(f"{where}: {len(data):,} bytes sent, but the header needs "
                        f"{8 + length:,}")
    return parse_header(data[8:8 + length], size - 8 - length, where)


def parse_header(raw: bytes, data_size: int, path: str) -> list[Stored]:
    """The entries of a header, checked against data_size bytes of tensor data."""
    try:
        header = json.loads(raw)
    except RecursionError as e:
        raise SpecError(f"{path}: the header's JSON is nested too deeply") from e
    except (ValueError, UnicodeDecodeError) as e:
        raise SpecError(f"{path}: the header is not valid JSON ({shown(str(e), 200)})") from e
    if not isinstance(header, dict):
        raise SpecError(f"{path}: the header is not a JSON object")
    if len(header) > MAX_TENSORS + 1:
        raise SpecError(f"{path}: the header lists {len(header):,} tensors; nnsize reads at "
                        f"most {MAX_TENSORS:,}")
    # One pass, plain comparisons: a million entries cost about what json.loads of them does.
    out = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype, shape, (start, end) = info["dtype"], info["shape"], info["data_offsets"]
            bits = INT_BITS[dtype]
            n = 1
            for d in shape:
                if type(d) is not int or not 0 <= d < 2**62:
                    raise TypeError(d)
                n *= d
            if type(start) is not int or type(end) is not int or type(shape) is not list \
                    or len(shape) > MAX_DIMS:
                raise TypeError(start)
        except (KeyError, TypeError, ValueError):  # a missing key, a list for an object...
            _entry(path, name, info, data_size)  # says exactly what is wrong
            raise  # pragma: no cover  (_entry raises for every entry the fast path refuses)
        if not 0 <= start <= end <= data_size or n * bits != (end - start) * 8:
            _entry(path, name, info, data_size)
        out.append(Stored(name, tuple(shape), dtype, end - start))
    return out


def _entry(path: str, name: str, info: Any, data_size: int) -> Stored:
    where = f"{path}: tensor {shown(name)}"
    if not isinstance(info, dict):
        raise SpecError(f"{where}: expected an object with dtype, shape and data_offsets, got "
                        f"{shown(info)}")
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise SpecError(f"{where}: unknown dtype {shown(dtype)}")
    if not isinstance(shape, list) or len(shape) > MAX_DIMS or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**62 for d in shape):
        raise SpecError(f"{where}: invalid shape {shown(shape)}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and
            all(isinstance(o, int) and not isinstance(o, bool) for o in offsets) and
            0 <= offsets[0] <= offsets[1] <= data_size):
        raise SpecError(f"{where}: data_offsets {shown(offsets)} fall outside the file's "
                        f"{data_size:,} bytes of data (truncated?)")
    nbytes = offsets[1] - offsets[0]
    expected = numel(tuple(shape)) * DTYPE_BITS[dtype]
    if expected != nbytes * 8:
        raise SpecError(f"{where}: {nbytes:,} bytes stored for a {dtype} tensor of shape "
                        f"{shape}, which needs {int(expected / 8):,}")
    return Stored(name, tuple(shape), dtype, nbytes)


def load_safetensors(path: str, data: bytes | None = None, size: int = 0) -> Report:
    """Count a .safetensors file, a sharded model through its .index.json, or (data) the first
    bytes of a file of size bytes."""
    if data is not None:
        return checkpoint_report(path, from_bytes(data, size, path), "safetensors")
    if path.endswith(".index.json"):
        return _load_index(path)
    return checkpoint_report(path, read_header(path), "safetensors")


def _load_index(path: str) -> Report:
    from .tensors import read_index

    stored, shards = read_index(path, ".safetensors", read_header)
    report = checkpoint_report(path, stored, "safetensors")
    return replace(report, stored={**report.stored, "shards": shards})


# this format's entry in the formats table (importers/__init__.py)
FORMAT = Format("safetensors", (".safetensors", ".safetensors.index.json"), load_safetensors,
                from_bytes=True)
