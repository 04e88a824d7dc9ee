"""Turning a model's per-layer tensors into report rows: identical consecutive layers become one
row per component with copies, so a 126-layer model is a handful of rows, built in microseconds."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Decoder, Report, Row, Tensor, sum_formula

# A layer: component ('attention', 'mlp', 'experts', 'norm'...) -> its tensors, named from the
# layer's prefix ('self_attn.q_proj.weight').
Layer = dict[str, list[Tensor]]


@dataclass
class Assembly:
    """Rows in order: the model's top tensors and its stacks of layers."""

    source: str
    rows: list[Row] = field(default_factory=list)

    def add(self, label: str, component: str, tensors: list[Tensor],
            active: int | None = None) -> None:
        if tensors:
            self.rows.append(_row(label, component, tensors, active, len(self.rows)))

    def stack(self, prefix: str, count: int, layer: object, title: str = "layers",
              active: dict[str, object] | None = None) -> None:
        """Layers prefix0..prefix{count-1}, built by layer(i) -> Layer; equal neighbours merge.

        active: component -> fraction of its parameters used per token (a Fraction), for
        mixture-of-experts layers.
        """
        from fractions import Fraction

        built = [layer(i) for i in range(count)]  # type: ignore[operator]
        start = 0
        while start < count:
            end = start + 1
            key = _signature(built[start])
            while end < count and _signature(built[end]) == key:
                end += 1
            span = f"{title} {start}" if end == start + 1 else f"{title} {start}-{end - 1}"
            for component, tensors in built[start].items():
                named = [Tensor(f"{prefix}{{i}}.{t.name}", t.shape, t.role, t.trainable, t.buffer,
                                t.dims, end - start, t.shared_with, start) for t in tensors]
                share = (active or {}).get(component)
                used = None
                if isinstance(share, Fraction):
                    total = sum(t.numel for t in named if not t.buffer)
                    used = int(total * share)
                self.add(f"{span}: {component}", component, named, used)
            start = end

    decoder: Decoder | None = None

    def report(self, convention: str = "pytorch") -> Report:
        return Report(self.source, convention, (), tuple(self.rows), decoder=self.decoder)


def _signature(layer: Layer) -> tuple[object, ...]:
    return tuple((c, tuple((t.name, t.shape, t.role, t.buffer) for t in ts))
                 for c, ts in layer.items())


def _row(label: str, component: str, tensors: list[Tensor], active: int | None,
         index: int) -> Row:
    return Row(name=label, label=label, type=component, input_shape=(), output_shape=(),
               tensors=tuple(tensors), macs_each=0, formula=sum_formula(tensors), index=index,
               active_each=active, qualified=True)


def _named(name: str, tensors: list[Tensor]) -> list[Tensor]:
    return [t.prefixed(f"{name}.") for t in tensors]


def linear(name: str, out_features: int, in_features: int, bias: bool = False) -> list[Tensor]:
    """nn.Linear's tensors, as layers/ gives them: weight (out x in) and bias (out)."""
    from ..layers.dense import Linear

    return _named(name, Linear(in_features, out_features, bias).tensors())


def norm(name: str, size: int, bias: bool = False) -> list[Tensor]:
    """A LayerNorm's (or, without bias, an RMSNorm's) tensors, as layers/ gives them."""
    from ..layers.norm import LayerNorm, RMSNorm

    kind = LayerNorm((size,)) if bias else RMSNorm((size,))
    return _named(name, kind.tensors())


def embedding(name: str, num: int, dim: int) -> list[Tensor]:
    """nn.Embedding's table, as layers/ gives it: weight (num x dim)."""
    from ..layers.embedding import Embedding

    return _named(name, Embedding(num, dim).tensors())
