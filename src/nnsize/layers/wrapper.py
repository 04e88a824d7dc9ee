"""Keras' layer wrappers: Bidirectional (a recurrent layer run both ways) and TimeDistributed
(a layer applied to every step of a sequence).  Each holds the layer it wraps, as a spec:
{"type": "Bidirectional", "layer": {"type": "LSTM", "units": 8}}; the form a .keras file
stores ({"class_name": "LSTM", "config": {...}}) is read too."""

from __future__ import annotations

from ..errors import SpecError
from ..model import Saves, Shape, Tensor
from ..records import record, replace
from . import KERAS, PYTORCH, Kind, Layer, build, register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MERGE_MODES = ("concat", "sum", "mul", "ave")
# Keras' config keys of a stored layer that are not its constructor's arguments
STORED = ("name", "trainable", "dtype", "build_config", "batch_input_shape", "batch_shape",
          "input_shape")


def nested(spec: Any, x: Shape, key: str) -> Kind:
    """The layer a wrapper holds, built on x."""
    if isinstance(spec, dict) and "class_name" in spec:  # as a .keras file stores it
        config = spec.get("config") or {}
        spec = {"type": spec["class_name"],
                **{k: v for k, v in config.items() if k not in STORED}}
    if not isinstance(spec, dict) or "type" not in spec:
        raise SpecError(f"{key}: expected a layer spec (an object with 'type'), got {spec!r}")
    try:
        return build(spec["type"], {k: v for k, v in spec.items() if k != "type"}, x)
    except SpecError as e:
        raise SpecError(f"{key} ({spec['type']}): {e}") from e


@register
@record
class Bidirectional(Kind):
    """A recurrent layer and its copy over the reversed sequence: the torch.nn layer with
    bidirectional=True.  merge_mode 'concat' gives 2 x units features; sum, mul, ave give units."""

    layer: Layer
    merge_mode: str | None = "concat"
    backward_layer: Any | None = None

    keras = True

    @property
    def wrapped(self) -> Kind:
        return self.layer  # type: ignore[return-value]  # built by prepare()

    @classmethod
    def prepare(cls, args: dict[str, Any], x: Shape) -> dict[str, Any]:
        out = dict(args)
        inner = nested(out.get("layer"), x, "layer")
        if not hasattr(inner, "bidirectional"):
            raise SpecError(f"layer: Bidirectional wraps a recurrent layer (LSTM, GRU, "
                            f"SimpleRNN), got {inner.type_name}")
        if getattr(inner, "bidirectional", False):
            raise SpecError("layer: the wrapped layer is bidirectional already")
        if out.get("backward_layer") is not None:
            # a .keras file stores the backward copy Keras made; one with other weights or
            # another output is not what nnsize counts
            back = nested(out["backward_layer"], x, "backward_layer")
            if [t.shape for t in back.tensors(KERAS)] != [t.shape for t in inner.tensors(KERAS)] \
                    or back.output_shape(x) != inner.output_shape(x):
                raise SpecError("backward_layer: nnsize counts a backward layer that is a copy "
                                "of the forward one")
            out["backward_layer"] = None
        out["layer"] = replace(inner, bidirectional=True)
        return out

    def __post_init__(self) -> None:
        if self.merge_mode not in MERGE_MODES:
            raise SpecError(f"merge_mode: one of {', '.join(MERGE_MODES)}, got "
                            f"{self.merge_mode!r} (null returns two outputs, which a sequence "
                            f"of layers cannot take)")
        if self.backward_layer is not None:
            raise SpecError("backward_layer: nnsize counts a backward layer that is a copy "
                            "of the forward one")

    def output_shape(self, x: Shape) -> Shape:
        y = self.wrapped.output_shape(x)
        return y if self.merge_mode == "concat" else (*y[:-1], y[-1] // 2)

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        return self.wrapped.tensors(convention)

    def macs(self, x: Shape) -> int:
        return self.wrapped.macs(x)

    def layout(self, x: Shape) -> str | None:
        return self.wrapped.layout(x)


@register
@record
class TimeDistributed(Kind):
    """The wrapped layer on each of the first dimension's steps: (T, ...) -> (T, layer(...)).
    One set of weights, shared by every step; T times the layer's MACs."""

    layer: Layer

    keras = True

    @property
    def wrapped(self) -> Kind:
        return self.layer  # type: ignore[return-value]  # built by prepare()

    @classmethod
    def prepare(cls, args: dict[str, Any], x: Shape) -> dict[str, Any]:
        if len(x) < 2:
            raise SpecError(f"expects an input of at least 2 dimensions (steps, ...), got "
                            f"shape {list(x)}")
        return {**args, "layer": nested(args.get("layer"), x[1:], "layer")}

    def output_shape(self, x: Shape) -> Shape:
        return (x[0], *self.wrapped.output_shape(x[1:]))

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        return self.wrapped.tensors(convention)

    def macs(self, x: Shape) -> int:
        return x[0] * self.wrapped.macs(x[1:])

    def saved(self, x: Shape) -> tuple[int, int] | None:
        once = self.wrapped.saved(x[1:])
        return None if once is None else (x[0] * once[0], x[0] * once[1])

    def saving(self) -> Saves | None:
        # per element of its input and output, as the wrapped layer; per-channel or per-row
        # statistics are laid out on the wrapped layer's shapes: not modelled
        saves = self.wrapped.saving()
        return saves if saves is None or not (saves.channel_stats or saves.row_stats) else None

    def layout(self, x: Shape) -> str | None:
        return self.wrapped.layout(x[1:])
