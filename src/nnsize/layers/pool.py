"""Pooling: Max/Avg/LP pooling and their adaptive forms, 1d to 3d.  No parameters, no MACs."""

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
    Size,
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


def pool_length(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output length, ceil_mode's rule included.

    floor_or_ceil((n + 2p - d(k-1) - 1) / s) + 1, and with ceil_mode the last window must
    start inside the input or its left padding.
    """
    top = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = top // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_shape(x: Shape, n: int, k: tuple[int, ...], s: tuple[int, ...], p: tuple[int, ...],
                d: tuple[int, ...], ceil_mode: bool, keras_padding: str | None = None) -> Shape:
    need_rank(x, (n + 1,), f"(channels, {n} spatial)")
    if keras_padding == "same":  # Keras pads what it needs, the odd one at the end
        return (x[0], *(-(-length // s[i]) for i, length in enumerate(x[1:])))
    out = []
    for i, length in enumerate(x[1:]):
        if p[i] > k[i] // 2:
            raise SpecError(f"padding {p[i]} must be at most half the kernel size {k[i]} "
                            f"(as in PyTorch)")
        o = pool_length(length, k[i], s[i], p[i], d[i], ceil_mode)
        if o < 1:
            raise SpecError(f"kernel_size {k[i]} is larger than the padded input "
                            f"{length + 2 * p[i]} in spatial dimension {i + 1}")
        out.append(o)
    return (x[0], *out)


def _avg_pool3d_check(x: Shape, k: tuple[int, ...], n: int) -> None:
    """avg_pool3d alone compares the unpadded input with the kernel, even in ceil_mode."""
    if n == 3 and len(x) == 4 and any(length < ki for length, ki in zip(x[1:], k)):
        raise SpecError(f"the input {list(x[1:])} is smaller than the kernel {list(k)} "
                        f"(3d average pooling does not count the padding here, as in PyTorch)")


@record
class _MaxPool(Kind):
    saves = Saves(input=True, mask_bits=64)  # and the int64 indices

    kernel_size: Size
    stride: Size | None = None
    padding: Pads = 0
    dilation: Size = 1
    return_indices: bool = False
    ceil_mode: bool = False
    # nnsize's own: Keras' padding='same' (output length ceil(L / stride)), which no symmetric
    # torch padding gives for every kernel
    keras_padding: str | None = None

    n: ClassVar[int] = 2
    channels = True

    def output_shape(self, x: Shape) -> Shape:
        k = ntuple(self.kernel_size, self.n, "kernel_size")
        s = ntuple(self.stride, self.n, "stride") if self.stride is not None else k
        return _pool_shape(x, self.n, k, s, ntuple(self.padding, self.n, "padding"),
                           ntuple(self.dilation, self.n, "dilation"), self.ceil_mode,
                           self.keras_padding)


@record
class _AvgPool(Kind):
    saves = Saves()

    kernel_size: Size
    stride: Size | None = None
    padding: Pads = 0
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: Pos | None = None
    keras_padding: str | None = None  # as _MaxPool's

    n: ClassVar[int] = 2
    channels = True

    def output_shape(self, x: Shape) -> Shape:
        if self.n == 1 and self.divisor_override is not None:
            raise SpecError("AvgPool1d has no argument 'divisor_override'")
        k = ntuple(self.kernel_size, self.n, "kernel_size")
        s = ntuple(self.stride, self.n, "stride") if self.stride is not None else k
        if self.keras_padding is None:
            _avg_pool3d_check(x, k, self.n)
        return _pool_shape(x, self.n, k, s, ntuple(self.padding, self.n, "padding"),
                           (1,) * self.n, self.ceil_mode, self.keras_padding)


@record
class _LPPool(Kind):
    norm_type: float
    kernel_size: Size
    stride: Size | None = None
    ceil_mode: bool = False

    n: ClassVar[int] = 2
    channels = True

    def output_shape(self, x: Shape) -> Shape:
        k = ntuple(self.kernel_size, self.n, "kernel_size")
        s = ntuple(self.stride, self.n, "stride") if self.stride is not None else k
        _avg_pool3d_check(x, k, self.n)  # LPPool3d runs avg_pool3d
        return _pool_shape(x, self.n, k, s, (0,) * self.n, (1,) * self.n, self.ceil_mode)


@record
class _AdaptivePool(Kind):
    saves: ClassVar[Saves | None] = Saves()

    output_size: Any

    n: ClassVar[int] = 2
    channels = True

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, (self.n + 1,), f"(channels, {self.n} spatial)")
        size = self.output_size
        sizes = (size,) * self.n if not isinstance(size, tuple) else size
        # torch keeps a dimension for None in 2d and 3d only
        if len(sizes) != self.n or not all(
                (v is None and self.n > 1) or
                (isinstance(v, int) and not isinstance(v, bool) and v >= 1) for v in sizes):
            raise SpecError(f"output_size: expected a positive integer or {self.n} of them "
                            f"(null keeps the input's size), got {size!r}")
        return (x[0], *(x[i + 1] if v is None else v for i, v in enumerate(sizes)))


@record
class _AdaptiveMaxPool(_AdaptivePool):
    saves = None

    return_indices: bool = False


_FAMILIES: tuple[tuple[str, type[Kind]], ...] = (
    ("MaxPool", _MaxPool), ("AvgPool", _AvgPool), ("LPPool", _LPPool),
    ("AdaptiveAvgPool", _AdaptivePool), ("AdaptiveMaxPool", _AdaptiveMaxPool))

for _prefix, _base in _FAMILIES:
    for _n in (1, 2, 3):
        register(record(type(f"{_prefix}{_n}d", (_base,), {
            "__annotations__": {}, "n": _n, "__doc__": f"{_prefix}{_n}d: no parameters.",
            "saves": None if _prefix == "LPPool" else _base.saves})))


def _keras_pool(kind: str, n: int) -> None:
    name = f"{kind}Pooling{n}D"

    @alias(name)
    def translate_pool(args: dict[str, Any], x: Shape) -> Translation:
        out = translate(name, args, {"pool_size": "kernel_size", "strides": "stride",
                                     "padding": "padding"}, ("data_format",))
        move = channel_axis(out.pop("data_format", None), x, name), 0
        if kind == "Average" and "kernel_size" not in out:
            raise SpecError(f"{name} needs the argument 'pool_size'")  # as Keras 3 does
        out.setdefault("kernel_size", 2)
        padding = out.pop("padding", "valid")
        if padding == "same":
            out["keras_padding"] = "same"
        elif padding != "valid":
            raise SpecError(f"{name}: padding must be 'same' or 'valid', got {padding!r}")
        return f"{'Max' if kind == 'Max' else 'Avg'}Pool{n}d", out, move


for _n in (1, 2, 3):
    _keras_pool("Max", _n)
    _keras_pool("Average", _n)


@record
class _GlobalPool(Kind):
    """Keras' global pooling: each channel to one value, (spatial..., C) -> (C,), or
    (1, ..., C) with keepdims (channels-first with data_format='channels_first').  PyTorch writes
    it AdaptiveAvgPool / AdaptiveMaxPool + Flatten."""

    keepdims: bool = False
    data_format: str | None = None

    n: ClassVar[int] = 2
    keras = True

    def layout(self, x: Shape) -> str | None:
        return CHANNELS_FIRST if self.data_format == CHANNELS_FIRST else CHANNELS_LAST

    def output_shape(self, x: Shape) -> Shape:
        c = channel_axis(self.data_format, x, self.type_name)
        first = self.data_format == CHANNELS_FIRST
        need_rank(x, (self.n + 1,), f"({self.n} spatial, channels)" if not first else
                  f"(channels, {self.n} spatial)")
        if not self.keepdims:
            return (x[c],)
        return (x[0], *((1,) * self.n)) if first else (*((1,) * self.n), x[c])


for _kind in ("Average", "Max"):
    for _n in (1, 2, 3):
        # measured with saved_tensors_hooks (Keras on torch, tests/layers/test_saves.py): a
        # mean's backward needs only the shape; a max (torch.amax) saves its input and output
        register(record(type(f"Global{_kind}Pooling{_n}D", (_GlobalPool,), {
            "n": _n, "__doc__": f"Keras' Global{_kind}Pooling{_n}D: no parameters.",
            "saves": Saves() if _kind == "Average" else Saves(input=True, output=True)})))
