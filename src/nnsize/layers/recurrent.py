"""Recurrent layers: RNN, LSTM (with proj_size) and GRU, stacked and bidirectional.

Per layer l and direction, with G gates (RNN 1, GRU 3, LSTM 4), hidden size H, projection P
(LSTM only; the state carried is P wide when P > 0, else H) and input width I_l (the input
size for l = 0, else directions x state width):

    PyTorch: weight_ih (G*H, I_l), weight_hh (G*H, state), bias_ih (G*H), bias_hh (G*H),
             weight_hr (P, H)
    Keras:   kernel (I_l, G*H), recurrent_kernel (H, G*H), bias (G*H) -- one bias vector;
             GRU with reset_after=True (its default) keeps two: bias (2, 3H)

MACs per time step: G*H*(I_l + state) (+ P*H for the projection).
"""

from __future__ import annotations

from ..errors import SpecError
from ..model import Shape, Tensor
from ..records import record, replace
from . import KERAS, PYTORCH, Kind, NonNeg, Pos, alias, last, need_rank, register
from .registry import translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar


@record
class _Recurrent(Kind):
    input_size: Pos
    hidden_size: Pos
    num_layers: Pos = 1
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    bidirectional: bool = False
    # nnsize's own: the Keras layer's return_sequences (False: only the last step comes out).
    return_sequences: bool = True

    gates: ClassVar[int] = 1
    inferred = {"input_size": last}
    factory = True

    @property
    def state(self) -> int:
        return self.hidden_size

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def layer_input(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.directions * self.state

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, (2,), "(sequence length, features)")
        if x[-1] != self.input_size:
            raise SpecError(f"input_size={self.input_size} does not fit the incoming "
                            f"{x[-1]} features (shape {list(x)})")
        width = self.directions * self.state
        return (x[0], width) if self.return_sequences else (width,)

    def _keras_bias(self, gh: int) -> Tensor:
        return Tensor("bias", (gh,), "bias", dims=("gates*hidden_size",))

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        # Layers 1..num_layers-1 all read directions x state features: one entry each, with
        # copies, so a million stacked layers are as many entries as two.
        out = self._layer_tensors(convention, 0, 1)
        if self.num_layers > 1:
            out += self._layer_tensors(convention, 1, self.num_layers - 1)
        return out

    def _layer_tensors(self, convention: str, layer: int, copies: int) -> list[Tensor]:
        """The tensors of layers layer..layer+copies-1, whose shapes are the same."""
        gh, h, i, out = self.gates * self.hidden_size, self.hidden_size, \
            self.layer_input(layer), []
        index = "{i}" if copies > 1 else str(layer)
        for d in range(self.directions):
            if convention == KERAS:
                prefix = ("" if self.num_layers == 1 else f"l{index}.") + \
                    ("" if not self.bidirectional else ("backward." if d else "forward."))
                t = [Tensor("kernel", (i, gh), "weight", dims=("input", "gates*hidden_size")),
                     Tensor("recurrent_kernel", (h, gh), "weight",
                            dims=("hidden_size", "gates*hidden_size"))]
                if self.bias:
                    t.append(self._keras_bias(gh))
                out += [x.prefixed(prefix) for x in t]
                continue
            sfx = f"_l{index}" + ("_reverse" if d else "")
            out += [Tensor(f"weight_ih{sfx}", (gh, i), "weight",
                           dims=("gates*hidden_size", "input")),
                    Tensor(f"weight_hh{sfx}", (gh, self.state), "weight",
                           dims=("gates*hidden_size", "state"))]
            if self.bias:
                out += [Tensor(f"bias_ih{sfx}", (gh,), "bias", dims=("gates*hidden_size",)),
                        Tensor(f"bias_hh{sfx}", (gh,), "bias", dims=("gates*hidden_size",))]
            out += self._projection(sfx)
        if copies == 1:
            return out
        return [replace(t, copies=copies, start=layer) for t in out]

    def _projection(self, sfx: str) -> list[Tensor]:
        return []

    def macs(self, x: Shape) -> int:
        def layer_macs(layer: int) -> int:
            return self.gates * self.hidden_size * (self.layer_input(layer) + self.state) + \
                self.state * self.hidden_size * (self.state != self.hidden_size)

        # layer 0, and num_layers - 1 layers that all read directions x state features
        per_step = layer_macs(0) + (self.num_layers - 1) * layer_macs(1)
        return x[0] * per_step * self.directions


@register
@record
class RNN(_Recurrent):
    """Elman RNN: one gate.  nonlinearity 'tanh' or 'relu'."""

    nonlinearity: str = "tanh"
    gates: ClassVar[int] = 1

    def __post_init__(self) -> None:
        if self.nonlinearity not in ("tanh", "relu"):
            raise SpecError(f"nonlinearity: 'tanh' or 'relu', got {self.nonlinearity!r}")


@register
@record
class LSTM(_Recurrent):
    """Four gates; proj_size > 0 adds weight_hr (P x H) and carries a P-wide state."""

    proj_size: NonNeg = 0
    gates: ClassVar[int] = 4

    def __post_init__(self) -> None:
        if self.proj_size >= self.hidden_size:
            raise SpecError(f"proj_size={self.proj_size} must be smaller than hidden_size="
                            f"{self.hidden_size} (as in PyTorch)")

    @property
    def state(self) -> int:
        return self.proj_size or self.hidden_size

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        if convention == KERAS and self.proj_size:
            raise SpecError("proj_size has no Keras equivalent; count it with "
                            "--convention pytorch")
        return super().tensors(convention)

    def _projection(self, sfx: str) -> list[Tensor]:
        if not self.proj_size:
            return []
        return [Tensor(f"weight_hr{sfx}", (self.proj_size, self.hidden_size), "weight",
                       dims=("proj_size", "hidden_size"))]


@register
@record
class GRU(_Recurrent):
    """Three gates.  reset_after (Keras' argument) only matters in the Keras convention."""

    # PyTorch always applies the reset gate after the recurrent matmul, which keeps the
    # recurrent bias apart: two bias vectors whatever reset_after says.  Keras'
    # reset_after=False merges them into one.
    reset_after: bool = True
    gates: ClassVar[int] = 3

    def _keras_bias(self, gh: int) -> Tensor:
        if self.reset_after:
            return Tensor("bias", (2, gh), "bias", dims=("input and recurrent",
                                                        "gates*hidden_size"))
        return super()._keras_bias(gh)


def _keras_rnn(keras_name: str, kind: str, shared: bool) -> None:
    @alias(keras_name, shared=shared)
    def translate_rnn(args: dict[str, Any], x: Shape) -> tuple[str, dict[str, Any]]:
        extra = ("return_sequences",) + (("reset_after",) if kind == "GRU" else ())
        out = translate(keras_name, args, {"units": "hidden_size", "use_bias": "bias"}, extra)
        out.setdefault("return_sequences", False)
        return kind, out


_keras_rnn("SimpleRNN", "RNN", False)
_keras_rnn("LSTM", "LSTM", True)
_keras_rnn("GRU", "GRU", True)
