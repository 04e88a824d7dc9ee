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

    @property
    def ideal(self) -> bool:
        return self.layer_overhead_s == 0 and self.bandwidth_share == self.compute_share == 1


ENGINES: dict[str, Engine] = {}


def register(engine: Engine) -> Engine:
    if engine.name in ENGINES:
        raise ValueError(f"engine {engine.name!r} is registered twice")
    ENGINES[engine.name] = engine
    return engine


MEASURED = "fitted to the {} measurements in tests/data/speed_measurements.json"
register(Engine("roofline", 1.0, 1.0, 0.0, "the hardware's peaks: no engine does better"))
# Least squares of the measured decode step times on bytes / bandwidth and the layer count,
# and the median share of peak FLOP/s in prefill (benchmarks/speed_vs_measurements.py --fit).
register(Engine("llama.cpp", 0.89, 0.70, 156e-6, MEASURED.format("43 decode and 32 prefill "
                                                            "llama.cpp")))
register(Engine("mlc", 1.0, 0.70, 40e-6, MEASURED.format("2 MLC LLM") + " (two decode points "
                "fit two figures exactly: a fit, not a check); prefill share taken from "
                "llama.cpp, MLC's posts give decode only"))
register(Engine("exllama", 1.0, 0.70, 84e-6, MEASURED.format("2 ExLlama") + " (two decode "
                "points fit two figures exactly: a fit, not a check); prefill share taken from "
                "llama.cpp, ExLlama's posts give decode only"))


def find_engine(name: str) -> Engine:
    if name in ENGINES:
        return ENGINES[name]
    raise NnsizeError(f"unknown --engine {name!r}{suggest(name, list(ENGINES))}; one of "
                      f"{', '.join(ENGINES)}")
