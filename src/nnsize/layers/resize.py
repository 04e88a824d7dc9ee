"""Layers that resize spatial dimensions without parameters: Upsample, padding, pixel shuffle."""

from __future__ import annotations

from ..errors import SpecError
from ..model import Saves, Shape
from ..records import record
from . import (
    CHANNELS_FIRST,
    CHANNELS_LAST,
    Kind,
    Pads,
    Pos,
    Translation,
    alias,
    channel_axis,
    need_rank,
    ntuple,
    register,
)
from .registry import translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar

UPSAMPLE_MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2,
                  "bicubic": 2, "trilinear": 3, "area": None}


@register
@record
class Upsample(Kind):
    """Spatial size = size, or floor(input x scale_factor).  Channels first."""

    saves = Saves()  # every mode's backward needs only the sizes (measured)

    size: Any = None
    scale_factor: Any = None
    mode: str = "nearest"
    align_corners: bool | None = None
    recompute_scale_factor: bool | None = None

    channels = True

    def output_shape(self, x: Shape) -> Shape:
        if self.mode not in UPSAMPLE_MODES:
            raise SpecError(f"mode: one of {', '.join(UPSAMPLE_MODES)}, got {self.mode!r}")
        spatial = UPSAMPLE_MODES[self.mode]
        need_rank(x, (spatial + 1,) if spatial else (2, 3, 4), "(channels, spatial...)")
        n = len(x) - 1
        if (self.size is None) == (self.scale_factor is None):
            raise SpecError("give exactly one of size and scale_factor")
        if self.size is not None:
            return (x[0], *_positive(self.size, n, "size", int))
        scale = _positive(self.scale_factor, n, "scale_factor", (int, float))
        out = tuple(_scaled(length, s) for length, s in zip(x[1:], scale))
        if 0 in out:
            raise SpecError(f"scale_factor {self.scale_factor} leaves no output for the input "
                            f"{list(x[1:])}")
        return (x[0], *out)


def _scaled(length: int, scale: float) -> int:
    """floor(length x scale) as PyTorch computes it, in double precision; refused where a double
    cannot hold the input or the result (1e308, Infinity, a length of 10^400)."""
    import math

    if length > 2**53 or not math.isfinite(scale):
        raise SpecError(f"scale_factor {scale!r} on a length of {length:,}: too large to size "
                        f"(PyTorch computes the output size as a double)")
    out = length * float(scale)
    if not math.isfinite(out) or out > 2**62:
        raise SpecError(f"scale_factor {scale!r} makes the length {length:,} larger than "
                        f"{2**62:,}")
    return int(out)


def _positive(value: Any, n: int, key: str, kinds: Any) -> tuple[Any, ...]:
    values = value if isinstance(value, tuple) else (value,) * n
    if len(values) != n or not all(isinstance(v, kinds) and not isinstance(v, bool) and v > 0
                                   for v in values):
        raise SpecError(f"{key}: expected a positive number or {n} of them, got {value!r}")
    return values


@record
class _Upsampling2d(Kind):
    size: Any = None
    scale_factor: Any = None

    channels = True

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, (3,), "(channels, height, width)")
        return Upsample(self.size, self.scale_factor).output_shape(x)


register(record(type("UpsamplingNearest2d", (_Upsampling2d,), {})))
register(record(type("UpsamplingBilinear2d", (_Upsampling2d,), {})))


@record
class _Pad(Kind):
    """Adds padding to the last n dims: (left, right[, top, bottom[, front, back]])."""

    padding: Pads
    n: ClassVar[int] = 1
    channels = True
    wrap: ClassVar[str] = ""  # reflect: pad < size; circular: pad <= size (wraps once at most)

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, (self.n + 1,), f"(channels, {self.n} spatial)")
        p = ntuple(self.padding, 2 * self.n, "padding")
        out = list(x)
        for i in range(self.n):  # p[0], p[1] pad the last dimension, p[2], p[3] the one before
            dim = len(x) - 1 - i
            widest = max(p[2 * i], p[2 * i + 1])
            limit = {"reflect": x[dim] - 1, "circular": x[dim]}.get(self.wrap)
            if limit is not None and widest > limit:
                raise SpecError(f"padding {widest} is too wide for {self.wrap} padding of an "
                                f"input of size {x[dim]} (at most {limit})")
            out[dim] += p[2 * i] + p[2 * i + 1]
        return tuple(out)


@record
class _ConstantPad(_Pad):
    value: float = 0.0


for _n in (1, 2, 3):
    for _prefix, _base, _wrap in (("ZeroPad", _Pad, ""), ("ReplicationPad", _Pad, ""),
                                  ("CircularPad", _Pad, "circular"),
                                  ("ReflectionPad", _Pad, "reflect"),
                                  ("ConstantPad", _ConstantPad, "")):
        # constant padding's backward slices the gradient: it saves nothing (measured with
        # saved_tensors_hooks, tests/layers/test_saves.py); the others are not modelled
        register(record(type(f"{_prefix}{_n}d", (_base,), {
            "n": _n, "wrap": _wrap, "__doc__": f"{_prefix}{_n}d: no parameters.",
            "saves": Saves() if _prefix in ("ZeroPad", "ConstantPad") else None})))


@register
@record
class PixelShuffle(Kind):
    """(C x r^2, H, W) -> (C, H x r, W x r)."""

    upscale_factor: Pos

    channels = True

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, (3,), "(channels, height, width)")
        r = self.upscale_factor
        if x[0] % (r * r):
            raise SpecError(f"{x[0]} channels are not divisible by upscale_factor^2 = {r * r}")
        return (x[0] // (r * r), x[1] * r, x[2] * r)


@register
@record
class PixelUnshuffle(Kind):
    """(C, H x r, W x r) -> (C x r^2, H, W)."""

    downscale_factor: Pos

    channels = True

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, (3,), "(channels, height, width)")
        r = self.downscale_factor
        if x[1] % r or x[2] % r:
            raise SpecError(f"height {x[1]} and width {x[2]} must be divisible by "
                            f"downscale_factor={r}")
        return (x[0] * r * r, x[1] // r, x[2] // r)


# --- Keras' spellings: channels-last unless data_format says otherwise -----------------------

def _keras_upsampling(n: int) -> None:
    name = f"UpSampling{n}D"

    @alias(name)
    def translate_upsampling(args: dict[str, Any], x: Shape) -> Translation:
        """Each spatial dimension times size: torch's Upsample(scale_factor=size)."""
        out = translate(name, args, {"size": "size"},
                        ("interpolation", "data_format") if n > 1 else ())
        out.pop("interpolation", None)  # how the new values are made, not how many
        size = ntuple(_whole(out.pop("size", 2), name, "size"), n, "size")
        move = channel_axis(out.pop("data_format", None), x, name), 0
        return "Upsample", {"scale_factor": size if n > 1 else size[0]}, move


def _whole(value: Any, name: str, key: str) -> Any:
    values = value if isinstance(value, (list, tuple)) else (value,)
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                             for v in values):
        raise SpecError(f"{name}: {key} must be a positive integer or a list of them, "
                        f"got {value!r}")
    return tuple(value) if isinstance(value, (list, tuple)) else value


def keras_pairs(value: Any, n: int, key: str) -> tuple[tuple[int, int], ...]:
    """Keras' padding / cropping forms as (before, after) per spatial dimension:
    p, (p_1, ..., p_n) or ((before_1, after_1), ...); for n = 1 also (before, after)."""
    def count(v: Any) -> int:
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise SpecError(f"{key}: expected non-negative integers, got {value!r}")
        return v

    if isinstance(value, int) and not isinstance(value, bool):
        return ((count(value), count(value)),) * n
    items = list(value) if isinstance(value, (list, tuple)) else None
    if items is not None and n == 1 and len(items) == 2 and \
            all(isinstance(v, int) for v in items):
        return ((count(items[0]), count(items[1])),)
    if items is None or len(items) != n:
        raise SpecError(f"{key}: expected an integer, {n} of them or {n} (before, after) "
                        f"pairs, got {value!r}")
    out = []
    for v in items:
        if isinstance(v, (list, tuple)):
            if len(v) != 2:
                raise SpecError(f"{key}: expected (before, after) pairs, got {value!r}")
            out.append((count(v[0]), count(v[1])))
        else:
            out.append((count(v), count(v)))
    return tuple(out)


def _keras_zero_padding(n: int) -> None:
    name = f"ZeroPadding{n}D"

    @alias(name)
    def translate_padding(args: dict[str, Any], x: Shape) -> Translation:
        """torch's ZeroPad pads the last dimension first: (left, right, top, bottom, ...)."""
        out = translate(name, args, {"padding": "padding"}, ("data_format",) if n > 1 else ())
        pairs = keras_pairs(out.pop("padding", 1), n, "padding")
        move = channel_axis(out.pop("data_format", None), x, name), 0
        return f"ZeroPad{n}d", {"padding": tuple(p for pair in reversed(pairs) for p in pair)}, \
            move


@record
class _Cropping(Kind):
    """Keras' Cropping1D/2D/3D: (before, after) cut from each spatial dimension."""

    cropping: Any = 1
    data_format: str | None = None

    n: ClassVar[int] = 1
    keras = True
    saves = Saves(view=True)  # a slice of the input

    def layout(self, x: Shape) -> str | None:
        return CHANNELS_FIRST if self.data_format == CHANNELS_FIRST else CHANNELS_LAST

    def output_shape(self, x: Shape) -> Shape:
        first = self.data_format == CHANNELS_FIRST
        if self.n == 1 and self.data_format is not None:  # any value: Keras has no such argument
            raise SpecError(f"no argument 'data_format' (Keras' Cropping1D takes none: its "
                            f"input is (steps, features)), got {self.data_format!r}")
        channel_axis(self.data_format, x, self.type_name)
        need_rank(x, (self.n + 1,), f"(channels, {self.n} spatial)" if first else
                  f"({self.n} spatial, channels)")
        spatial = range(1, self.n + 1) if first else range(self.n)
        out = list(x)
        for i, (before, after) in zip(spatial, keras_pairs(self.cropping, self.n, "cropping")):
            out[i] -= before + after
            if out[i] < 1:
                raise SpecError(f"cropping {before} + {after} leaves nothing of the spatial "
                                f"dimension of size {x[i]}")
        return tuple(out)


for _n in (1, 2, 3):
    _keras_upsampling(_n)
    _keras_zero_padding(_n)
    register(record(type(f"Cropping{_n}D", (_Cropping,), {
        "n": _n, "__doc__": f"Keras' Cropping{_n}D: no parameters."})))
