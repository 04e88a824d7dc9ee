"""An engine's speed figures fitted to published measurements, per GPU class and weight format.

The measurements (tests/data/speed_measurements.json, read by the caller and passed in as
rows) split in two by a rule that does not look at the numbers: every 5th measurement of an
engine, in file order (position % 5 == 4), is held out; the figures are fitted to the rest and
judged on the held-out points (tests/test_speed_measurements.py).

The model of one step, per GPU class (Apple, GeForce, NVIDIA datacenter and workstation):

decode   seconds = memory / bandwidth share + layers x cost per layer (kernel launches, syncs)
prefill  seconds = compute / compute share + layers x tokens x cost per token and layer
         + layers x cost per layer; the compute share and the cost per token by class and by
         weights (16/32-bit floats, or quantized: dequantized or run on integer kernels)

Each pair is a least squares of the relative error (each point weighs the same, whatever its
size), the share at most 1 (nothing reads or computes faster than the peak) and the cost at
least 0.  `python benchmarks/speed_vs_measurements.py --fit` prints the figures that
src/nnsize/engines.py stores; tests/test_speed.py checks they are this fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

HELD_OUT_EVERY = 5
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
    tokens: int  # 1 for a decode step, the prompt for a prefill
    seconds: float  # measured: tokens / tokens per second
    held: bool


@dataclass(frozen=True)
class Figures:
    """One group's fitted figures and how many training points fitted them."""

    bandwidth_share: float
    layer_overhead_s: float
    compute_share: float
    token_overhead_s: float
    decode_points: int
    prefill_points: int


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
                         tokens / m["tokens_per_s"], held_out(position)))
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
           share_cost: tuple[float, float] | None = None) -> Figures | None:
    """Fit one group's training points: decode first, then prefill less the layer cost."""
    train = [p for p in points if not p.held]
    decode = [(p.memory_s, p.layers, p.seconds) for p in train if p.phase == "decode"]
    if decode:
        share, cost = fit_pair(decode)
    elif share_cost is not None:
        share, cost = share_cost
    else:
        return None
    if layer_cost is not None:  # the group's prefill with the class's decode cost
        cost = layer_cost
    prefill = [(p.compute_s, p.layers * p.tokens, p.seconds - p.layers * cost)
               for p in train if p.phase == "prefill"]
    if not prefill:
        return Figures(share, cost, 0.0, 0.0, len(decode), 0)
    compute, per_token = fit_pair(prefill)
    return Figures(share, cost, compute, per_token, len(decode), len(prefill))


def fit(points: list[Point], engine: str) -> dict[str, Figures]:
    """An engine's figures: "" over all its cards, "<class>" (decode) and "<class>/<weights>"
    (prefill, with the class's decode figures) where the class has training points."""
    mine = [p for p in points if p.engine == engine]
    out: dict[str, Figures] = {}
    overall = _group(mine)
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
                            share_cost=(decode.bandwidth_share, decode.layer_overhead_s))
            if fitted is not None:
                out[f"{cls}/{kind}"] = fitted
        if decode.decode_points:
            out[cls] = decode
    return out
