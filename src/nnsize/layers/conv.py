"""Convolutions: Conv1d/2d/3d and ConvTranspose1d/2d/3d (and Keras' ConvND / ConvNDTranspose)."""

from __future__ import annotations

from ..errors import SpecError
from ..model import Saves, Shape, Tensor
from ..records import record
from . import (
    CHANNELS_FIRST,
    CHANNELS_LAST,
    PYTORCH,
    Kind,
    Pad,
    Pads,
    Pos,
    Size,
    Translation,
    alias,
    channel_axis,
    first,
    move_axis,
    need_rank,
    ntuple,
    pick,
    product,
    register,
)
from .registry import translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def conv_length(n: int, k: int, s: int, p: int, d: int) -> int:
    """Output length of a convolution: floor((n + 2p - d(k-1) - 1) / s) + 1."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def transposed_length(n: int, k: int, s: int, p: int, d: int, op: int) -> int:
    """Output length of a transposed convolution: (n-1)s - 2p + d(k-1) + output_padding + 1."""
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


@record
class _Conv(Kind):
    """weight: out x in/groups x *kernel, bias: out.  MACs = out positions x weight elements."""

    saves = Saves(input=True)

    in_channels: Pos
    out_channels: Pos
    kernel_size: Size
    stride: Size = 1
    padding: Pad = 0
    dilation: Size = 1
    groups: Pos = 1
    bias: bool = True
    padding_mode: str = "zeros"
    # nnsize's own: Keras' padding='same', output length ceil(L / stride) (Keras pads what it
    # needs, the odd one at the end, which no symmetric torch padding does for every kernel)
    keras_padding: str | None = None

    n: ClassVar[int] = 2
    inferred = {"in_channels": first}
    channels = True
    factory = True

    def __post_init__(self) -> None:
        if self.keras_padding not in (None, "same"):
            raise SpecError(f"keras_padding: 'same' or null, got {self.keras_padding!r}")
        for name in ("in_channels", "out_channels"):
            if getattr(self, name) % self.groups:
                raise SpecError(f"{name}={getattr(self, name)} is not divisible by "
                                f"groups={self.groups}")
        if self.padding_mode not in PADDING_MODES:
            raise SpecError(f"padding_mode: one of {', '.join(PADDING_MODES)}, "
                            f"got {self.padding_mode!r}")
        if self.padding == "same" and any(s != 1 for s in ntuple(self.stride, self.n, "stride")):
            raise SpecError("padding='same' is not supported for strided convolutions "
                            "(as in PyTorch); give the padding as numbers")

    @property
    def kernel(self) -> tuple[int, ...]:
        return ntuple(self.kernel_size, self.n, "kernel_size")

    def _padding(self) -> tuple[int, ...] | None:
        """Per-dimension padding; None for 'same' (output length = input length)."""
        if self.padding == "same":
            return None
        if self.padding == "valid":
            return (0,) * self.n
        return ntuple(self.padding, self.n, "padding")  # type: ignore[arg-type]

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, (self.n + 1,), f"(channels, {self.n} spatial)")
        if x[0] != self.in_channels:
            raise SpecError(f"in_channels={self.in_channels} does not fit the incoming "
                            f"{x[0]} channels (shape {list(x)})")
        k, s = self.kernel, ntuple(self.stride, self.n, "stride")
        d, pad = ntuple(self.dilation, self.n, "dilation"), self._padding()
        if self.keras_padding == "same":
            return (self.out_channels, *(-(-length // s[i]) for i, length in enumerate(x[1:])))
        out = []
        for i, length in enumerate(x[1:]):
            self._check_padding_mode(i, length, pad[i] if pad else None, d[i] * (k[i] - 1))
            if pad is None:
                out.append(length)
                continue
            reach = d[i] * (k[i] - 1) + 1
            if length + 2 * pad[i] < reach:
                raise SpecError(f"kernel_size {k[i]} (reaching {reach} with dilation {d[i]}) is "
                                f"larger than the padded input {length} + 2 x {pad[i]} = "
                                f"{length + 2 * pad[i]} in spatial dimension {i + 1}")
            out.append(conv_length(length, k[i], s[i], pad[i], d[i]))
        return (self.out_channels, *out)

    def _check_padding_mode(self, dim: int, length: int, pad: int | None, total: int) -> None:
        """reflect pads by mirroring (pad < length); circular wraps around at most once."""
        if self.padding_mode not in ("reflect", "circular"):
            return
        widest = max(total - total // 2, total // 2) if pad is None else pad
        limit = length - 1 if self.padding_mode == "reflect" else length
        if widest > limit:
            raise SpecError(f"padding {widest} is too wide for padding_mode="
                            f"{self.padding_mode!r} on an input of size {length} in spatial "
                            f"dimension {dim + 1} (at most {limit})")

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        o, i_g, k = self.out_channels, self.in_channels // self.groups, self.kernel
        kd = tuple(f"kernel_{j}" for j in range(self.n))
        torch = [Tensor("weight", (o, i_g, *k), "weight",
                        dims=("out_channels", "in_channels/groups", *kd))]
        keras = [Tensor("kernel", (*k, i_g, o), "weight",
                        dims=(*kd, "in_channels/groups", "out_channels"))]
        if self.bias:
            for t in (torch, keras):
                t.append(Tensor("bias", (o,), "bias", dims=("out_channels",)))
        return pick(convention, torch, keras)

    def macs(self, x: Shape) -> int:
        out = self.output_shape(x)
        return product(out[1:]) * self.out_channels * (self.in_channels // self.groups) \
            * product(self.kernel)


@register
@record
class Conv1d(_Conv):
    n: ClassVar[int] = 1


@register
@record
class Conv2d(_Conv):
    n: ClassVar[int] = 2


@register
@record
class Conv3d(_Conv):
    n: ClassVar[int] = 3


@record
class _ConvTranspose(Kind):
    """weight: in x out/groups x *kernel, bias: out.  MACs = input positions x weight elements."""

    saves = Saves(input=True)

    in_channels: Pos
    out_channels: Pos
    kernel_size: Size
    stride: Size = 1
    padding: Pads = 0
    output_padding: Pads = 0
    groups: Pos = 1
    bias: bool = True
    dilation: Size = 1
    padding_mode: str = "zeros"
    # nnsize's own: Keras' padding ('same' or 'valid') with its output_padding=None, where the
    # output length is Keras' own: L x s for 'same', L x s + max(k - s, 0) for 'valid'.
    keras_padding: str | None = None

    n: ClassVar[int] = 2
    inferred = {"in_channels": first}
    channels = True
    factory = True

    def __post_init__(self) -> None:
        for name in ("in_channels", "out_channels"):
            if getattr(self, name) % self.groups:
                raise SpecError(f"{name}={getattr(self, name)} is not divisible by "
                                f"groups={self.groups}")
        if self.keras_padding not in (None, "same", "valid"):
            raise SpecError(f"keras_padding: 'same' or 'valid', got {self.keras_padding!r}")
        if self.padding_mode != "zeros":
            raise SpecError("padding_mode: only 'zeros' is supported for transposed "
                            "convolutions (as in PyTorch)")
        s, d = ntuple(self.stride, self.n, "stride"), ntuple(self.dilation, self.n, "dilation")
        for i, op in enumerate(ntuple(self.output_padding, self.n, "output_padding")):
            if op >= max(s[i], d[i]):
                raise SpecError(f"output_padding {op} must be smaller than the stride {s[i]} "
                                f"or the dilation {d[i]} (as in PyTorch)")

    @property
    def kernel(self) -> tuple[int, ...]:
        return ntuple(self.kernel_size, self.n, "kernel_size")

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, (self.n + 1,), f"(channels, {self.n} spatial)")
        if x[0] != self.in_channels:
            raise SpecError(f"in_channels={self.in_channels} does not fit the incoming "
                            f"{x[0]} channels (shape {list(x)})")
        k, s = self.kernel, ntuple(self.stride, self.n, "stride")
        p, d = ntuple(self.padding, self.n, "padding"), ntuple(self.dilation, self.n, "dilation")
        op = ntuple(self.output_padding, self.n, "output_padding")
        if self.keras_padding is not None:
            reach = [d[i] * (k[i] - 1) + 1 for i in range(self.n)]
            out = [length * s[i] + (max(reach[i] - s[i], 0) if self.keras_padding == "valid"
                                    else 0) for i, length in enumerate(x[1:])]
            return (self.out_channels, *out)
        out = [transposed_length(length, k[i], s[i], p[i], d[i], op[i])
               for i, length in enumerate(x[1:])]
        if any(o < 1 for o in out):
            raise SpecError(f"padding {list(p)} leaves no output for the input {list(x)}: "
                            f"output would be {out}")
        return (self.out_channels, *out)

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        i, o_g, k = self.in_channels, self.out_channels // self.groups, self.kernel
        kd = tuple(f"kernel_{j}" for j in range(self.n))
        torch = [Tensor("weight", (i, o_g, *k), "weight",
                        dims=("in_channels", "out_channels/groups", *kd))]
        keras = [Tensor("kernel", (*k, o_g, i), "weight",
                        dims=(*kd, "out_channels/groups", "in_channels"))]
        if self.bias:
            for t in (torch, keras):
                t.append(Tensor("bias", (self.out_channels,), "bias", dims=("out_channels",)))
        return pick(convention, torch, keras)

    def macs(self, x: Shape) -> int:
        return product(x[1:]) * self.in_channels * (self.out_channels // self.groups) \
            * product(self.kernel)


@register
@record
class ConvTranspose1d(_ConvTranspose):
    n: ClassVar[int] = 1


@register
@record
class ConvTranspose2d(_ConvTranspose):
    n: ClassVar[int] = 2


@register
@record
class ConvTranspose3d(_ConvTranspose):
    n: ClassVar[int] = 3


def _check_padding(name: str, padding: Any) -> None:
    if padding not in ("same", "valid"):
        raise SpecError(f"{name}: padding must be 'same' or 'valid', got {padding!r}")


def _check_dilation(name: str, strides: Any, dilation: Any, n: int) -> None:
    """Keras takes strides > 1 or dilation_rate > 1, not both."""
    if any(v > 1 for v in ntuple(strides, n, "strides")) and \
            any(v > 1 for v in ntuple(dilation, n, "dilation_rate")):
        raise SpecError(f"{name}: strides > 1 with dilation_rate > 1 is refused by Keras "
                        f"(strides={strides}, dilation_rate={dilation})")


def channels_moved(name: str, data_format: Any, x: Shape) -> tuple[int, int]:
    """The move that puts a Keras layer's channel axis where torch.nn reads it (first)."""
    return channel_axis(data_format, x, name), 0


def _keras_conv(n: int, transposed: bool) -> None:
    name = f"Conv{n}DTranspose" if transposed else f"Conv{n}D"

    @alias(name)
    def translate_conv(args: dict[str, Any], x: Shape) -> Translation:
        out = translate(name, args, {"filters": "out_channels", "kernel_size": "kernel_size",
                                     "strides": "stride", "padding": "padding",
                                     "dilation_rate": "dilation", "groups": "groups",
                                     "use_bias": "bias"}, ("output_padding", "data_format"))
        move = channels_moved(name, out.pop("data_format", None), x)
        x = move_axis(x, *move)
        padding = out.pop("padding", "valid")
        padding = padding.lower() if isinstance(padding, str) else padding  # as Keras reads it
        if padding == "causal" and name == "Conv1D":
            # padded d(k - 1) at the start: the output is ceil(L / stride) long, as for 'same'
            padding = "same"
        _check_padding(name, padding)
        _check_dilation(name, out.get("stride", 1), out.get("dilation", 1), n)
        if transposed:
            k = ntuple(out.get("kernel_size", 1), n, "kernel_size")
            d = ntuple(out.get("dilation", 1), n, "dilation_rate")
            if out.get("output_padding") is None:  # Keras' default: its own output length
                out.pop("output_padding", None)
                out["keras_padding"] = padding
            else:
                st = ntuple(out.get("stride", 1), n, "strides")
                op = ntuple(out["output_padding"], n, "output_padding")
                if any(op[i] >= st[i] for i in range(n)):
                    raise SpecError(f"{name}: output_padding {list(op)} must be smaller than "
                                    f"the strides {list(st)} (as in Keras)")
                if padding == "same":  # Keras pads k // 2 on each side
                    out["padding"] = tuple((d[i] * (k[i] - 1) + 1) // 2 for i in range(n))
            return f"ConvTranspose{n}d", out, move
        if padding == "same":
            out["keras_padding"] = "same"
        return f"Conv{n}d", out, move


for _n in (1, 2, 3):
    _keras_conv(_n, False)
    _keras_conv(_n, True)


@record
class _KerasConv(Kind):
    """Keras' depthwise convolution: depth_multiplier outputs a channel, from that channel
    alone.  kernel: *kernel x C x m, bias: C*m (Keras); weight: C*m x 1 x *kernel, bias: C*m
    (torch.nn's Conv with groups = C)."""

    kernel_size: Size
    strides: Size = 1
    padding: str = "valid"
    data_format: str | None = None
    dilation_rate: Size = 1
    depth_multiplier: Pos = 1
    use_bias: bool = True
    in_channels: Pos = 1  # nnsize's own: read from the input's channel axis

    n: ClassVar[int] = 2
    keras = True

    @classmethod
    def prepare(cls, args: dict[str, Any], x: Shape) -> dict[str, Any]:
        axis = channel_axis(args.get("data_format"), x, cls.__name__)
        return {"in_channels": x[axis] if x else 1, **args}

    def __post_init__(self) -> None:
        _check_padding(self.type_name, self.padding)
        _check_dilation(self.type_name, self.strides, self.dilation_rate, self.n)

    def _first(self, x: Shape) -> tuple[int, int]:
        return channel_axis(self.data_format, x, self.type_name), 0

    def parts(self) -> list[_Conv]:
        """The convolutions it runs, on channels-first shapes: the depthwise one here."""
        c, m = self.in_channels, self.depth_multiplier
        return [REGISTRY_CONV[self.n](
            c, c * m, self.kernel_size, self.strides, 0, self.dilation_rate, groups=c,
            bias=self.use_bias, keras_padding="same" if self.padding == "same" else None)]

    def output_shape(self, x: Shape) -> Shape:
        move = self._first(x)
        y = move_axis(x, *move)
        for part in self.parts():
            y = part.output_shape(y)
        return move_axis(y, move[1], move[0])

    def layout(self, x: Shape) -> str | None:
        return None if len(x) < 2 else \
            CHANNELS_FIRST if self.data_format == CHANNELS_FIRST else CHANNELS_LAST

    def macs(self, x: Shape) -> int:
        y, total = move_axis(x, *self._first(x)), 0
        for part in self.parts():
            total += part.macs(y)
            y = part.output_shape(y)
        return total

    def saved(self, x: Shape) -> tuple[int, int] | None:
        # each convolution keeps its input for backward, as Conv2d does
        y, values = move_axis(x, *self._first(x)), 0
        for part in self.parts():
            values += product(y)
            y = part.output_shape(y)
        return values, 0

    def _kernel(self) -> tuple[tuple[int, ...], tuple[str, ...]]:
        return ntuple(self.kernel_size, self.n, "kernel_size"), \
            tuple(f"kernel_{j}" for j in range(self.n))

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        c, m, (k, kd) = self.in_channels, self.depth_multiplier, self._kernel()
        keras = [Tensor("kernel", (*k, c, m), "weight",
                        dims=(*kd, "in_channels", "depth_multiplier"))]
        torch = [Tensor("weight", (c * m, 1, *k), "weight",
                        dims=("in_channels*depth_multiplier", "1", *kd))]
        if self.use_bias:
            for t in (keras, torch):
                t.append(Tensor("bias", (c * m,), "bias", dims=("in_channels*depth_multiplier",)))
        return pick(convention, torch, keras)


@record
class _SeparableConv(_KerasConv):
    """Keras' separable convolution: the depthwise convolution, then a 1 x 1 one to filters.
    depthwise_kernel: *kernel x C x m, pointwise_kernel: 1... x C*m x filters, bias: filters.
    In the PyTorch convention the same tensors are the two torch.nn.Conv weights a user writes
    for it: depthwise.weight, pointwise.weight and pointwise.bias."""

    filters: Pos = 1

    def parts(self) -> list[_Conv]:
        c, m = self.in_channels, self.depth_multiplier
        depthwise = REGISTRY_CONV[self.n](
            c, c * m, self.kernel_size, self.strides, 0, self.dilation_rate, groups=c,
            bias=False, keras_padding="same" if self.padding == "same" else None)
        return [depthwise, REGISTRY_CONV[self.n](c * m, self.filters, 1, bias=self.use_bias)]

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        c, m, f, (k, kd) = self.in_channels, self.depth_multiplier, self.filters, self._kernel()
        ones = (1,) * self.n
        keras = [Tensor("depthwise_kernel", (*k, c, m), "weight",
                        dims=(*kd, "in_channels", "depth_multiplier")),
                 Tensor("pointwise_kernel", (*ones, c * m, f), "weight",
                        dims=(*("1",) * self.n, "in_channels*depth_multiplier", "filters"))]
        torch = [Tensor("depthwise.weight", (c * m, 1, *k), "weight",
                        dims=("in_channels*depth_multiplier", "1", *kd)),
                 Tensor("pointwise.weight", (f, c * m, *ones), "weight",
                        dims=("filters", "in_channels*depth_multiplier", *("1",) * self.n))]
        if self.use_bias:
            keras.append(Tensor("bias", (f,), "bias", dims=("filters",)))
            torch.append(Tensor("pointwise.bias", (f,), "bias", dims=("filters",)))
        return pick(convention, torch, keras)


REGISTRY_CONV: dict[int, type[_Conv]] = {1: Conv1d, 2: Conv2d, 3: Conv3d}

for _n in (1, 2):  # Keras 3 has no DepthwiseConv3D or SeparableConv3D
    register(record(type(f"DepthwiseConv{_n}D", (_KerasConv,), {
        "n": _n, "__doc__": f"Keras' DepthwiseConv{_n}D: one filter group a channel."})))
    register(record(type(f"SeparableConv{_n}D", (_SeparableConv,), {
        "n": _n, "__doc__": f"Keras' SeparableConv{_n}D: depthwise, then pointwise."})))
