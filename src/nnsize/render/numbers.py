"""Numbers as people read them: 1,102; 3.81 MiB; [1, 3, 224, 224]."""

from __future__ import annotations

from ..model import Shape

BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
DECIMAL = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def n(value: int) -> str:
    return f"{value:,}"


def unit_for(nbytes: int, binary: bool) -> int:
    """Index of the largest unit in which nbytes is at least 1."""
    base, units, i = (1024 if binary else 1000), (BINARY if binary else DECIMAL), 0
    while i + 1 < len(units) and nbytes >= base ** (i + 1):
        i += 1
    return i


def in_unit(nbytes: int, unit: int, binary: bool) -> str:
    """nbytes in a unit, exactly rounded: two decimals, three when three say it exactly.

    1,000,000 B -> '3.81 MiB' at fp32 x 4 ... 125,000 B -> '0.12 MiB' and '0.125 MB'.
    """
    units = BINARY if binary else DECIMAL
    if unit == 0:
        return f"{nbytes:,} B"
    size = (1024 if binary else 1000) ** unit
    if (nbytes * 100) % size and not (nbytes * 1000) % size:
        q = nbytes * 1000 // size
        return f"{q // 1000:,}.{q % 1000:03d} {units[unit]}"
    q = (2 * nbytes * 100 + size) // (2 * size)  # half up, in integers: exact at any size
    return f"{q // 100:,}.{q % 100:02d} {units[unit]}"


def human(nbytes: int, binary: bool) -> str:
    return in_unit(nbytes, unit_for(nbytes, binary), binary)


def shape(s: Shape) -> str:
    return "[" + ", ".join(f"{d:,}" for d in s) + "]"
