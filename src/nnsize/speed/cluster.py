"""A training run over a parallel layout: the step timed term by term (parallel.step), the
busiest rank's memory (parallel.rank), the tokens' time, GPU-hours and cost."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..errors import NnsizeError
from ..model import Report
from ..parallel.interconnect import Links, links
from ..parallel.layout import Layout, check, kernel, resolve
from ..parallel.rank import RankMemory, training
from ..parallel.shape import Shape, from_report
from ..parallel.step import Step, step


@dataclass(frozen=True)
class Run:
    shape: Shape
    gpu: str
    layout: Layout
    step: Step
    memory: RankMemory
    usable: int
    tokens: int
    seq: int
    links: Links
    price: float | None

    @property
    def steps(self) -> int:
        return -(-self.tokens // self.step.tokens)

    @property
    def seconds(self) -> float:
        return self.steps * self.step.seconds

    @property
    def gpu_hours(self) -> float:
        return self.seconds * self.layout.gpus / 3600

    @property
    def cost(self) -> float | None:
        return None if self.price is None else self.gpu_hours * self.price

    @property
    def fits(self) -> bool:
        return self.memory.total <= self.usable


def card(t: Any) -> tuple[Any, int]:
    """The catalogue card and its peak at the compute precision."""
    from ..gpus import find_gpu
    from .hardware import hardware

    if not t.gpu:
        raise NnsizeError("a parallel layout needs --gpu (a card of the catalogue)")
    gpu = find_gpu(t.gpu)
    hw = hardware(gpu, t.dtype, 1, None, t.tflops, need_bandwidth=False)
    return gpu, hw.peak_flops


def build(shape: Shape, gpus: int, flags: dict[str, Any], batch: int | None) -> Layout:
    """The layout of gpus the flags name (dp: the GPUs left over)."""
    rest = {k: v for k, v in flags.items() if k not in ("tp", "pp", "cp", "dp")}
    if batch and "global_batch" not in rest:
        rest["global_batch"] = batch
    return resolve(gpus, int(flags.get("tp", 1)), int(flags.get("pp", 1)),
                   int(flags.get("cp", 1)), int(flags.get("dp", 0)), **rest)


def run(report: Report, t: Any, flags: dict[str, Any]) -> Run:
    from ..units import parse_count
    from .training import CHINCHILLA_TOKENS_PER_PARAM

    shape = from_report(report)
    gpu, peak = card(t)
    layout = build(shape, t.gpus, {**flags, "attention": kernel(t.attention)}, t.batch)
    if not layout.global_batch:
        layout = replace(layout, global_batch=layout.dp * layout.micro_batch)
    check(shape, layout)
    if not 0 < t.efficiency <= 1:
        raise NnsizeError(f"--efficiency is a share of peak between 0 and 1, got "
                          f"{t.efficiency}")
    ln = links(gpu.link.name if gpu.link else None, t.interconnect)
    tokens = parse_count(t.tokens, "--tokens") if t.tokens else \
        CHINCHILLA_TOKENS_PER_PARAM * report.total_params
    return Run(shape, gpu.name, layout, step(shape, layout, t.context, peak, ln, t.efficiency,
                                              bandwidth=gpu.bandwidth),
               training(shape, layout, t.context), gpu.usable, tokens, t.context, ln,
               t.price)
