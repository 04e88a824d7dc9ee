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
from typing import TYPE_CHECKING, Any

from ..errors import NnsizeError
from ..model import Report
from ..parallel.layout import Layout, check
from ..parallel.rank import serving, training
from ..parallel.shape import from_report
from .lines import (
    DecoderWorkspaceTerms,
    GgufWeightsTerms,
    KvTerms,
    LayoutNote,
    Line,
    StoredWeightsTerms,
    WeightsTerms,
)

if TYPE_CHECKING:
    from .lines import LineTerms
    from .setup import Setup

    Row = tuple[int, LineTerms, bool]  # a plan line: bytes, terms, exact

WEIGHTS = (WeightsTerms, StoredWeightsTerms, GgufWeightsTerms)


def rank_lines(report: Report, plan_lines: list[Line], setup: Setup, layout: Layout
               ) -> tuple[list[Row], LayoutNote]:
    """The lines of a plan (of the whole model, one GPU) as the busiest rank of layout holds
    them, and the layout note's terms."""
    shape = from_report(report)
    check(shape, layout, setup.train)
    if setup.train:
        return _train(shape, setup, layout)
    if layout.dp > 1 and (layout.zero or layout.fsdp):
        raise NnsizeError("ZeRO and FSDP shard training state; serving replicas (dp) hold "
                          "whole copies")
    weights = sum(line.bytes for line in plan_lines if isinstance(line.terms, WEIGHTS))
    bpp = Fraction(weights, report.total_params)
    kv = next((line.terms.precision for line in plan_lines if isinstance(line.terms, KvTerms)),
              None)
    bits = kv.bits_per_value if kv else 16
    r = serving(shape, layout, bpp, bits)
    full = shape.layers * (shape.latent_dim or shape.kv_heads * (shape.head_dim +
                                                                  shape.value_dim))
    rank_values = r.layers * r.kv_values
    lines: list[Row] = []
    for line in plan_lines:
        t = line.terms
        if isinstance(t, WEIGHTS):
            share = Fraction(r.weight_bytes, weights)
            lines.append((int(line.bytes * share), replace(t, rank_share=float(share)),
                          line.exact))
        elif isinstance(t, KvTerms):
            # a stage's share by its layers: a compressing cache's layers differ (DeepSeek-V4's
            # sliding, CSA and HCA), so a stage's share of them is about its layers' share
            lines.append((line.bytes * rank_values // full,
                          replace(t, rank_values=rank_values, values=full),
                          line.exact and not (t.compressed and layout.pp > 1)))
        elif isinstance(t, DecoderWorkspaceTerms):
            split = replace(t, intermediate=t.intermediate // layout.tp,
                            scores=t.scores // layout.tp, heads=t.heads // layout.tp)
            lines.append((_workspace(line.bytes, t, layout.tp), split, line.exact))
        else:
            lines.append((line.bytes, t, line.exact))
    return lines, _note(shape, layout, r.stage)


def _workspace(size: int, t: DecoderWorkspaceTerms, tp: int) -> int:
    """The workspace with the MLP's intermediate and the heads split over tp ranks (the
    arithmetic of engines.workspace_bytes, with the split; a family's own tensors beside the
    scores, eager.attention_terms, whole on every rank, its MLP's split as the MLP is)."""
    return size if tp == 1 else split_workspace(t, tp)


def split_workspace(t: DecoderWorkspaceTerms, tp: int) -> int:
    """engines.workspace_bytes's transformers arithmetic with tp ranks (at tp 1, its own)."""
    from .eager import term_bytes

    # as on one GPU: the attention's step and the MLP's are never alive together, so the
    # larger of the two beside the four hidden-sized tensors, the masks and the logits
    mlp = t.tokens * (3 * t.intermediate // tp) * t.act_bytes + term_bytes(t.mlp_terms) // tp
    attention = (t.scores + t.kv_copies) // tp + t.family_bytes
    return t.tokens * 4 * t.hidden * t.act_bytes + max(attention, mlp) + t.mask_bytes + \
        t.rows * t.vocab * 4


def _note(shape: Any, layout: Layout, stage: str) -> LayoutNote:
    return LayoutNote(layout.describe(), layout.gpus, stage, shape.kv_heads, layout.tp,
                      replicated=not shape.latent_dim and layout.tp > shape.kv_heads,
                      latent=bool(shape.latent_dim))


def _train(shape: Any, setup: Setup, layout: Layout) -> tuple[list[Row], LayoutNote]:
    r = training(shape, layout, setup.context)
    lines: list[Row] = [(part.bytes, part.terms,
                         part.name not in ("activations", "logits", "buffers"))
                        for part in r.parts]
    return lines, _note(shape, layout, r.stage)
