"""Storage formats as exact bits per value."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Precision:
    """A number format; bits_per_value is exact (a Fraction where scales add a fractional bit)."""

    name: str
    bits_per_value: Fraction
    description: str


def storage_bytes(count: int, precision: Precision) -> int:
    """Whole bytes to store count values: ceil(count * bits / 8)."""
    bits = count * precision.bits_per_value
    return -(-bits.numerator // (bits.denominator * 8))


# The parameter-memory table of every report, in this order.
PARAMETER_TABLE: tuple[Precision, ...] = (
    Precision("fp64", Fraction(64), "IEEE double"),
    Precision("fp32", Fraction(32), "IEEE single (also how tf32 is stored)"),
    Precision("bf16", Fraction(16), "bfloat16"),
    Precision("fp16", Fraction(16), "IEEE half"),
    Precision("fp8", Fraction(8), "8-bit float (e4m3 or e5m2)"),
    Precision("int8", Fraction(8), "8-bit integer, scales not counted"),
    Precision("int4", Fraction(4), "4-bit integer, scales not counted"),
    Precision("1bit", Fraction(1), "binary weights, 8 per byte"),
)
