"""Parallel layouts as text: one rank's lines, the layout note, a step's terms, the search."""

from __future__ import annotations

from typing import Any

from .numbers import human


def _shards(t: dict[str, Any]) -> str:
    return f", over {t['shards']:,} data-parallel ranks" if t["shards"] > 1 else ""


def _activations(t: dict[str, Any]) -> str:
    return (f"{t['layers']} layers x {t['per_layer']:,} B a layer (Korthikanti et al. 2022, "
            f"{t['recompute']} recomputation{', sequence parallel' if t['sp'] else ''}; "
            f"{t['tokens']:,} tokens x micro-batch {t['micro_batch']}) x {t['in_flight']:g} "
            f"micro-batches in flight")


RANK_PARTS: dict[str, tuple[Any, Any]] = {
    "rank_weights": (lambda t: "weights (this rank's share, 16-bit)", lambda t: (
        f"{t['params']:,} parameters x {t['bytes_per_param']} B" + _shards(t))),
    "rank_gradients": (lambda t: "gradients (16-bit)", lambda t: (
        f"{t['params']:,} x {t['bytes_per_param']} B" + _shards(t))),
    "rank_optimizer": (lambda t: "optimizer: fp32 master weights, Adam's two moments",
                       lambda t: f"{t['params']:,} x {t['bytes_per_param']} B" + _shards(t)),
    "rank_activations": (lambda t: "activations (saved for backward)", _activations),
    "rank_logits": (lambda t: "output layer's fp32 logits (last stage)", lambda t: (
        f"{t['tokens']:,} tokens x {t['vocab']:,} / tp {t['tp']} x 4 B")),
    "rank_buffers": (lambda t: "communication buffers", lambda t: (
        "tensor-parallel gathers, expert dispatch, ZeRO-3 / FSDP gathered layers")),
}


def layout_note(t: dict[str, Any]) -> str:
    text = (f"Layout: {t['layout']} over {t['gpus']:,} GPUs; the figures are one GPU's, the "
            f"busiest ({t['stage']} pipeline stage)" if t["stage"] != "only" else
            f"Layout: {t['layout']} over {t['gpus']:,} GPUs; the figures are one GPU's")
    if t["replicated"]:
        text += (f"; tp {t['tp']} exceeds the {t['kv_heads']} KV heads: each rank keeps one, "
                 f"replicated on {t['tp'] // t['kv_heads']} ranks (as vLLM does)")
    if t["latent"]:
        text += "; the latent KV cache is whole on every tensor-parallel rank (as vLLM keeps it)"
    return text


def step_lines(step: Any) -> list[tuple[str, str]]:
    """A step's terms as (name, seconds) rows."""
    rows = [("compute", step.compute_s), ("pipeline bubble", step.bubble_s),
            ("tensor-parallel all-reduces", step.tp_s), ("pipeline sends", step.pp_s),
            ("data-parallel reductions (exposed)", step.dp_s), ("expert all-to-alls", step.ep_s)]
    return [(k, f"{v:.3f} s") for k, v in rows if v or k == "compute"]


def search_text(shape: Any, candidates: list[Any], gpus: int, why: Any, gpu: str,
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
                     human(c.memory.total), f"{c.step.seconds:.2f} s", f"{c.step.mfu:.1%}"])
    out = [f"{shape.name} on {gpus:,} x {gpu}: {len(candidates):,} layouts fit, fastest first",
           "", table(["#", "layout", "micro-batch", "recompute", "memory/GPU", "step", "MFU"],
                     rows)]
    best = candidates[0]
    out += ["", f"Best: {best.layout.describe()}: " + ", ".join(
        f"{k} {v}" for k, v in step_lines(best.step))]
    if why is not None:
        term, a, b = why
        second = candidates[1]
        out.append(f"Why: the next, {second.layout.describe()}, takes "
                   f"{second.step.seconds - best.step.seconds:.2f} s more a step, most of it "
                   f"in {term} ({b:.2f} s against {a:.2f} s).")
    out.append("Assumed: the kernels reach 70% of peak (--efficiency); 8 GPUs a node unless "
               "--nodes; links as listed by nnsize layout --list-interconnects.")
    return "\n".join(out)
