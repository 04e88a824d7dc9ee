"""Reading counts and sizes people type: 10M parameters, 24GiB, 80 GB.

Sizes say their base: kB, MB, GB, TB are powers of 1000, KiB, MiB, GiB, TiB powers of 1024.
A bare 'G', 'M' or 'K' after a size is refused as ambiguous (24G could be either), and so is a
size with no unit.  Counts take K, M, B (billion) and T suffixes, powers of 1000.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .errors import NnsizeError

BYTE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15,
              "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50}
COUNT_UNITS = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12}
_NUMBER = re.compile(r"\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*")


def _split(text: str, what: str) -> tuple[Decimal, str]:
    m = _NUMBER.fullmatch(text) if isinstance(text, str) and len(text) < 64 else None
    if not m:
        raise NnsizeError(f"{what} {text!r} is not a number with a unit, like 24GiB or 80 GB")
    try:
        return Decimal(m.group(1).replace("_", "").replace(",", "")), m.group(2)
    except InvalidOperation as e:
        raise NnsizeError(f"{what} {text!r} is not a number") from e


def parse_bytes(text: str, what: str = "size") -> int:
    """Bytes in '24GiB', '24GB', '80 GB', '512MiB'; refuses '24G' and '24' as ambiguous."""
    value, unit = _split(text, what)
    key = unit.lower()
    if key in ("k", "m", "g", "t", "p"):
        raise NnsizeError(f"{what} {text!r} is ambiguous: write {value}{unit.upper()}iB "
                          f"(powers of 1024) or {value}{unit.upper()}B (powers of 1000)")
    if not unit:
        raise NnsizeError(f"{what} {text!r} has no unit: write B, MB, GB (powers of 1000) or "
                          f"MiB, GiB (powers of 1024)")
    if key not in BYTE_UNITS:
        raise NnsizeError(f"{what} {text!r}: unknown unit {unit!r} (B, kB, MB, GB, TB, KiB, "
                          f"MiB, GiB, TiB)")
    total = value * BYTE_UNITS[key]
    if total != int(total):
        raise NnsizeError(f"{what} {text!r} is not a whole number of bytes")
    return int(total)


def parse_count(text: str, what: str = "count") -> int:
    """An exact count from '10M', '1.5B', '7_000_000', '1102'."""
    value, unit = _split(text, what)
    key = unit.lower()
    if key not in COUNT_UNITS:
        raise NnsizeError(f"{what} {text!r}: unknown suffix {unit!r} (K, M, B or T)")
    total = value * COUNT_UNITS[key]
    if total != int(total):
        raise NnsizeError(f"{what} {text!r} is not a whole number")
    return int(total)
