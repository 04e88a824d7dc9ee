"""Layers that hold no parameters and only keep or rearrange the shape."""

from __future__ import annotations

from ..errors import SpecError
from ..model import Saves, Shape
from ..records import record
from . import Kind, Pos, alias, need_rank, product, register
from .registry import translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@register
@record
class Identity(Kind):
    """Passes its input through: no parameters."""
    saves = Saves(view=True)


def _batched_dim(dim: int, rank: int, key: str, batch_ok: bool = False) -> int:
    """A dim of the batched tensor (batch at 0) as an index into our batch-less shape (-1 for
    the batch itself, where batch_ok)."""
    d = dim + rank + 1 if dim < 0 else dim
    if not 0 <= d <= rank:
        raise SpecError(f"{key}={dim} is out of range for an input of {rank} dimensions "
                        f"plus the batch")
    if d == 0 and not batch_ok:
        raise SpecError(f"{key}={dim} is the batch dimension, which a spec leaves out")
    return d - 1


@register
@record
class Flatten(Kind):
    """Merges dimensions start_dim..end_dim (counted with the batch at 0, as torch does)."""
    saves = Saves(view=True)

    start_dim: int = 1
    end_dim: int = -1

    def output_shape(self, x: Shape) -> Shape:
        if not x:
            return x
        s = _batched_dim(self.start_dim, len(x), "start_dim", batch_ok=True)
        e = _batched_dim(self.end_dim, len(x), "end_dim", batch_ok=True)
        if s > e:
            raise SpecError(f"start_dim={self.start_dim} comes after end_dim={self.end_dim}")
        if s == e:
            return x
        if s < 0:
            raise SpecError(f"start_dim={self.start_dim} would merge the batch dimension into "
                            f"the sample, which nnsize does not count")
        return (*x[:s], product(x[s:e + 1]), *x[e + 1:])


@register
@record
class Unflatten(Kind):
    """Splits dimension dim (batch at 0) into unflattened_size; one entry may be -1."""
    saves = Saves(view=True)

    dim: int
    unflattened_size: Any

    def output_shape(self, x: Shape) -> Shape:
        d = _batched_dim(self.dim, len(x), "dim")
        sizes = self.unflattened_size
        if not isinstance(sizes, tuple) or not sizes or not all(
                isinstance(s, int) and not isinstance(s, bool) and (s >= 1 or s == -1)
                for s in sizes) or list(sizes).count(-1) > 1:
            raise SpecError(f"unflattened_size: expected a list of positive integers with at "
                            f"most one -1, got {sizes!r}")
        known = product(tuple(s for s in sizes if s != -1))
        if -1 in sizes:
            if x[d] % known:
                raise SpecError(f"unflattened_size {list(sizes)} does not divide dimension "
                                f"{self.dim} of size {x[d]}")
            sizes = tuple(x[d] // known if s == -1 else s for s in sizes)
        elif known != x[d]:
            raise SpecError(f"unflattened_size {list(sizes)} has {known} elements, but "
                            f"dimension {self.dim} has {x[d]}")
        return (*x[:d], *sizes, *x[d + 1:])


def _check_p(self: Any) -> None:
    if not 0 <= self.p <= 1:
        raise SpecError(f"p: a probability between 0 and 1, got {self.p}")


def _channel_rank(rank: int | None) -> Any:
    def output_shape(self: Kind, x: Shape) -> Shape:
        if rank is not None:  # channel-wise dropout: (channels, n spatial)
            need_rank(x, (rank,), f"(channels, {rank - 1} spatial)")
        return x
    return output_shape


for _name, _rank in (("Dropout", None), ("Dropout1d", 2), ("Dropout2d", 3), ("Dropout3d", 4),
                     ("AlphaDropout", None), ("FeatureAlphaDropout", None)):
    register(record(type(_name, (Kind,), {
        "__annotations__": {"p": "float", "inplace": "bool"}, "p": 0.5, "inplace": False,
        "__post_init__": _check_p, "output_shape": _channel_rank(_rank),
        "channels": _rank is not None,
        "__doc__": "Zeroes elements in training: no parameters.",
        # torch keeps a bool mask the size of the output (8 bits an element)
        "saves": Saves(mask_bits=8) if _name == "Dropout" else None})))


@alias("Dropout", shared=True)
def _dropout(args: dict[str, Any], x: Shape) -> tuple[str, dict[str, Any]]:
    return "Dropout", translate("Dropout", args, {"rate": "p"})


@alias("Flatten", shared=True)
def _flatten(args: dict[str, Any], x: Shape) -> tuple[str, dict[str, Any]]:
    translate("Flatten", args, {})
    return "Flatten", {}


@alias("Activation")
def _activation(args: dict[str, Any], x: Shape) -> tuple[str, dict[str, Any]]:
    translate("Activation", args, {})
    return "Identity", {}


# --- Keras' shape layers: dims counted from 1 (the batch is 0, left out) ----------------------

@register
@record
class Reshape(Kind):
    """Keras' Reshape: the sample to target_shape (one entry may be -1).  No parameters."""

    target_shape: Any

    keras = True
    saves = Saves(view=True)

    def output_shape(self, x: Shape) -> Shape:
        sizes = self.target_shape if isinstance(self.target_shape, tuple) else \
            (self.target_shape,)
        if not sizes or not all(isinstance(s, int) and not isinstance(s, bool) and
                                (s >= 1 or s == -1) for s in sizes) or sizes.count(-1) > 1:
            raise SpecError(f"target_shape: expected a list of positive integers with at most "
                            f"one -1, got {self.target_shape!r}")
        known, total = product(tuple(s for s in sizes if s != -1)), product(x)
        if -1 in sizes:
            if total % known:
                raise SpecError(f"target_shape {list(sizes)} does not divide the input's "
                                f"{total} values (shape {list(x)})")
            return tuple(total // known if s == -1 else s for s in sizes)
        if known != total:
            raise SpecError(f"target_shape {list(sizes)} has {known} values, the input "
                            f"{list(x)} has {total}")
        return sizes


@register
@record
class Permute(Kind):
    """Keras' Permute: dims is a permutation of 1..rank (the batch, 0, stays).  No parameters."""

    dims: Any

    keras = True
    saves = Saves(view=True)

    def output_shape(self, x: Shape) -> Shape:
        dims = self.dims if isinstance(self.dims, tuple) else (self.dims,)
        if sorted(dims) != list(range(1, len(x) + 1)):
            raise SpecError(f"dims: expected a permutation of 1..{len(x)} for an input of "
                            f"shape {list(x)}, got {self.dims!r}")
        return tuple(x[d - 1] for d in dims)


@register
@record
class RepeatVector(Kind):
    """Keras' RepeatVector: (features,) -> (n, features).  No parameters."""

    n: Pos

    saves = Saves()  # a repeat's backward sums the gradient: nothing saved (measured)

    keras = True

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, (1,), "(features)")
        return (self.n, *x)
