"""Storage formats as exact bits per value."""

from __future__ import annotations

from .records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from fractions import Fraction

    Bits = int | Fraction  # exact: an int, or a Fraction where scales add part of a bit


@record
class Precision:
    """A number format with its exact bits per stored value."""

    name: str
    bits_per_value: Bits
    description: str


def catalogue() -> dict[str, Precision]:
    """Every storage format by name, scale and zero-point overhead included in its bits.

    Group-quantized formats pay for their scales per group: GPTQ / AWQ int4 with group g keeps an
    fp16 scale and a 4-bit zero per g weights (4 + 20/g bits); bitsandbytes NF4 an fp32 absmax
    per 64 (4.5 bits), or with double quantization an 8-bit absmax per 64 and an fp32 one per
    64 x 256 (4 + 1/8 + 1/512 bits); MXFP4 an 8-bit shared exponent per 32 (4.25); NVFP4 an fp8
    scale per 16 (4.5).  GGUF's types come from the gguf package's GGML_QUANT_SIZES (block size,
    bytes per block), when it is installed.  Ternary weights pack five to a byte (3^5 = 243).
    """
    from fractions import Fraction

    table = {p.name: p for p in PARAMETER_TABLE}
    table.update({p.name: p for p in (
        Precision("tf32", 32, "TensorFloat-32: computes in 19 bits, stored as fp32"),
        Precision("fp8-e4m3", 8, "8-bit float, 4 exponent bits"),
        Precision("fp8-e5m2", 8, "8-bit float, 5 exponent bits"),
        Precision("int8-channel", 8, "8-bit integer with an fp32 scale per output channel "
                                     "(the scale counted per tensor row)"),
        Precision("gptq-int4", Fraction(4) + Fraction(20, 128),
                  "GPTQ 4-bit, group 128: fp16 scale and 4-bit zero per group"),
        Precision("awq-int4", Fraction(4) + Fraction(20, 128),
                  "AWQ 4-bit, group 128: fp16 scale and 4-bit zero per group"),
        Precision("nf4", Fraction(9, 2), "bitsandbytes NF4, block 64, fp32 absmax per block"),
        Precision("nf4-dq", Fraction(4) + Fraction(8, 64) + Fraction(32, 64 * 256),
                  "bitsandbytes NF4 with double quantization"),
        Precision("mxfp4", Fraction(17, 4), "OCP MXFP4: 4-bit floats, an 8-bit scale per 32"),
        Precision("nvfp4", Fraction(9, 2), "NVIDIA NVFP4: 4-bit floats, an fp8 scale per 16"),
        Precision("ternary", Fraction(8, 5), "1.58-bit ternary weights, five per byte"),
        Precision("binary", 1, "1-bit weights"),
    )})
    try:
        from gguf.constants import GGML_QUANT_SIZES
    except ImportError:
        return table
    for kind, (block, size) in GGML_QUANT_SIZES.items():
        name = kind.name.lower()
        if name not in ("f32", "f16", "bf16", "f64", "i8", "i16", "i32", "i64"):
            table[name] = Precision(name, Fraction(size * 8, block),
                                    f"GGUF {kind.name}: {size} bytes per block of {block}")
    return table


def group_quantized(name: str, group: int) -> Precision:
    """GPTQ / AWQ int4 with another group size: 4 + 20/group bits."""
    from fractions import Fraction

    return Precision(f"{name}-g{group}", Fraction(4) + Fraction(20, group),
                     f"4-bit, group {group}: fp16 scale and 4-bit zero per group")


def find(name: str) -> Precision:
    from .errors import NnsizeError, suggest

    table = catalogue()
    key = name.lower()
    for candidate in (key, key.replace("_", "-")):
        if candidate in table:
            return table[candidate]
    if key.endswith("-block") and key[:-6] in table and \
            table[key[:-6]].description.startswith("GGUF"):
        # a GGUF block format alone, without llama.cpp's per-tensor mix (memory.plan)
        from .records import replace

        return replace(table[key[:-6]], name=key, description=table[key[:-6]].description +
                       ", on every weight alike (no llama.cpp mix)")
    key = key.replace("_", "-")
    for base in ("gptq-int4", "awq-int4"):
        if key.startswith(base + "-g") and key[len(base) + 2:].isdigit():
            group = int(key[len(base) + 2:])
            if group >= 1:
                return group_quantized(base, group)
    raise NnsizeError(f"unknown precision {name!r}{suggest(key, list(table))}; 'nnsize memory "
                      f"--list-dtypes' lists them")


# Precisions that apply to float computation (weights, activations, KV cache) in full, as
# opposed to weight-only quantization formats, under which norms, biases and embeddings stay
# at the compute precision.
FLOATS = ("fp64", "fp32", "tf32", "bf16", "fp16")


def storage_bytes(count: int, precision: Precision) -> int:
    """Whole bytes to store count values: ceil(count * bits / 8)."""
    bits = count * precision.bits_per_value
    numerator, denominator = (bits, 1) if isinstance(bits, int) else \
        (bits.numerator, bits.denominator)
    return -(-numerator // (denominator * 8))


# The parameter-memory table of every report, in this order.
PARAMETER_TABLE: tuple[Precision, ...] = (
    Precision("fp64", 64, "IEEE double"),
    Precision("fp32", 32, "IEEE single (also how tf32 is stored)"),
    Precision("bf16", 16, "bfloat16"),
    Precision("fp16", 16, "IEEE half"),
    Precision("fp8", 8, "8-bit float (e4m3 or e5m2)"),
    Precision("int8", 8, "8-bit integer, scales not counted"),
    Precision("int4", 4, "4-bit integer, scales not counted"),
    Precision("1bit", 1, "binary weights, 8 per byte"),
)


def memory_table(count: int) -> dict[str, int]:
    """Bytes of count values at each precision of PARAMETER_TABLE (fp64 ... 1 bit): a report's
    parameter memory."""
    return {p.name: storage_bytes(count, p) for p in PARAMETER_TABLE}
