"""Activation modules: elementwise, no parameters (PReLU has its slopes; GLU halves a dim)."""

from __future__ import annotations

from ..errors import SpecError
from ..model import Saves, Shape, Tensor
from ..records import record
from . import PYTORCH, Kind, Pos, alias, register
from .registry import translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# name -> its torch.nn constructor arguments: (name, annotation, default)
_INPLACE = ("inplace", "bool", False)
_DIM = ("dim", "int | None", None)
ELEMENTWISE: dict[str, tuple[tuple[str, str, Any], ...]] = {
    "ReLU": (_INPLACE,), "ReLU6": (_INPLACE,), "SELU": (_INPLACE,), "SiLU": (_INPLACE,),
    "Mish": (_INPLACE,), "Hardsigmoid": (_INPLACE,), "Hardswish": (_INPLACE,),
    "LeakyReLU": (("negative_slope", "float", 0.01), _INPLACE),
    "ELU": (("alpha", "float", 1.0), _INPLACE), "CELU": (("alpha", "float", 1.0), _INPLACE),
    "GELU": (("approximate", "str", "none"),),
    "Sigmoid": (), "Tanh": (), "Softsign": (), "LogSigmoid": (), "Tanhshrink": (),
    "Softmax2d": (), "Softmax": (_DIM,), "LogSoftmax": (_DIM,), "Softmin": (_DIM,),
    "Softplus": (("beta", "float", 1.0), ("threshold", "float", 20.0)),
    "Softshrink": (("lambd", "float", 0.5),), "Hardshrink": (("lambd", "float", 0.5),),
    "Hardtanh": (("min_val", "float", -1.0), ("max_val", "float", 1.0), _INPLACE),
    "Threshold": (("threshold", "float", None), ("value", "float", None), _INPLACE),
    "RReLU": (("lower", "float", 1 / 8), ("upper", "float", 1 / 3), _INPLACE),
}


def _along_dim(self: Any, x: Shape) -> Shape:
    """Softmax and its kin: dim must name a dimension of the batched input, as in PyTorch
    (which raises IndexError otherwise): -(rank) <= dim < rank, rank = len(x) + 1."""
    rank = len(x) + 1
    if self.dim is not None and not -rank <= self.dim < rank:
        raise SpecError(f"dim={self.dim} is out of range for an input of shape {list(x)} "
                        f"({rank} dimensions with the batch: dim from {-rank} to {rank - 1})")
    return x


# What autograd keeps for backward: the output where the gradient is a function of it (ReLU's
# mask, sigmoid's s(1 - s)), else the input.
SAVED_OUTPUT = ("ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "ELU")
SAVED_INPUT = ("ReLU6", "GELU", "SiLU", "Mish", "LeakyReLU", "Hardswish", "Hardsigmoid",
               "Softplus")

for _name, _args in ELEMENTWISE.items():
    _namespace: dict[str, Any] = {"__doc__": f"{_name}: elementwise, no parameters."}
    if _DIM in _args:
        _namespace["output_shape"] = _along_dim
    register(record(type(_name, (Kind,), {
        "__annotations__": {a: t for a, t, _ in _args},
        **{a: d for a, t, d in _args if d is not None or "None" in t}, **_namespace,
        "saves": Saves(output=True) if _name in SAVED_OUTPUT else
        Saves(input=True) if _name in SAVED_INPUT else None})))


@register
@record
class PReLU(Kind):
    """weight: num_parameters (1, or one slope per channel = the input's first dimension)."""

    num_parameters: Pos = 1
    init: float = 0.25

    factory = True

    def output_shape(self, x: Shape) -> Shape:
        if self.num_parameters != 1 and (not x or x[0] != self.num_parameters):
            raise SpecError(f"num_parameters={self.num_parameters} must be 1 or the number of "
                            f"channels (the first dimension of {list(x)})")
        return x

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        return [Tensor("weight", (self.num_parameters,), "other", dims=("num_parameters",))]


@register
@record
class GLU(Kind):
    """Gated linear unit: halves dimension dim (batch at 0; the default -1 is the last)."""

    dim: int = -1

    def output_shape(self, x: Shape) -> Shape:
        d = self.dim + len(x) + 1 if self.dim < 0 else self.dim
        if not 1 <= d <= len(x):
            raise SpecError(f"dim={self.dim} is out of range for an input of shape {list(x)}")
        if x[d - 1] % 2:
            raise SpecError(f"GLU halves dimension {self.dim}, whose size {x[d - 1]} is odd")
        return (*x[:d - 1], x[d - 1] // 2, *x[d:])


@alias("Softmax", shared=True)
def _softmax(args: dict[str, Any], x: Shape) -> tuple[str, dict[str, Any]]:
    return "Softmax", translate("Softmax", args, {"axis": "dim"})


@alias("LeakyReLU", shared=True)
def _leaky(args: dict[str, Any], x: Shape) -> tuple[str, dict[str, Any]]:
    return "LeakyReLU", translate("LeakyReLU", args, {"negative_slope": "negative_slope",
                                                      "alpha": "negative_slope"})


@alias("ReLU", shared=True)
def _relu(args: dict[str, Any], x: Shape) -> tuple[str, dict[str, Any]]:
    translate("ReLU", args, {}, ("max_value", "threshold", "negative_slope"))
    return "ReLU", {}
