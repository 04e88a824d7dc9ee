"""Normalization with statistics over the batch: BatchNorm and InstanceNorm (1d, 2d, 3d), and
Keras' BatchNormalization.

The frameworks disagree on BatchNorm's running statistics: PyTorch keeps running_mean,
running_var and num_batches_tracked as buffers (not parameters); Keras keeps moving_mean and
moving_variance as non-trainable weights, which count_params() includes.
"""

from __future__ import annotations

from ..errors import SpecError
from ..model import Saves, Shape, Tensor
from ..records import record
from . import KERAS, PYTORCH, Kind, Pos, Translation, alias, first, need_rank, register
from .norm import affine, center_scale, feature_axis
from .registry import translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar


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
        return affine(c, self.affine, convention, self.scale, self.center) + \
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


@alias("BatchNormalization")
def _batchnorm(args: dict[str, Any], x: Shape) -> Translation:
    out = translate("BatchNormalization", args, {}, ("center", "scale", "axis"))
    axis = feature_axis("BatchNormalization", out, x)
    kind = {1: "BatchNorm1d", 2: "BatchNorm1d", 3: "BatchNorm2d", 4: "BatchNorm3d"}.get(len(x))
    if kind is None:
        raise SpecError(f"BatchNormalization: nnsize counts inputs of 1 to 4 dimensions, got "
                        f"shape {list(x)}")
    return kind, {**out, **center_scale(out)}, (axis, 0)
