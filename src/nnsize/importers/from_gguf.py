"""GGUF files (llama.cpp), read from their header alone: metadata and tensor infos.

    "GGUF" | version u32 | tensor_count u64 | kv_count u64 | kv... | tensor infos... | data

Every count and length in the header is checked against the bytes that remain before anything is
read, so a file that claims 2^60 tensors or a 2^60-element string is refused at once.  Bytes per
quantization type come from the gguf package's GGML_QUANT_SIZES (block size, bytes per block).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from typing import Any

from ..errors import SpecError
from ..model import Report, numel
from ..records import replace
from . import Format
from .tensors import Stored, checkpoint_report

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..model.contents import Contents

MAX_DIMS = 8
MAX_STRING = 64 * 1024 * 1024
MAX_HEADER = 256 * 1024 * 1024  # bytes of metadata and tensor infos read (a 150k-word vocabulary
                                # takes a few MB); the tensor data after them is never read
MAX_TENSORS = 100_000  # tensors of one file: GGUF stacks experts, its largest hold thousands
# (250,000 took 9 s of CPU to read and list)
MAX_METADATA = 100_000  # key-value entries: a file holds a few dozen (a vocabulary is one array)
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
           11: "<q", 12: "<d"}
_U32, _U64 = struct.Struct("<I"), struct.Struct("<Q")
# the GGML types that hold plain values; every other (Q8_0, Q4_K, IQ2_XS, TQ1_0, MXFP4...) packs
# blocks of values with their scales: a quantized tensor
PLAIN = frozenset({"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8"})


class _Reader:
    """The header's bytes in memory (at most MAX_HEADER of them), read from position pos; size
    is the whole file's, which every claimed length is checked against first."""

    def __init__(self, data: bytes, size: int, path: str,
                 more: Callable[[int], bytes] | None = None) -> None:
        self.data, self.size, self.path, self.pos, self.more = data, size, path, 0, more

    def left(self) -> int:
        return self.size - self.pos

    def need(self, n: int, what: str) -> None:
        if n > self.left():
            raise SpecError(f"{self.path}: {what} needs {n:,} bytes but only {self.left():,} "
                            f"remain: truncated or not a GGUF file")
        while self.pos + n > len(self.data) and self.more is not None and \
                len(self.data) < min(self.size, MAX_HEADER):
            # read on in growing steps: a header of 1 MB in a 40 GB file costs about 1 MB
            chunk = self.more(min(max(len(self.data), 1 << 20), MAX_HEADER - len(self.data)))
            if not chunk:
                break
            self.data += chunk
        if self.pos + n > len(self.data):
            raise SpecError(f"{self.path}: the header is larger than {MAX_HEADER:,} bytes, "
                            f"the most nnsize reads")

    def take(self, n: int, what: str) -> bytes:
        self.need(n, what)
        self.pos += n
        return self.data[self.pos - n:self.pos]

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
        self.need(n, what)
        self.pos += n

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

    def tensor_info(self, i: int) -> tuple[str, tuple[int, ...], int]:
        """(name, dims fastest first, type) of tensor info i, in one pass over the bytes: a
        million of them cost about what reading them does; messages are built on failure."""
        data, pos = self.data, self.pos
        try:
            (n,) = _U64.unpack_from(data, pos)
            if n > MAX_STRING or pos + 8 + n + 4 > min(len(data), self.size):
                raise IndexError
            name = data[pos + 8:pos + 8 + n].decode("utf-8", "replace")
            pos += 8 + n
            (ndim,) = _U32.unpack_from(data, pos)
            if ndim > MAX_DIMS or pos + 4 + 8 * ndim + 12 > min(len(data), self.size):
                raise IndexError
            dims = struct.unpack_from(f"<{ndim}Q", data, pos + 4)
            pos += 4 + 8 * ndim
            (kind,) = _U32.unpack_from(data, pos)
            self.pos = pos + 12  # the type, and the data offset (not needed)
            return name, dims, kind
        except (IndexError, struct.error):  # at the end of what was read so far, or wrong
            return self._tensor_info_slowly(i)

    def _tensor_info_slowly(self, i: int) -> tuple[str, tuple[int, ...], int]:
        """The same as tensor_info, field by field, to say which one is wrong."""
        name = self.string(f"tensor name {i}")
        n = self.unpack("<I", f"the dimensions of {name}")
        if n > MAX_DIMS:
            raise SpecError(f"{self.path}: tensor {name!r} claims {n} dimensions")
        dims = tuple(self.unpack("<Q", f"a dimension of {name}") for _ in range(n))
        kind = self.unpack("<I", f"the type of {name}")
        self.unpack("<Q", f"the offset of {name}")
        return name, dims, kind


def _quant_sizes() -> tuple[dict[int, tuple[int, int]], dict[int, str]]:
    try:
        from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType
    except ImportError as e:
        raise SpecError("reading .gguf files needs the gguf package: pip install gguf") from e
    sizes = {int(t): (int(b), int(s)) for t, (b, s) in GGML_QUANT_SIZES.items()}
    names = {int(t): t.name for t in GGMLQuantizationType}
    return sizes, names


def read_gguf(path: str) -> tuple[dict[str, Any], list[Stored]]:
    from ..files import open_regular

    with open_regular(path) as f:
        try:
            return parse(b"", os.fstat(f.fileno()).st_size, path, f.read)
        except OSError as e:
            raise SpecError(f"{path}: cannot be read ({e.strerror or e})") from e


def parse(data: bytes, size: int, path: str, more: Callable[[int], bytes] | None = None
          ) -> tuple[dict[str, Any], list[Stored]]:
    """Metadata and tensors from a GGUF header: data, the first bytes of a file of size, and
    more(n), which reads on from the file where there is one."""
    sizes, names = _quant_sizes()
    r = _Reader(data, size, path, more)
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
    if tensors > MAX_TENSORS:
        raise SpecError(f"{path}: the header lists {tensors:,} tensors; nnsize reads at most "
                        f"{MAX_TENSORS:,}")
    if kvs > MAX_METADATA:
        raise SpecError(f"{path}: the header lists {kvs:,} metadata entries; nnsize reads at "
                        f"most {MAX_METADATA:,}")
    metadata: dict[str, Any] = {"version": version}
    for i in range(kvs):
        key = r.string(f"metadata key {i}")
        value = r.value(r.unpack("<I", f"the type of {key}"), key, keep=True)
        metadata[key] = value
    stored = []
    for i in range(tensors):
        name, dims, kind = r.tensor_info(i)
        elements = numel(dims)
        if elements > 2**62:
            raise SpecError(f"{path}: tensor {name!r} claims {list(dims)} elements")
        if kind not in sizes:
            raise SpecError(f"{path}: tensor {name!r} has unknown type {kind}")
        block, type_size = sizes[kind]
        # GGUF lists dimensions fastest-first; shown here as torch would (slowest first)
        stored.append(Stored(name, dims[::-1], names.get(kind, str(kind)),
                             elements // block * type_size))
    return metadata, stored


def load_gguf(path: str, data: bytes | None = None) -> Report:
    """Count a .gguf file, or (data) the first bytes of one, holding its whole header."""
    if data is None:
        metadata, stored = read_gguf(path)
    else:
        metadata, stored = parse(data, len(data), path)
    return gguf_report(path, metadata, stored)


def gguf_report(path: str, metadata: dict[str, Any], stored: list[Stored]) -> Report:
    """The report of a GGUF file's metadata and tensors (from its header, or from the summary
    of one: importers.summary)."""
    report = checkpoint_report(path, stored, "gguf")
    # GGUF keeps a quantized weight under its own name and shape, its type saying so (not
    # beside scales and packed integers, which is how checkpoint_report sees quantization)
    contents: Contents = {**report.stored,
                          "quantized": any(s.dtype not in PLAIN for s in stored),
                          "metadata": {k: v for k, v in metadata.items()
                                       if k.startswith("general.") or k == "version"}}
    key = f"{metadata.get('general.architecture')}.context_length"
    if isinstance(metadata.get(key), int) and metadata[key] > 0:  # the model's own limit
        contents["context_limit"] = {"tokens": metadata[key], "from": f"GGUF {key}"}
    report = replace(report, stored=contents, decoder=gguf_decoder(metadata, stored))
    return report


def gguf_decoder(metadata: dict[str, Any], stored: list[Stored]) -> Any:
    """The KV cache's shape from a GGUF's own keys (llama.cpp's LLM_KV names, under the
    architecture's prefix): block_count layers, attention.head_count(_kv) heads,
    attention.key_length / value_length per head (default embedding_length / head_count, as
    llama.cpp's loader takes them).  None where a key it needs is missing or per layer (an
    array), or where the cache has another shape llama.cpp keys describe per architecture
    (sliding_window patterns, MLA's kv_lora_rank, SSM state): the plan then says it cannot
    give the KV cache rather than guess it."""
    from ..model import AttentionLayer, Decoder, Layers

    arch = metadata.get("general.architecture")
    if not isinstance(arch, str):
        return None

    def num(name: str) -> int | None:
        value = metadata.get(f"{arch}.{name}")
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
            else None

    layers, hidden, heads = num("block_count"), num("embedding_length"), \
        num("attention.head_count")
    if not (layers and hidden and heads):
        return None
    if any(f"{arch}.{k}" in metadata for k in ("attention.sliding_window",
                                                "attention.kv_lora_rank", "ssm.state_size")):
        return None  # a window, a latent cache, a state: shapes llama.cpp sets per architecture
    if f"{arch}.attention.head_count_kv" in metadata and not num("attention.head_count_kv"):
        return None  # kv heads per layer (an array)
    kv = num("attention.head_count_kv") or heads
    key = num("attention.key_length") or hidden // heads
    value = num("attention.value_length") or hidden // heads
    embd = next((s for s in stored if s.name == "token_embd.weight"), None)
    vocab = embd.shape[0] if embd is not None and embd.shape else 0
    experts = num("expert_used_count") or 0
    layer = AttentionLayer(heads, kv, key, value)
    return Decoder(hidden, num("feed_forward_length") or 0, vocab,
                   Layers((((layer,), layers),)), experts,
                   (num("expert_feed_forward_length") or 0) if experts else 0)


# this format's entry in the formats table (importers/__init__.py)
FORMAT = Format("gguf", (".gguf",), load_gguf, from_bytes=True)
