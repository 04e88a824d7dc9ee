"""What every layer kind shares: the registry, argument checking, shape helpers.

A layer kind is a frozen dataclass whose fields are exactly the torch.nn constructor arguments,
registered under the torch.nn class name.  Field annotations name how a spec value is checked:

    Pos     an int >= 1             NonNeg  an int >= 0            int, float, bool, str
    Size    Pos or a list of Pos    Pads    NonNeg or a list of NonNeg
    Pad     Pads, or "same" / "valid"
    Dims    a list of Pos           Layer   a nested layer spec (a dict with "type")
    Any     anything                X | None: X or null

Arguments that follow from the incoming shape (in_features, in_channels, ...) are listed in the
kind's ``inferred``: a function of the incoming shape that supplies the value when it is missing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from ..errors import SpecError, suggest
from ..model import Formula, Saves, Shape, Tensor, numel, sum_formula

Pos = int
NonNeg = int
Size = int | tuple[int, ...]
Pads = int | tuple[int, ...]
Pad = int | tuple[int, ...] | str
Dims = tuple[int, ...]
Layer = dict[str, Any]

PYTORCH = "pytorch"
KERAS = "keras"
CONVENTIONS = (PYTORCH, KERAS)


class Kind:
    """Base of every layer kind.  Subclasses are frozen dataclasses."""

    inferred: ClassVar[dict[str, Callable[[Shape], Any]]] = {}
    # What autograd saves for backward (None: not modelled, the planner says so).
    saves: ClassVar[Saves | None] = None

    @classmethod
    def prepare(cls, args: dict[str, Any], x: Shape) -> dict[str, Any]:
        """Arguments before checking; kinds with nested layer specs build them here."""
        return args

    def output_shape(self, x: Shape) -> Shape:
        """Shape of the output for an input of shape x (batch excluded); raises SpecError."""
        return x

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        """Parameters and buffers, named and shaped as the convention's framework does."""
        return []

    def macs(self, x: Shape) -> int:
        """Multiply-accumulates of one forward pass of one sample (matmuls and convolutions)."""
        return 0

    def saved(self, x: Shape) -> tuple[int, int] | None:
        """What autograd saves for backward, per sample, where this kind knows it as a whole:
        (values at the activation precision, fp32 values).  None: the kind's `saves` applies."""
        return None

    def formula(self, tensors: list[Tensor]) -> Formula:
        """The parameter count as a sum of products: (16 x 3 x 3 x 3) + 16."""
        return sum_formula(tensors)

    @property
    def type_name(self) -> str:
        return type(self).__name__


K = TypeVar("K", bound=type)

# The families, one module each, imported in this order until one registers a wanted kind.
FAMILIES = ("dense", "activation", "conv", "pool", "norm", "reshape", "embedding", "recurrent",
            "attention", "transformer", "resize")
REGISTRY: dict[str, type[Kind]] = {}
Translator = Callable[[dict[str, Any], Shape], tuple[str, dict[str, Any]]]
ALIASES: dict[str, Translator] = {}
SPATIAL: dict[str, int] = {}  # Keras spellings of channels-last spatial layers: their dimensions
# Names both frameworks use (LSTM, Embedding, Dropout...): read as PyTorch's unless an argument
# is one only the Keras layer has (LSTM(units=...)), then translated.
SHARED: dict[str, Translator] = {}


def register(cls: K) -> K:
    """Class decorator: add a kind to the registry under its class name; duplicates are rejected."""
    name = cls.__name__
    if name in REGISTRY or name in ALIASES:
        raise RuntimeError(f"layer kind {name!r} registered twice")
    REGISTRY[name] = cls
    return cls


def alias(name: str, shared: bool = False,
          spatial: int = 0) -> Callable[[Translator], Translator]:
    """Register another spelling (a Keras layer name) that translates its arguments to a kind's.

    shared=True: the name is also a torch.nn kind's; the translation applies to Keras arguments.
    spatial: the spatial dimensions of a layer whose Keras input is channels-last by default
    (convolutions and pooling), which the kind reads channels-first.
    """
    def deco(fn: Translator) -> Translator:
        table = SHARED if shared else ALIASES
        if name in table or (not shared and name in REGISTRY):
            raise RuntimeError(f"layer spelling {name!r} registered twice")
        table[name] = fn
        if spatial:
            SPATIAL[name] = spatial
        return fn
    return deco


def spatial_dims(name: str) -> int:
    """The spatial dimensions of a spelling registered with alias(spatial=n); 0 for others."""
    _load(until=name)
    return SPATIAL.get(name, 0)


_loaded: set[str] = set()


def _load(until: str | None = None) -> None:
    """Import the families in order until one registers `until` (all of them for None)."""
    import importlib

    for family in FAMILIES:
        if until is not None and (until in REGISTRY or until in ALIASES):
            return
        if family not in _loaded:
            importlib.import_module(f"{__package__}.{family}")
            _loaded.add(family)


def load_all() -> dict[str, type[Kind]]:
    """Every family imported; the full registry."""
    _load()
    return REGISTRY


def kind_of(type_name: str) -> type[Kind] | None:
    """The registered kind of this exact name (a framework's class name), None if none."""
    _load(until=type_name)
    return REGISTRY.get(type_name)


def known_types() -> list[str]:
    load_all()
    return sorted([*REGISTRY, *ALIASES])


def build(type_name: Any, args: dict[str, Any], x: Shape) -> Kind:
    """The kind named type_name with args checked and inferred from the incoming shape x."""
    if not isinstance(type_name, str):
        raise SpecError(f"'type' must be a layer name, got {type_name!r}")
    _load(until=type_name)
    if type_name in ALIASES:
        type_name, args = ALIASES[type_name](dict(args), x)
    elif type_name in SHARED and type_name in REGISTRY:
        own = {f.name for f in dataclasses.fields(REGISTRY[type_name])}  # type: ignore[arg-type]
        if not set(args) <= own:
            type_name, args = SHARED[type_name](dict(args), x)
    cls = REGISTRY.get(type_name)
    if cls is None:
        load_all()
        folded = {k.lower(): k for k in REGISTRY}
        if type_name.lower() in folded:
            cls = REGISTRY[folded[type_name.lower()]]
        else:
            raise SpecError(f"unknown layer type {type_name!r}{suggest(type_name, known_types())}")
    return from_args(cls, args, x)


def from_args(cls: type[Kind], args: dict[str, Any], x: Shape) -> Kind:
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    args = cls.prepare(args, x)
    values: dict[str, Any] = {}
    for key, value in args.items():
        f = fields.get(key)
        if f is None:
            raise SpecError(f"{cls.__name__} has no argument {key!r}"
                            f"{suggest(key, list(fields))}")
        values[key] = check_value(value, str(f.type), key)
    for name, f in fields.items():
        if name in values:
            continue
        if name in cls.inferred:
            values[name] = check_value(cls.inferred[name](x), str(f.type), name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SpecError(f"{cls.__name__} needs the argument {name!r}")
    try:
        return cls(**values)
    except SpecError:
        raise
    except (TypeError, ValueError) as e:  # a kind's own __post_init__ check
        raise SpecError(str(e)) from e


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
    if value is None:
        if "None" in options:
            return None
        raise SpecError(f"{key}: expected {_describe(options[0])}, got null")
    for a in options:
        ok, normal = _accepts(a, value)
        if ok:
            return normal
    wanted = " or ".join(_describe(a) for a in options if a != "None")
    raise SpecError(f"{key}: expected {wanted}, got {value!r}")


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
        if _is_int(v):
            return a != "Dims" and v >= least, (v,) if a == "Dims" else v
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
