"""Normalization over each sample's own values: LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm,
Keras' UnitNormalization; and the scale and shift every norm shares (BatchNorm and InstanceNorm,
which keep statistics over batches, are batchnorm.py's).
"""

from __future__ import annotations

from ..errors import SpecError
from ..model import Saves, Shape, Tensor
from ..model.blocks import layer_norm, rms_norm
from ..records import record
from . import (
    KERAS,
    PYTORCH,
    Dims,
    Kind,
    Pos,
    Translation,
    alias,
    first,
    keras_axis,
    product,
    register,
)
from .registry import translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def affine(c: int, affine: bool, convention: str, scale: bool = True,
            center: bool = True) -> list[Tensor]:
    """The scale and shift: weight and bias (PyTorch), gamma and beta (Keras).  Keras' scale or
    center alone keeps gamma or beta alone (no torch.nn norm can; PyTorch's names then name
    the one tensor there is)."""
    if not affine:
        return []
    names = ("gamma", "beta") if convention == KERAS else ("weight", "bias")
    return [*([Tensor(names[0], (c,), "norm", dims=("num_features",))] if scale else []),
            *([Tensor(names[1], (c,), "norm", dims=("num_features",))] if center else [])]


def _ends_with(x: Shape, normalized: tuple[int, ...]) -> None:
    if tuple(x[len(x) - len(normalized):]) != normalized or len(normalized) > len(x):
        raise SpecError(f"normalized_shape={list(normalized)} does not match the end of the "
                        f"incoming shape {list(x)}")


@register
@record
class LayerNorm(Kind):
    """weight, bias: normalized_shape (if elementwise_affine; bias=False drops the bias)."""

    saves = Saves(input=True, row_stats=2)  # and the mean and rstd

    normalized_shape: Dims
    eps: float = 1e-5
    elementwise_affine: bool = True
    bias: bool = True
    scale: bool = True  # nnsize's own: Keras' scale=False keeps beta without gamma

    inferred = {"normalized_shape": lambda x: x[-1:] if x else None}
    factory = True

    def output_shape(self, x: Shape) -> Shape:
        _ends_with(x, self.normalized_shape)
        return x

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        if not self.elementwise_affine:
            return []
        return layer_norm(self.normalized_shape, self.scale, self.bias, convention == KERAS)


@register
@record
class RMSNorm(Kind):
    """weight: normalized_shape (if elementwise_affine).  No bias."""

    normalized_shape: Dims
    eps: float | None = None
    elementwise_affine: bool = True

    inferred = {"normalized_shape": lambda x: x[-1:] if x else None}
    factory = True

    def output_shape(self, x: Shape) -> Shape:
        _ends_with(x, self.normalized_shape)
        return x

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        if not self.elementwise_affine:
            return []
        return rms_norm(self.normalized_shape, convention == KERAS)


@register
@record
class GroupNorm(Kind):
    """weight, bias: num_channels (if affine).  num_channels must divide into num_groups."""

    saves = Saves(input=True)

    num_groups: Pos
    num_channels: Pos
    eps: float = 1e-5
    affine: bool = True
    scale: bool = True  # nnsize's own: Keras' scale and center, as for BatchNorm
    center: bool = True

    inferred = {"num_channels": first}
    channels = True
    factory = True

    def __post_init__(self) -> None:
        if self.num_channels % self.num_groups:
            raise SpecError(f"num_channels={self.num_channels} is not divisible by "
                            f"num_groups={self.num_groups}")

    def output_shape(self, x: Shape) -> Shape:
        if not x or x[0] != self.num_channels:
            raise SpecError(f"num_channels={self.num_channels} does not fit the incoming "
                            f"shape {list(x)} (channels first)")
        return x

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        return affine(self.num_channels, self.affine, convention, self.scale, self.center)


@register
@record
class LocalResponseNorm(Kind):
    """No parameters."""

    size: Pos
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0

    channels = True


def center_scale(out: dict[str, Any]) -> dict[str, Any]:
    """Keras' center and scale as affine (either) and which of beta and gamma it keeps."""
    center, scale = bool(out.pop("center", True)), bool(out.pop("scale", True))
    return {"affine": center or scale, "center": center, "scale": scale}


def feature_axis(name: str, out: dict[str, Any], x: Shape) -> int:
    """The axis a Keras norm reads (its `axis`, default the last) as an index of x."""
    return keras_axis(out.pop("axis", -1), x, name) if x else 0


@alias("LayerNormalization")
def _layernorm(args: dict[str, Any], x: Shape) -> Translation:
    out = translate("LayerNormalization", args, {}, ("center", "scale", "axis"))
    flags = center_scale(out)
    affine = {"elementwise_affine": flags["affine"], "bias": flags["center"],
              "scale": flags["scale"]}
    axis = out.pop("axis", -1)
    if isinstance(axis, (list, tuple)) and len(axis) > 1:
        # gamma and beta span the axes: trailing ones are torch's normalized_shape
        axes = sorted({keras_axis(a, x, "LayerNormalization") for a in axis})
        if len(axes) != len(axis) or axes != list(range(len(x) - len(axes), len(x))):
            raise SpecError(f"LayerNormalization: axis={list(axis)} are not the last "
                            f"{len(axis)} axes of the input {list(x)}, which nnsize counts")
        return "LayerNorm", {**affine, "normalized_shape": x[axes[0]:]}
    d = keras_axis(axis, x, "LayerNormalization") if x else 0
    return "LayerNorm", affine, (d, max(len(x) - 1, 0))


@alias("GroupNormalization")
def _groupnorm(args: dict[str, Any], x: Shape) -> Translation:
    out = translate("GroupNormalization", args, {"groups": "num_groups"},
                    ("center", "scale", "axis"))
    axis = feature_axis("GroupNormalization", out, x)
    out.setdefault("num_groups", 32)
    return "GroupNorm", {**out, **center_scale(out)}, (axis, 0)


@alias("RMSNormalization")
def _rmsnorm(args: dict[str, Any], x: Shape) -> Translation:
    out = translate("RMSNormalization", args, {}, ("axis",))
    axis = feature_axis("RMSNormalization", out, x)
    return "RMSNorm", {}, (axis, max(len(x) - 1, 0))


@register
@record
class UnitNormalization(Kind):
    """Keras' UnitNormalization: each vector along axis scaled to length 1.  No parameters.

    Saves (measured, Keras on torch): its input, and two values per vector (numel / the axes'
    sizes): the sum of squares and its clipped reciprocal square root; and the eps scalar."""

    axis: Any = -1

    keras = True

    def saved(self, x: Shape) -> tuple[int, int] | None:
        axes = {keras_axis(a, x, "UnitNormalization")
                for a in (self.axis if isinstance(self.axis, tuple) else (self.axis,))}
        vectors = product(x) // product(tuple(x[a] for a in axes))
        return product(x) + 2 * vectors, 0

    def output_shape(self, x: Shape) -> Shape:
        for a in self.axis if isinstance(self.axis, tuple) else (self.axis,):
            keras_axis(a, x, "UnitNormalization")
        return x
