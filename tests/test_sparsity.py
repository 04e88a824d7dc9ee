from __future__ import annotations

from fractions import Fraction

import pytest
import torch

import nnsize
from nnsize.sparsity import bits, break_even, nonzeros, sparsify


def sparse_matrix(rows: int, cols: int, sparsity: float) -> torch.Tensor:
    torch.manual_seed(0)
    t = torch.randn(rows, cols)
    n = rows * cols
    flat = t.flatten()
    flat[torch.randperm(n)[:round(n * sparsity)]] = 0
    return flat.view(rows, cols)


@pytest.mark.parametrize("rows, cols, sparsity", [(64, 48, 0.9), (100, 30, 0.5), (7, 300, 0.99),
                                                  (32, 32, 0.0)])
def test_sizes_against_torch_sparse(rows: int, cols: int, sparsity: float) -> None:
    t = sparse_matrix(rows, cols, sparsity)
    nnz = int((t != 0).sum())
    assert nnz == nonzeros(rows * cols, Fraction(str(sparsity)))
    coo = t.to_sparse()
    csr = t.to_sparse_csr()
    csc = t.to_sparse_csc()
    shape = (rows, cols)
    # fp32 values, int64 indices, as torch keeps them
    assert bits("coo", shape, nnz, 32, 64) // 8 == \
        coo.indices().nbytes + coo.values().nbytes
    assert bits("csr", shape, nnz, 32, 64) // 8 == \
        csr.crow_indices().nbytes + csr.col_indices().nbytes + csr.values().nbytes
    assert bits("csc", shape, nnz, 32, 64) // 8 == \
        csc.ccol_indices().nbytes + csc.row_indices().nbytes + csc.values().nbytes
    assert bits("dense", shape, nnz, 32, 64) // 8 == t.nbytes


def test_break_even() -> None:
    shape = (1000, 1000)
    # bitmask: nnz x 32 + 10^6 = 32 x 10^6  ->  sparsity 1/32
    assert break_even("bitmask", shape, 32, 64) == Fraction(1, 32)
    # COO: nnz x (32 + 2 x 64) = 32 x 10^6  ->  sparsity 1 - 32/160 = 0.8
    assert break_even("coo", shape, 32, 64) == Fraction(4, 5)
    for fmt in ("coo", "csr", "csc", "bitmask"):
        s = break_even(fmt, shape, 32, 64)
        nnz = nonzeros(10**6, s)
        assert abs(bits(fmt, shape, nnz, 32, 64) - 32 * 10**6) < 200


def test_global_and_per_layer_sparsity() -> None:
    report = nnsize.count("10-20-20-20-2")
    tensors = sparsify(report, Fraction(1, 2), {"3.": Fraction(9, 10)})
    assert [t.name for t in tensors] == ["0.weight", "1.weight", "2.weight", "3.weight"]
    assert [t.nonzeros for t in tensors] == [100, 200, 200, 4]
