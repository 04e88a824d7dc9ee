"""A spec's argument checked against the annotation of its field (Pos, Size, Pads...), and
the shape helpers the kinds share."""

from __future__ import annotations

from ..errors import SpecError, shown
from ..model import Shape, Tensor, numel
from .kind import KERAS, MAX_INT, Kind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    K = TypeVar("K", bound=type)

def _describe(annotation: str) -> str:
    return {"Pos": "a positive integer", "NonNeg": "a non-negative integer", "int": "an integer",
            "float": "a number", "bool": "true or false", "str": "a string",
            "Size": "a positive integer or a list of them",
            "Pad": "a non-negative integer, a list of them, 'same' or 'valid'",
            "Pads": "a non-negative integer or a list of them",
            "Dims": "a list of positive integers", "Layer": "a layer spec (an object with 'type')",
            "Any": "a value"}.get(annotation, annotation)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_value(value: Any, annotation: str, key: str) -> Any:
    """value checked against an annotation of the vocabulary above; lists become tuples."""
    options = [a.strip() for a in annotation.split("|")]
    if any(_is_int(v) and abs(v) > MAX_INT for v in (value if isinstance(value, list) else
                                                        [value])):
        raise SpecError(f"{key}: {shown(value)} is past the largest number nnsize takes, "
                        f"10^100")
    if value is None:
        if "None" in options or "Any" in options:
            return None
        raise SpecError(f"{key}: expected {_describe(options[0])}, got null")
    for a in options:
        ok, normal = _accepts(a, value)
        if ok:
            return normal
    wanted = " or ".join(_describe(a) for a in options if a != "None")
    raise SpecError(f"{key}: expected {wanted}, got {shown(value)}")


def _accepts(a: str, v: Any) -> tuple[bool, Any]:
    if a == "Any":
        return True, tuple(v) if isinstance(v, list) else v
    if a == "Pos":
        return _is_int(v) and v >= 1, v
    if a == "NonNeg":
        return _is_int(v) and v >= 0, v
    if a == "int":
        return _is_int(v), v
    if a == "float":
        return (_is_int(v) or isinstance(v, float)) and v == v, v
    if a == "bool":
        return isinstance(v, bool), v
    if a == "str":
        return isinstance(v, str), v
    if a in ("Size", "Dims", "Pad", "Pads"):
        if isinstance(v, str):
            return a == "Pad" and v in ("same", "valid"), v
        least = 0 if a in ("Pad", "Pads") else 1
        if _is_int(v):  # normalized_shape=48, as nn.LayerNorm(48) is written
            return v >= least, (v,) if a == "Dims" else v
        if isinstance(v, (list, tuple)) and v and all(_is_int(e) and e >= least for e in v):
            return True, tuple(v)
        return False, v
    if a == "Layer":  # built from its spec by the kind's prepare()
        return isinstance(v, Kind), v
    raise RuntimeError(f"unknown annotation {a!r}")


# --- shape helpers shared by the kinds -----------------------------------------------------

def ntuple(value: int | tuple[int, ...], n: int, key: str) -> tuple[int, ...]:
    """An int repeated n times, or a tuple of exactly n."""
    if isinstance(value, int):
        return (value,) * n
    if len(value) != n:
        raise SpecError(f"{key}: expected {n} values, got {len(value)}")
    return tuple(value)


def need_rank(x: Shape, ranks: tuple[int, ...], what: str) -> None:
    if len(x) not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise SpecError(f"expects an input of {want} dimensions {what} (batch excluded), "
                        f"got shape {list(x)}")


def product(xs: tuple[int, ...] | list[int]) -> int:
    return numel(tuple(xs))


def pick(convention: str, pytorch: list[Tensor], keras: list[Tensor] | None) -> list[Tensor]:
    """The tensors of the convention; kinds without a Keras counterpart use PyTorch's."""
    return keras if convention == KERAS and keras is not None else pytorch


def last(x: Shape) -> int:
    """The size of the last dimension, which features-first layers read."""
    if not x:
        raise SpecError("expects an input with at least one dimension, got a scalar")
    return x[-1]


def first(x: Shape) -> int:
    """The size of the first dimension (channels, for channels-first inputs)."""
    if not x:
        raise SpecError("expects an input with at least one dimension, got a scalar")
    return x[0]
