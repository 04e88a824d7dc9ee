"""torch.nn's Transformer family, built from MultiheadAttention, Linear and LayerNorm.

In a sequence the decoder layers attend to their own input as the encoder memory (same length).
A stack of N identical layers is one entry per tensor with copies=N ('layers.{i}.linear1.weight'),
so a stack of any depth is counted in constant time.
"""

from __future__ import annotations

from ..errors import SpecError
from ..model import Shape, Tensor
from ..records import record
from . import PYTORCH, Kind, Layer, Pos, build, last, register
from .attention import MultiheadAttention
from .dense import Linear
from .norm import LayerNorm

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar


def _stacked(tensors: list[Tensor], prefix: str, copies: int) -> list[Tensor]:
    index = "{i}" if copies > 1 else "0"  # one layer names its index; '{i}' stands for several
    return [Tensor(f"{prefix}{index}.{t.name}", t.shape, t.role, t.trainable, t.buffer, t.dims,
                   t.copies * copies) for t in tensors]


@record
class _Block(Kind):
    d_model: Pos
    nhead: Pos
    dim_feedforward: Pos = 2048
    dropout: float = 0.1
    activation: str = "relu"
    layer_norm_eps: float = 1e-5
    batch_first: bool = False
    norm_first: bool = False
    bias: bool = True

    inferred = {"d_model": last}
    factory = True
    attentions: ClassVar[tuple[str, ...]] = ("self_attn",)

    def __post_init__(self) -> None:
        if self.activation not in ("relu", "gelu"):
            raise SpecError(f"activation: 'relu' or 'gelu', got {self.activation!r}")
        if self.d_model % self.nhead:
            raise SpecError(f"d_model={self.d_model} is not divisible by nhead={self.nhead}")

    def parts(self) -> list[tuple[str, Kind]]:
        d, b = self.d_model, self.bias
        attn = MultiheadAttention(embed_dim=d, num_heads=self.nhead, bias=b)
        norms = [(f"norm{i + 1}", LayerNorm((d,), bias=b)) for i in range(len(self.attentions) + 1)]
        return [*((name, attn) for name in self.attentions),
                ("linear1", Linear(d, self.dim_feedforward, b)),
                ("linear2", Linear(self.dim_feedforward, d, b)), *norms]

    def output_shape(self, x: Shape) -> Shape:
        return self.parts()[0][1].output_shape(x)

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        return [t.prefixed(f"{name}.") for name, part in self.parts() for t in part.tensors()]

    def macs(self, x: Shape) -> int:
        ff = x[0] * 2 * self.d_model * self.dim_feedforward
        return ff + sum(part.macs(x) for name, part in self.parts() if name.endswith("attn"))


@register
@record
class TransformerEncoderLayer(_Block):
    """self_attn, linear1, linear2, norm1, norm2."""

    def saved(self, x: Shape) -> tuple[int, int] | None:
        # Measured (saved_tensors_hooks, tests/memory/test_plan.py), dropout 0, attention through
        # scaled_dot_product_attention: per token 8 d_model values (the block's input, q, k, v,
        # the attention output and its projection's input, both norms' inputs and outputs,
        # shared storage counted once) and dim_feedforward (the ReLU's output, linear2's input);
        # in fp32 the attention's logsumexp (a value a head) and the norms' mean and rstd.
        tokens = x[0]
        return tokens * (8 * self.d_model + self.dim_feedforward), tokens * (self.nhead + 4)


@register
@record
class TransformerDecoderLayer(_Block):
    """self_attn, multihead_attn (over the memory), linear1, linear2, norm1..norm3."""

    attentions: ClassVar[tuple[str, ...]] = ("self_attn", "multihead_attn")


def prepare_stack(args: dict[str, Any], x: Shape, key: str, kind: str) -> dict[str, Any]:
    """Build the nested layer specs of a stack (its block and final norm) on the input shape."""
    out = dict(args)
    block = out.get(key)
    if isinstance(block, dict):
        given = block.get("type", kind)
        if given != kind:
            raise SpecError(f"{key}: expected a {kind}, got {given!r}")
        out[key] = build(kind, {k: v for k, v in block.items() if k != "type"}, x)
    norm = out.get("norm")
    if isinstance(norm, dict):
        if "type" not in norm:
            raise SpecError("norm: a layer spec needs a 'type' (e.g. LayerNorm)")
        out["norm"] = build(norm["type"], {k: v for k, v in norm.items() if k != "type"}, x)
    return out


@record
class _Stack(Kind):
    """N copies of one block, then an optional final norm."""

    if TYPE_CHECKING:  # a field of each subclass, named as torch names it
        num_layers: int

    @property
    def block(self) -> Kind:
        raise NotImplementedError

    def _norm(self) -> Kind | None:
        return getattr(self, "norm", None)

    def output_shape(self, x: Shape) -> Shape:
        y = self.block.output_shape(x)
        norm = self._norm()
        return norm.output_shape(y) if norm else y

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        norm = self._norm()
        return _stacked(self.block.tensors(), "layers.", self.num_layers) + \
            ([t.prefixed("norm.") for t in norm.tensors()] if norm else [])

    def macs(self, x: Shape) -> int:
        norm = self._norm()
        return self.num_layers * self.block.macs(x) + (norm.macs(x) if norm else 0)


@register
@record
class TransformerEncoder(_Stack):
    """layers.0..N-1 (an encoder_layer each) and an optional final norm."""

    encoder_layer: Layer
    num_layers: Pos
    norm: Layer | None = None
    enable_nested_tensor: bool = True
    mask_check: bool = True

    @classmethod
    def prepare(cls, args: dict[str, Any], x: Shape) -> dict[str, Any]:
        return prepare_stack(args, x, "encoder_layer", "TransformerEncoderLayer")

    @property
    def block(self) -> Kind:
        return self.encoder_layer  # type: ignore[return-value]


@register
@record
class TransformerDecoder(_Stack):
    """layers.0..N-1 (a decoder_layer each) and an optional final norm."""

    decoder_layer: Layer
    num_layers: Pos
    norm: Layer | None = None

    @classmethod
    def prepare(cls, args: dict[str, Any], x: Shape) -> dict[str, Any]:
        return prepare_stack(args, x, "decoder_layer", "TransformerDecoderLayer")

    @property
    def block(self) -> Kind:
        return self.decoder_layer  # type: ignore[return-value]


@register
@record
class Transformer(Kind):
    """encoder (layers + norm) and decoder (layers + norm); the input is both source and target."""

    d_model: Pos
    nhead: Pos = 8
    num_encoder_layers: Pos = 6
    num_decoder_layers: Pos = 6
    dim_feedforward: Pos = 2048
    dropout: float = 0.1
    activation: str = "relu"
    custom_encoder: Any = None
    custom_decoder: Any = None
    layer_norm_eps: float = 1e-5
    batch_first: bool = False
    norm_first: bool = False
    bias: bool = True

    inferred = {"d_model": last}
    factory = True

    def __post_init__(self) -> None:
        if self.custom_encoder is not None or self.custom_decoder is not None:
            raise SpecError("custom_encoder / custom_decoder: give a TransformerEncoder and a "
                            "TransformerDecoder as layers instead")

    def stacks(self) -> list[tuple[str, _Stack]]:
        d, h, ff, b = self.d_model, self.nhead, self.dim_feedforward, self.bias
        norm: Any = LayerNorm((d,), bias=b)
        encoder: Any = TransformerEncoderLayer(d, h, ff, activation=self.activation, bias=b)
        decoder: Any = TransformerDecoderLayer(d, h, ff, activation=self.activation, bias=b)
        return [("encoder", TransformerEncoder(encoder_layer=encoder, norm=norm,
                                               num_layers=self.num_encoder_layers)),
                ("decoder", TransformerDecoder(decoder_layer=decoder, norm=norm,
                                               num_layers=self.num_decoder_layers))]

    def output_shape(self, x: Shape) -> Shape:
        return self.stacks()[0][1].output_shape(x)

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        return [t.prefixed(f"{name}.") for name, s in self.stacks() for t in s.tensors()]

    def macs(self, x: Shape) -> int:
        return sum(s.macs(x) for _, s in self.stacks())
