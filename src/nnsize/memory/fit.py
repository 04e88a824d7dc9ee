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
    kv_cache_tokens: int | None = None  # serving: the KV cache the room holds, per replica
    max_concurrency: float | None = None  # kv_cache_tokens / context
    # inference: fewest_gpus is the plan split evenly over them, where no tp x pp layout
    # describes the model (state-space layers; layers that differ: Decoder.varied)
    evenly: bool = False


def on_gpu(s: Setup, gpu_bytes: int, gpu_name: str, usable: int) -> tuple[Setup, int]:
    """The setup as its engine runs on this GPU, and the bytes it may use there: vLLM takes
    gpu_memory_utilization of the whole GPU, with its chunk for that GPU (vllm serve's
    defaults); SGLang mem_fraction_static of the memory free after its start (engine_share);
    the others, usable (the GPU less the CUDA context)."""
    from dataclasses import replace

    from .serving import engine_share

    share = engine_share(s, gpu_bytes, gpu_name)
    if share is None:
        return s, usable
    e = s.serving(gpu_bytes, gpu_name)
    if not s.chunk and e.chunk:
        s = replace(s, chunk=e.chunk)
    return s, share.usable


def fit(report: Report, s: Setup, usable: int) -> Fit:
    """Does it fit in usable bytes; the largest batch, the longest context, the fewest GPUs."""
    from dataclasses import replace

    from .plan import settle

    s = settle(report, s)  # the context asked, else the default at most the model's own
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

    fewest = fewest_gpus(report, s, usable)
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
    if not s.train:  # a config its publisher stores quantized: that form first, as it loads
        from .quantization import quantization_config

        found = quantization_config(report)
        try:  # a published form nnsize does not plan is left out, as the candidates' are
            as_published = plan(report, replace(s, dtype="")) if found else None
        except NnsizeError:
            as_published = None
        if as_published is not None and as_published.mode.startswith("its published"):
            name = f"as published ({as_published.mode.removeprefix('its published ')})"
            precisions.insert(0, (name, as_published.total, as_published.total <= usable))
    from .plan import model_context

    d = report.decoder
    cap, source = model_context(report)
    if s.beyond_context:
        cap = 0
    longest = None if d is None else \
        largest("context", min(MAX_TOKENS // s.batch, cap or MAX_TOKENS))
    bare = report.convention == "checkpoint" and d is None
    tokens = kv_tokens(p, usable)
    return Fit(p, usable, p.total <= usable,
               None if bare else largest("batch", MAX_TOKENS // s.context),
               longest, fewest, precisions, cap, source, tokens,
               None if tokens is None else tokens / s.context,
               not s.train and d is not None and _evenly(report))


def _evenly(report: Report) -> bool:
    """Whether fewest_gpus splits the plan evenly rather than searching tp x pp layouts."""
    d = report.decoder
    return d is None or not len(d.layers) or bool(d.state_layers) or bool(d.varied)


def kv_tokens(p: Plan, usable: int) -> int | None:
    """Tokens of KV cache the room left after everything else holds (a paged engine's whole
    blocks): what vLLM logs as "GPU KV cache size: N tokens", per replica; None without a
    KV cache."""
    line = next((line for line in p.lines if line.part == "kv_cache"), None)
    if line is None or not line.bytes or p.setup.train:
        return None
    from .lines import KvTerms

    if isinstance(line.terms, KvTerms) and line.terms.compressed:  # no fixed bytes a token
        return None
    from .engines import paged

    block = p.setup.serving().block_tokens
    cached = p.setup.batch * paged(p.setup.context, block)
    room = usable - (p.total - line.bytes)
    if room <= 0:
        return 0
    return int(room * cached // line.bytes // block * block)


def fewest_gpus(report: Report, s: Setup, usable: int, most: int = 4096) -> int:
    """The fewest GPUs that hold the plan: training, the fewest whose FSDP (ZeRO-3) shards,
    or with layout flags the search of parallel.search, fit (any count, not powers of two);
    inference, the fewest tp x pp (tp dividing the heads and the KV heads either way, pp the
    layers) whose busiest rank holds its share.  0: more than `most`."""
    from dataclasses import replace

    if s.train and report.decoder is not None and s.parallel:
        from ..parallel.search import fewest_training
        from ..parallel.shape import from_report

        return fewest_training(from_report(report), s.context, usable, most)
    if s.train:
        def holds(g: int) -> bool:
            sharding = s.sharding if s.sharding not in ("none", "ddp") else "fsdp"
            return plan(report, replace(s, gpus=g, sharding=sharding if g > 1 else
                                        "none")).total <= usable
        if not holds(most):
            return 0
        from ..least import least

        return least(holds, 0, most)  # the plan shrinks as the GPUs grow
    if _evenly(report):
        whole = plan(report, replace(s, gpus=1, sharding="none")).total
        return next((g for g in range(1, most + 1) if -(-whole // g) <= usable), 0)
    from ..parallel.layout import Layout, LayoutError, check
    from ..parallel.search import divisors
    from ..parallel.shape import from_report

    shape = from_report(report)
    bare = replace(s, gpus=1, sharding="none", tp=0, pp=0, dp=0, cp=0, ep=0, vp=0, sp=False)
    whole = plan(report, bare).total
    for g in range(max(1, whole // max(usable, 1)), most + 1):
        for tp in divisors(g):
            pp = g // tp
            try:
                check(shape, Layout(tp=tp, pp=pp), training=False)
            except LayoutError:
                continue
            if plan(report, replace(bare, tp=tp, pp=pp, gpus=g)).total <= usable:
                return g
    return 0


