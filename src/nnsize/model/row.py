"""One row of a report: a layer, or a run of identical layers; and what autograd saves for it."""

from __future__ import annotations

from collections.abc import Iterator

from ..records import record
from .tensor import Formula, Shape, Tensor, numel

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


# the row types (components) of a model that generates text that run once an image or audio
# clip, at the prompt, not once a text token: compute a token and the weights a decode step reads
# leave them out (architectures' vlm, multimodal, qwen_vl and fallback type their rows so)
ONCE_AN_INPUT = ("vision", "audio", "multimodal")


@record
class Saves:
    """What autograd keeps for backward, per sample, as a layer kind declares it."""

    input: bool = False  # the layer's input
    output: bool = False  # its output
    mask_bits: int = 0  # bits per output element of a mask or indices (dropout 8, max-pool 64)
    channel_stats: int = 0  # fp32 values per channel (the output's first dimension)
    row_stats: int = 0  # fp32 values per row (every dimension but the last)
    view: bool = False  # the input's storage under another shape (Flatten): nothing new


@record
class Row:
    """One layer of a report, or a run of `repeat` identical layers counted once and multiplied."""

    name: str
    label: str
    type: str
    input_shape: Shape
    output_shape: Shape
    tensors: tuple[Tensor, ...]
    macs_each: int
    formula: Formula  # the parameters of one repeat as a sum of products: (10 x 20) + 20
    repeat: int = 1
    index: int = 0  # position of the first of these layers in the flattened network
    # How the repeats are laid out, innermost first: (count, positions between two of them).
    steps: tuple[tuple[int, int], ...] = ()
    args: tuple[tuple[str, str], ...] = ()  # the layer's arguments that differ from defaults
    depth: int = -1  # in a module tree: 0 for the root, 1 for its children...; -1 in a sequence
    qualified: bool = False  # tensor names are full already (configs, checkpoints, ONNX)
    active_each: int | None = None  # parameters used per token, where fewer than all (experts)
    # what autograd saves for backward per sample, where the layer kind knows it as a whole:
    # (values at the activation precision, fp32 values)
    saved: tuple[int, int] | None = None
    saves: Saves | None = None  # what it saves, as its layer kind declares it

    @property
    def active(self) -> int:
        return self.params if self.active_each is None else self.active_each * self.repeat

    def positions(self) -> Iterator[int]:
        """Flat positions of every layer this row stands for (expands repeats)."""
        import itertools

        ranges = [range(count) for count, _ in self.steps]
        for combo in itertools.product(*ranges):
            yield self.index + sum(c * step for c, (_, step) in zip(combo, self.steps))

    def named(self) -> Iterator[tuple[str, Tensor]]:
        """(full name, tensor) for every tensor this row stands for, repeats expanded: the row's
        name (or each repeat's position) before the tensor's own, unless already qualified."""
        for t in self.tensors:
            for name in t.names():
                if self.qualified:
                    yield name, t
                elif self.steps:
                    for position in self.positions():
                        yield f"{position}.{name}", t
                else:
                    yield (f"{self.name}.{name}" if self.name else name), t

    @property
    def last_position(self) -> int:
        return self.index + sum((count - 1) * step for count, step in self.steps)

    @property
    def tally_each(self) -> tuple[int, int, int, int, int, int]:
        """Of one repeat: (parameters, weights, biases, other trainable, non-trainable,
        buffers), trainable ones by role: the one tally of parameters by role, which the
        properties below and a Report's totals read.  One pass over the tensors, kept (the row
        is frozen: a report of 150,000 rows asks each row several times)."""
        kept: tuple[int, int, int, int, int, int] | None = self.__dict__.get("_tally_kept")
        if kept is None:
            kept = self._tally()
            object.__setattr__(self, "_tally_kept", kept)
        return kept

    def _tally(self) -> tuple[int, int, int, int, int, int]:
        params = weights = biases = other = frozen = buffers = 0
        for t in self.tensors:
            if t.shared_with:  # the same tensor as another, counted there
                continue
            n = numel(t.shape) * t.copies  # Tensor.counted, without a property per tensor
            if t.buffer:
                buffers += n
                continue
            params += n
            if not t.trainable:
                frozen += n
            elif t.role == "weight":
                weights += n
            elif t.role == "bias":
                biases += n
            else:
                other += n
        return params, weights, biases, other, frozen, buffers

    @property
    def params_each(self) -> int:
        return self.tally_each[0]

    @property
    def params(self) -> int:
        return self.tally_each[0] * self.repeat

    @property
    def weights(self) -> int:
        return self.tally_each[1] * self.repeat

    @property
    def biases(self) -> int:
        return self.tally_each[2] * self.repeat

    @property
    def other_trainable(self) -> int:
        return self.tally_each[3] * self.repeat

    @property
    def trainable(self) -> int:
        return (self.tally_each[1] + self.tally_each[2] + self.tally_each[3]) * self.repeat

    @property
    def non_trainable(self) -> int:
        return self.tally_each[4] * self.repeat

    @property
    def buffers(self) -> int:
        return self.tally_each[5] * self.repeat

    @property
    def macs(self) -> int:
        return self.macs_each * self.repeat

    # What a user reaches from a row.  The records above are numbers; these present them, each
    # importing render/ when first called (a lazy import: the data never calls them, and
    # tests/test_imports.py allows exactly these upward edges, inside functions only).
    @property
    def formula_text(self) -> str:
        """'(10 x 20) + 20 = 220', or '3 x ((20 x 20) + 20) = 1,260' for a repeated layer."""
        from ..render.numbers import formula_text

        return formula_text(self)

    def to_dict(self) -> dict[str, Any]:
        """The row as `nnsize --json` writes it under `layers`."""
        from ..render.json import row_dict

        return row_dict(self)
