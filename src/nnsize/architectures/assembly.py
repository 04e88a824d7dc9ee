"""Turning a model's per-layer tensors into report rows: identical consecutive layers become one
row per component with copies, so a 126-layer model is a handful of rows, built in microseconds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice

from ..errors import SpecError
from ..model import Decoder, EncoderDecoder, Report, Row, Tensor, blocks, sum_formula
from ..records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from fractions import Fraction

    from ..model.contents import Contents

# Layers that differ from their neighbours are built one by one; past this many runs of equal
# layers (a pattern that changes every few layers of a huge model), nnsize refuses.  Real
# models have at most a few hundred layers; 10,000 runs took seconds.
MAX_RUNS = 2_000

# A layer: component ('attention', 'mlp', 'experts', 'norm'...) -> its tensors, named from the
# layer's prefix ('self_attn.q_proj.weight').
Layer = dict[str, list[Tensor]]


@record(frozen=False)
class Assembly:
    """Rows in order: the model's top tensors and its stacks of layers."""

    source: str
    rows: list[Row] = field(default_factory=list)

    def add(self, label: str, component: str, tensors: list[Tensor],
            active: int | None = None) -> None:
        if tensors:
            self.rows.append(_row(label, component, tensors, active, len(self.rows)))

    def stack(self, prefix: str, count: int, layer: Callable[[int], Layer],
              title: str = "layers", active: dict[str, Fraction] | None = None,
              starts: Iterable[int] = (0,)) -> None:
        """Layers prefix0..prefix{count-1}, built by layer(i) -> Layer; equal neighbours merge.

        starts: the layers where a layer may differ from the one before it (the family's rule:
        T5's block 0 holds the position bias, DeepSeek's first layers are dense...).  layer(i)
        is called at those alone, so a million identical layers cost what one does.
        active: component -> fraction of its parameters used per token (a Fraction), for
        mixture-of-experts layers.
        """
        points = sorted({0, *islice((s for s in starts if 0 <= s < count), MAX_RUNS + 1)})
        check_runs(len(points), f"{title} (of {count:,})")
        built = [(start, end, layer(start)) for start, end in zip(points, [*points[1:], count])]
        i = 0
        while i < len(built):
            start, end, first = built[i]
            key = _signature(first)
            while i + 1 < len(built) and _signature(built[i + 1][2]) == key:
                i += 1
                end = built[i][1]
            i += 1
            span = f"{title} {start}" if end == start + 1 else f"{title} {start}-{end - 1}"
            for component, tensors in first.items():
                # a run of one layer names its index; '{i}' stands only for a run of several
                index = "{i}" if end > start + 1 else str(start)
                named = [Tensor(f"{prefix}{index}.{t.name}", t.shape, t.role, t.trainable,
                                t.buffer, t.dims, end - start, t.shared_with,
                                start if end > start + 1 else 0) for t in tensors]
                share = (active or {}).get(component)
                used = None
                if share is not None:
                    total = sum(t.numel for t in named if not t.buffer)
                    used = int(total * share)
                self.add(f"{span}: {component}", component, named, used)

    decoder: Decoder | None = None
    encoder_decoder: EncoderDecoder | None = None
    planner_refused: str | None = None  # why the memory planner, compute and speed refuse it

    def report(self, convention: str = "pytorch") -> Report:
        stored: Contents = {"planner_refused": self.planner_refused} if self.planner_refused else {}
        return Report(self.source, convention, (), tuple(self.rows), decoder=self.decoder,
                      encoder_decoder=self.encoder_decoder, stored=stored)


def check_runs(runs: int, what: str) -> None:
    """Refuse a model whose layers change in more than MAX_RUNS places."""
    if runs > MAX_RUNS:
        raise SpecError(f"{what}: the layers change in more than {MAX_RUNS:,} places; nnsize "
                        f"builds at most {MAX_RUNS:,} runs of identical layers")


def _signature(layer: Layer) -> tuple[object, ...]:
    # a layer whose tensors are tied to another's is not a copy of it (Zamba's shared blocks)
    return tuple((c, tuple((t.name, t.shape, t.role, t.buffer, t.shared_with) for t in ts))
                 for c, ts in layer.items())


def _row(label: str, component: str, tensors: list[Tensor], active: int | None,
         index: int) -> Row:
    return Row(name=label, label=label, type=component, input_shape=(), output_shape=(),
               tensors=tuple(tensors), macs_each=0, formula=sum_formula(tensors), index=index,
               active_each=active, qualified=True)


def _named(name: str, tensors: list[Tensor]) -> list[Tensor]:
    return [t.prefixed(f"{name}.") for t in tensors]


def linear(name: str, out_features: int, in_features: int, bias: bool = False) -> list[Tensor]:
    """nn.Linear's tensors (model/blocks.py, as a spec's Linear has them): weight (out x in) and
    bias (out)."""
    return _named(name, blocks.linear(in_features, out_features, bias))


def norm(name: str, size: int, bias: bool = False) -> list[Tensor]:
    """A LayerNorm's (or, without bias, an RMSNorm's) tensors (model/blocks.py)."""
    return _named(name, blocks.layer_norm((size,)) if bias else blocks.rms_norm((size,)))


def embedding(name: str, num: int, dim: int) -> list[Tensor]:
    """nn.Embedding's table (model/blocks.py): weight (num x dim)."""
    return _named(name, blocks.embedding(num, dim))
