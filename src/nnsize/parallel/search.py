"""Every layout of N GPUs that divides and fits, ranked by step time, and the fewest GPUs that
hold a model.

Training: tp over the divisors of the GPUs that divide the heads (and the KV heads either way),
pp over those that divide the layers (or layers + 2), the interleaved schedule (vp 2) where it
divides, context parallelism for sequences of 32,768 tokens or more, expert parallelism over the
divisors of the experts, micro-batches of 1, 2, 4 sequences; sequence parallelism with any tp.
For each, the cheapest state that fits: ZeRO-1 before ZeRO-3, no recomputation before selective
before full.  Serving: tp x pp a replica, the rest replicas.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .interconnect import Links
from .layout import Layout, LayoutError, check
from .rank import RankMemory, training
from .shape import Shape
from .step import EFFICIENCY, Step, step

MICRO_BATCHES = (1, 2, 4)


@dataclass(frozen=True)
class Candidate:
    layout: Layout
    memory: RankMemory
    step: Step


def divisors(n: int) -> list[int]:
    small = [d for d in range(1, int(n**0.5) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def _valid(shape: Shape, layout: Layout, training_: bool = True) -> bool:
    try:
        check(shape, layout, training_)
    except LayoutError:
        return False
    return True


def layouts(shape: Shape, gpus: int, global_batch: int, seq: int, nodes: int = 0,
            fixed: dict[str, object] | None = None) -> list[Layout]:
    """Every layout shape of gpus (before the ZeRO stage and recomputation are chosen)."""
    fixed = fixed or {}
    out = []
    for tp in divisors(gpus):
        if "tp" in fixed and tp != fixed["tp"]:
            continue
        if shape.heads % tp or (not shape.latent_dim and shape.kv_heads % tp and
                                tp % shape.kv_heads):
            continue
        for cp in divisors(gpus // tp):
            if ("cp" in fixed and cp != fixed["cp"]) or ("cp" not in fixed and cp > 1 and
                                                          seq < 32768):
                continue
            if seq % cp:
                continue
            for pp in divisors(gpus // (tp * cp)):
                if "pp" in fixed and pp != fixed["pp"]:
                    continue
                dp = gpus // (tp * cp * pp)
                if "dp" in fixed and dp != fixed["dp"]:
                    continue
                eps = divisors(dp * cp) if shape.experts else [1]
                for ep in eps:
                    if "ep" in fixed and ep != fixed["ep"]:
                        continue
                    for vp in (1, 2) if pp > 1 else (1,):
                        if "vp" in fixed and vp != fixed["vp"]:
                            continue
                        for mb in MICRO_BATCHES:
                            if "micro_batch" in fixed and mb != fixed["micro_batch"]:
                                continue
                            t = Layout(tp=tp, pp=pp, dp=dp, cp=cp, ep=ep, vp=vp, sp=tp > 1,
                                       micro_batch=mb, global_batch=global_batch, nodes=nodes,
                                       grad_dtype=str(fixed.get("grad_dtype", "16-bit")))
                            if _valid(shape, t):
                                out.append(t)
    return out


def search(shape: Shape, gpus: int, global_batch: int, seq: int, usable: int, peak_flops: int,
           links: Links, nodes: int = 0, efficiency: float = EFFICIENCY,
           fixed: dict[str, object] | None = None, bandwidth: int = 0,
           attention: str = "flash") -> list[Candidate]:
    """The layouts that fit, fastest first, with this attention kernel (flash or eager) and
    the memory-bound passes at bandwidth (bytes a second; 0: not counted)."""
    fixed = fixed or {}
    zeros = [{"zero": fixed.get("zero", 0), "fsdp": fixed.get("fsdp", "")}] \
        if "zero" in fixed or "fsdp" in fixed else [{"zero": 1, "fsdp": ""},
                                                    {"zero": 3, "fsdp": ""}]
    recomputes = [fixed["recompute"]] if "recompute" in fixed else \
        ["none", "selective", "full"]
    found = []
    for base in layouts(shape, gpus, global_batch, seq, nodes, fixed):
        for z in zeros:
            done = False
            for r in recomputes:
                t = replace(base, recompute=str(r), attention=attention,
                            **z)  # type: ignore[arg-type]
                mem = training(shape, t, seq)
                if mem.total <= usable:
                    found.append(Candidate(t, mem, step(shape, t, seq, peak_flops, links,
                                                        efficiency, bandwidth=bandwidth)))
                    done = True
                    break
            if done:
                break
    found.sort(key=lambda c: (c.step.seconds, c.memory.total))
    return found


def why(best: Candidate, other: Candidate) -> tuple[str, float, float]:
    """The term of the step where best gains most over other: (term, best's s, other's s)."""
    a, b = best.step.terms(), other.step.terms()
    term = max(a, key=lambda k: b[k] - a[k])
    return term, a[term], b[term]


def fewest_training(shape: Shape, seq: int, usable: int, most: int = 4096) -> int:
    """The fewest GPUs whose busiest rank holds training (micro-batch 1, full recomputation,
    ZeRO-3 over the data-parallel ranks, any tp and pp that divide): 0 beyond `most`."""
    base = Layout(micro_batch=1, recompute="full", zero=3)

    def holds(g: int) -> bool:
        for tp in divisors(g):
            for pp in divisors(g // tp):
                t = replace(base, tp=tp, pp=pp, dp=g // (tp * pp), sp=tp > 1)
                if _valid(shape, t) and training(shape, t, seq).total <= usable:
                    return True
        return False

    for g in range(1, most + 1):
        if holds(g):
            return g
    return 0
