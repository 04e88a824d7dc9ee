"""A plan for one rank of a parallel layout (parallel/): the busiest GPU's lines.

Inference: the weights' share of its stage and tensor-parallel rank (the whole model's weight
bytes a parameter, so any format splits as it is stored), the KV cache of its layers and KV
heads (vLLM keeps at least one KV head a rank, replicating them when tp exceeds them; a latent
cache whole on every rank), the workspace of its share of the MLP and heads.  Training: the
Megatron-style lines of parallel.rank (16 bytes a parameter sharded by ZeRO / FSDP, Korthikanti
et al.'s activations, the output layer's logits, communication buffers).
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

from ..errors import NnsizeError
from ..model import Report
from ..parallel.layout import Layout, check
from ..parallel.rank import serving, training
from ..parallel.shape import from_report
from .plan import Line, Note, Plan


def rank_plan(report: Report, p: Plan, layout: Layout) -> Plan:
    """The plan p (of the whole model, one GPU) as the busiest rank of layout holds it."""
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
    lines: list[Line] = []
    for line in p.lines:
        if line.part.endswith("weights"):
            share = Fraction(r.weight_bytes, weights)
            lines.append(replace(line, bytes=int(line.bytes * share),
                                 terms={**line.terms, "rank_share": float(share)}))
        elif line.part == "kv_cache":
            lines.append(replace(line, bytes=line.bytes * rank_values // full,
                                 terms={**line.terms, "rank_values": rank_values,
                                        "values": full}))
        elif line.part == "decoder_workspace":
            lines.append(replace(line, bytes=_workspace(line, layout.tp)))
        else:
            lines.append(line)
    out = replace(p, lines=lines, notes=[*p.notes, _note(shape, layout, r.stage)])
    return out


def _workspace(line: Line, tp: int) -> int:
    """The workspace with the MLP's intermediate and the heads split over tp ranks."""
    from .engines import workspace_bytes

    t = line.terms
    if tp == 1 or "tokens" not in t:
        return line.bytes
    per = t["tokens"] * (3 * t["intermediate"] // tp + 4 * t["hidden"]) * t["act_bytes"]
    scores = t["scores"] // tp
    del workspace_bytes  # the same arithmetic, with the split
    return per + scores + t["rows"] * t["vocab"] * 4


def _note(shape: Any, layout: Layout, stage: str) -> Note:
    return Note("layout", {"layout": layout.describe(), "gpus": layout.gpus, "stage": stage,
                           "kv_heads": shape.kv_heads, "tp": layout.tp,
                           "replicated": not shape.latent_dim and layout.tp > shape.kv_heads,
                           "latent": bool(shape.latent_dim)})


def _train(shape: Any, p: Plan, layout: Layout) -> Plan:
    r = training(shape, layout, p.setup.context)
    lines = [Line(f"rank_{part.name}", part.bytes, part.terms, part.name not in ("activations", "logits",
                                                            "buffers"))
             for part in r.parts]
    return replace(p, lines=lines, notes=[*p.notes, _note(shape, layout, r.stage)])
