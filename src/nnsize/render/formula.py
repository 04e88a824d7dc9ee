"""A parameter count written as a sum with the numbers in it: '(10 x 20) + 20 = 220'."""

from __future__ import annotations

from functools import lru_cache

from ..model import Formula, Row, Term


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
