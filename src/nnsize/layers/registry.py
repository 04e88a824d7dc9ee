"""The registry of layer kinds: each family's module imported when a spec names one of its kinds,
Keras' spellings translated, and a kind built from a spec's arguments on its input shape."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import SpecError, shown, suggest
from ..model import Shape
from ..records import MISSING, fields
from .arguments import check_value
from .kind import DTYPES, Kind, Placed, move_axis

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    K = TypeVar("K", bound=type)

# The families, one module each, imported in this order until one registers a wanted kind.
FAMILIES = ("dense", "activation", "conv", "pool", "norm", "batchnorm", "reshape", "embedding",
            "recurrent", "attention", "transformer", "resize", "wrapper")
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
    from ..lazy import load

    for family in FAMILIES:
        if until is not None and (until in REGISTRY or until in ALIASES):
            return
        if family not in _loaded:
            load(f"{__package__}.{family}")
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


# --- Keras' spellings: a Keras layer's arguments translated to the torch.nn kind that has the
# same tensors -------------------------------------------------------------------------------

# Keras arguments that change no parameter count and no shape.
IGNORED = frozenset({
    "name", "activation", "kernel_initializer", "bias_initializer", "kernel_regularizer",
    "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint",
    "dtype", "data_format", "seed", "noise_shape", "beta_initializer", "gamma_initializer",
    "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer",
    "gamma_regularizer", "beta_constraint", "gamma_constraint", "recurrent_initializer",
    "recurrent_regularizer", "recurrent_constraint", "recurrent_activation", "dropout",
    "recurrent_dropout", "unit_forget_bias", "go_backwards", "stateful", "unroll",
    "return_state", "embeddings_initializer", "embeddings_regularizer", "embeddings_constraint",
    "mask_zero", "synchronized", "epsilon", "momentum", "axis", "input_length", "sparse",
    "use_cudnn", "implementation", "time_major", "renorm_clipping", "renorm_momentum",
    "zero_output_for_mask", "trainable", "depthwise_initializer", "depthwise_regularizer",
    "depthwise_constraint", "pointwise_initializer", "pointwise_regularizer",
    "pointwise_constraint", "autocast", "flash_attention",
})
# Keras arguments that add or remove weights: accepted only at these values.
ONLY = {"renorm": False, "quantization_config": None, "rms_scaling": False, "lora_rank": None}


def translate(keras_name: str, args: dict[str, Any], rename: dict[str, str],
              extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """args with Keras names renamed to torch's; unknown names are refused with a suggestion."""
    out: dict[str, Any] = {}
    known = [*rename, *extra, *IGNORED]
    for key, value in args.items():
        if key in rename:
            out[rename[key]] = value
        elif key in extra:
            out[key] = value
        elif key in ONLY:
            if value != ONLY[key]:
                raise SpecError(f"{keras_name}: {key}={value!r} changes the layer's weights in "
                                f"a way nnsize does not count")
        elif key not in IGNORED:
            raise SpecError(f"{keras_name} has no argument {key!r}{suggest(key, known)}")
    return out
