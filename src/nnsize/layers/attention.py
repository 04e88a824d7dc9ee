"""MultiheadAttention, as torch.nn builds it.

Tensors (E = embed_dim): when kdim = vdim = E, one packed in_proj_weight (3E x E); otherwise
q_proj_weight (E x E), k_proj_weight (E x kdim), v_proj_weight (E x vdim).  in_proj_bias (3E)
and out_proj.bias (E) when bias; bias_k and bias_v (1 x 1 x E) when add_bias_kv;
out_proj.weight (E x E).

In a sequence the layer attends over its own input (L x E): query, key and value all have L
positions (keys of width kdim, values of width vdim when those are given).
"""

from __future__ import annotations

from ..errors import SpecError
from ..model import Shape, Tensor
from ..records import record
from . import PYTORCH, Kind, Pos, last, need_rank, product, register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@register
@record
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
    factory = True

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


@register
@record
class MultiHeadAttention(Kind):
    """Keras' MultiHeadAttention attending over its own input (..., E), as in a Sequential stack.

    query/kernel: E x h x key_dim, key/kernel: E x h x key_dim, value/kernel: E x h x value_dim
    (each with a bias h x dim when use_bias), attention_output/kernel: h x value_dim x O and
    bias O, where O = output_shape or E.  The tensors are Keras' in both conventions (torch.nn
    has no layer with a key_dim apart from the width).
    """

    num_heads: Pos
    key_dim: Pos
    value_dim: Pos | None = None
    dropout: float = 0.0
    use_bias: bool = True
    output_dim: Any = None  # Keras' output_shape (a name Kind's method has)
    attention_axes: Any = None
    embed_dim: Pos = 1  # nnsize's own: the input's last dimension

    keras = True
    renamed = {"output_shape": "output_dim"}
    inferred = {"embed_dim": last}

    @property
    def out(self) -> int:
        o = self.output_dim
        o = o[0] if isinstance(o, tuple) and len(o) == 1 else o
        if o is None:
            return self.embed_dim
        if not isinstance(o, int) or isinstance(o, bool) or o < 1:
            raise SpecError(f"output_shape: nnsize counts one positive integer, got {o!r}")
        return o

    def _heads(self) -> tuple[int, int, int]:
        return self.num_heads, self.key_dim, self.value_dim or self.key_dim

    def saved(self, x: Shape) -> tuple[int, int] | None:
        """Per sample, over s positions (measured with saved_tensors_hooks, Keras on torch,
        tests/layers/test_saves.py): the input (s x E), the projected query, key and value
        (s x h x (2 key_dim + value_dim)), scaled_dot_product_attention's output and its
        contiguous copy for the output projection (2 x s x h x value_dim), and the attention's
        log-sum-exp (h x s, fp32).  With key_dim != value_dim PyTorch's CPU kernel falls back to
        the math path: the probabilities (h x s x s) instead of the output and log-sum-exp.
        With dropout (a mask, eager attention): not modelled."""
        if self.dropout:
            return None
        s = product(x[:-1])
        h, kd, vd = self._heads()
        inputs = s * self.embed_dim + s * h * (2 * kd + vd)
        if kd != vd:
            return inputs + h * s * s + s * h * vd, 0
        return inputs + 2 * s * h * vd, h * s

    def output_shape(self, x: Shape) -> Shape:
        if len(x) < 2:
            raise SpecError(f"expects an input of at least 2 dimensions (positions..., "
                            f"features), got shape {list(x)}")
        if self.attention_axes is not None:
            raise SpecError("attention_axes: nnsize counts attention over every position "
                            "axis (the default, null)")
        if x[-1] != self.embed_dim:
            raise SpecError(f"the input's {x[-1]} features do not fit embed_dim="
                            f"{self.embed_dim}")
        return (*x[:-1], self.out)

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        e, (h, kd, vd), o = self.embed_dim, self._heads(), self.out
        t = []
        for part, width in (("query", kd), ("key", kd), ("value", vd)):
            t.append(Tensor(f"{part}/kernel", (e, h, width), "weight",
                            dims=("embed_dim", "num_heads", f"{part}_dim")))
            if self.use_bias:
                t.append(Tensor(f"{part}/bias", (h, width), "bias",
                                dims=("num_heads", f"{part}_dim")))
        t.append(Tensor("attention_output/kernel", (h, vd, o), "weight",
                        dims=("num_heads", "value_dim", "output_dim")))
        if self.use_bias:
            t.append(Tensor("attention_output/bias", (o,), "bias", dims=("output_dim",)))
        return t

    def macs(self, x: Shape) -> int:
        """L positions: projections L*E*h*(2 key_dim + value_dim) and L*h*value_dim*O;
        scores [h, L, key_dim] @ [h, key_dim, L] and weights [h, L, L] @ [h, L, value_dim]."""
        e, (h, kd, vd), o = self.embed_dim, self._heads(), self.out
        n = product(x[:-1])
        return n * e * h * (2 * kd + vd) + n * h * vd * o + n * n * h * (kd + vd)
