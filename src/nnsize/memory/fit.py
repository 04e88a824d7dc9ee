"""Will it fit: the plan against a GPU's usable bytes; the largest batch, the longest context,
the fewest GPUs, the precisions that fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import NnsizeError
from ..model import Report
from .plan import Plan, plan
from .setup import MAX_TOKENS, Setup


@dataclass(frozen=True)
class Fit:
    plan: Plan
    usable: int
    fits: bool
    # at the setup's context (0: none fits; None: a checkpoint without its architecture, whose
    # plan has no line that grows with the batch)
    largest_batch: int | None
    # at the setup's batch, at most the model's learned positions (0: none fits; None: the
    # model reads no sequence, an MLP or a CNN, so no context length applies)
    longest_context: int | None
    fewest_gpus: int  # that hold it, sharded (0: more than 4,096)
    precisions: list[tuple[str, int, bool]]  # name, total bytes, fits
    positions: int = 0  # the model's own longest context, the cap on longest_context (0: none)
    positions_from: str = ""  # where that comes from: "learned positions", a config key...


def on_gpu(s: Setup, gpu_bytes: int, gpu_name: str, usable: int) -> tuple[Setup, int]:
    """The setup as its engine runs on this GPU, and the bytes it may use there: vLLM takes
    gpu_memory_utilization of the whole GPU, with its chunk for that GPU (vllm serve's
    defaults); the others, usable (the GPU less the CUDA context)."""
    from dataclasses import replace

    e = s.serving(gpu_bytes, gpu_name)
    if s.train or e.memory_fraction == 1:
        return s, usable
    if not s.chunk and e.chunk:
        s = replace(s, chunk=e.chunk)
    share = e.memory_fraction
    return s, gpu_bytes * share.numerator // share.denominator


def fit(report: Report, s: Setup, usable: int) -> Fit:
    """Does it fit in usable bytes; the largest batch, the longest context, the fewest GPUs."""
    from dataclasses import replace

    p = plan(report, s)

    def total(**change: Any) -> int:
        return plan(report, replace(s, **change)).total

    def largest(key: str, limit: int) -> int:
        """The largest value of key (1..limit) whose plan fits: memory grows with it."""
        if total(**{key: 1}) > usable:
            return 0
        lo, hi = 1, 2
        while hi <= limit and total(**{key: hi}) <= usable:
            lo, hi = hi, hi * 2
        hi = min(hi, limit + 1)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if total(**{key: mid}) <= usable:
                lo = mid
            else:
                hi = mid
        return lo

    fewest = 0
    if s.train:
        for gpus in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096):
            sharding = s.sharding if s.sharding != "none" else "fsdp"
            if total(gpus=gpus, sharding=sharding if gpus > 1 else s.sharding) <= usable:
                fewest = gpus
                break
    else:  # inference: weights and cache split evenly across tensor-parallel GPUs
        for gpus in range(1, 4097):
            if -(-p.total // gpus) <= usable:
                fewest = gpus
                break
    candidates = ("fp32", "bf16", "fp8", "int8", "q8_0", "q6_k", "q4_k_m", "nf4", "q3_k_m",
                  "q2_k") if not s.train else ("fp32", "bf16")
    precisions = []
    for name in candidates:
        try:
            t = total(dtype=name)
        except NnsizeError:
            continue
        precisions.append((name, t, t <= usable))
    precisions.sort(key=lambda p: -p[1])  # largest first: a Q2_K file is smaller than Q3_K_M
    from .plan import model_context

    d = report.decoder
    cap, source = model_context(report)
    if s.beyond_context:
        cap = 0
    longest = None if d is None else \
        largest("context", min(MAX_TOKENS // s.batch, cap or MAX_TOKENS))
    bare = report.convention == "checkpoint" and d is None
    return Fit(p, usable, p.total <= usable,
               None if bare else largest("batch", MAX_TOKENS // s.context),
               longest, fewest, precisions, cap, source)


