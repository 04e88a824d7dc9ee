"""Architecture search under a budget: the candidates of a family that fit, best first.

Each family has a closed-form parameter count that grows with every size (more width, more
depth, more heads: more parameters), so for each choice of the other sizes the largest fitting
value of one size is found by bisection, and what fits is counted without enumerating it: a space
of 10^8 uniform MLPs is answered in well under a second.  Families:

    mlp          inputs -> depth hidden layers of width w -> outputs   (uniform widths)
                 params = in w + w + (depth - 1)(w^2 + w) + w out + out   (depth >= 1)
    mlp, per layer   every hidden layer its own width (enumerated, so kept small)
    llama        Llama-shaped decoders (nnsize.architectures.decoder, checked in the tests):
                 V H (2, or 1 tied) + L (H d (2 A + 2 K) + 3 H I + 2 H) + H,   d = H / A
    cnn          stages of 3x3 convolutions (each + BatchNorm), channels doubling per stage,
                 global pooling, a linear classifier
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from .errors import NnsizeError

MAX_ENUMERATED = 1_000_000
MAX_OUTER = 2_000_000
MAX_LOOPED = 10_000  # depths (or widths, or stage-block pairs) tried one by one
MAX_STAGES = 64


@dataclass(frozen=True)
class Range:
    """Sizes start, start + step, ..., up to stop, or an explicit list; never materialised."""

    values: tuple[int, ...] | None = None
    start: int = 0
    stop: int = 0
    step: int = 1

    @property
    def count(self) -> int:
        """How many sizes (any Python int: len() stops at 2^63, a range 1:10^30 does not)."""
        return len(self.values) if self.values is not None else \
            (self.stop - self.start) // self.step + 1

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> int:
        return self.values[i] if self.values is not None else self.start + i * self.step

    def __iter__(self) -> Any:
        return (self[i] for i in range(self.count))


def parse_range(text: str, what: str, least: int = 1) -> Range:
    """'16,32,64', '16:512' (step 1), '16:512:16', or '64'."""
    text = text.strip()
    try:
        parts = [int(p) for p in text.split(":")] if ":" in text else []
        values = () if parts else tuple(sorted({int(p) for p in text.split(",") if p.strip()}))
    except ValueError as e:
        raise NnsizeError(f"{what} {text!r}: write sizes as 16,32,64 or a range 16:512[:16]") \
            from e
    if parts:
        if len(parts) not in (2, 3):
            raise NnsizeError(f"{what} {text!r}: a range is start:stop or start:stop:step")
        start, stop, step = parts[0], parts[1], parts[2] if len(parts) == 3 else 1
        if step < 1:
            raise NnsizeError(f"{what} {text!r}: the step must be at least 1")
        if stop < start:
            raise NnsizeError(f"{what} {text!r} is inverted: {start} comes after {stop}")
        if start < least:
            raise NnsizeError(f"{what} {text!r}: sizes start at {least}")
        return Range(None, start, stop, step)
    if not values:
        raise NnsizeError(f"{what} is empty")
    if values[0] < least:
        raise NnsizeError(f"{what} {text!r}: sizes start at {least}")
    return Range(values)


@dataclass(frozen=True)
class Candidate:
    label: str
    sizes: dict[str, int]
    params: int


@dataclass
class Result:
    family: str
    space: int
    fitting: int
    budget: int
    best: list[Candidate]
    pareto: list[Candidate] = field(default_factory=list)
    pareto_axis: str = ""


def _largest(r: Range, fits: Callable[[int], bool]) -> int:
    """How many of r's (increasing) sizes fit: the index of the first that does not."""
    lo, hi = 0, r.count
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(r[mid]):
            lo = mid + 1
        else:
            hi = mid
    return lo


def mlp_params(inputs: int, depth: int, width: int, outputs: int) -> int:
    if depth == 0:
        return inputs * outputs + outputs
    return inputs * width + width + (depth - 1) * (width * width + width) + width * outputs + \
        outputs


def search_mlp(inputs: int, outputs: int, depths: Range, widths: Range, budget: int,
               top: int = 10, per_layer: bool = False, pareto: str = "depth") -> Result:
    if per_layer:
        return _search_mlp_per_layer(inputs, outputs, depths, widths, budget, top)
    space = depths.count * widths.count
    fitting, smallest = 0, None
    heap: list[tuple[Any, ...]] = []
    per_depth: list[Candidate] = []
    # Past the first depth at which even the narrowest width does not fit, none does (each
    # layer adds w x w + w): only the depths before it are tried, found by bisection.
    tried = _largest(depths, lambda d: d == 0 or _mlp_fits(inputs, d, outputs, budget,
                                                            widths[0]))
    if tried > MAX_LOOPED:
        raise NnsizeError(f"{tried:,} depths fit the budget; narrow --depth (nnsize tries at "
                          f"most {MAX_LOOPED:,} depths; widths may range as widely as you like)")
    for k in range(max(tried, 1)):
        depth = depths[k]
        n = _largest(widths, partial(_mlp_fits, inputs, depth, outputs, budget))
        fitting += n
        p0 = mlp_params(inputs, depth, widths[0], outputs)
        smallest = p0 if smallest is None else min(smallest, p0)
        for i in range(max(0, n - top), n):  # the top candidates of this depth
            w = widths[i]
            c = _mlp_candidate(inputs, depth, w, outputs)
            heapq.heappush(heap, (c.params, depth, w, c))
            if len(heap) > top:
                heapq.heappop(heap)
        if n:
            per_depth.append(_mlp_candidate(inputs, depth, widths[n - 1], outputs))
    if not fitting:
        raise NnsizeError(f"no candidate fits the budget of {budget:,} parameters: the smallest "
                          f"has {smallest:,}")
    best = [c for *_, c in sorted(heap, key=lambda e: (-e[0], e[1], e[2]))]
    if pareto == "width":  # for each width, its deepest fitting depth
        if widths.count > MAX_LOOPED:
            raise NnsizeError(f"a width front needs at most {MAX_LOOPED:,} widths; give a step")
        per_width = []
        for w in widths:
            n = _largest(depths, partial(_mlp_fits_depth, inputs, w, outputs, budget))
            if n:
                per_width.append(_mlp_candidate(inputs, depths[n - 1], w, outputs))
        return Result("mlp", space, fitting, budget, best, _front(per_width, "width"), "width")
    return Result("mlp", space, fitting, budget, best, _front(per_depth, "depth"), "depth")


def _mlp_fits_depth(inputs: int, width: int, outputs: int, budget: int, depth: int) -> bool:
    return mlp_params(inputs, depth, width, outputs) <= budget


def _mlp_fits(inputs: int, depth: int, outputs: int, budget: int, width: int) -> bool:
    return mlp_params(inputs, depth, width, outputs) <= budget


def _mlp_candidate(inputs: int, depth: int, width: int, outputs: int) -> Candidate:
    label = f"{inputs}-{width}x{depth}-{outputs}" if depth > 1 else \
        f"{inputs}-{width}-{outputs}" if depth == 1 else f"{inputs}-{outputs}"
    return Candidate(label, {"depth": depth, "width": width},
                     mlp_params(inputs, depth, width, outputs))


def _search_mlp_per_layer(inputs: int, outputs: int, depths: Range, widths: Range,
                          budget: int, top: int) -> Result:
    space = 0
    for d in depths:  # stops as soon as the space is too large to list
        space += widths.count ** d if d < 64 or widths.count == 1 else MAX_ENUMERATED + 1
        if space > MAX_ENUMERATED:
            break
    if space > MAX_ENUMERATED:
        raise NnsizeError(f"more than {MAX_ENUMERATED:,} per-layer candidates are too many to "
                          f"list; narrow the widths or depths, or search uniform widths, which "
                          f"any size of space can")
    found = []
    for depth in depths:
        for ws in itertools.product(widths, repeat=depth):
            sizes = [inputs, *ws, outputs]
            params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
            if params <= budget:
                found.append(Candidate("-".join(map(str, sizes)),
                                       {"depth": depth, **{f"w{i}": w for i, w in enumerate(ws)}},
                                       params))
    if not found:
        raise NnsizeError(f"no candidate fits the budget of {budget:,} parameters: the smallest "
                          f"has {mlp_params(inputs, depths[0], widths[0], outputs):,}")
    found.sort(key=lambda c: -c.params)
    return Result("mlp", space, len(found), budget, found[:top])


def _front(points: list[Candidate], axis: str) -> list[Candidate]:
    """The candidates no other beats: as many parameters with no more of `axis`."""
    front, best = [], -1
    for c in sorted(points, key=lambda c: (c.sizes[axis], -c.params)):
        if c.params > best:
            front.append(c)
            best = c.params
    return front


def llama_params(vocab: int, hidden: int, layers: int, heads: int, kv: int, inter: int,
                 tied: bool) -> int:
    d = hidden // heads
    per_layer = hidden * d * (2 * heads + 2 * kv) + 3 * hidden * inter + 2 * hidden
    return vocab * hidden * (1 if tied else 2) + layers * per_layer + hidden


def search_llama(hidden: Range, layers: Range, heads: Range, kv: Range, inter: Range | None,
                 ratio: float | None, vocab: Range, tied: bool, budget: int,
                 top: int = 10) -> Result:
    """Llama-shaped decoders; bisection over hidden_size for every choice of the rest."""
    outer = layers.count * heads.count * kv.count * vocab.count * (inter.count if inter else 1)
    if outer > MAX_OUTER:
        raise NnsizeError(f"{outer:,} combinations of layers, heads, key-value heads, "
                          f"vocabulary and intermediate sizes are too many; narrow them (at "
                          f"most {MAX_OUTER:,}; hidden_size may range as widely as you like)")
    fitting, space, smallest = 0, 0, None
    heap: list[tuple[Any, ...]] = []
    per_layers: list[Candidate] = []
    if hidden.values is None and hidden.count > 100_000:
        raise NnsizeError("hidden_size ranges over more than 100,000 values; give a step")
    if heads.count * hidden.count > 10 * MAX_OUTER:
        raise NnsizeError(f"{heads.count:,} head counts x {hidden.count:,} hidden sizes are too "
                          f"many to sieve (at most {10 * MAX_OUTER:,}); narrow them")
    divisible: dict[int, Range] = {}  # hidden sizes each head count divides, sieved once
    for n_layers, n_heads, n_kv, n_vocab in itertools.product(layers, heads, kv, vocab):
        if n_heads % n_kv:
            continue
        if n_heads not in divisible:
            divisible[n_heads] = Range(tuple(h for h in hidden if h % n_heads == 0))
        valid = divisible[n_heads]
        if not valid.count:
            continue
        for inter_size in (inter or [0]):
            def params(h: int, shape: tuple[int, ...] = (n_vocab, n_layers, n_heads, n_kv,
                                                          inter_size)) -> int:
                v, layers_, heads_, kv_, i = shape
                return llama_params(v, h, layers_, heads_, kv_, i or _ffn(h, ratio), tied)
            space += valid.count
            n = _largest(valid, partial(_fits, params, budget))
            fitting += n
            p0 = params(valid[0])
            smallest = p0 if smallest is None else min(smallest, p0)
            for i in range(max(0, n - top), n):
                h = valid[i]
                sizes = {"hidden_size": h, "num_hidden_layers": n_layers,
                         "num_attention_heads": n_heads, "num_key_value_heads": n_kv,
                         "intermediate_size": inter_size or _ffn(h, ratio),
                         "vocab_size": n_vocab}
                c = Candidate(f"llama hidden {h}, {n_layers} layers, {n_heads} heads ({n_kv} "
                              f"kv), intermediate {sizes['intermediate_size']}, vocab {n_vocab}",
                              sizes, params(h))
                heapq.heappush(heap, (c.params, -n_layers, h, id(c), c))
                if len(heap) > top:
                    heapq.heappop(heap)
            if n:
                h = valid[n - 1]
                per_layers.append(Candidate(f"{n_layers} layers, hidden {h}",
                                            {"num_hidden_layers": n_layers, "hidden_size": h},
                                            params(h)))
    if not space:
        raise NnsizeError("no combination is valid: num_attention_heads must divide "
                          "hidden_size and num_key_value_heads must divide num_attention_heads")
    if not fitting:
        raise NnsizeError(f"no candidate fits the budget of {budget:,} parameters: the smallest "
                          f"has {smallest:,}")
    best = [e[-1] for e in sorted(heap, key=lambda e: (-e[0], -e[1], e[2]))]
    return Result("llama", space, fitting, budget, best,
                  _front(per_layers, "num_hidden_layers"), "num_hidden_layers")


def _fits(params: Callable[[int], int], budget: int, size: int) -> bool:
    return params(size) <= budget


def _ffn(hidden: int, ratio: float | None) -> int:
    """Llama's rule without intermediate_size: 8/3 of hidden (or ratio x), a multiple of 256."""
    target = hidden * (ratio if ratio else 8 / 3)
    return int(-(-target // 256) * 256)


def cnn_params(in_channels: int, base: int, stages: int, blocks: int, classes: int) -> int:
    """3x3 convs without bias, each with BatchNorm (2 parameters a channel), channels doubling
    per stage; then global pooling and Linear(channels, classes)."""
    total, c_in = 0, in_channels
    for s in range(stages):
        c = base * 2**s
        # the stage's first conv reads c_in channels, its other blocks - 1 convs read c
        total += c * c_in * 9 + 2 * c + (blocks - 1) * (c * c * 9 + 2 * c)
        c_in = c
    return total + c_in * classes + classes


def search_cnn(in_channels: int, classes: int, bases: Range, stages: Range, blocks: Range,
               budget: int, top: int = 10) -> Result:
    fitting, space, smallest = 0, 0, None
    heap: list[tuple[Any, ...]] = []
    per_depth: list[Candidate] = []
    if stages.count * blocks.count > MAX_LOOPED:
        raise NnsizeError(f"too many combinations of stages and blocks; narrow them (at most "
                          f"{MAX_LOOPED:,})")
    if stages[stages.count - 1] > MAX_STAGES:
        raise NnsizeError(f"--stages up to {stages[stages.count - 1]:,}: channels double per "
                          f"stage, so nnsize takes at most {MAX_STAGES} stages")
    for S, B in itertools.product(stages, blocks):
        space += bases.count

        def params(b: int, shape: tuple[int, int] = (S, B)) -> int:
            return cnn_params(in_channels, b, shape[0], shape[1], classes)
        n = _largest(bases, partial(_fits, params, budget))
        fitting += n
        p0 = cnn_params(in_channels, bases[0], S, B, classes)
        smallest = p0 if smallest is None else min(smallest, p0)
        for i in range(max(0, n - top), n):
            b = bases[i]
            c = Candidate(f"cnn {S} stages x {B} convs, channels {b}..{b * 2**(S - 1)}",
                          {"stages": S, "blocks": B, "base_channels": b, "depth": S * B},
                          cnn_params(in_channels, b, S, B, classes))
            heapq.heappush(heap, (c.params, -S * B, b, id(c), c))
            if len(heap) > top:
                heapq.heappop(heap)
        if n:
            b = bases[n - 1]
            per_depth.append(Candidate(f"{S} x {B}, channels {b}", {"depth": S * B},
                                       cnn_params(in_channels, b, S, B, classes)))
    if not fitting:
        raise NnsizeError(f"no candidate fits the budget of {budget:,} parameters: the smallest "
                          f"has {smallest:,}")
    best = [e[-1] for e in sorted(heap, key=lambda e: (-e[0], -e[1], e[2]))]
    return Result("cnn", space, fitting, budget, best, _front(per_depth, "depth"), "depth")
