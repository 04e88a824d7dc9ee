"""Parallel layouts: a layout's degrees, and `nnsize layout --json` in each of its modes
(render.parallel: search_dict for training, the serving replicas, target_dict)."""

from __future__ import annotations

from pydantic import Field

from .base import Integer, Real, Schema

__all__ = ["Layout", "LayoutChoice", "LayoutSearch", "ParallelLayout", "Why"]


class Layout(Schema):
    tp: Integer
    pp: Integer
    vp: Integer
    dp: Integer
    cp: Integer
    ep: Integer
    sp: bool
    zero: Integer
    fsdp: str | None
    micro_batch: Integer
    global_batch: Integer | None
    micro_batches: Integer
    recompute: str
    gpus: Integer
    nodes: Integer
    attention: str


class ParallelLayout(Schema):
    tp: Integer
    pp: Integer
    vp: Integer
    dp: Integer
    cp: Integer
    ep: Integer
    sp: bool
    zero: Integer
    fsdp: str | None
    micro_batch: Integer
    global_batch: Integer | None
    micro_batches: Integer
    recompute: str
    gpus: Integer
    nodes: Integer
    attention: str


class LayoutChoice(Schema):
    layout: ParallelLayout
    describe: str
    step_time_s: Real
    step_terms_s: dict[str, Real]
    mfu: Real
    tflops_per_gpu: Real
    tokens_per_s_per_gpu: Real
    memory_per_gpu_bytes: Integer


class Why(Schema):
    term: str = Field(description="the step's term that separates the best from the next")
    best_s: Real
    next_s: Real


class LayoutSearch(Schema):
    """`nnsize layout --json`: the fastest layouts that fit, best first."""

    model: str
    gpu: str
    gpus: Integer
    count: Integer = Field(description="layouts that fit")
    why: Why | None
    layouts: list[LayoutChoice]
