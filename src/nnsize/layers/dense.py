"""Fully connected layers: Linear and Bilinear (and Keras' Dense)."""

from __future__ import annotations

from ..errors import SpecError
from ..model import Formula, Saves, Shape, Tensor
from ..model.blocks import linear
from ..records import record
from . import KERAS, PYTORCH, Kind, Pos, alias, last, product, register
from .registry import translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@register
@record
class Linear(Kind):
    """weight: out x in, bias: out.  Params = (in x out) + out.  MACs = in x out per position."""

    saves = Saves(input=True)

    in_features: Pos
    out_features: Pos
    bias: bool = True

    inferred = {"in_features": last}
    factory = True

    def output_shape(self, x: Shape) -> Shape:
        if not x or x[-1] != self.in_features:
            raise SpecError(f"in_features={self.in_features} does not fit the incoming shape "
                             f"{list(x)}: its last dimension must be {self.in_features}")
        return (*x[:-1], self.out_features)

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        return linear(self.in_features, self.out_features, self.bias, convention == KERAS)

    def macs(self, x: Shape) -> int:
        return product(x[:-1]) * self.in_features * self.out_features

    def formula(self, tensors: list[Tensor]) -> Formula:
        # The textbook order: (inputs x outputs) + outputs.
        i, o = self.in_features, self.out_features
        return ((1, (i, o)), (1, (o,))) if self.bias else ((1, (i, o)),)


@register
@record
class Bilinear(Kind):
    """y = x1^T W x2 + b.  weight: out x in1 x in2, bias: out.  In a sequence, x1 = x2 = input."""

    saves = Saves(input=True)

    in1_features: Pos
    in2_features: Pos
    out_features: Pos
    bias: bool = True

    inferred = {"in1_features": last,
                "in2_features": last}
    factory = True

    def output_shape(self, x: Shape) -> Shape:
        if not x or x[-1] != self.in1_features or x[-1] != self.in2_features:
            raise SpecError(f"in1_features={self.in1_features} and in2_features="
                             f"{self.in2_features} must both equal the incoming last dimension "
                             f"(shape {list(x)}): in a sequence both inputs are the same tensor")
        return (*x[:-1], self.out_features)

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        o = self.out_features
        t = [Tensor("weight", (o, self.in1_features, self.in2_features), "weight",
                    dims=("out_features", "in1_features", "in2_features"))]
        return t + [Tensor("bias", (o,), "bias", dims=("out_features",))] if self.bias else t

    def macs(self, x: Shape) -> int:
        # Per output k: (W_k x2) is in1*in2 MACs, then x1 . (W_k x2) is in1 more.
        per = self.out_features * (self.in1_features * self.in2_features + self.in1_features)
        return product(x[:-1]) * per


@alias("Dense")
def _dense(args: dict[str, Any], x: Shape) -> tuple[str, dict[str, Any]]:
    args.pop("lora_alpha", None)
    return "Linear", translate("Dense", args, {"units": "out_features", "use_bias": "bias"})
