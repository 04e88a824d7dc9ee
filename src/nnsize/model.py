"""What a count produces: tensors, layer rows and the report that sums them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Shape = tuple[int, ...]

ROLES = ("weight", "bias", "norm", "embedding", "statistic", "other")


def numel(shape: Shape) -> int:
    """Elements of a tensor of this shape; () is a scalar with one element."""
    n = 1
    for d in shape:
        n *= d
    return n


@dataclass(frozen=True)
class Tensor:
    """One parameter or buffer, named as the framework names it.

    role: weight | bias | norm (scale or shift of a normalization) | embedding | statistic
    (running mean / variance / counter) | other.  copies > 1 stands for that many tensors of one
    shape whose names differ only by the index written ``{i}`` in name (layers.{i}.weight).
    """

    name: str
    shape: Shape
    role: str
    trainable: bool = True
    buffer: bool = False
    dims: tuple[str, ...] = ()
    copies: int = 1
    shared_with: str = ""  # the same tensor as this one, where it is counted (tied weights)
    start: int = 0  # the first index {i} stands for, when copies > 1

    @property
    def numel(self) -> int:
        return numel(self.shape) * self.copies

    @property
    def counted(self) -> int:
        """Elements this entry adds to the totals: none for a tensor counted elsewhere."""
        return 0 if self.shared_with else self.numel

    def names(self) -> Iterator[str]:
        """Every concrete name this entry stands for."""
        if "{i}" not in self.name:
            yield self.name
        else:
            for i in range(self.start, self.start + self.copies):
                yield self.name.replace("{i}", str(i))

    def prefixed(self, prefix: str) -> Tensor:
        return Tensor(f"{prefix}{self.name}", self.shape, self.role, self.trainable,
                      self.buffer, self.dims, self.copies, self.shared_with, self.start)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "shape": list(self.shape), "role": self.role,
                             "trainable": self.trainable and not self.buffer,
                             "buffer": self.buffer, "numel": self.numel}
        if self.copies != 1:
            d["copies"] = self.copies
            d["first_index"] = self.start
        if self.shared_with:
            d["shared_with"] = self.shared_with
        return d


def sum_formula(tensors: list[Tensor] | tuple[Tensor, ...]) -> str:
    """The parameters as a sum with the numbers in it: '(16 x 3 x 3 x 3) + 16'."""
    params = [t for t in tensors if not t.buffer and not t.shared_with]
    if len(params) == 1 and params[0].copies == 1:
        return " x ".join(f"{d:,}" for d in params[0].shape) or "1"
    return " + ".join(_term(t) for t in params) if params else "0"


def _term(t: Tensor) -> str:
    dims = " x ".join(f"{d:,}" for d in t.shape) or "1"
    inner = f"({dims})" if len(t.shape) > 1 else dims
    return f"{t.copies:,} x {inner}" if t.copies != 1 else inner


@dataclass(frozen=True)
class Row:
    """One layer of a report, or a run of `repeat` identical layers counted once and multiplied."""

    name: str
    label: str
    type: str
    input_shape: Shape
    output_shape: Shape
    tensors: tuple[Tensor, ...]
    macs_each: int
    formula: str  # the parameters of one repeat as a sum: '(10 x 20) + 20'
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

    def _sum(self, keep: Any) -> int:
        return sum(t.counted for t in self.tensors if keep(t)) * self.repeat

    @property
    def params_each(self) -> int:
        return sum(t.counted for t in self.tensors if not t.buffer)

    @property
    def params(self) -> int:
        return self.params_each * self.repeat

    @property
    def weights(self) -> int:
        return self._sum(lambda t: not t.buffer and t.trainable and t.role == "weight")

    @property
    def biases(self) -> int:
        return self._sum(lambda t: not t.buffer and t.trainable and t.role == "bias")

    @property
    def other_trainable(self) -> int:
        return self._sum(lambda t: not t.buffer and t.trainable
                         and t.role not in ("weight", "bias"))

    @property
    def trainable(self) -> int:
        return self._sum(lambda t: not t.buffer and t.trainable)

    @property
    def non_trainable(self) -> int:
        return self._sum(lambda t: not t.buffer and not t.trainable)

    @property
    def buffers(self) -> int:
        return self._sum(lambda t: t.buffer)

    @property
    def macs(self) -> int:
        return self.macs_each * self.repeat

    @property
    def formula_text(self) -> str:
        """'(10 x 20) + 20 = 220', or '3 x ((20 x 20) + 20) = 1,260' for a repeated layer."""
        if self.repeat == 1:
            return f"{self.formula} = {self.params:,}" if self.formula != "0" else "0"
        return f"{self.repeat:,} x ({self.formula}) = {self.params:,}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "type": self.type,
                "input_shape": list(self.input_shape), "output_shape": list(self.output_shape),
                "repeat": self.repeat, "params": self.params, "params_each": self.params_each,
                "weights": self.weights, "biases": self.biases, "buffers": self.buffers,
                "macs": self.macs, "formula": self.formula_text,
                **({"depth": self.depth} if self.depth >= 0 else {}),
                "tensors": [t.to_dict() for t in self.tensors]}


@dataclass(frozen=True)
class AttentionLayer:
    """What one decoder layer keeps per token in its KV cache.

    kv_heads x (key_dim + value_dim) values a token, or, for multi-head latent attention
    (DeepSeek), latent_dim values (the compressed cache serving engines keep).  window: a sliding
    window's length (the cache holds window - 1 past tokens, as transformers keeps them).
    """

    heads: int
    kv_heads: int
    key_dim: int
    value_dim: int
    window: int | None = None
    latent_dim: int | None = None


@dataclass(frozen=True)
class Decoder:
    """The shape of a decoder-only language model, for the memory and compute planner."""

    hidden: int
    intermediate: int
    vocab: int
    layers: tuple[AttentionLayer, ...]
    experts_per_token: int = 0  # 0: dense
    expert_intermediate: int = 0
    # Learned position embeddings: the longest sequence the model can read (0: no such table;
    # rotary and ALiBi models have no hard limit, only the length they were trained at).
    positions: int = 0


@dataclass(frozen=True)
class Report:
    """The count of one network: its rows, totals and parameter memory per precision."""

    source: str
    convention: str
    input_shape: Shape
    rows: tuple[Row, ...]
    # What a file holds beside the count: per-dtype elements and bytes of a checkpoint...
    stored: dict[str, Any] = field(default_factory=dict)
    decoder: Decoder | None = None  # for language models counted from a config
    total_params: int = field(init=False)
    trainable_params: int = field(init=False)
    non_trainable_params: int = field(init=False)
    weights: int = field(init=False)
    biases: int = field(init=False)
    other_trainable: int = field(init=False)
    buffers: int = field(init=False)
    macs: int = field(init=False)
    active_params: int = field(init=False)
    memory: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        from .precision import PARAMETER_TABLE, storage_bytes

        totals = {
            "weights": sum(r.weights for r in self.rows),
            "biases": sum(r.biases for r in self.rows),
            "other_trainable": sum(r.other_trainable for r in self.rows),
            "trainable_params": sum(r.trainable for r in self.rows),
            "non_trainable_params": sum(r.non_trainable for r in self.rows),
            "buffers": sum(r.buffers for r in self.rows),
            "macs": sum(r.macs for r in self.rows),
            "active_params": sum(r.active for r in self.rows),
        }
        totals["total_params"] = totals["trainable_params"] + totals["non_trainable_params"]
        for k, v in totals.items():
            object.__setattr__(self, k, v)
        memory = {p.name: storage_bytes(totals["total_params"], p) for p in PARAMETER_TABLE}
        object.__setattr__(self, "memory", memory)

    @property
    def output_shape(self) -> Shape:
        if self.rows and self.rows[0].depth >= 0:  # a module tree: the root's output
            return self.rows[0].output_shape
        return self.rows[-1].output_shape if self.rows else self.input_shape

    @property
    def is_tree(self) -> bool:
        return bool(self.rows) and self.rows[0].depth >= 0

    def with_children(self, row: Row) -> tuple[int, int]:
        """(parameters, multiply-accumulates) of a module tree row and all rows below it."""
        prefix = row.name + "."
        below = [r for r in self.rows if row.depth == 0 or r is row or r.name.startswith(prefix)]
        return sum(r.params for r in below), sum(r.macs for r in below)

    def to_dataframe(self) -> Any:
        """The rows as a pandas DataFrame (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError as e:
            from .errors import NnsizeError

            raise NnsizeError("to_dataframe() needs pandas: pip install pandas") from e
        from .render import CSV_COLUMNS, csv_rows

        return pd.DataFrame(csv_rows(self), columns=CSV_COLUMNS)

    def _repr_html_(self) -> str:
        from .render import html

        return html(self)

    @property
    def layers(self) -> tuple[Row, ...]:
        return self.rows

    def named_tensors(self) -> Iterator[tuple[str, Tensor]]:
        """(full name, tensor) for every tensor of the flattened network, repeats expanded.

        Names are those of the same layers in a torch.nn.Sequential: '<index>.<tensor name>'.
        Expands repeats one by one: meant for small networks and tests.
        """
        for row in self.rows:
            yield from row.named()

    def tensor_list(self, limit: int = 100_000) -> list[tuple[str, Tensor]]:
        """named_tensors() as a list, refused past limit entries (a billion repeated layers
        are counted in constant time, but not listed)."""
        from .errors import NnsizeError

        out: list[tuple[str, Tensor]] = []
        for row in self.rows:
            if row.repeat > limit:
                raise NnsizeError(f"layer {row.name} repeats {row.repeat:,} times: too many to "
                                  f"list one by one")
            out += row.named()
            if len(out) > limit:
                raise NnsizeError(f"more than {limit:,} tensors: too many to list one by one")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "convention": self.convention,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "total_params": self.total_params,
            "active_params": self.active_params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
            "weights": self.weights,
            "biases": self.biases,
            "other_trainable": self.other_trainable,
            "buffers": self.buffers,
            "macs": self.macs,
            "flops": 2 * self.macs,
            "memory": dict(self.memory),
            **({"stored": self.stored} if self.stored else {}),
            "layers": [r.to_dict() for r in self.rows],
        }

    def __str__(self) -> str:
        from .render import render

        return render(self, "table")
