"""What every layer kind shares: the registry, argument checking, shape helpers.

A layer kind is a frozen dataclass whose fields are exactly the torch.nn constructor arguments,
registered under the torch.nn class name.  Field annotations name how a spec value is checked:

    Pos     an int >= 1             NonNeg  an int >= 0            int, float, bool, str
    Size    Pos or a list of Pos    Pads    NonNeg or a list of NonNeg
    Pad     Pads, or "same" / "valid"
    Dims    Pos or a list of Pos    Layer   a nested layer spec (a dict with "type")
    Any     anything                X | None: X or null

Arguments that follow from the incoming shape (in_features, in_channels, ...) are listed in the
kind's ``inferred``: a function of the incoming shape that supplies the value when it is missing.

Shapes are read the way the spelling's framework reads them: a torch.nn kind that has a channel
axis (``channels = True``) takes it first; a Keras spelling takes it last, as Keras' default
data_format does, or where its ``data_format`` / ``axis`` says.  A Keras spelling translated to a
torch.nn kind is built on the shape with that axis moved first and wrapped in ``Placed``, which
moves it back, so every shape a spec shows is the shape its framework shows.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import SpecError, shown, suggest
from ..model import Formula, Saves, Shape, Tensor, numel, sum_formula
from ..records import MISSING, fields, record
from .spelling import translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeVar

    K = TypeVar("K", bound=type)

Pos = int
NonNeg = int
Size = int | tuple[int, ...]
Pads = int | tuple[int, ...]
Pad = int | tuple[int, ...] | str
Dims = tuple[int, ...]
Layer = dict[str, "Any"]

# The largest size, count or index a spec may give: counts stay exact far past any real model
# (10^40 x 10^40 is fine), but a dimension of 10^400 is refused before its digits cost anything.
MAX_INT = 10**100

PYTORCH = "pytorch"
KERAS = "keras"
CONVENTIONS = (PYTORCH, KERAS)
CHANNELS_FIRST = "channels_first"
CHANNELS_LAST = "channels_last"
DATA_FORMATS = (CHANNELS_LAST, CHANNELS_FIRST)

# dtype arguments (torch.nn's factory dtype=, Keras' dtype=): what a parameter is created in.
# Keras' mixed policies compute in 16 bits but keep the variables in float32.
DTYPES = {"float32": "float32", "float": "float32", "float16": "float16", "half": "float16",
          "bfloat16": "bfloat16", "float64": "float64", "double": "float64",
          "mixed_float16": "float32", "mixed_bfloat16": "float32"}


class Kind:
    """Base of every layer kind.  Subclasses are frozen dataclasses."""

    inferred: ClassVar[dict[str, Callable[[Shape], Any]]] = {}
    # torch.nn kinds that read a channel axis, first (Conv2d, BatchNorm2d, MaxPool2d...)
    channels: ClassVar[bool] = False
    # torch.nn kinds whose constructor takes device= and dtype= (those with tensors)
    factory: ClassVar[bool] = False
    # kinds spelled as Keras spells them (their fields are Keras' arguments): Keras' arguments
    # that change nothing counted are dropped before checking, as for translated spellings
    keras: ClassVar[bool] = False
    renamed: ClassVar[dict[str, str]] = {}  # a Keras argument -> the field that holds it
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

    def saving(self) -> Saves | None:
        """What autograd saves for backward, as the row records it: the kind's `saves`."""
        return self.saves

    def layout(self, x: Shape) -> str | None:
        """Where this layer reads the channel axis of x: CHANNELS_FIRST, CHANNELS_LAST, or None
        where it has none (or x has one dimension, where first and last are the same)."""
        return CHANNELS_FIRST if self.channels and len(x) >= 2 else None

    def arguments(self) -> tuple[tuple[str, str], ...]:
        """The arguments that differ from their defaults (all required ones), for display."""
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.default is MISSING or value != f.default:
                text = value.type_name if isinstance(value, Kind) else \
                    list(value) if isinstance(value, tuple) else value
                out.append((f.name, str(text)))
        return tuple(out)

    @property
    def type_name(self) -> str:
        return type(self).__name__


@record
class Placed(Kind):
    """A kind as a spec places it: built on x with axis `source` moved to `target` (Keras'
    channels-last moved first for a torch.nn kind), the output moved back; and the dtype its
    tensors are created in, where the spec gives one."""

    inner: Kind
    source: int = 0
    target: int = 0
    dtype: str | None = None

    def inside(self, x: Shape) -> Shape:
        return move_axis(x, self.source, self.target)

    def output_shape(self, x: Shape) -> Shape:
        try:
            y = self.inner.output_shape(self.inside(x))
        except SpecError as e:
            if self.source == self.target or len(x) < 2:
                raise
            raise SpecError(f"{e}; read as Keras reads it, dimension {self.source + 1} of "
                            f"{list(x)} is the channels (moved first for torch.nn's "
                            f"{self.inner.type_name}: {list(self.inside(x))})") from e
        return move_axis(y, self.target, self.source)

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        return self.inner.tensors(convention)

    def macs(self, x: Shape) -> int:
        return self.inner.macs(self.inside(x))

    def saved(self, x: Shape) -> tuple[int, int] | None:
        whole = self.inner.saved(self.inside(x))
        saves = self.inner.saving()
        if whole is not None or saves is None or not self._moves_statistics():
            return whole
        # statistics per channel or per row are laid out on the inner kind's axes, which the
        # row's shapes (the spec's) do not show: what it saves is counted here as a whole
        inside = self.inside(x)
        y = self.inner.output_shape(inside)
        values = numel(x) * saves.input + numel(y) * saves.output
        fp32 = saves.channel_stats * (y[0] if y else 1) + \
            saves.row_stats * numel(inside[:-1])
        return values, fp32

    def _moves_statistics(self) -> bool:
        saves = self.inner.saving()
        return self.source != self.target and saves is not None and \
            bool(saves.channel_stats or saves.row_stats) and not saves.mask_bits

    def saving(self) -> Saves | None:
        return self.inner.saving()

    def formula(self, tensors: list[Tensor]) -> Formula:
        return self.inner.formula(tensors)

    def layout(self, x: Shape) -> str | None:
        if len(x) < 2 or self.source == self.target:
            return self.inner.layout(x)
        if (self.source, self.target) == (len(x) - 1, 0):
            return CHANNELS_LAST
        return None

    def arguments(self) -> tuple[tuple[str, str], ...]:
        extra = (("dtype", self.dtype),) if self.dtype else ()
        return self.inner.arguments() + extra

    @property
    def type_name(self) -> str:
        return self.inner.type_name


def move_axis(x: Shape, source: int, target: int) -> Shape:
    """x with dimension `source` moved to position `target` (numpy's moveaxis, one axis)."""
    if source == target or len(x) < 2:
        return x
    rest = [d for i, d in enumerate(x) if i != source]
    rest.insert(target, x[source])
    return tuple(rest)


def channel_axis(data_format: Any, x: Shape, where: str) -> int:
    """The index of the channel axis of x (batch excluded) for a Keras data_format."""
    fmt = CHANNELS_LAST if data_format is None else data_format
    if fmt not in DATA_FORMATS:
        raise SpecError(f"{where}: data_format must be 'channels_last' or 'channels_first', "
                        f"got {data_format!r}")
    return max(len(x) - 1, 0) if fmt == CHANNELS_LAST else 0


def keras_axis(axis: Any, x: Shape, where: str, key: str = "axis") -> int:
    """A Keras axis (counted with the batch at 0; negative from the end) as an index of x."""
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise SpecError(f"{where}: {key} must be one integer here, got {axis!r}")
    d = axis + len(x) + 1 if axis < 0 else axis
    if d == 0:
        raise SpecError(f"{where}: {key}={axis} is the batch dimension, which a spec leaves out")
    if not 1 <= d <= len(x):
        raise SpecError(f"{where}: {key}={axis} is out of range for an input of {len(x)} "
                        f"dimensions plus the batch")
    return d - 1



# The families, one module each, imported in this order until one registers a wanted kind.
FAMILIES = ("dense", "activation", "conv", "pool", "norm", "reshape", "embedding", "recurrent",
            "attention", "transformer", "resize", "wrapper")
REGISTRY: dict[str, type[Kind]] = {}
# A translation: the torch.nn kind and its arguments, and optionally (source, target): the axis
# of x to move before building it (the Keras layer's channel axis to where torch reads it).
Translation = tuple[str, dict[str, "Any"]] | tuple[str, dict[str, "Any"], tuple[int, int]]
Translator = Callable[[dict[str, "Any"], Shape], Translation]
ALIASES: dict[str, Translator] = {}
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


def alias(name: str, shared: bool = False) -> Callable[[Translator], Translator]:
    """Register another spelling (a Keras layer name) that translates its arguments to a kind's.

    shared=True: the name is also a torch.nn kind's; the translation applies to Keras arguments.
    """
    def deco(fn: Translator) -> Translator:
        table = SHARED if shared else ALIASES
        if name in table or (not shared and name in REGISTRY):
            raise RuntimeError(f"layer spelling {name!r} registered twice")
        table[name] = fn
        return fn
    return deco


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
        raise SpecError(f"'type' must be a layer name, got {shown(type_name)}")
    _load(until=type_name)
    args = dict(args)
    move: tuple[int, int] | None = None
    translated = type_name in ALIASES
    if translated:
        dtype = _dtype(args.pop("dtype", None))
        result = ALIASES[type_name](args, x)
        type_name, args = result[0], result[1]
        move = result[2] if len(result) > 2 else None
    elif type_name in SHARED and type_name in REGISTRY:
        own = {f.name for f in fields(REGISTRY[type_name])}
        if not set(args) - {"dtype", "device"} <= own:
            translated = True
            dtype = _dtype(args.pop("dtype", None))
            type_name, args = SHARED[type_name](args, x)[:2]
    cls = REGISTRY.get(type_name)
    if cls is None:
        load_all()
        folded = {k.lower(): k for k in REGISTRY}
        if type_name.lower() in folded:
            cls = REGISTRY[folded[type_name.lower()]]
        else:
            raise SpecError(f"unknown layer type {shown(type_name)}"
                            f"{suggest(type_name, known_types())}")
    if not translated:
        dtype = None
        if cls.factory or cls.keras:  # torch.nn's factory arguments; every Keras layer's dtype
            dtype = _dtype(args.pop("dtype", None))
            if not cls.keras:
                args.pop("device", None)  # where the tensors live changes no count
    inside = move_axis(x, *move) if move else x
    kind = from_args(cls, args, inside)
    if move and move[0] != move[1] or dtype:
        kind = Placed(kind, *(move or (0, 0)), dtype=dtype)
    return kind


def _dtype(value: Any) -> str | None:
    """A dtype argument as the dtype its tensors are kept in ('torch.half' -> 'float16')."""
    if value is None:
        return None
    name = value[len("torch."):] if isinstance(value, str) and value.startswith("torch.") \
        else value
    if not isinstance(name, str) or name not in DTYPES:
        raise SpecError(f"dtype: one of {', '.join(DTYPES)}, got {value!r}"
                        f"{suggest(str(name), list(DTYPES))}")
    return DTYPES[name]


def from_args(cls: type[Kind], args: dict[str, Any], x: Shape) -> Kind:
    known = {f.name: f for f in fields(cls)}
    if cls.keras:
        args = translate(cls.__name__, args, {**{name: name for name in known}, **cls.renamed})
    args = cls.prepare(args, x)
    values: dict[str, Any] = {}
    for key, value in args.items():
        f = known.get(key)
        if f is None:
            raise SpecError(f"{cls.__name__} has no argument {shown(key)}"
                            f"{suggest(key, list(known))}")
        values[key] = check_value(value, str(f.type), key)
    for name, f in known.items():
        if name in values:
            continue
        if name in cls.inferred:
            values[name] = check_value(cls.inferred[name](x), str(f.type), name)
        elif f.default is MISSING and f.default_factory is MISSING:
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
