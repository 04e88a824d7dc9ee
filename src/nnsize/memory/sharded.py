"""A plan for one rank of a parallel layout (parallel/): the busiest GPU's lines.

Inference: the weights' share of its stage and tensor-parallel rank (the whole model's weight
bytes a parameter, so any format splits as it is stored), the KV cache of its layers and KV
heads (vLLM keeps at least one KV head a rank, replicating them when tp exceeds them; a latent
cache whole on every rank), the workspace of its share of the MLP and heads.  Training: the
Megatron-style lines of parallel.rank (16 bytes a parameter sharded by ZeRO / FSDP, Korthikanti
et al.'s activations, the output layer's logits, communication buffers).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..errors import NnsizeError
from ..model import Report
from ..parallel.layout import Layout, check
from ..parallel.rank import serving, training
from ..parallel.shape import from_report

Row = tuple[str, int, dict[str, Any], bool]  # a plan line: part, bytes, terms, exact


def rank_lines(report: Report, p: Any, layout: Layout) -> tuple[list[Row], dict[str, Any]]:
    """The lines of plan p (of the whole model, one GPU) as the busiest rank of layout holds
    them, and the layout note's terms."""
    shape = from_report(report)
    check(shape, layout, p.setup.train)
    if p.setup.train:
        return _train(shape, p, layout)
    if layout.dp > 1 and (layout.zero or layout.fsdp):
        raise NnsizeError("ZeRO and FSDP shard training state; serving replicas (dp) hold "
                          "whole copies")
    weights = sum(line.bytes for line in p.lines if line.part.endswith("weights"))
    bpp = Fraction(weights, report.total_params)
    kv_line = next((line for line in p.lines if line.part == "kv_cache"), None)
    kv = kv_line.terms["precision"] if kv_line else None
    bits = kv.bits_per_value if kv else 16
    r = serving(shape, layout, bpp, bits)
    full = shape.layers * (shape.latent_dim or shape.kv_heads * (shape.head_dim +
                                                                  shape.value_dim))
    rank_values = r.layers * r.kv_values
    lines: list[Row] = []
    for line in p.lines:
        if line.part.endswith("weights"):
            share = Fraction(r.weight_bytes, weights)
            lines.append((line.part, int(line.bytes * share),
                          {**line.terms, "rank_share": float(share)}, line.exact))
        elif line.part == "kv_cache":
            lines.append((line.part, line.bytes * rank_values // full,
                          {**line.terms, "rank_values": rank_values, "values": full},
                          line.exact))
        elif line.part == "decoder_workspace":
            t = line.terms
            split = {**t, "intermediate": t["intermediate"] // layout.tp,
                     "scores": t["scores"] // layout.tp} if "tokens" in t else t
            lines.append((line.part, _workspace(line, layout.tp), split, line.exact))
        else:
            lines.append((line.part, line.bytes, line.terms, line.exact))
    return lines, _note(shape, layout, r.stage)


def _workspace(line: Any, tp: int) -> int:
    """The workspace with the MLP's intermediate and the heads split over tp ranks (the
    arithmetic of engines.workspace_bytes, with the split)."""
    t = line.terms
    if tp == 1 or "tokens" not in t:
        return int(line.bytes)
    per = t["tokens"] * (3 * t["intermediate"] // tp + 4 * t["hidden"]) * t["act_bytes"]
    scores = t["scores"] // tp
    return int(per + scores + t["rows"] * t["vocab"] * 4)


def _note(shape: Any, layout: Layout, stage: str) -> dict[str, Any]:
    return {"layout": layout.describe(), "gpus": layout.gpus, "stage": stage,
            "kv_heads": shape.kv_heads, "tp": layout.tp,
            "replicated": not shape.latent_dim and layout.tp > shape.kv_heads,
            "latent": bool(shape.latent_dim)}


def _train(shape: Any, p: Any, layout: Layout) -> tuple[list[Row], dict[str, Any]]:
    r = training(shape, layout, p.setup.context)
    lines = [(f"rank_{part.name}", part.bytes, part.terms,
              part.name not in ("activations", "logits", "buffers")) for part in r.parts]
    return lines, _note(shape, layout, r.stage)
