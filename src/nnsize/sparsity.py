"""Sparse weights: non-zeros and bytes in dense form and in the sparse formats, exactly.

For a weight matrix of R rows and C columns (a tensor's first dimension and the rest), n = R x C
elements of which nnz are non-zero, values of v bits and indices of i bits:

    dense      n x v
    COO        nnz x (v + d x i)             d = the tensor's dimensions (one index each)
    CSR        nnz x (v + i) + (R + 1) x i   column index per value, row pointers
    CSC        nnz x (v + i) + (C + 1) x i   row index per value, column pointers
    bitmask    nnz x v + n x 1               one bit per element says where the values go
    2:4        n/2 x v + n/2 x 2             two of every four kept, a 2-bit position each
               (structured: exactly 50% sparse, whatever the sparsity asked)

The break-even sparsity is where a format's size equals the dense size (above it the format is
smaller).  torch.sparse keeps int64 indices (i = 64), the default here.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .errors import NnsizeError
from .model import Report, numel

FORMATS = ("dense", "coo", "csr", "csc", "bitmask", "2:4")


def nonzeros(n: int, sparsity: Fraction) -> int:
    """Elements kept: n x (1 - sparsity), rounded as torch's pruning rounds the pruned count."""
    return n - round(n * sparsity)


def bits(fmt: str, shape: tuple[int, ...], nnz: int, value_bits: int, index_bits: int) -> int:
    n = numel(shape)
    rows, cols = shape[0], numel(shape[1:]) if len(shape) > 1 else 1
    if fmt == "dense":
        return n * value_bits
    if fmt == "coo":
        return nnz * (value_bits + len(shape) * index_bits)
    if fmt == "csr":
        return nnz * (value_bits + index_bits) + (rows + 1) * index_bits
    if fmt == "csc":
        return nnz * (value_bits + index_bits) + (cols + 1) * index_bits
    if fmt == "bitmask":
        return nnz * value_bits + n
    if fmt == "2:4":
        return n // 2 * (value_bits + 2)
    raise NnsizeError(f"unknown sparse format {fmt!r}; one of {', '.join(FORMATS)}")


def break_even(fmt: str, shape: tuple[int, ...], value_bits: int, index_bits: int) -> Fraction:
    """The sparsity above which fmt takes fewer bits than dense (1 when it never does)."""
    n = numel(shape)
    rows, cols = shape[0], numel(shape[1:]) if len(shape) > 1 else 1
    if fmt == "2:4":
        return Fraction(1, 2)  # its only sparsity, where it always beats dense
    per_value = {"coo": value_bits + len(shape) * index_bits, "csr": value_bits + index_bits,
                 "csc": value_bits + index_bits, "bitmask": value_bits}[fmt]
    fixed = {"coo": 0, "csr": (rows + 1) * index_bits, "csc": (cols + 1) * index_bits,
             "bitmask": n}[fmt]
    # nnz x per_value + fixed = n x value_bits  ->  nnz = (n v - fixed) / per_value
    nnz = Fraction(n * value_bits - fixed, per_value)
    return max(Fraction(0), min(Fraction(1), 1 - nnz / n))


@dataclass(frozen=True)
class SparseTensor:
    name: str
    shape: tuple[int, ...]
    sparsity: Fraction
    nonzeros: int
    bytes: dict[str, int]  # per format, rounded up to whole bytes
    break_even: dict[str, Fraction]


def parse_sparsity(text: str | float | Fraction) -> Fraction:
    try:
        value = Fraction(str(text))
    except (ValueError, ZeroDivisionError) as e:
        raise NnsizeError(f"sparsity {text!r} is not a number") from e
    if not 0 <= value <= 1:
        raise NnsizeError(f"sparsity {text} is outside [0, 1]: it is the fraction of weights "
                          f"that are zero")
    return value


def sparsify(report: Report, sparsity: Fraction, per_layer: dict[str, Fraction] | None = None,
             value_bits: int = 32, index_bits: int = 64) -> list[SparseTensor]:
    """Each weight matrix (2 or more dimensions) at its sparsity: global, or per layer by name
    prefix (the longest matching prefix wins)."""
    if index_bits not in (8, 16, 32, 64):
        raise NnsizeError(f"index width {index_bits} bits: one of 8, 16, 32, 64")
    per_layer = per_layer or {}
    out = []
    for name, t in report.tensor_list():
        if t.buffer or t.shared_with or len(t.shape) < 2 or t.role != "weight":
            continue
        matches = [k for k in per_layer if name.startswith(k)]
        s = per_layer[max(matches, key=len)] if matches else sparsity
        nnz = nonzeros(numel(t.shape), s)
        out.append(SparseTensor(
            name, t.shape, s, nnz,
            {f: -(-bits(f, t.shape, nnz, value_bits, index_bits) // 8) for f in FORMATS},
            {f: break_even(f, t.shape, value_bits, index_bits) for f in FORMATS[1:]}))
    return out


