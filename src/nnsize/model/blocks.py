"""The tensors of the blocks nearly every network is built from, named as each framework names
them: a linear map (nn.Linear, Keras' Dense), a norm's scale and shift (nn.LayerNorm and
nn.RMSNorm, Keras' LayerNormalization and RMSNormalization) and an embedding table
(nn.Embedding, Keras' Embedding).

The layer kinds of a spec (layers/dense.py, norm.py, embedding.py) and the models built from a
config (architectures/assembly.py) both take them from here: a spec and a config name and shape
each tensor alike, and a language model's count loads no layer kind.
"""

from __future__ import annotations

from .tensor import Shape, Tensor


def linear(in_features: int, out_features: int, bias: bool, keras: bool = False) -> list[Tensor]:
    """weight: out x in, bias: out (PyTorch); kernel: in x out, bias: out (Keras)."""
    if keras:
        w = [Tensor("kernel", (in_features, out_features), "weight",
                    dims=("in_features", "out_features"))]
    else:
        w = [Tensor("weight", (out_features, in_features), "weight",
                    dims=("out_features", "in_features"))]
    if bias:
        w.append(Tensor("bias", (out_features,), "bias", dims=("out_features",)))
    return w


def layer_norm(shape: Shape, scale: bool = True, bias: bool = True,
               keras: bool = False) -> list[Tensor]:
    """weight and bias (PyTorch), gamma and beta (Keras), each of the normalized shape; Keras'
    scale=False keeps the shift alone."""
    dims = ("normalized_shape",) * len(shape)
    names = ("gamma", "beta") if keras else ("weight", "bias")
    w = [Tensor(names[0], shape, "norm", dims=dims)] if scale else []
    return w + [Tensor(names[1], shape, "norm", dims=dims)] if bias else w


def rms_norm(shape: Shape, keras: bool = False) -> list[Tensor]:
    """weight (PyTorch), scale (Keras), of the normalized shape: no shift."""
    return [Tensor("scale" if keras else "weight", shape, "norm",
                   dims=("normalized_shape",) * len(shape))]


def embedding(num_embeddings: int, embedding_dim: int, keras: bool = False) -> list[Tensor]:
    """weight (PyTorch), embeddings (Keras): num_embeddings x embedding_dim."""
    return [Tensor("embeddings" if keras else "weight", (num_embeddings, embedding_dim),
                   "embedding", dims=("num_embeddings", "embedding_dim"))]
