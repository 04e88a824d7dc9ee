"""MultiheadAttention, as torch.nn builds it.

Tensors (E = embed_dim): when kdim = vdim = E, one packed in_proj_weight (3E x E); otherwise
q_proj_weight (E x E), k_proj_weight (E x kdim), v_proj_weight (E x vdim).  in_proj_bias (3E)
and out_proj.bias (E) when bias; bias_k and bias_v (1 x 1 x E) when add_bias_kv;
out_proj.weight (E x E).

In a sequence the layer attends over its own input (L x E): query, key and value all have L
positions (keys of width kdim, values of width vdim when those are given).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SpecError
from ..model import Shape, Tensor
from .base import PYTORCH, Kind, Pos, last, need_rank, register


@register
@dataclass(frozen=True)
class MultiheadAttention(Kind):
    """Projections, L x S scores per head, the weighted sum, and the output projection."""

    embed_dim: Pos
    num_heads: Pos
    dropout: float = 0.0
    bias: bool = True
    add_bias_kv: bool = False
    add_zero_attn: bool = False
    kdim: Pos | None = None
    vdim: Pos | None = None
    batch_first: bool = False

    inferred = {"embed_dim": last}

    def __post_init__(self) -> None:
        if self.embed_dim % self.num_heads:
            raise SpecError(f"embed_dim={self.embed_dim} is not divisible by "
                            f"num_heads={self.num_heads}")

    @property
    def k(self) -> int:
        return self.kdim or self.embed_dim

    @property
    def v(self) -> int:
        return self.vdim or self.embed_dim

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, (2,), "(sequence length, embed_dim)")
        if x[-1] != self.embed_dim:
            raise SpecError(f"embed_dim={self.embed_dim} does not fit the incoming "
                            f"{x[-1]} features (shape {list(x)})")
        return x

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        e = self.embed_dim
        if self.k == e and self.v == e:
            t = [Tensor("in_proj_weight", (3 * e, e), "weight", dims=("3*embed_dim", "embed_dim"))]
        else:
            t = [Tensor("q_proj_weight", (e, e), "weight", dims=("embed_dim", "embed_dim")),
                 Tensor("k_proj_weight", (e, self.k), "weight", dims=("embed_dim", "kdim")),
                 Tensor("v_proj_weight", (e, self.v), "weight", dims=("embed_dim", "vdim"))]
        if self.bias:
            t.append(Tensor("in_proj_bias", (3 * e,), "bias", dims=("3*embed_dim",)))
        if self.add_bias_kv:
            t += [Tensor("bias_k", (1, 1, e), "bias", dims=("1", "1", "embed_dim")),
                  Tensor("bias_v", (1, 1, e), "bias", dims=("1", "1", "embed_dim"))]
        t.append(Tensor("out_proj.weight", (e, e), "weight", dims=("embed_dim", "embed_dim")))
        if self.bias:
            t.append(Tensor("out_proj.bias", (e,), "bias", dims=("embed_dim",)))
        return t

    def macs(self, x: Shape) -> int:
        return self.attention_macs(x[0], x[0])

    def attention_macs(self, length: int, source: int) -> int:
        """Query length L attending over S = source positions (+1 each for bias_kv, zero_attn).

        q: [h, L, d] @ k^T: [h, d, S] -> scores [h, L, S]   h*L*S*d = L*S*E
        scores [h, L, S] @ v: [h, S, d] -> [h, L, d]        another L*S*E
        """
        e = self.embed_dim
        projections = length * e * e + source * (self.k + self.v) * e + length * e * e
        s = source + self.add_bias_kv + self.add_zero_attn
        return projections + 2 * length * s * e
