"""Inference engines: the share of a card's peaks each reaches, fitted to measurements."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import NnsizeError, suggest


@dataclass(frozen=True)
class Engine:
    """What share of the hardware's peaks an inference engine reaches, and its fixed cost."""

    name: str
    bandwidth_share: float  # of peak memory bandwidth, reading weights and cache
    compute_share: float  # of peak FLOP/s, in prefill
    layer_overhead_s: float  # seconds per layer per step: kernel launches, synchronisation
    source: str  # where the figures come from



ENGINES: dict[str, Engine] = {}


def register(engine: Engine) -> Engine:
    if engine.name in ENGINES:
        raise ValueError(f"engine {engine.name!r} is registered twice")
    ENGINES[engine.name] = engine
    return engine


MEASURED = "fitted to the {} measurements in tests/data/speed_measurements.json"
register(Engine("roofline", 1.0, 1.0, 0.0, "the hardware's peaks: no engine does better"))
# Least squares of the measured decode step times on bytes / bandwidth and the layer count,
# and the median share of peak FLOP/s in prefill (benchmarks/speed_vs_measurements.py --fit;
# tests/test_speed.py checks these figures are the fit).
register(Engine("llama.cpp", 0.89, 0.70, 156e-6, MEASURED.format("43 decode and 32 prefill "
                                                            "llama.cpp")))
register(Engine("mlc", 1.0, 0.70, 40e-6, MEASURED.format("2 MLC LLM") + " (two decode points "
                "fit two figures exactly: a fit, not a check); prefill share taken from "
                "llama.cpp, MLC's posts give decode only"))
register(Engine("exllama", 1.0, 0.70, 84e-6, MEASURED.format("2 ExLlama") + " (two decode "
                "points fit two figures exactly: a fit, not a check); prefill share taken from "
                "llama.cpp, ExLlama's posts give decode only"))


def fit_decode(points: list[tuple[float, int, float]]) -> tuple[float, float]:
    """(bandwidth share, seconds per layer) from (memory seconds at peak, layers, measured
    seconds) of decode steps: least squares of seconds = memory / share + layers x cost.

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
    return round(1 / inverse_share, 6), round(cost, 9)


def find_engine(name: str) -> Engine:
    if name in ENGINES:
        return ENGINES[name]
    raise NnsizeError(f"unknown --engine {name!r}{suggest(name, list(ENGINES))}; one of "
                      f"{', '.join(ENGINES)}")
