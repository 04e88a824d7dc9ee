"""Convolutions: Conv1d/2d/3d and ConvTranspose1d/2d/3d (and Keras' ConvND / ConvNDTranspose)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import SpecError
from ..model import Saves, Shape, Tensor
from .base import (
    PYTORCH,
    Kind,
    Pad,
    Pads,
    Pos,
    Size,
    alias,
    first,
    need_rank,
    ntuple,
    pick,
    product,
    register,
)
from .spelling import translate

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def conv_length(n: int, k: int, s: int, p: int, d: int) -> int:
    """Output length of a convolution: floor((n + 2p - d(k-1) - 1) / s) + 1."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def transposed_length(n: int, k: int, s: int, p: int, d: int, op: int) -> int:
    """Output length of a transposed convolution: (n-1)s - 2p + d(k-1) + output_padding + 1."""
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


@dataclass(frozen=True)
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

    n: ClassVar[int] = 2
    inferred = {"in_channels": first}

    def __post_init__(self) -> None:
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
@dataclass(frozen=True)
class Conv1d(_Conv):
    n: ClassVar[int] = 1


@register
@dataclass(frozen=True)
class Conv2d(_Conv):
    n: ClassVar[int] = 2


@register
@dataclass(frozen=True)
class Conv3d(_Conv):
    n: ClassVar[int] = 3


@dataclass(frozen=True)
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

    n: ClassVar[int] = 2
    inferred = {"in_channels": first}

    def __post_init__(self) -> None:
        for name in ("in_channels", "out_channels"):
            if getattr(self, name) % self.groups:
                raise SpecError(f"{name}={getattr(self, name)} is not divisible by "
                                f"groups={self.groups}")
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
@dataclass(frozen=True)
class ConvTranspose1d(_ConvTranspose):
    n: ClassVar[int] = 1


@register
@dataclass(frozen=True)
class ConvTranspose2d(_ConvTranspose):
    n: ClassVar[int] = 2


@register
@dataclass(frozen=True)
class ConvTranspose3d(_ConvTranspose):
    n: ClassVar[int] = 3


def keras_same_padding(x: Shape, kernel: Any, strides: Any, dilation: Any, n: int) -> Any:
    """Symmetric padding that gives Keras' 'same' output length ceil(L / stride) per dimension.

    Keras pads (out-1)s + d(k-1) + 1 - L in total, the odd one at the end; padding half of it,
    rounded up, on both sides gives the same output length, and the same weights.
    """
    k, s, d = ntuple(kernel, n, "kernel_size"), ntuple(strides, n, "strides"), \
        ntuple(dilation, n, "dilation_rate")
    if all(v == 1 for v in s):
        return "same"
    pads = []
    for i, length in enumerate(x[1:n + 1]):
        out = -(-length // s[i])
        total = max((out - 1) * s[i] + d[i] * (k[i] - 1) + 1 - length, 0)
        pads.append(-(-total // 2))
    return tuple(pads)


def _check_padding(name: str, padding: Any) -> None:
    if padding not in ("same", "valid"):
        raise SpecError(f"{name}: padding must be 'same' or 'valid', got {padding!r}")


def _torch_padding(padding: str, out: dict[str, Any], x: Shape, n: int) -> Any:
    """Keras' 'valid' as 0, and its 'same' as the padding that gives the same output length
    (left as 'same' for an input of the wrong rank, which the convolution then refuses)."""
    if padding == "valid":
        return 0
    if len(x) != n + 1:
        return "same"
    return keras_same_padding(x, out.get("kernel_size", 1), out.get("stride", 1),
                              out.get("dilation", 1), n)


def _keras_conv(n: int, transposed: bool) -> None:
    name = f"Conv{n}DTranspose" if transposed else f"Conv{n}D"

    @alias(name, spatial=n)
    def translate_conv(args: dict[str, Any], x: Shape) -> tuple[str, dict[str, Any]]:
        out = translate(name, args, {"filters": "out_channels", "kernel_size": "kernel_size",
                                     "strides": "stride", "padding": "padding",
                                     "dilation_rate": "dilation", "groups": "groups",
                                     "use_bias": "bias"}, ("output_padding",))
        padding = out.pop("padding", "valid")
        _check_padding(name, padding)
        if out.get("output_padding", 0) is None:  # Keras' default: worked out from the rest
            del out["output_padding"]
        if transposed:
            if padding == "same":
                raise SpecError(f"{name}: padding='same' has no PyTorch equivalent; "
                                "use ConvTranspose with padding and output_padding")
            # Keras' 'valid' output is L x s + max(k - s, 0); torch's is (L - 1) s + k, which
            # falls short by s - k when the kernel is smaller than the stride.
            k = ntuple(out.get("kernel_size", 1), n, "kernel_size")
            st = ntuple(out.get("stride", 1), n, "strides")
            d = ntuple(out.get("dilation", 1), n, "dilation_rate")
            reach = [d[i] * (k[i] - 1) + 1 for i in range(n)]
            if "output_padding" not in out and any(r < st[i] for i, r in enumerate(reach)):
                out["output_padding"] = tuple(max(st[i] - r, 0) for i, r in enumerate(reach))
            return f"ConvTranspose{n}d", out
        out["padding"] = _torch_padding(padding, out, x, n)
        return f"Conv{n}d", out


for _n in (1, 2, 3):
    _keras_conv(_n, False)
    _keras_conv(_n, True)


def _keras_depthwise(n: int) -> None:
    name = f"DepthwiseConv{n}D"

    @alias(name, spatial=n)
    def translate_depthwise(args: dict[str, Any], x: Shape) -> tuple[str, dict[str, Any]]:
        """A depthwise convolution is a grouped one: groups = channels, depth_multiplier
        outputs each.  Keras stores its kernel as (*kernel, channels, multiplier); the count is
        the same."""
        out = translate(name, args, {"kernel_size": "kernel_size", "strides": "stride",
                                     "padding": "padding", "dilation_rate": "dilation",
                                     "use_bias": "bias", "depth_multiplier": "depth_multiplier"})
        channels = x[0] if x else 1
        multiplier = out.pop("depth_multiplier", 1)
        padding = out.pop("padding", "valid")
        _check_padding(name, padding)
        out["padding"] = _torch_padding(padding, out, x, n)
        return f"Conv{n}d", {**out, "groups": channels, "out_channels": channels * multiplier}


for _n in (1, 2):
    _keras_depthwise(_n)
