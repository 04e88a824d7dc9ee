"""From a layer spec to a Report: shapes flow layer by layer, repeats are multiplied.

A spec is {"input_shape": [...], "layers": [entry, ...]} where an entry is a layer
({"type": "Linear", "out_features": 20, ...}) or a group ({"layers": [...]}); either may carry
"repeat": n, "trainable": false and "name".  The batch dimension is not part of any shape.

A repeated entry is run until its output shape equals its input shape; from there on every
repetition is identical, so the rest are counted by multiplying, not by running them: a billion
repeats cost what two do.
"""

from __future__ import annotations

from .errors import SpecError, shown
from .layers import CHANNELS_FIRST, CHANNELS_LAST, CONVENTIONS, MAX_INT, PYTORCH, build, check_value
from .model import Report, Row, Shape
from .records import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ENTRY_KEYS = ("repeat", "trainable", "name")
MAX_CHANGING_REPEATS = 10_000  # repetitions whose shape keeps changing are run one by one
MAX_VISITS = 50_000  # layers built one by one in all (each a row of the report)
# A shape has at most MAX_DIMS dimensions (numpy's limit is 64 too), and at most
# MAX_INT (10^100) elements in all: so every count made from it, a product of shapes, stays a
# number Python can write out (4,300 digits) and is quick to make
MAX_DIMS = 64


def count_spec(spec: Any, convention: str = PYTORCH, source: str = "spec") -> Report:
    """The report of a spec dict; raises SpecError naming the entry and field at fault."""
    if convention not in CONVENTIONS:
        raise SpecError(f"unknown convention {convention!r}: one of {', '.join(CONVENTIONS)}")
    if not isinstance(spec, dict):
        raise SpecError(f"a spec is an object with 'input_shape' and 'layers', got "
                        f"{type(spec).__name__}")
    unknown = set(spec) - {"input_shape", "layers", "name"}
    if unknown:
        raise SpecError(f"unknown top-level key {sorted(unknown)[0]!r}: a spec has "
                        f"'input_shape', 'layers' and optionally 'name'")
    if "input_shape" not in spec:
        raise SpecError("the spec has no 'input_shape' (the shape of one sample, batch excluded)")
    x: Shape = _checked(check_value(spec["input_shape"], "Dims", "input_shape"), "input_shape")
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        raise SpecError("'layers' must be a non-empty list of layer specs")
    walker = _Walker(convention)
    try:
        walker.walk(layers, x, "layers")
    except RecursionError as e:
        raise SpecError("the spec nests groups too deeply") from e
    rows = tuple(r if r.repeat == 1 else replace(r, name=f"{r.index}-{r.last_position}")
                 for r in walker.rows)
    name = spec.get("name")
    if name is not None and not isinstance(name, str):
        raise SpecError(f"name: expected a string, got {shown(name)}")
    return Report(name or source, convention, x, rows)


def _checked(shape: Shape, what: str) -> Shape:
    """shape, within MAX_DIMS dimensions and MAX_INT elements."""
    if len(shape) > MAX_DIMS:
        raise SpecError(f"{what} has {len(shape):,} dimensions; nnsize takes at most {MAX_DIMS}")
    elements = 1
    for d in shape:
        elements *= d
        if elements > MAX_INT:
            raise SpecError(f"{what} has more than 10^100 elements (the product of its "
                            f"{len(shape)} dimensions), the most nnsize takes")
    return shape


class _Walker:
    def __init__(self, convention: str) -> None:
        self.convention = convention
        self.rows: list[Row] = []
        self.position = 0  # flat index of the next layer, as in an nn.Sequential
        self.visits = 0
        self.layout: tuple[str, str] | None = None  # the first channel reading, and where

    def walk(self, entries: list[Any], x: Shape, path: str) -> Shape:
        for i, entry in enumerate(entries):
            where = f"{path}[{i}]"
            if not isinstance(entry, dict):
                raise SpecError(f"{where}: a layer spec is an object with 'type', got "
                                f"{shown(entry)}")
            repeat = check_value(entry.get("repeat", 1), "Pos", f"{where}.repeat")
            trainable = check_value(entry.get("trainable", True), "bool", f"{where}.trainable")
            x = self._repeat(entry, x, where, repeat, trainable)
        return x

    def _once(self, entry: dict[str, Any], x: Shape, where: str, trainable: bool) -> Shape:
        first_row = len(self.rows)
        if "layers" in entry:
            extra = set(entry) - {"layers", *ENTRY_KEYS}
            if extra:
                raise SpecError(f"{where}: a group takes 'layers', 'repeat', 'trainable' and "
                                f"'name', not {sorted(extra)[0]!r}")
            if not isinstance(entry["layers"], list) or not entry["layers"]:
                raise SpecError(f"{where}.layers: must be a non-empty list of layer specs")
            y = self.walk(entry["layers"], x, f"{where}.layers")
        else:
            y = self._layer(entry, x, where)
        if not trainable:
            for j in range(first_row, len(self.rows)):
                row = self.rows[j]
                frozen = tuple(replace(t, trainable=False) for t in row.tensors)
                self.rows[j] = replace(row, tensors=frozen)
        return y

    def _repeat(self, entry: dict[str, Any], x: Shape, where: str, repeat: int,
                trainable: bool) -> Shape:
        done = 0
        while done < repeat:
            first_row, first_position, x_in = len(self.rows), self.position, x
            x = self._once(entry, x, where, trainable)
            done += 1
            if x == x_in and done < repeat:
                # Fixed point: the remaining repetitions are this one again.
                times, step = repeat - done + 1, self.position - first_position
                for j in range(first_row, len(self.rows)):
                    row = self.rows[j]
                    self.rows[j] = replace(row, repeat=row.repeat * times,
                                                       steps=(*row.steps, (times, step)))
                self.position += (times - 1) * step
                return x
            if done >= MAX_CHANGING_REPEATS and done < repeat:
                raise SpecError(f"{where}.repeat: the shape changes at every repetition "
                                f"(now {list(x)}); nnsize runs at most "
                                f"{MAX_CHANGING_REPEATS:,} such repetitions")
        return x

    def _layer(self, entry: dict[str, Any], x: Shape, where: str) -> Shape:
        self.visits += 1
        if self.visits > MAX_VISITS:
            raise SpecError(f"{where}: the spec expands to more than {MAX_VISITS:,} layers to "
                            f"build; use 'repeat' for repeated layers")
        if "type" not in entry:
            raise SpecError(f"{where}: a layer needs a 'type' (a torch.nn class name such as "
                            f"'Linear'), or 'layers' for a group")
        type_name = entry["type"]
        args = {k: v for k, v in entry.items() if k not in ("type", *ENTRY_KEYS)}
        at = f"{where} ({type_name})" if isinstance(type_name, str) else where
        try:
            kind = build(type_name, args, x)
            self._check_layout(kind.layout(x), at)
            y = kind.output_shape(x)
            tensors = kind.tensors(self.convention)
            macs = kind.macs(x)
        except SpecError as e:
            raise SpecError(f"{at}: {_unnamed(str(e), type_name)}") from e
        if any(d > MAX_INT for d in y):
            raise SpecError(f"{at}: the output shape has a dimension past 10^100, the largest "
                            f"nnsize takes")
        _checked(y, f"{at}: the output shape")
        # labelled as the spec spells it (Conv2D), typed as the kind counted (Conv2d)
        label = entry.get("name") or type_name
        self.rows.append(Row(name=str(self.position), label=str(label),
                             type=kind.type_name, input_shape=x, output_shape=y,
                             tensors=tuple(tensors), macs_each=macs,
                             formula=kind.formula(tensors), index=self.position,
                             args=kind.arguments(), saved=kind.saved(x),
                             saves=kind.saving()))
        self.position += 1
        return y


    def _check_layout(self, layout: str | None, at: str) -> None:
        """One spec, one reading of its shapes: a layer that takes the channel axis first after
        one that took it last (or the reverse) is refused, never guessed."""
        if layout is None:
            return
        if self.layout is None:
            self.layout = (layout, at)
            return
        first, where = self.layout
        if layout != first:
            raise SpecError(
                f"reads its input {_LAYOUTS[layout]}, but {where} read it "
                f"{_LAYOUTS[first]}; a spec takes one framework's shapes (Keras spellings are "
                f"channels-last unless data_format='channels_first' is given, torch.nn's are "
                f"channels-first)")


def _unnamed(message: str, type_name: Any) -> str:
    """A layer's message without the layer's name in front, where `at` names it already
    ("layers[0] (BatchNormalization): axis=5 ...", not "...: BatchNormalization: axis=5")."""
    if isinstance(type_name, str) and message.startswith(f"{type_name}: "):
        return message[len(type_name) + 2:]
    return message


_LAYOUTS = {CHANNELS_FIRST: "channels-first (C, ...)", CHANNELS_LAST: "channels-last (..., C)"}
