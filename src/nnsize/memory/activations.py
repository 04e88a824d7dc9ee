"""Activations: what autograd saves for backward (an estimate, said so in the plan).

For layer specs, each layer kind says what it saves (Kind.saves, or Kind.saved() for a whole
block); the output of one layer and the input of the next are one tensor, counted once.  For
language models, per layer per token 6 h + 3 kv d + 4 i values (norm and projection inputs,
q / k / v, attention output, the gated MLP's four intermediates) at the activation precision,
plus each RMSNorm's fp32 copy of its input (4 h bytes each); with activation checkpointing, each
layer's input alone plus one layer recomputed.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..errors import NnsizeError
from ..model import Report, numel
from ..precision import Precision
from .bits import to_bytes


def decoder_activation_values(report: Report, tokens: int, checkpointing: bool
                              ) -> tuple[int, int, dict[str, Any]]:
    """(16-bit values, fp32 bytes, the terms) of what one training step keeps for backward."""
    d = report.decoder
    if d is None:
        raise NnsizeError(f"{report.source} is not a language model counted from a config")
    h, i, n = d.hidden, d.expert_intermediate * d.experts_per_token or d.intermediate, \
        len(d.layers)
    first = d.layers[0]
    kv = first.kv_heads * first.key_dim
    per_layer = 6 * h + 3 * kv + 4 * i
    terms = {"tokens": tokens, "layers": n, "hidden": h, "kv": kv, "intermediate": i,
             "per_layer": per_layer, "checkpointing": checkpointing}
    if checkpointing:  # each layer's input, and one layer recomputed during backward
        return tokens * (n * h + per_layer), tokens * 2 * 4 * h, terms
    return tokens * n * per_layer, tokens * n * 2 * 4 * h, terms


def spec_activation_bytes(report: Report, batch: int, act: Precision,
                          checkpointing: bool = False) -> tuple[int, dict[str, Any]]:
    """What autograd keeps for one step of a layer spec: each layer's saved tensors, the output
    of one layer and the input of the next counted once (they are one tensor).  Checkpointed
    (every layer its own segment), only each layer's input is kept."""
    if checkpointing:
        values = sum(numel(r.input_shape) * r.repeat for r in report.rows)
        return to_bytes(batch * values, act.bits_per_value), \
            {"batch": batch, "values": values, "precision": act, "checkpointing": True}
    total_bits: Fraction | int = 0
    layers = 0
    previous_output = None  # the tensor the previous layer made (and maybe saved)
    for row in report.rows:
        if row.saved is not None:
            values, fp32 = row.saved
            total_bits += (values * act.bits_per_value + fp32 * 32) * row.repeat
            previous_output, layers = None, layers + row.repeat
            continue
        saves = row.saves
        if saves is None:
            raise NnsizeError(f"activation memory of a {row.type} layer is not modelled yet")
        if saves.view:  # the same storage under another shape
            if previous_output is row.input_shape:
                previous_output = row.output_shape
            layers += row.repeat
            continue
        total_bits += numel(row.output_shape) * saves.mask_bits * row.repeat
        if saves.channel_stats:
            total_bits += saves.channel_stats * row.output_shape[0] * 32 * row.repeat
        if saves.row_stats:
            total_bits += saves.row_stats * numel(row.input_shape[:-1]) * 32 * row.repeat
        if saves.input and previous_output is not row.input_shape:
            total_bits += numel(row.input_shape) * act.bits_per_value * row.repeat
        previous_output = None
        if saves.output:
            total_bits += numel(row.output_shape) * act.bits_per_value * row.repeat
            previous_output = row.output_shape
        layers += row.repeat
    total = to_bytes(batch * Fraction(total_bits).__ceil__(), 1)
    return total, {"batch": batch, "layers": layers, "checkpointing": False}
