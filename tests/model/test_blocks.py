"""model/blocks.py: the tensors of a linear map, a norm and an embedding table, name by name and
shape by shape as torch.nn's modules hold them (the layer kinds and the architectures both read
them from there)."""

from __future__ import annotations

import pytest

from nnsize.model import blocks

torch = pytest.importorskip("torch")


def _torch(module: object) -> list[tuple[str, tuple[int, ...]]]:
    return [(n, tuple(p.shape)) for n, p in module.named_parameters()]  # type: ignore[attr-defined]


def _ours(tensors: list[blocks.Tensor]) -> list[tuple[str, tuple[int, ...]]]:
    return [(t.name, t.shape) for t in tensors]


@pytest.mark.parametrize("bias", [True, False])
def test_linear_is_nn_linear(bias: bool) -> None:
    # 20 inputs, 7 outputs: weight 7 x 20 = 140, bias 7
    assert _ours(blocks.linear(20, 7, bias)) == _torch(torch.nn.Linear(20, 7, bias=bias))
    assert sum(t.numel for t in blocks.linear(20, 7, bias)) == 140 + (7 if bias else 0)


def test_linear_in_keras_names_is_a_kernel_in_by_out() -> None:
    assert _ours(blocks.linear(20, 7, True, keras=True)) == [("kernel", (20, 7)), ("bias", (7,))]


@pytest.mark.parametrize("bias", [True, False])
def test_layer_norm_is_nn_layernorm(bias: bool) -> None:
    assert _ours(blocks.layer_norm((6, 5), bias=bias)) == \
        _torch(torch.nn.LayerNorm((6, 5), bias=bias))  # 6 x 5 = 30 each


def test_rms_norm_is_nn_rmsnorm() -> None:
    assert _ours(blocks.rms_norm((16,))) == _torch(torch.nn.RMSNorm(16))
    assert _ours(blocks.rms_norm((16,), keras=True)) == [("scale", (16,))]


def test_embedding_is_nn_embedding() -> None:
    # 1,000 tokens x 64 = 64,000
    assert _ours(blocks.embedding(1000, 64)) == _torch(torch.nn.Embedding(1000, 64))
    assert blocks.embedding(1000, 64)[0].numel == 64_000
