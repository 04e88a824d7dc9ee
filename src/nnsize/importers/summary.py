"""A checkpoint header's summary: what a count of it reads (each tensor's name, shape and dtype,
and a GGUF file's metadata), with the layers that repeat folded into one entry.

The web page sends a dropped file's header once; the API answers its count with this summary,
and the page sends the summary, a few hundred bytes, with every planner change instead of the
header (the server keeps nothing between requests).  A summary is untrusted input like any
header: report() checks it as the importers check a header (known dtypes, shapes, the tensor
limit, the bytes within the file) and builds the report by the same code, so a summary plans
exactly as the header it came from.

    {"format": "gguf", "metadata": {...}, "tensors": [
        ["token_embd.weight", [32000, 4096], "Q4_K"],                      # one tensor
        {"at": [0, 1, 2], "tensors": [["blk.{i}.attn_q.weight", [4096, 4096], "Q4_K"], ...]},
        ...]}                                                              # layers 0, 1, 2

Shapes are as the report shows them (slowest dimension first); a tensor's bytes follow from its
shape and dtype, never from the summary.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import SpecError
from ..model import Report
from .tensors import Stored

FORMATS = ("safetensors", "gguf")
MAX_NAME = 1_000  # characters of a tensor name
MAX_ENTRIES = 100_000  # entries of a summary, and tensors it expands to (the importers' limit)
MAX_LIST = 4_096  # items of a GGUF metadata array kept (per-layer head counts...)
_LAYER = re.compile(r"^([^{}]*?\.)(\d{1,9})(\.[^{}]*)$")  # the first dotted number: the layer


def summarize(fmt: str, data: bytes, file_size: int, name: str) -> dict[str, Any] | None:
    """The summary of a header (data, of a file of file_size bytes); None for a format without
    one (ONNX: the file is its own header)."""
    if fmt == "safetensors":
        from .from_safetensors import from_bytes

        return fold(fmt, {}, from_bytes(data, file_size, name))
    if fmt == "gguf":
        from .from_gguf import parse

        metadata, stored = parse(data, len(data), name)
        return fold(fmt, {k: v for k, v in metadata.items() if _plain(v)
                          and not k.startswith("tokenizer.")}, stored)
    return None


def _plain(value: Any) -> bool:
    """A metadata value JSON holds as it is: a string, a whole number, a finite float, a bool,
    or a short list of them."""
    import math

    if isinstance(value, list):
        return len(value) <= MAX_LIST and all(_plain(v) and not isinstance(v, list)
                                              for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):  # GGUF's widest: a 64-bit integer
        return -2**63 <= value < 2**64
    return isinstance(value, str)


def fold(fmt: str, metadata: dict[str, Any], stored: list[Stored]) -> dict[str, Any]:
    """The summary: consecutive layers with the same tensors (names but for the layer number,
    shapes, dtypes) as one entry listing the layers' numbers."""
    out: list[Any] = []
    segment: tuple[str, list[list[Any]]] | None = None  # (layer number, its tensors)

    def close() -> None:
        if segment is None:
            return
        at, tensors = segment
        last = out[-1] if out else None
        if isinstance(last, dict) and last["tensors"] == tensors:
            last["at"].append(int(at))
        else:
            out.append({"at": [int(at)], "tensors": tensors})

    for s in stored:
        match = _LAYER.match(s.name) if not s.shared_with else None
        entry = [s.name, list(s.shape), s.dtype]
        if match is None:
            close()
            segment = None
            out.append(entry)
            continue
        at = match.group(2)
        entry[0] = match.group(1) + "{i}" + match.group(3)
        if segment is not None and segment[0] == at and str(int(at)) == at:
            segment[1].append(entry)
            continue
        close()
        segment = (at, [entry]) if str(int(at)) == at else None
        if segment is None:  # 007: not a number that prints back as itself
            out.append([s.name, list(s.shape), s.dtype])
    close()
    return {"format": fmt, "metadata": metadata, "tensors": out}


def _sizes(fmt: str) -> dict[str, tuple[int, int]]:
    """How a dtype of the format stores values: (values, bytes) a block for GGUF's types, (1,
    bits) a value for safetensors' (whose tensors take whole bytes: the header check)."""
    if fmt == "gguf":
        from .from_gguf import _quant_sizes

        sizes, names = _quant_sizes()
        return {names[k]: v for k, v in sizes.items() if k in names}
    from .tensors import INT_BITS

    return {k: (1, bits) for k, bits in INT_BITS.items()}


def report(summary: Any, file_size: int, name: str) -> Report:
    """The report of a summary (untrusted: from a request), built as its header's would be."""
    where = f"{name}: the summary"
    if not isinstance(summary, dict) or set(summary) != {"format", "metadata", "tensors"}:
        raise SpecError(f"{where} is not an object of format, metadata and tensors")
    fmt, metadata, entries = summary["format"], summary["metadata"], summary["tensors"]
    if fmt not in FORMATS:
        raise SpecError(f"{where}: format {fmt!r} is not one of {', '.join(FORMATS)}")
    if not isinstance(metadata, dict) or (fmt != "gguf" and metadata) or \
            len(metadata) > MAX_ENTRIES or not all(isinstance(k, str) and _plain(v)
                                                   for k, v in metadata.items()):
        raise SpecError(f"{where}: metadata must be an object of strings, numbers and lists "
                        f"of them (GGUF only)")
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise SpecError(f"{where}: tensors must be a list of at most {MAX_ENTRIES:,} entries")
    sizes = _sizes(fmt)
    dims = 8 if fmt == "gguf" else 16  # the importers' limits (from_gguf, from_safetensors)
    stored: list[Stored] = []
    total = 0

    def tensor(entry: Any, at: int | None) -> Stored:
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str)
                and 0 < len(entry[0]) <= MAX_NAME and isinstance(entry[1], list)
                and len(entry[1]) <= dims and isinstance(entry[2], str)):
            raise SpecError(f"{where}: a tensor is [name, shape, dtype], got {str(entry)[:200]}")
        tensor_name, shape, dtype = entry
        if at is not None:
            if tensor_name.count("{i}") != 1:
                raise SpecError(f"{where}: {tensor_name!r} of a run of layers needs one {{i}}")
            tensor_name = tensor_name.replace("{i}", str(at))
        if dtype not in sizes:
            raise SpecError(f"{where}: tensor {tensor_name!r} has unknown dtype {dtype!r}")
        n = 1
        for d in shape:
            if type(d) is not int or not 0 <= d < 2**62:
                raise SpecError(f"{where}: tensor {tensor_name!r} has an invalid shape")
            n *= d
        if n > 2**62:
            raise SpecError(f"{where}: tensor {tensor_name!r} claims {n:,} elements")
        block, size = sizes[dtype]
        if fmt == "gguf":  # as from_gguf.parse counts a tensor's bytes
            return Stored(tensor_name, tuple(shape), dtype, n // block * size)
        if n * size % 8:
            raise SpecError(f"{where}: tensor {tensor_name!r} of {n:,} {dtype} values is not "
                            f"whole bytes")
        return Stored(tensor_name, tuple(shape), dtype, n * size // 8)

    for entry in entries:
        if isinstance(entry, dict):
            at, tensors = entry.get("at"), entry.get("tensors")
            if set(entry) != {"at", "tensors"} or not isinstance(at, list) or \
                    not isinstance(tensors, list) or not tensors or \
                    not all(type(i) is int and 0 <= i < 10**9 for i in at):
                raise SpecError(f"{where}: a run of layers is {{at: [numbers], tensors: "
                                f"[...]}}")
            if len(stored) + len(at) * len(tensors) > MAX_ENTRIES:
                raise SpecError(f"{where}: more than {MAX_ENTRIES:,} tensors")
            for i in at:
                for t in tensors:
                    stored.append(tensor(t, i))
        else:
            if len(stored) >= MAX_ENTRIES:
                raise SpecError(f"{where}: more than {MAX_ENTRIES:,} tensors")
            stored.append(tensor(entry, None))
    names = set()
    for s in stored:
        if s.name in names:  # a header names each tensor once
            raise SpecError(f"{where}: tensor {s.name!r} is listed twice")
        names.add(s.name)
        total += s.nbytes
    if total > file_size:
        raise SpecError(f"{where}: its tensors take {total:,} bytes, more than the file's "
                        f"{file_size:,}")
    if fmt == "gguf":
        from .from_gguf import gguf_report

        return gguf_report(name, metadata, stored)
    from .tensors import checkpoint_report

    return checkpoint_report(name, stored, fmt)
