"""Bytes of a count of values at exact bits per value, rounded up to whole bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fractions import Fraction


def to_bytes(count: int, bits: Fraction | int) -> int:
    """count x bits / 8, rounded up: 3 values x 4.5 bits = 13.5 bits -> 2 bytes."""
    if isinstance(bits, int):  # no Fraction needed (nor imported: the count command's start-up)
        return -(-count * bits // 8)
    total = count * bits
    return -(-total.numerator // (total.denominator * 8))
