"""Inference engines: the share of a card's peaks each reaches, fitted to measurements."""

from __future__ import annotations

from dataclasses import dataclass

from ..engines import NO_EFFICIENCY, Efficiency
from ..engines import find_engine as find_profile


@dataclass(frozen=True)
class Engine:
    """What share of the hardware's peaks an inference engine reaches, and its fixed costs, on
    one class of card; measured=False: the engine has no published measurement, the figures are
    the roofline's."""

    name: str
    bandwidth_share: float  # of peak memory bandwidth, reading weights and cache
    compute_share: float  # of peak FLOP/s, in prefill
    layer_overhead_s: float  # seconds per layer per step: kernel launches, synchronisation
    source: str  # where the figures come from
    measured: bool = True
    token_overhead_s: float = 0.0  # prefill: seconds per token per layer beyond the matmuls
    fitted_on: str = ""  # the group the figures were fitted on ("geforce/quantized"); "": all
    call_overhead_s: float = 0.0  # prefill: seconds per call (one forward pass), all cards
    sequence_overhead_s: float = 0.0  # decode: seconds per layer per sequence beyond the first
    about: str = ""  # what the engine is, as it runs (nnsize.engines' about)


def _figures(e: Efficiency, gpu_class: str, weights: str) -> tuple[str, Efficiency]:
    """The most specific group of e with figures: class and weights, class, all cards."""
    table = dict(e.classes)
    for key in (f"{gpu_class}/{weights}", gpu_class):
        if gpu_class and key in table:
            return key, table[key]
    return "", e


def find_engine(name: str, gpu_class: str = "", weights: str = "quantized") -> Engine:
    """An engine's speed side (nnsize.engines) on a class of card (speed.hardware.gpu_class)
    for float or quantized weights: its fitted figures, or the roofline's peaks where nothing
    published was fitted (said in its source).  Where the engine has no prefill measured, its
    prefill is the roofline's (peak FLOP/s, no cost per token), said in its source."""
    profile = find_profile(name)
    e = profile.efficiency
    if e is None:
        return Engine(profile.name, 1.0, 1.0, 0.0, NO_EFFICIENCY.format(profile.name), False,
                      about=profile.about)
    key, f = _figures(e, gpu_class, weights)
    compute, per_token, source = f.compute_share, f.token_overhead_s, f.source
    if not compute and e.compute_share:  # the class has no prefill: the engine's over all cards
        compute, per_token = e.compute_share, e.token_overhead_s
        source += f"; prefill fitted on all cards ({e.source})"
    elif not compute:  # nothing measured: the roofline, no other engine's figures
        compute, per_token = 1.0, 0.0
        source += (f"; prefill at the roofline's peak FLOP/s ({profile.name}'s sources give "
                   f"decode only)")
    return Engine(profile.name, f.bandwidth_share, compute, f.layer_overhead_s, source, True,
                  per_token, key, e.call_overhead_s, e.sequence_overhead_s, profile.about)


ENGINES: dict[str, Engine] = {}  # every engine's speed side, by name (nnsize.engines' names)


def _fill() -> None:
    from ..engines import ENGINES as PROFILES

    for name in PROFILES:
        ENGINES[name] = find_engine(name)


_fill()
