"""A report from a checkpoint's flat list of named tensors, with quantized layers recognised.

Quantized checkpoints store a layer's weight as packed integers plus bookkeeping tensors.  The
report counts the logical parameters of the unquantized model, and keeps the stored tensors as
buffers (role 'quantization'), so totals answer "how big is the model" and the stored bytes
"how big is the file":

    GPTQ / AWQ     qweight (packed int32), qzeros, scales, g_idx  -> in_features x out_features
                   (out from scales' last dim; in from g_idx, or AWQ's qweight rows)
    bitsandbytes   4-bit: weight (uint8, two values a byte) + absmax, quant_map, quant_state...
                   8-bit: weight (int8) + SCB
    MXFP4          *_blocks (uint8, two values a byte) + *_scales
    FP8            weight (F8_E4M3) + weight_scale_inv, or weight_scale and input_scale
"""

from __future__ import annotations

import gc
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import NamedTuple

from ..model import Report, Row, Tensor, numel, sum_formula

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..model.contents import Contents, DtypeTally

# bits per element of each stored dtype: safetensors' names, ONNX/torch names map onto them
DTYPE_BITS: dict[str, Fraction] = {
    "F64": Fraction(64), "F32": Fraction(32), "F16": Fraction(16), "BF16": Fraction(16),
    "F8_E4M3": Fraction(8), "F8_E5M2": Fraction(8), "F8_E8M0": Fraction(8),
    "F6_E2M3": Fraction(6), "F6_E3M2": Fraction(6), "F4": Fraction(4),
    "I64": Fraction(64), "I32": Fraction(32), "I16": Fraction(16), "I8": Fraction(8),
    "U64": Fraction(64), "U32": Fraction(32), "U16": Fraction(16), "U8": Fraction(8),
    "BOOL": Fraction(8), "C64": Fraction(64),
}
INT_BITS = {k: int(v) for k, v in DTYPE_BITS.items()}  # every stored dtype has whole bits
# integer dtypes: a tensor stored in one (and not a quantized layer's packed values, recognised
# first) is bookkeeping such as BERT's position_ids, a buffer and not a trainable weight
INTEGERS = ("I64", "I32", "I16", "U64", "U32", "U16", "BOOL")  # not I8, U8: packed weights
# Tensors a checkpoint stores that the model holds as buffers, not parameters (persistent
# buffers are saved too): counted as buffers, as a config's report counts them.
BUFFERS = {"e_score_correction_bias": "other",  # DeepSeek-V3's router: register_buffer
           "running_mean": "statistic", "running_var": "statistic",
           "num_batches_tracked": "statistic"}
# FP8 checkpoints keep a scale beside each weight: weight_scale_inv (DeepSeek-V3's blocks of
# 128 x 128), weight_scale and input_scale (compressed-tensors, FBGEMM)
BOOKKEEPING = re.compile(r"\.(qzeros|scales|g_idx|SCB|absmax|quant_map|nested_absmax|"
                         r"nested_quant_map|quant_state\..*|weight_scale_inv|weight_scale|"
                         r"input_scale)$|_scales$")
# what every name BOOKKEEPING matches ends with (or holds .quant_state.): a cheap test first
BOOKKEEPING_ENDS = ("qzeros", "scales", "g_idx", "SCB", "absmax", "quant_map",
                    "weight_scale_inv", "weight_scale", "input_scale")


# what a bitsandbytes 4-bit weight's name is followed by in its quant_state's (as long each)
BNB_4BIT = (".quant_state.bitsandbytes__nf4", ".quant_state.bitsandbytes__fp4")


class Stored(NamedTuple):
    """One tensor as a file stores it (a named tuple: a million are built in a header's time)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    nbytes: int
    shared_with: str = ""  # the same data as this earlier tensor (tied weights saved once)


# the first part of a dotted name that is all digits (ASCII names: what str.isdigit says there)
_NUMBERED = re.compile(r"(?:\A|\.)[0-9]+(?=\.|\Z)")


def _group(name: str) -> str:
    """'model.layers.3.mlp.up_proj.weight' -> 'model.layers.3'; 'lm_head.weight' -> 'lm_head'."""
    if name.isascii():  # one regular expression instead of a split, a loop and a join
        numbered = _NUMBERED.search(name)
        if numbered is not None:
            return name[:numbered.end()]
        return name.rsplit(".", 1)[0] or name
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.isdigit():
            return ".".join(parts[:i + 1])
    return ".".join(parts[:-1]) or name


def _role(name: str) -> str:
    leaf = name.rsplit(".", 1)[-1]
    if "norm" in name.lower() or leaf in ("gamma", "beta"):
        return "norm"
    if "embed" in name or leaf in ("wte", "wpe"):
        return "embedding"
    return "bias" if leaf == "bias" else "weight"


def logical_tensors(stored: list[Stored]) -> list[Tensor]:
    """The parameters the stored tensors stand for, quantized layers unpacked."""
    by_name = {s.name: s for s in stored}
    # bitsandbytes' packed weights: the names with a quant_state beside them
    packed = {n[:-len(BNB_4BIT[0])] for n in by_name if n.endswith(BNB_4BIT)}
    tensor = Tensor.stored
    out = []
    for s in stored:
        base = s.name[:-len(".qweight")] if s.name.endswith(".qweight") else None
        if base is not None and f"{base}.scales" in by_name:
            cols = by_name[f"{base}.scales"].shape[-1]
            g_idx = by_name.get(f"{base}.g_idx")
            rows = g_idx.shape[0] if g_idx else s.shape[0]  # GPTQ keeps g_idx; AWQ does not
            out.append(tensor(f"{base}.weight", (cols, rows), "weight"))
            out.append(tensor(s.name, s.shape, "quantization", buffer=True))
        elif s.name.endswith("_blocks") and s.name[:-7] + "_scales" in by_name:
            out.append(tensor(s.name[:-7], (numel(s.shape) * 2,), "weight"))  # two 4-bit a byte
            out.append(tensor(s.name, s.shape, "quantization", buffer=True))
        elif s.name in packed:
            out.append(tensor(s.name, (numel(s.shape) * 2,), "weight"))
            out.append(tensor(s.name + " (packed)", s.shape, "quantization", buffer=True))
        elif (s.name.endswith(BOOKKEEPING_ENDS) or ".quant_state." in s.name) and \
                BOOKKEEPING.search(s.name) and _quantized_sibling(s.name, by_name):
            out.append(tensor(s.name, s.shape, "quantization", buffer=True))
        elif s.shared_with:
            out.append(tensor(s.name, s.shape, _role(s.name), shared_with=s.shared_with))
        elif s.name.rsplit(".", 1)[-1] in BUFFERS:
            out.append(tensor(s.name, s.shape, BUFFERS[s.name.rsplit(".", 1)[-1]], buffer=True))
        elif s.dtype in INTEGERS:  # position_ids, token-type ids...: indices a step reads,
            out.append(tensor(s.name, s.shape, "other", buffer=True))  # never trained
        else:
            out.append(tensor(s.name, s.shape, _role(s.name)))
    return out


def _quantized_sibling(name: str, by_name: dict[str, Stored]) -> bool:
    base = BOOKKEEPING.sub("", name)
    return any(k in by_name for k in (f"{base}.qweight", f"{base}_blocks", f"{base}.weight",
                                       base))


def checkpoint_report(source: str, stored: list[Stored], fmt: str) -> Report:
    """Rows per module group (a layer, the embeddings...), and the stored bytes per dtype."""
    tensors = logical_tensors(stored)
    groups: dict[str, list[Tensor]] = {}
    for t in tensors:
        groups.setdefault(_group(t.name), []).append(t)
    rows = tuple(Row(name=g, label=g, type=fmt, input_shape=(), output_shape=(),
                     tensors=tuple(ts), macs_each=0, formula=sum_formula(ts), index=i,
                     qualified=True)
                 for i, (g, ts) in enumerate(groups.items()))
    dtypes: dict[str, DtypeTally] = {}
    kept = [s for s in stored if not s.shared_with]  # a tied tensor's data is stored once
    for s in kept:
        d = dtypes.setdefault(s.dtype, {"tensors": 0, "elements": 0, "bytes": 0})
        d["tensors"] += 1
        d["elements"] += numel(s.shape)
        d["bytes"] += s.nbytes
    quantized = any(t.role == "quantization" for t in tensors)
    summary: Contents = {"format": fmt, "tensors": len(kept),
               "elements": sum(numel(s.shape) for s in kept),
               "bytes": sum(s.nbytes for s in kept), "dtypes": dtypes, "quantized": quantized}
    if len(kept) < len(stored):
        summary["tied"] = len(stored) - len(kept)
    return Report(source, "checkpoint", (), rows, stored=summary)


_PAUSES = [0, False]  # readers in paused_gc now; whether the collector ran before the first
_PAUSE_LOCK = threading.Lock()


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while a file is read: a header's hundreds of
    thousands of objects (its parsed JSON, a Stored and a Tensor each) hold no cycles, and the
    collections their allocations set off walked them again and again, a quarter of the time
    of a 150,000-tensor checkpoint.  Reference counting frees them as ever; the collector runs
    again once the last reader in the process is done (threads: the server's Hub pool)."""
    with _PAUSE_LOCK:
        if _PAUSES[0] == 0:
            _PAUSES[1] = gc.isenabled()
            gc.disable()
        _PAUSES[0] += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _PAUSES[0] -= 1
            if _PAUSES[0] == 0 and _PAUSES[1]:
                gc.enable()


def read_index(path: str, suffix: str, read: Callable[[str], list[Stored]]) \
        -> tuple[list[Stored], int]:
    """The tensors of a sharded checkpoint through its index (model.safetensors.index.json,
    pytorch_model.bin.index.json: {"weight_map": {tensor: shard file}}), each shard beside it
    read by read(path); and the number of shards."""
    from ..errors import SpecError
    from ..spec import load

    index = load(path)
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        raise SpecError(f"{path}: no 'weight_map' of tensor names to shard files")
    folder = os.path.dirname(path)
    shards = sorted(set(weight_map.values()), key=str)
    stored: list[Stored] = []
    for shard in shards:
        if not isinstance(shard, str) or os.path.basename(shard) != shard or \
                not shard.endswith(suffix):
            raise SpecError(f"{path}: shard {shard!r} is not a {suffix} file beside the index")
        stored += read(os.path.join(folder, shard))
    found = {s.name for s in stored}
    missing = [name for name in weight_map if name not in found]
    if missing:
        raise SpecError(f"{path}: {len(missing)} tensors of the index are in no shard, such as "
                        f"{missing[0]!r}")
    return stored, len(shards)
