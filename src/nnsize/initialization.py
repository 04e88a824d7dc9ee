"""Initialization scales for every weight of a report, as torch.nn.init computes them.

fan_in and fan_out follow torch.nn.init._calculate_fan_in_and_fan_out: for a weight of shape
(out, in, *kernel), fan_in = in x prod(kernel) and fan_out = out x prod(kernel) (a Linear's
(out, in) has no kernel).  Gains follow torch.nn.init.calculate_gain.

    Xavier / Glorot uniform   bound = gain x sqrt(6 / (fan_in + fan_out))
    Xavier / Glorot normal    std   = gain x sqrt(2 / (fan_in + fan_out))
    He / Kaiming uniform      bound = gain x sqrt(3 / fan)      fan = fan_in or fan_out
    He / Kaiming normal       std   = gain / sqrt(fan)
    LeCun normal              std   = 1 / sqrt(fan_in)
    orthogonal                std   = gain / sqrt(max(rows, cols))  (rows = out, cols = the rest:
                              a semi-orthogonal matrix has unit rows or columns)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import NnsizeError
from .model import Report, numel

GAINS = ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def gain(nonlinearity: str, param: float | None = None) -> float:
    """torch.nn.init.calculate_gain."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                        "conv_transpose2d", "conv_transpose3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    from .errors import suggest

    raise NnsizeError(f"unknown nonlinearity {nonlinearity!r}{suggest(nonlinearity, GAINS)}; "
                      f"one of {', '.join(GAINS)}")


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """torch.nn.init._calculate_fan_in_and_fan_out."""
    if len(shape) < 2:
        raise NnsizeError("fan in and fan out need a tensor of at least 2 dimensions")
    receptive = numel(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


@dataclass(frozen=True)
class Scales:
    name: str
    shape: tuple[int, ...]
    fan_in: int
    fan_out: int
    xavier_uniform_bound: float
    xavier_normal_std: float
    kaiming_uniform_bound_fan_in: float
    kaiming_normal_std_fan_in: float
    kaiming_uniform_bound_fan_out: float
    kaiming_normal_std_fan_out: float
    lecun_normal_std: float
    orthogonal_std: float


def scales(name: str, shape: tuple[int, ...], g: float) -> Scales:
    fan_in, fan_out = fans(shape)
    rows, cols = shape[0], numel(shape[1:])
    return Scales(name, shape, fan_in, fan_out,
                  g * math.sqrt(6 / (fan_in + fan_out)), g * math.sqrt(2 / (fan_in + fan_out)),
                  g * math.sqrt(3 / fan_in), g / math.sqrt(fan_in),
                  g * math.sqrt(3 / fan_out), g / math.sqrt(fan_out),
                  1 / math.sqrt(fan_in), g / math.sqrt(max(rows, cols)))


def report_scales(report: Report, nonlinearity: str = "relu",
                  param: float | None = None) -> list[Scales]:
    """Scales for every weight of two or more dimensions, in PyTorch's layout (out, in, ...)."""
    if report.convention not in ("pytorch", "checkpoint", "onnx"):
        raise NnsizeError("initialization scales use PyTorch's weight layout (out, in, ...): "
                          "count with --convention pytorch")
    g = gain(nonlinearity, param)
    out = []
    for name, t in report.tensor_list():
        if not t.buffer and not t.shared_with and len(t.shape) >= 2 and \
                t.role in ("weight", "embedding"):
            out.append(scales(name, t.shape, g))
    return out


