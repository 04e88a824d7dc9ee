"""Storage formats as exact bits per value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from fractions import Fraction

Bits = Union[int, "Fraction"]  # exact: an int, or a Fraction where scales add part of a bit


@dataclass(frozen=True)
class Precision:
    """A number format with its exact bits per stored value."""

    name: str
    bits_per_value: Bits
    description: str


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
