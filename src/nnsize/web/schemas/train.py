"""Training time: `nnsize train-time --json` and POST /api/train-time, without a layout
(render.json.training_dict) and with a parallel one (render.parallel.run_dict)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Integer, Real, Schema
from .parallel import Layout
from .speed import Rates

__all__ = ["Links", "MemoryPart", "TrainRun", "TrainTime"]


class TrainTime(Schema):
    """`nnsize train-time --json` without a layout."""

    model: str
    tokens: Integer
    context: Integer
    batch: Integer
    gpu: str
    gpus: Integer
    peak_flops: Integer
    compute_dtype: str
    mfu: Real
    flops_per_token: Integer
    six_n_flops_per_token: Integer
    attention_flops_per_token: Integer
    total_flops: Integer
    seconds: Rates
    step_seconds: Rates
    steps: Integer
    params: Integer
    chinchilla_tokens: Integer


class MemoryPart(Schema):
    part: str
    bytes: Integer


class Links(Schema):
    node: str
    network: str


class TrainRun(Schema):
    """`nnsize train-time --json` with a parallel layout."""

    model: str
    gpu: str
    gpus: Integer
    layout: Layout
    describe: str
    tokens: Integer
    context: Integer
    steps: Integer
    step_time_s: Real
    step_terms_s: dict[str, Real]
    context_parallel_s_overlapped: Real
    bubble_fraction: Real
    tokens_per_step: Integer
    tokens_per_s_per_gpu: Real
    tflops_per_gpu: Real
    mfu: Real
    memory_per_gpu_bytes: Integer
    memory_stage: Literal["first", "last", "only"]
    memory_lines: list[MemoryPart]
    memory_reserved_per_gpu_bytes: Integer = Field(
        description="what PyTorch's caching allocator holds at least: the peak "
        "(memory_per_gpu_bytes) and the segments of memory_held_lines; nvidia-smi adds the "
        "CUDA context")
    memory_held_lines: list[MemoryPart] = Field(
        description="tensors made after the peak that get a segment of their own, which the "
        "allocator keeps (DeepSpeed's bf16 copy of the fp32 gradients it all-reduces)")
    usable_bytes: Integer
    fits: bool
    seconds: Real
    days: Real
    gpu_hours: Real
    cost: Real | None
    links: Links
