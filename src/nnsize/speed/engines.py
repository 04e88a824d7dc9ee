"""Inference engines: the share of a card's peaks each reaches, fitted to measurements."""

from __future__ import annotations

from dataclasses import dataclass

from ..engines import NO_EFFICIENCY
from ..engines import find_engine as find_profile


@dataclass(frozen=True)
class Engine:
    """What share of the hardware's peaks an inference engine reaches, and its fixed cost;
    measured=False: the engine has no published measurement, the figures are the roofline's."""

    name: str
    bandwidth_share: float  # of peak memory bandwidth, reading weights and cache
    compute_share: float  # of peak FLOP/s, in prefill
    layer_overhead_s: float  # seconds per layer per step: kernel launches, synchronisation
    source: str  # where the figures come from
    measured: bool = True


def find_engine(name: str) -> Engine:
    """An engine's speed side (nnsize.engines): its fitted efficiency, or the roofline's peaks
    where nothing published was fitted (said in its source)."""
    profile = find_profile(name)
    e = profile.efficiency
    if e is None:
        return Engine(profile.name, 1.0, 1.0, 0.0, NO_EFFICIENCY.format(profile.name), False)
    return Engine(profile.name, e.bandwidth_share, e.compute_share, e.layer_overhead_s,
                  e.source)


ENGINES: dict[str, Engine] = {}  # every engine's speed side, by name (nnsize.engines' names)


def _fill() -> None:
    from ..engines import ENGINES as PROFILES

    for name in PROFILES:
        ENGINES[name] = find_engine(name)


_fill()


def fit_decode(points: list[tuple[float, int, float]]) -> tuple[float, float]:
    """(bandwidth share, seconds per layer) from (memory seconds at peak, layers, measured
    seconds) of decode steps: least squares of seconds = memory / share + layers x cost, the
    share at most 1 (no engine reads faster than the memory's peak).

    >>> fit_decode([(1.0, 10, 2.0), (2.0, 10, 3.25)])  # 1.25 s more for 1 s more: share 0.8
    (0.8, 0.075)
    """
    sxx = sum(m * m for m, _, _ in points)
    sxl = sum(m * n for m, n, _ in points)
    sll = sum(n * n for _, n, _ in points)
    sxy = sum(m * y for m, _, y in points)
    sly = sum(n * y for _, n, y in points)
    det = sxx * sll - sxl * sxl
    if len(points) < 2 or not det:
        raise ValueError("two decode points of different sizes are needed to fit two figures")
    inverse_share = (sxy * sll - sxl * sly) / det
    cost = (sxx * sly - sxl * sxy) / det
    if inverse_share < 1:  # faster than the peak: the share is held at 1, the cost refitted
        inverse_share = 1
        cost = (sly - sxl) / sll
    return round(1 / inverse_share, 6), round(cost, 9)
