"""An engine's speed figures fitted to published measurements, per GPU class and weight format.

The measurements (tests/data/speed_measurements.json, read by the caller and passed in as
rows) split in two by a rule that does not look at the numbers: every 5th measurement of an
engine, in file order (position % 5 == 4), is held out; the figures are fitted to the rest and
judged on the held-out points (tests/speed/test_measurements.py).

The model of one step, per GPU class (Apple, GeForce, NVIDIA datacenter and workstation):

decode   seconds = memory / bandwidth share + layers x cost per layer (kernel launches, syncs)
         + layers x (batch - 1) x cost per sequence and layer
prefill  seconds = compute / compute share + layers x tokens x cost per token and layer
         + layers x cost per layer + cost per call; the compute share and the cost per token by
         class and by weights (16/32-bit floats, or quantized: dequantized or run on integer
         kernels)

The share and cost per layer are fitted on batch-1 decode points; the cost per sequence, one per
engine over all cards, on the residuals of its batch > 1 decode points (the weights are read once
a step for the whole batch, the KV cache once per sequence: both in memory).  The cost per call,
one per engine over all cards, is fitted only where its training points identify it and need it:
one model's prefill on one card at two prompt lengths or more, and the fit without it missing
the training prefills by more than CALL_RMS (10%, root mean square; else the per-token and
per-layer costs absorb it); it is the value, on a grid of 1 us steps, that minimises the
relative error of the engine's training prefills, each group's compute share and cost per token
refitted for it.

Each pair is a least squares of the relative error (each point weighs the same, whatever its
size), the share at most 1 (nothing reads or computes faster than the peak) and the cost at
least 0.  `python benchmarks/speed_vs_measurements.py --fit` prints the figures that
src/nnsize/engines.py stores; tests/speed/test_speed.py checks they are this fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

HELD_OUT_EVERY = 5
CALL_RMS = 0.10  # a cost per call is fitted only where the model without one misses the
# training prefills by more than this (root mean square of the relative error): no figure the
# points do not need
FIT_COMMAND = "python benchmarks/speed_vs_measurements.py --fit"


def held_out(position: int) -> bool:
    """The held-out rule: an engine's 5th, 10th, 15th... measurement in file order."""
    return position % HELD_OUT_EVERY == HELD_OUT_EVERY - 1


@dataclass(frozen=True)
class Point:
    """One measurement as the fit sees it: nnsize's roofline times and the measured time."""

    engine: str
    gpu_class: str
    weights: str  # "float" or "quantized"
    phase: str
    memory_s: float
    compute_s: float
    layers: int
    tokens: int  # the batch for a decode step, batch x prompt for a prefill
    seconds: float  # measured: tokens / tokens per second
    held: bool
    batch: int = 1
    setup: str = ""  # model, card and format: a prefill at two lengths of one setup shows a call


@dataclass(frozen=True)
class Figures:
    """One group's fitted figures and how many training points fitted them."""

    bandwidth_share: float
    layer_overhead_s: float
    compute_share: float
    token_overhead_s: float
    decode_points: int
    prefill_points: int
    call_overhead_s: float = 0.0  # the engine's, over all cards ("" group only)
    sequence_overhead_s: float = 0.0


def points(rows: list[dict[str, Any]]) -> list[Point]:
    """The measurements nnsize can size (a card of its catalogue, one GPU, an engine it knows),
    each marked held out or not by its position among its engine's rows in file order."""
    from ..engines import ENGINES
    from ..gpus import GPUS
    from ..sources import count
    from .hardware import gpu_class, hardware, weights_kind
    from .inference import speed

    out, seen = [], dict[str, int]()
    for m in rows:
        position = seen.get(m["engine"], 0)
        seen[m["engine"]] = position + 1
        if m["gpu"] is None or m.get("gpus", 1) != 1 or m["engine"] not in ENGINES:
            continue
        gpu = GPUS[m["gpu"]]
        s = speed(count(m["model"]), hardware(gpu, m["dtype"]), m["dtype"],
                  batch=m["batch"], context=m.get("context", 512), prompt=m.get("prompt", 512),
                  engine="roofline", keep=tuple(m["keep"]) if "keep" in m else None)
        step, tokens = (s.decode, m["batch"]) if m["phase"] == "decode" else \
            (s.prefill, m["batch"] * m["prompt"])
        out.append(Point(m["engine"], gpu_class(gpu), weights_kind(m["dtype"]), m["phase"],
                         step.memory_s, step.compute_s, s.layers, tokens,
                         tokens / m["tokens_per_s"], held_out(position), m["batch"],
                         f"{m['model']}/{m['gpu']}/{m['dtype']}"))
    return out


def fit_pair(data: Sequence[tuple[float, float, float]]) -> tuple[float, float]:
    """(share, cost) from (roofline seconds, count, measured seconds): least squares of the
    relative error of seconds = roofline / share + count x cost, share <= 1, cost >= 0.

    >>> fit_pair([(1.0, 10, 2.0), (2.0, 10, 3.25)])  # 1.25 s more for 1 s more: share 0.8
    (0.8, 0.075)
    """
    w = [1 / y / y for _, _, y in data]
    sxx = sum(wi * x * x for wi, (x, _, _) in zip(w, data))
    sxn = sum(wi * x * n for wi, (x, n, _) in zip(w, data))
    snn = sum(wi * n * n for wi, (_, n, _) in zip(w, data))
    sxy = sum(wi * x * y for wi, (x, _, y) in zip(w, data))
    sny = sum(wi * n * y for wi, (_, n, y) in zip(w, data))
    if not data or not sxx:
        raise ValueError("no points to fit")
    det = sxx * snn - sxn * sxn
    if len(data) >= 2 and snn and det > 1e-9 * sxx * snn:
        inverse, cost = (sxy * snn - sxn * sny) / det, (sxx * sny - sxn * sxy) / det
    else:  # one point, or points of one shape: the share alone
        inverse, cost = sxy / sxx, 0.0
    if inverse < 1:  # faster than the peak: the share is held at 1, the cost refitted
        inverse, cost = 1.0, (sny - sxn) / snn if snn else 0.0
    if cost < 0:  # no negative cost: the share alone
        inverse, cost = max(1.0, sxy / sxx), 0.0
    return round(1 / inverse, 3), round(cost, 9)


def _group(points: list[Point], layer_cost: float | None = None,
           share_cost: tuple[float, float] | None = None, call: float = 0.0) -> Figures | None:
    """Fit one group's training points: decode at batch 1 first, then prefill less the layer
    cost and the cost per call."""
    train = [p for p in points if not p.held]
    decode = [(p.memory_s, p.layers, p.seconds) for p in train
              if p.phase == "decode" and p.batch == 1]
    if decode:
        share, cost = fit_pair(decode)
    elif share_cost is not None:
        share, cost = share_cost
    else:
        return None
    if layer_cost is not None:  # the group's prefill with the class's decode cost
        cost = layer_cost
    prefill = [(p.compute_s, p.layers * p.tokens, p.seconds - p.layers * cost - call)
               for p in train if p.phase == "prefill"]
    if not prefill:
        return Figures(share, cost, 0.0, 0.0, len(decode), 0)
    compute, per_token = fit_pair(prefill)
    return Figures(share, cost, compute, per_token, len(decode), len(prefill))


def _groups(mine: list[Point], call: float) -> dict[str, Figures]:
    """The groups' figures with a given cost per call."""
    out: dict[str, Figures] = {}
    overall = _group(mine, call=call)
    if overall is None:
        return out
    out[""] = overall
    for cls in sorted({p.gpu_class for p in mine if p.gpu_class}):
        ofclass = [p for p in mine if p.gpu_class == cls]
        decode = _group([p for p in ofclass if p.phase == "decode"],
                        share_cost=(overall.bandwidth_share, overall.layer_overhead_s))
        if decode is None:
            continue
        for kind in sorted({p.weights for p in ofclass if p.phase == "prefill" and not p.held}):
            group = [p for p in ofclass if p.phase == "decode" or p.weights == kind]
            fitted = _group(group, layer_cost=decode.layer_overhead_s,
                            share_cost=(decode.bandwidth_share, decode.layer_overhead_s),
                            call=call)
            if fitted is not None:
                out[f"{cls}/{kind}"] = fitted
        if decode.decode_points:
            out[cls] = decode
    return out


def _figures_for(p: Point, groups: dict[str, Figures]) -> Figures:
    """The group a point is expected with (as speed.engines.find_engine picks it)."""
    for key in (f"{p.gpu_class}/{p.weights}", p.gpu_class):
        if p.gpu_class and key in groups and (p.phase == "decode" or groups[key].compute_share):
            return groups[key]
    return groups[""]


def _prefill_error(train: list[Point], groups: dict[str, Figures], call: float) -> float:
    """The sum of squared relative errors of the training prefills."""
    total = 0.0
    for p in train:
        f = _figures_for(p, groups)
        if not f.compute_share:
            f = groups[""]
        expected = p.compute_s / f.compute_share + p.layers * f.layer_overhead_s + \
            p.layers * p.tokens * f.token_overhead_s + call
        total += (expected / p.seconds - 1) ** 2
    return total


def call_identified(train: list[Point]) -> bool:
    """A fixed cost per call shows where one setup (model, card, format) has training prefills
    at two prompt lengths or more: the cost per token cannot take it then."""
    lengths: dict[str, set[int]] = {}
    for p in train:
        if p.phase == "prefill" and p.batch == 1:
            lengths.setdefault(p.setup, set()).add(p.tokens)
    return any(len(v) > 1 for v in lengths.values())


def fit_call(mine: list[Point]) -> float:
    """The cost per call minimising the training prefills' relative error: a grid of 1 us
    steps up to the shortest measured prefill (a coarse pass, then 1 us around its best)."""
    train = [p for p in mine if not p.held and p.phase == "prefill"]
    if not train or not call_identified(train):
        return 0.0
    if _prefill_error(train, _groups(mine, 0.0), 0.0) <= CALL_RMS ** 2 * len(train):
        return 0.0  # the points need no cost per call
    top = min(p.seconds for p in train)

    def error(call: float) -> float:
        groups = _groups(mine, call)
        return _prefill_error(train, groups, call) if "" in groups else float("inf")

    coarse = max(round(top / 200, 6), 1e-6)
    best = min((i * coarse for i in range(int(top / coarse))), key=error)
    fine = [round(best + i * 1e-6, 6) for i in range(-int(coarse * 1e6), int(coarse * 1e6) + 1)]
    return min((c for c in fine if 0 <= c < top), key=error)


def fit_sequence(mine: list[Point], groups: dict[str, Figures]) -> float:
    """The cost per layer per sequence beyond the first: least squares of the relative error of
    the batch > 1 training decodes' time beyond their batch-1 model, at least 0."""
    data = []
    for p in mine:
        if p.held or p.phase != "decode" or p.batch == 1:
            continue
        f = _figures_for(p, groups)
        rest = p.seconds - p.memory_s / f.bandwidth_share - p.layers * f.layer_overhead_s
        data.append((p.layers * (p.batch - 1), rest, p.seconds))
    w = [1 / y / y for _, _, y in data]
    snn = sum(wi * n * n for wi, (n, _, _) in zip(w, data))
    sny = sum(wi * n * r for wi, (n, r, _) in zip(w, data))
    return round(max(0.0, sny / snn), 9) if snn else 0.0


def fit(points: list[Point], engine: str) -> dict[str, Figures]:
    """An engine's figures: "" over all its cards, "<class>" (decode) and "<class>/<weights>"
    (prefill, with the class's decode figures) where the class has training points; the
    engine's cost per call and per sequence on "" (0 where its points do not identify them)."""
    from dataclasses import replace

    mine = [p for p in points if p.engine == engine]
    call = fit_call(mine)
    out = _groups(mine, call)
    if not out:
        return out
    out[""] = replace(out[""], call_overhead_s=call,
                      sequence_overhead_s=fit_sequence(mine, out))
    return out
