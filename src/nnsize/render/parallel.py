"""Parallel layouts as text: one rank's lines, the layout note, a step's terms, the search."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..parallel.rank import (
    RankActivationsTerms,
    RankGradientsTerms,
    RankLogitsTerms,
    RankReductionCopyTerms,
    RankStateTerms,
    RankTerms,
    RankWeightsTerms,
    state_bytes,
)
from ..parallel.serving import SHARE
from .numbers import human

if TYPE_CHECKING:
    from ..memory.lines import LayoutNote
    from ..parallel.rank import RankMemory
    from ..parallel.search import Candidate
    from ..parallel.serving import Plan, Replica
    from ..parallel.shape import Shape
    from ..parallel.step import Step
    from ..speed.cluster import Run
    from ..speed.setup import TrainingSetup


def _shards(t: RankStateTerms) -> str:
    return f", over {t.shards:,} data-parallel ranks" if t.shards > 1 else ""


def _activations(t: RankActivationsTerms) -> str:
    return (f"{t.layers} layers x {t.per_layer:,} B a layer (Korthikanti et al. 2022, "
            f"{t.recompute} recomputation, {t.attention} attention"
            f"{', sequence parallel' if t.sp else ''}; "
            f"{t.tokens:,} tokens x micro-batch {t.micro_batch}) x {t.in_flight:g} "
            f"micro-batches in flight")


def _gradients(t: RankStateTerms) -> tuple[str, str]:
    """The gradients' line at their dtype (Layout.grad_dtype)."""
    if t.dtype == "bf16+fp32":  # DeepSpeed's BF16_Optimizer: the bf16 .grad and the fp32 buffer
        return ("gradients (bf16, and the fp32 accumulation buffer beside them)",
                f"{t.params:,} x (2 + 4) B" + _shards(t))
    what = {"fp32": "fp32, accumulated and reduced in fp32"}.get(t.dtype, t.dtype)
    return f"gradients ({what})", f"{t.params:,} x {t.bytes_per_param} B" + _shards(t)


def rank_line(t: RankTerms) -> tuple[str, str]:
    """A rank's line of a training layout (parallel.rank): (name, arithmetic)."""
    match t:
        case RankWeightsTerms():
            what = "fp32, FSDP's sharded parameters" if t.dtype == "fp32" else t.dtype
            return f"weights (this rank's share, {what})", (
                f"{t.params:,} parameters x {t.bytes_per_param} B" + _shards(t))
        case RankGradientsTerms():
            return _gradients(t)
        case RankStateTerms():
            if t.dtype == "fp32":  # FSDP: the fp32 sharded parameters are the master weights
                return ("optimizer: Adam's two moments (fp32)",
                        f"{t.params:,} x {t.bytes_per_param} B" + _shards(t))
            return ("optimizer: fp32 master weights, Adam's two moments",
                    f"{t.params:,} x {t.bytes_per_param} B" + _shards(t))
        case RankActivationsTerms():
            return "activations (saved for backward)", _activations(t)
        case RankLogitsTerms():
            return "output layer's fp32 logits (last stage)", (
                f"{t.tokens:,} tokens x {t.vocab:,} / tp {t.tp} x 4 B")
        case RankReductionCopyTerms():
            return ("the bf16 copy of the fp32 gradients DeepSpeed all-reduces after the last "
                    "backward (a segment of its own, which the allocator keeps)"), (
                f"{t.values:,} values (the parameters but the norms, padded to 2 x dp "
                f"{t.dp}) x {t.bytes_per_value} B = {t.values * t.bytes_per_value:,} B, "
                f"rounded up to 2 MiB: {t.segment:,} B")
    return ("communication buffers",
            "tensor-parallel gathers, expert dispatch, ZeRO-3 / FSDP gathered layers")


def layout_note(t: LayoutNote) -> str:
    text = (f"Layout: {t.layout} over {t.gpus:,} GPUs; the figures are one GPU's, the "
            f"busiest ({t.stage} pipeline stage)" if t.stage != "only" else
            f"Layout: {t.layout} over {t.gpus:,} GPUs; the figures are one GPU's")
    if t.replicated:
        text += (f"; tp {t.tp} exceeds the {t.kv_heads} KV heads: each rank keeps one, "
                 f"replicated on {t.tp // t.kv_heads} ranks (as vLLM does)")
    if t.latent:
        text += "; the latent KV cache is whole on every tensor-parallel rank (as vLLM keeps it)"
    return text


def step_lines(step: Step) -> list[tuple[str, str]]:
    """A step's terms as (name, seconds) rows."""
    rows = [("compute", step.compute_s), ("pipeline bubble", step.bubble_s),
            ("tensor-parallel all-reduces", step.tp_s), ("pipeline sends", step.pp_s),
            ("data-parallel reductions (exposed)", step.dp_s), ("expert all-to-alls", step.ep_s),
            ("memory-bound passes", step.elementwise_s)]
    return [(k, f"{v:.3f} s") for k, v in rows if v or k == "compute"]


def search_text(shape: Shape, candidates: list[Candidate], gpus: int,
                why: tuple[str, float, float] | None, gpu: str,
                train: bool = True, limit: int = 15) -> str:
    from .table import table

    if not candidates:
        return (f"No layout of {shape.name} over {gpus:,} x {gpu} fits (every tp that divides "
                f"the heads, every pp that divides the layers, ZeRO-1 and -3, each "
                f"recomputation).")
    rows = []
    for i, c in enumerate(candidates[:limit], 1):
        t = c.layout
        rows.append([str(i), t.describe(), str(t.micro_batch), t.recompute,
                     human(c.memory.total, True), f"{c.step.seconds:.2f} s", f"{c.step.mfu:.1%}"])
    out = [f"{shape.name} on {gpus:,} x {gpu}: {len(candidates):,} layouts fit, fastest first",
           "", table(["#", "layout", "micro-batch", "recompute", "memory/GPU", "step", "MFU"],
                     rows, [True, False, True, False, True, True, True])]
    best = candidates[0]
    out += ["", f"Best: {best.layout.describe()}: " + ", ".join(
        f"{k} {v}" for k, v in step_lines(best.step))]
    if why is not None:
        term, a, b = why
        second = candidates[1]
        more = second.step.seconds - best.step.seconds
        if more < 0.005:  # as fast to the hundredth: ranked by memory (search.py's sort)
            out.append(f"Why: the next, {second.layout.describe()} at micro-batch "
                       f"{second.layout.micro_batch}, takes the same time a step and more "
                       f"memory ({second.memory.total / 2**30:.2f} GiB against "
                       f"{best.memory.total / 2**30:.2f}).")
        else:
            out.append(f"Why: the next, {second.layout.describe()}, takes {more:.2f} s more a "
                       f"step, most of it in {term} ({b:.2f} s against {a:.2f} s).")
    out.append(f"Assumed: the kernels reach 60% of peak (--efficiency), the memory-bound "
               f"passes run at the card's bandwidth; {best.layout.attention} attention "
               f"(--attention); 8 GPUs a node unless --nodes; links as listed by nnsize layout "
               f"--list-interconnects.")
    return "\n".join(out)


def held_lines(memory: RankMemory) -> list[str]:
    """What the caching allocator keeps beyond the peak (RankMemory.held), where it keeps any."""
    if not memory.held:
        return []
    out = [f"Reserved by PyTorch's caching allocator, at least: {human(memory.reserved, True)}, "
           f"the peak and what it keeps beyond it (nvidia-smi adds the CUDA context):"]
    for p in memory.held:
        name, arithmetic = rank_line(p.terms)
        out.append(f"  {name}: {human(p.bytes, True)} = {arithmetic}")
    return out


def memory_rows(memory: RankMemory) -> list[tuple[str, int]]:
    return [(p.name, p.bytes) for p in memory.parts]


def run_dict(r: Run) -> dict[str, object]:
    """train-time --json with a layout."""
    s = r.step
    return {"model": r.shape.name, "gpu": r.gpu, "gpus": r.layout.gpus,
            "layout": r.layout.as_dict(), "describe": r.layout.describe(),
            "tokens": r.tokens, "context": r.seq, "steps": r.steps,
            "step_time_s": s.seconds, "step_terms_s": s.terms(),
            "context_parallel_s_overlapped": s.cp_s, "bubble_fraction": r.layout.bubble,
            "tokens_per_step": s.tokens, "tokens_per_s_per_gpu": s.tokens_per_s_per_gpu,
            "tflops_per_gpu": s.tflops_per_gpu, "mfu": s.mfu,
            "memory_per_gpu_bytes": r.memory.total, "memory_stage": r.memory.stage,
            "memory_lines": [{"part": p.name, "bytes": p.bytes} for p in r.memory.parts],
            "memory_reserved_per_gpu_bytes": r.memory.reserved,
            "memory_held_lines": [{"part": p.name, "bytes": p.bytes} for p in r.memory.held],
            "usable_bytes": r.usable, "fits": r.fits,
            "seconds": r.seconds, "days": r.seconds / 86400, "gpu_hours": r.gpu_hours,
            "cost": r.cost, "links": {"node": r.links.node.name,
                                      "network": r.links.network.name}}


def run_text(r: Run) -> str:
    s = r.step
    out = [f"{r.shape.name}: {r.tokens:,} tokens on {r.layout.gpus:,} x {r.gpu}, "
           f"{r.layout.describe()}, micro-batch {r.layout.micro_batch}, "
           f"{r.layout.micro_batches} micro-batches a step, {r.layout.recompute} recomputation, "
           f"{r.layout.attention} attention",
           "", f"Step ({s.tokens:,} tokens): {s.seconds:.3f} s = " + " + ".join(
               f"{k} {v}" for k, v in step_lines(s)),
           f"  {s.tokens_per_s_per_gpu:,.0f} tokens/s a GPU, {s.tflops_per_gpu:.1f} TFLOP/s a "
           f"GPU (model FLOPs), MFU {s.mfu:.1%}",
           f"Memory a GPU ({r.memory.stage} stage): {human(r.memory.total, True)} of "
           f"{human(r.usable, True)} usable: " + ("fits" if r.fits else "DOES NOT FIT") + " (" +
           ", ".join(f"{p.name} {human(p.bytes, True)}" for p in r.memory.parts) + ")",
           *held_lines(r.memory),
           f"Training: {r.steps:,} steps, {r.seconds / 86400:,.1f} days, "
           f"{r.gpu_hours:,.0f} GPU-hours" + (f", cost {r.cost:,.0f} at {r.price:g} a "
                                               f"GPU-hour" if r.cost is not None else ""),
           f"Links: {r.links.node.name} inside a node, {r.links.network.name} between nodes; "
           f"the kernels at {s.compute_s and 0 or 0 or ''}".rstrip()]
    out[-1] = (f"Links: {r.links.node.name} inside a node, {r.links.network.name} between "
               f"nodes (--interconnect); kernels at the --efficiency share of peak, the "
               f"memory-bound passes (norms, activation, dropout, residual adds; the softmax "
               f"with eager attention) " + ("at the card's bandwidth" if s.bandwidth else
                                            "not timed: the card's bandwidth is not known") +
               f"; {state_bytes(r.layout)} bytes a parameter "
               f"(mixed-precision Adam, {r.layout.grad_dtype} gradients: --grad-dtype); "
               f"attention {r.layout.attention} (--attention eager: unfused, the s x s scores "
               f"kept; default flash)")
    return "\n".join(out)


def search_dict(shape: Shape, found: list[Candidate], gpus: int,
                reason: tuple[str, float, float] | None, gpu: str,
                limit: int) -> dict[str, object]:
    return {"model": shape.name, "gpu": gpu, "gpus": gpus, "count": len(found),
            "why": None if reason is None else {"term": reason[0], "best_s": reason[1],
                                                "next_s": reason[2]},
            "layouts": [{"layout": c.layout.as_dict(), "describe": c.layout.describe(),
                         "step_time_s": c.step.seconds, "step_terms_s": c.step.terms(),
                         "mfu": c.step.mfu, "tflops_per_gpu": c.step.tflops_per_gpu,
                         "tokens_per_s_per_gpu": c.step.tokens_per_s_per_gpu,
                         "memory_per_gpu_bytes": c.memory.total} for c in found[:limit]]}


def serve_text(shape: Shape, found: list[Replica], gpus: int, gpu: str) -> str:
    from .table import table

    if not found:
        return f"No serving layout of {shape.name} over {gpus:,} x {gpu} holds a sequence."
    rows = [[c.layout.describe().replace("dp", "replicas"), f"{c.kv_tokens:,}",
             f"{c.concurrency:.1f}", f"{c.tokens_per_s:,.0f}"] for c in found]
    return "\n".join([f"{shape.name} served on {gpus:,} x {gpu}, fastest decode first", "",
                      table(["layout", "KV tokens a replica", "sequences a replica",
                             "decode tokens/s, all"], rows, [False, True, True, True]),
                      "", f"Assumed: 16-bit weights and cache, {float(SHARE):g} of each GPU "
                      "(vLLM's default), decode bound by each rank's reads plus the all-reduces' "
                      "latency."])


def _target_head(shape: Shape, t: TrainingSetup, gpu: str, engine: str, goal: float) -> str:
    batch = f"{t.batch:,} sequences a replica" if t.batch else "as many sequences as a " \
        "replica's cache holds"
    return (f"{shape.name} served on up to {t.gpus:,} x {gpu} for {goal:,.0f} decode tokens/s "
            f"at {t.context:,} tokens of context, {batch} ({engine})")


def target_text(shape: Shape, found: list[Plan], t: TrainingSetup, gpu: str, engine: str,
                goal: float, limit: int = 15) -> str:
    """--serve --tokens-per-s: the replica layouts that meet a decode target, fewest GPUs."""
    from .table import table

    head = _target_head(shape, t, gpu, engine, goal)
    if not found:
        return (f"{head}: no tp x pp replica holds the batch and reaches the target within "
                f"{t.gpus:,} GPUs.")
    rows = [[str(i), p.layout.describe().replace(" x dp 1", ""), str(p.replicas),
             f"{p.gpus:,}", f"{p.batch:,}", human(p.memory_bytes, True),
             f"{p.kv_tokens:,}", f"{p.tokens_per_s:,.0f}", f"{p.total_tokens_per_s:,.0f}"]
            for i, p in enumerate(found[:limit], 1)]
    best = found[0]
    meet = "1 layout meets it" if len(found) == 1 else f"{len(found):,} layouts meet it"
    out = [f"{head}: {meet}, fewest GPUs first", "",
           table(["#", "replica", "replicas", "GPUs", "sequences", "memory/GPU",
                  "KV tokens a replica", "tokens/s a replica", "tokens/s, all"], rows,
                 [True, False, True, True, True, True, True, True, True]), "",
           f"Best: {best.replicas} x ({best.layout.describe().replace(' x dp 1', '')}) on "
           f"{best.gpus:,} GPUs: {best.replicas} x {best.tokens_per_s:,.0f} = "
           f"{best.total_tokens_per_s:,.0f} tokens/s."]
    if len(found) > 1:
        nxt = found[1]
        name = nxt.layout.describe().replace(" x dp 1", "")
        if nxt.gpus > best.gpus:
            out.append(f"Why: the next, {name}, makes {nxt.tokens_per_s:,.0f} tokens/s a "
                       f"replica and needs {nxt.replicas} of them, {nxt.gpus:,} GPUs.")
        else:
            out.append(f"Why: the next, {name}, takes as many GPUs ({nxt.gpus:,}) for "
                       f"{nxt.total_tokens_per_s:,.0f} tokens/s.")
    else:
        out.append(f"Why: no other tp x pp replica reaches the target within {t.gpus:,} GPUs.")
    out.append(f"Assumed: 16-bit weights and cache, {float(SHARE):g} of each GPU (vLLM's "
               "default); memory/GPU is the busiest rank's weights and its share of the "
               "sequences' cache; a replica's rate is nnsize speed's decode at its tp (the "
               "engine's fitted efficiency), pp stages keeping pp micro-batches in flight.")
    return "\n".join(out)


def target_dict(shape: Shape, found: list[Plan], t: TrainingSetup, gpu: str, engine: str,
                goal: float) -> dict[str, object]:
    return {"model": shape.name, "gpu": gpu, "gpus": t.gpus, "context": t.context,
            "engine": engine, "tokens_per_s_target": goal, "count": len(found),
            "layouts": [{"layout": p.layout.as_dict(), "replicas": p.replicas,
                         "gpus": p.gpus, "sequences_per_replica": p.batch,
                         "memory_per_gpu_bytes": p.memory_bytes,
                         "weight_bytes_per_gpu": p.weight_bytes,
                         "kv_cache_tokens": p.kv_tokens,
                         "decode_tokens_per_s_per_replica": p.tokens_per_s,
                         "decode_tokens_per_s": p.total_tokens_per_s} for p in found]}
