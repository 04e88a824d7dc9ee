"""The report of one count: its rows, their totals, and what a user reaches from it."""

from __future__ import annotations

from collections.abc import Iterator

from ..records import field, record
from .row import Row
from .tensor import Shape, Tensor

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .contents import Contents
    from .decoder import Decoder, EncoderDecoder


def _totals(rows: tuple[Row, ...]) -> dict[str, int]:
    """The sums of the rows' tallies (Row.tally_each, a repeat's parameters by role) times
    their repeats: one pass over the rows, each row's tensors tallied once and kept."""
    weights = biases = other = trainable = frozen = buffers = macs = active = 0
    for r in rows:
        params, w, b, o, f, buf = r.tally_each
        k = r.repeat
        weights += w * k
        biases += b * k
        other += o * k
        trainable += (w + b + o) * k
        frozen += f * k
        buffers += buf * k
        macs += r.macs_each * k
        active += params * k if r.active_each is None else r.active_each * k
    return {"weights": weights, "biases": biases, "other_trainable": other,
            "trainable_params": trainable, "non_trainable_params": frozen, "buffers": buffers,
            "macs": macs, "active_params": active}


class Frozen(dict):  # type: ignore[type-arg]
    """Report.stored: a dict (JSON writes it as one, ** and dict() copy it) that refuses to
    change, as the Report that holds it does: replace(report, stored={**report.stored, ...})
    makes another Report."""

    def _refuse(self, *_: object, **__: object) -> None:
        from ..records import FrozenInstanceError

        raise FrozenInstanceError("a Report's stored contents are frozen: "
                                  "replace(report, stored={**report.stored, ...}) makes another")

    __setitem__ = __delitem__ = update = pop = setdefault = __ior__ = _refuse  # type: ignore[assignment]
    popitem = clear = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type[Frozen], tuple[dict[str, object]]]:
        return Frozen, (dict(self),)  # unpickled whole, not item by item


@record
class Report:
    """The count of one network: its rows, totals and parameter memory per precision."""

    source: str
    convention: str
    input_shape: Shape
    rows: tuple[Row, ...]
    # What a file holds beside the count: per-dtype elements and bytes of a checkpoint...
    # (model/contents.py; Frozen once in a Report; left out of the hash, as a dict cannot be)
    stored: Contents = field(default_factory=dict, hash=False)
    decoder: Decoder | None = None  # for language models counted from a config
    encoder_decoder: EncoderDecoder | None = None  # for encoder-decoders counted from a config
    # what the training planner runs one step of on fake tensors (memory/traced.py) where it has
    # no formulas of its own: ("config", the config dict) or ("torch", module, input size, dtype)
    traceable: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)
    total_params: int = field(init=False)
    trainable_params: int = field(init=False)
    non_trainable_params: int = field(init=False)
    weights: int = field(init=False)
    biases: int = field(init=False)
    other_trainable: int = field(init=False)
    buffers: int = field(init=False)
    macs: int = field(init=False)
    active_params: int = field(init=False)

    def __post_init__(self) -> None:
        if type(self.stored) is not Frozen:
            object.__setattr__(self, "stored", Frozen(self.stored))
        totals = _totals(self.rows)
        totals["total_params"] = totals["trainable_params"] + totals["non_trainable_params"]
        for k, v in totals.items():
            object.__setattr__(self, k, v)

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
        from ..errors import NnsizeError

        out: list[tuple[str, Tensor]] = []
        for row in self.rows:
            if row.repeat > limit:
                raise NnsizeError(f"layer {row.name} repeats {row.repeat:,} times: too many to "
                                  f"list one by one")
            out += row.named()
            if len(out) > limit:
                raise NnsizeError(f"more than {limit:,} tensors: too many to list one by one")
        return out

    # What a user reaches from a report, presented by render/ (imported when first called;
    # see Row above): its memory per precision, its JSON, its text, HTML and DataFrame.
    @property
    def memory(self) -> dict[str, int]:
        """Bytes of the parameters at each precision of the parameter table."""
        from ..precision import memory_table

        return memory_table(self.total_params)

    def to_dict(self) -> dict[str, Any]:
        """The JSON the CLI prints with --json."""
        from ..render.json import report_dict

        return report_dict(self)

    def __str__(self) -> str:
        """The table `nnsize` prints."""
        from ..render.report import text

        return text(self)

    def _repr_html_(self) -> str:
        """The table as HTML, for Jupyter."""
        from ..render.report import html

        return html(self)

    def to_dataframe(self) -> Any:
        """The rows as a pandas DataFrame (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError as e:
            from ..errors import NnsizeError

            raise NnsizeError("to_dataframe() needs pandas: pip install pandas") from e
        from ..render.report import CSV_COLUMNS, csv_rows

        return pd.DataFrame(csv_rows(self), columns=CSV_COLUMNS)
