"""Numbers as people read them: 1,102; 3.81 MiB; [1, 3, 224, 224]; and a parameter count as a
sum with the numbers in it: '(10 x 20) + 20 = 220'."""

from __future__ import annotations

from functools import lru_cache

from ..model import Formula, Row, Shape, Term

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


# kept for the last rows' formulas: a checkpoint's layers repeat theirs (150,000 tensors in
# 18,750 rows of one formula each, written once)
@lru_cache(maxsize=1024)
def formula(terms: Formula) -> str:
    """'(16 x 3 x 3 x 3) + 16'; a single tensor without parentheses: '10 x 20'; none: '0'."""
    if len(terms) == 1 and terms[0][0] == 1:
        return " x ".join(f"{d:,}" for d in terms[0][1]) or "1"
    return " + ".join(_term(t) for t in terms) if terms else "0"


def _term(term: Term) -> str:
    copies, shape = term
    dims = " x ".join(f"{d:,}" for d in shape) or "1"
    inner = f"({dims})" if len(shape) > 1 else dims
    return f"{copies:,} x {inner}" if copies != 1 else inner


def formula_text(row: Row) -> str:
    """'(10 x 20) + 20 = 220', or '3 x ((20 x 20) + 20) = 1,260' for a repeated layer."""
    if row.repeat == 1:
        return f"{formula(row.formula)} = {row.params:,}" if row.formula else "0"
    return f"{row.repeat:,} x ({formula(row.formula)}) = {row.params:,}"
