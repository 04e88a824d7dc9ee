"""Parameter bytes: every tensor (counted once) at a format's exact bits per value."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Report, Row, Tensor
from ..precision import FLOATS, Precision, memory_table
from .bits import to_bytes

if TYPE_CHECKING:
    from .fp32_modules import Fp32
    from .lines import WeightsTerms

KEEP = ("norms", "biases", "embeddings", "head")  # what weight-only formats usually leave alone


def parameter_memory(report: Report) -> dict[str, int]:
    """Bytes of all parameters at each precision of the parameter table (fp64 ... 1 bit)."""
    return memory_table(report.total_params)


def _kept(row_type: str, t: Tensor, keep: tuple[str, ...]) -> bool:
    """Whether a weight-only format leaves t at the compute precision: by default norms,
    biases, embeddings and the head (and any other vector), as GPTQ, AWQ, bitsandbytes and most
    GGUF mixes do; --keep changes the list."""
    if t.role == "norm" or t.role in ("statistic", "other"):
        return "norms" in keep or t.role != "norm"
    if t.role == "bias" or len(t.shape) < 2:
        return "biases" in keep or t.role != "bias"
    if row_type == "head":
        return "head" in keep
    return t.role == "embedding" and "embeddings" in keep


def weight_bytes(report: Report, precision: Precision, keep: Precision,
                 kept_roles: tuple[str, ...] = KEEP,
                 layer_dtypes: bool = True, record: type[WeightsTerms] | None = None,
                 fp32: Fp32 | None = None) -> tuple[int, WeightsTerms]:
    """Bytes of every parameter (counted once) at precision; what a weight-only format leaves
    alone (kept_roles) stays at keep; with layer_dtypes, a layer's own dtype argument keeps its
    parameters in that dtype under a float precision; what fp32 names (fp32_modules: what
    transformers' loader keeps in float32, buffers too) at 4 B.  Returns (bytes, the terms)."""
    quantized = precision.name not in FLOATS
    method = library(precision.name) if report.decoder is not None and \
        tuple(kept_roles) == KEEP else None
    main, kept, total, state, upcast = 0, 0, 0, 0, 0
    own: dict[str, int] = {}  # a layer's own dtype argument -> parameters kept in it
    for row in report.rows:
        layer = None if quantized or not layer_dtypes else layer_precision(row)
        for t in row.tensors:
            if t.shared_with:
                continue
            n = t.numel * row.repeat
            if fp32 is not None and fp32.matches(t.name):  # a buffer too: the model's state
                upcast += n
                total += 4 * n
                continue
            if t.buffer:
                continue
            if layer is not None and layer.name != precision.name:
                own[layer.name] = own.get(layer.name, 0) + n
                total += to_bytes(n, layer.bits_per_value)
                continue
            if method:  # a language model: the library's own rule, by tensor name
                from .weight_only import quantized as library_quantizes

                keep_it = not library_quantizes(method, t.name, t.shape)
            else:
                keep_it = _kept(row.type, t, kept_roles)
            if quantized and keep_it:
                kept += n
                total += to_bytes(n, keep.bits_per_value)
            else:
                main += n
                extra = 0
                if precision.name == "int8-channel" and len(t.shape) >= 2:
                    extra = t.shape[0] * t.copies * row.repeat * 32  # an fp32 scale a row
                if precision.name in ("nf4", "nf4-dq"):  # each tensor as bitsandbytes keeps it
                    each = bnb_4bit_bytes(t.numel // t.copies, precision.name == "nf4-dq")
                    exact = each * t.copies * row.repeat
                    state += exact - to_bytes(n, precision.bits_per_value)
                    total += exact
                    continue
                total += to_bytes(n, precision.bits_per_value) + extra // 8
    from .lines import WeightsTerms

    return total, (record or WeightsTerms)(main, precision, kept, keep, tuple(kept_roles), method,
                                           tuple(sorted(own.items())), quant_state=state,
                                           fp32=upcast, fp32_why=fp32.words() if upcast and fp32
                                           else "")


def bnb_4bit_bytes(n: int, double: bool) -> int:
    """Bytes of one tensor of n values as bitsandbytes' quantize_4bit keeps it (NF4, block 64;
    bitsandbytes 0.50.2 on the CPU, tests/memory/test_lora.py): two values a byte ((n + 1) // 2), an
    absmax per block of 64 (fp32, 4 bytes), and the 16-entry NF4 code (fp32, 64 bytes).  With
    double quantization (the QLoRA paper's recipe) the absmax is 8-bit (1 byte a block),
    quantized again in blocks of 256 with an fp32 absmax each, an fp32 offset (4 bytes) and
    the 256-entry dynamic code (fp32, 1,024 bytes).  A 4,096 x 4,096 weight: 8,388,608 +
    262,144 + 4 x 1,024 + 4 + 64 + 1,024 = 8,655,940 bytes (4.1277 bits a value)."""
    blocks = -(-n // 64)
    if not double:
        return (n + 1) // 2 + 4 * blocks + 64
    return (n + 1) // 2 + blocks + 4 * -(-blocks // 256) + 4 + 64 + 1024


# a layer's dtype argument (layers.kind.DTYPES' names) -> the planner's precision
LAYER_DTYPES = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "float64": "fp64"}


def layer_precision(row: Row) -> Precision | None:
    """The precision a layer's own dtype argument keeps its parameters in (torch.nn's
    dtype=, Keras' dtype=), or None where it gives none.  A float --dtype leaves such a layer
    in its own dtype (as the framework creates it); a weight-only format quantizes it anyway."""
    from ..precision import find

    given = dict(row.args).get("dtype")
    return find(LAYER_DTYPES[given]) if given in LAYER_DTYPES else None


def library(precision: str) -> str | None:
    """The library whose defaults a weight-only format follows (weight_only.RULES)."""
    for prefix in ("gptq", "awq", "nf4", "fp8"):
        if precision.startswith(prefix):
            return prefix
    return None
