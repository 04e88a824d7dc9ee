"""GGUF files (llama.cpp), read from their header alone: metadata and tensor infos.

    "GGUF" | version u32 | tensor_count u64 | kv_count u64 | kv... | tensor infos... | data

Every count and length in the header is checked against the bytes that remain before anything is
read, so a file that claims 2^60 tensors or a 2^60-element string is refused at once.  Bytes per
quantization type come from the gguf package's GGML_QUANT_SIZES (block size, bytes per block).
"""

from __future__ import annotations

import os
import struct
from typing import IO, Any

from ..errors import SpecError
from ..model import Report, numel
from .tensors import Stored, checkpoint_report

MAX_DIMS = 8
MAX_STRING = 64 * 1024 * 1024
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
           11: "<q", 12: "<d"}


class _Reader:
    def __init__(self, f: IO[bytes], size: int, path: str) -> None:
        self.f, self.size, self.path = f, size, path

    def left(self) -> int:
        return self.size - self.f.tell()

    def take(self, n: int, what: str) -> bytes:
        if n > self.left():
            raise SpecError(f"{self.path}: {what} needs {n:,} bytes but only {self.left():,} "
                            f"remain: truncated or not a GGUF file")
        return self.f.read(n)

    def unpack(self, fmt: str, what: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))[0]

    def string(self, what: str) -> str:
        n = self.unpack("<Q", what)
        if n > MAX_STRING:
            raise SpecError(f"{self.path}: {what} claims a string of {n:,} bytes")
        return self.take(n, what).decode("utf-8", "replace")

    def skip(self, n: int, what: str) -> None:
        if n > self.left():
            raise SpecError(f"{self.path}: {what} claims {n:,} bytes but only {self.left():,} "
                            f"remain")
        self.f.seek(n, os.SEEK_CUR)

    def value(self, kind: int, what: str, keep: bool) -> Any:
        if kind in SCALARS:
            return self.unpack(SCALARS[kind], what)
        if kind == 8:
            return self.string(what)
        if kind == 9:
            item, count = self.unpack("<I", what), self.unpack("<Q", what)
            smallest = struct.calcsize(SCALARS[item]) if item in SCALARS else 8
            if item not in SCALARS and item != 8:
                raise SpecError(f"{self.path}: {what} is an array of unknown type {item}")
            if count * smallest > self.left():
                raise SpecError(f"{self.path}: {what} claims {count:,} items, more than the "
                                f"file holds")
            if item in SCALARS:
                self.skip(count * smallest, what)
            else:
                for _ in range(count):
                    self.skip(self.unpack("<Q", what), what)
            return f"[{count:,} items]"
        raise SpecError(f"{self.path}: {what} has unknown value type {kind}")


def _quant_sizes() -> tuple[dict[int, tuple[int, int]], dict[int, str]]:
    try:
        from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType
    except ImportError as e:
        raise SpecError("reading .gguf files needs the gguf package: pip install gguf") from e
    sizes = {int(t): (int(b), int(s)) for t, (b, s) in GGML_QUANT_SIZES.items()}
    names = {int(t): t.name for t in GGMLQuantizationType}
    return sizes, names


def read_gguf(path: str) -> tuple[dict[str, Any], list[Stored]]:
    try:
        size = os.path.getsize(path)
        f = open(path, "rb")
    except FileNotFoundError as e:
        raise SpecError(f"{path}: no such file") from e
    except OSError as e:
        raise SpecError(f"{path}: cannot be read ({e.strerror or e})") from e
    with f:
        return parse(f, size, path)


def parse(f: IO[bytes], size: int, path: str) -> tuple[dict[str, Any], list[Stored]]:
    """Metadata and tensors from a GGUF header in f, of which size bytes can be read."""
    sizes, names = _quant_sizes()
    r = _Reader(f, size, path)
    if r.take(4, "the magic number") != b"GGUF":
        raise SpecError(f"{path}: not a GGUF file (no GGUF magic number)")
    version = r.unpack("<I", "the version")
    if version not in (2, 3):
        raise SpecError(f"{path}: GGUF version {version} is not supported (2 and 3 are)")
    tensors, kvs = r.unpack("<Q", "the tensor count"), r.unpack("<Q", "the metadata count")
    # every tensor info takes at least 8 + 4 + 8 + 4 + 8 bytes, every key-value 8 + 4 + 1
    if tensors * 32 > r.left() or kvs * 13 > r.left():
        raise SpecError(f"{path}: the header claims {tensors:,} tensors and {kvs:,} "
                        f"metadata entries, more than a {size:,}-byte file can hold")
    metadata: dict[str, Any] = {"version": version}
    for i in range(kvs):
        key = r.string(f"metadata key {i}")
        value = r.value(r.unpack("<I", f"the type of {key}"), key, keep=True)
        metadata[key] = value
    stored = []
    for i in range(tensors):
        name = r.string(f"tensor name {i}")
        n = r.unpack("<I", f"the dimensions of {name}")
        if n > MAX_DIMS:
            raise SpecError(f"{path}: tensor {name!r} claims {n} dimensions")
        dims = tuple(r.unpack("<Q", f"a dimension of {name}") for _ in range(n))
        if numel(dims) > 2**62:
            raise SpecError(f"{path}: tensor {name!r} claims {list(dims)} elements")
        kind = r.unpack("<I", f"the type of {name}")
        r.unpack("<Q", f"the offset of {name}")
        if kind not in sizes:
            raise SpecError(f"{path}: tensor {name!r} has unknown type {kind}")
        block, type_size = sizes[kind]
        # GGUF lists dimensions fastest-first; shown here as torch would (slowest first)
        stored.append(Stored(name, dims[::-1], names.get(kind, str(kind)),
                             numel(dims) // block * type_size))
    return metadata, stored


def load_gguf(path: str, data: bytes | None = None) -> Report:
    """Count a .gguf file, or (data) the first bytes of one, holding its whole header."""
    if data is None:
        metadata, stored = read_gguf(path)
    else:
        import io

        metadata, stored = parse(io.BytesIO(data), len(data), path)
    report = checkpoint_report(path, stored, "gguf")
    report.stored["metadata"] = {k: v for k, v in metadata.items()
                                 if k.startswith("general.") or k == "version"}
    return report
