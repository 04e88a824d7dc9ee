"""Normalization: BatchNorm, InstanceNorm, LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm.

The frameworks disagree on BatchNorm's running statistics: PyTorch keeps running_mean,
running_var and num_batches_tracked as buffers (not parameters); Keras keeps moving_mean and
moving_variance as non-trainable weights, which count_params() includes.
"""

from __future__ import annotations

from ..errors import SpecError
from ..model import Saves, Shape, Tensor
from ..records import record
from .base import (
    KERAS,
    PYTORCH,
    Dims,
    Kind,
    Pos,
    Translation,
    alias,
    first,
    keras_axis,
    need_rank,
    product,
    register,
)
from .spelling import translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar


def _affine(c: int, affine: bool, convention: str, scale: bool = True,
            center: bool = True) -> list[Tensor]:
    """The scale and shift: weight and bias (PyTorch), gamma and beta (Keras).  Keras' scale or
    center alone keeps gamma or beta alone (no torch.nn norm can; PyTorch's names then name
    the one tensor there is)."""
    if not affine:
        return []
    names = ("gamma", "beta") if convention == KERAS else ("weight", "bias")
    return [*([Tensor(names[0], (c,), "norm", dims=("num_features",))] if scale else []),
            *([Tensor(names[1], (c,), "norm", dims=("num_features",))] if center else [])]


def _running(c: int, track: bool, convention: str) -> list[Tensor]:
    if not track:
        return []
    if convention == KERAS:
        return [Tensor("moving_mean", (c,), "statistic", trainable=False, dims=("num_features",)),
                Tensor("moving_variance", (c,), "statistic", trainable=False,
                       dims=("num_features",))]
    return [Tensor("running_mean", (c,), "statistic", buffer=True, dims=("num_features",)),
            Tensor("running_var", (c,), "statistic", buffer=True, dims=("num_features",)),
            Tensor("num_batches_tracked", (), "statistic", buffer=True)]


@record
class _BatchNorm(Kind):
    """weight, bias: C (if affine); buffers running_mean, running_var: C, num_batches_tracked."""

    saves = Saves(input=True, channel_stats=2)  # and the mean and invstd

    num_features: Pos
    eps: float = 1e-5
    momentum: float | None = 0.1
    affine: bool = True
    track_running_stats: bool = True
    # nnsize's own: Keras' scale (gamma) and center (beta), which it may keep one without the other
    scale: bool = True
    center: bool = True

    ranks: ClassVar[tuple[int, ...]] = (3,)
    inferred = {"num_features": first}
    channels = True
    factory = True

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, self.ranks, "(channels first)")
        if x[0] != self.num_features:
            raise SpecError(f"num_features={self.num_features} does not fit the incoming "
                            f"{x[0]} channels (shape {list(x)})")
        return x

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        c = self.num_features
        return _affine(c, self.affine, convention, self.scale, self.center) + \
            _running(c, self.track_running_stats, convention)


@register
@record
class BatchNorm1d(_BatchNorm):
    ranks: ClassVar[tuple[int, ...]] = (1, 2)


@register
@record
class BatchNorm2d(_BatchNorm):
    ranks: ClassVar[tuple[int, ...]] = (3,)


@register
@record
class BatchNorm3d(_BatchNorm):
    ranks: ClassVar[tuple[int, ...]] = (4,)


@record
class _InstanceNorm(_BatchNorm):
    """As BatchNorm, but affine and track_running_stats default to False."""

    affine: bool = False
    track_running_stats: bool = False

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, self.ranks, "(channels first)")
        if (self.affine or self.track_running_stats) and x[0] != self.num_features:
            raise SpecError(f"num_features={self.num_features} does not fit the incoming "
                            f"{x[0]} channels (shape {list(x)})")
        return x

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        # Keras has no InstanceNorm: PyTorch's tensors in both conventions.
        return super().tensors(PYTORCH)


@register
@record
class InstanceNorm1d(_InstanceNorm):
    ranks: ClassVar[tuple[int, ...]] = (2,)


@register
@record
class InstanceNorm2d(_InstanceNorm):
    ranks: ClassVar[tuple[int, ...]] = (3,)


@register
@record
class InstanceNorm3d(_InstanceNorm):
    ranks: ClassVar[tuple[int, ...]] = (4,)


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
        s, dims = self.normalized_shape, ("normalized_shape",) * len(self.normalized_shape)
        names = ("gamma", "beta") if convention == KERAS else ("weight", "bias")
        t = [Tensor(names[0], s, "norm", dims=dims)] if self.scale else []
        return t + [Tensor(names[1], s, "norm", dims=dims)] if self.bias else t


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
        name = "scale" if convention == KERAS else "weight"
        return [Tensor(name, self.normalized_shape, "norm",
                       dims=("normalized_shape",) * len(self.normalized_shape))]


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
        return _affine(self.num_channels, self.affine, convention, self.scale, self.center)


@register
@record
class LocalResponseNorm(Kind):
    """No parameters."""

    size: Pos
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0

    channels = True


def _center_scale(out: dict[str, Any]) -> dict[str, Any]:
    """Keras' center and scale as affine (either) and which of beta and gamma it keeps."""
    center, scale = bool(out.pop("center", True)), bool(out.pop("scale", True))
    return {"affine": center or scale, "center": center, "scale": scale}


def _feature_axis(name: str, out: dict[str, Any], x: Shape) -> int:
    """The axis a Keras norm reads (its `axis`, default the last) as an index of x."""
    return keras_axis(out.pop("axis", -1), x, name) if x else 0


@alias("BatchNormalization")
def _batchnorm(args: dict[str, Any], x: Shape) -> Translation:
    out = translate("BatchNormalization", args, {}, ("center", "scale", "axis"))
    axis = _feature_axis("BatchNormalization", out, x)
    kind = {1: "BatchNorm1d", 2: "BatchNorm1d", 3: "BatchNorm2d", 4: "BatchNorm3d"}.get(len(x))
    if kind is None:
        raise SpecError(f"BatchNormalization: nnsize counts inputs of 1 to 4 dimensions, got "
                        f"shape {list(x)}")
    return kind, {**out, **_center_scale(out)}, (axis, 0)


@alias("LayerNormalization")
def _layernorm(args: dict[str, Any], x: Shape) -> Translation:
    out = translate("LayerNormalization", args, {}, ("center", "scale", "axis"))
    flags = _center_scale(out)
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
    axis = _feature_axis("GroupNormalization", out, x)
    out.setdefault("num_groups", 32)
    return "GroupNorm", {**out, **_center_scale(out)}, (axis, 0)


@alias("RMSNormalization")
def _rmsnorm(args: dict[str, Any], x: Shape) -> Translation:
    out = translate("RMSNormalization", args, {}, ("axis",))
    axis = _feature_axis("RMSNormalization", out, x)
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
