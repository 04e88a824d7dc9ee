"""A plan: inference or training memory as lines of bytes, and their sum.

Every line is a count times bytes; its terms are the numbers of that arithmetic (render/ writes
them out).  What is exact and what is an estimate is said per line:

exact        weights (per tensor, at each format's exact bits), gradients, master weights,
             optimizer states, the KV cache
estimate     activations (see activations.py); the inference workspace: one layer's transient
             tensors during prefill plus the fp32 logits of the last position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import NnsizeError
from ..model import Report, numel
from ..precision import FLOATS, Precision, find
from .bits import to_bytes
from .setup import Setup


@dataclass(frozen=True)
class Line:
    """One part of the sum: part names what it is (render's key), terms its arithmetic."""

    part: str
    bytes: int
    terms: dict[str, Any] = field(default_factory=dict)
    exact: bool = True


@dataclass(frozen=True)
class Note:
    """A remark on the plan: key names it (render's key), terms its numbers."""

    key: str
    terms: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    source: str
    setup: Setup
    precision: Precision
    mixed: bool = False  # training in 16 bits with fp32 master weights
    lines: list[Line] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.bytes for line in self.lines)


def plan(report: Report, s: Setup) -> Plan:
    s.check()
    p = _train(report, s) if s.train else _infer(report, s)
    d = report.decoder
    if d is not None and d.positions and s.context > d.positions:
        p.notes.append(Note("past_positions", {"positions": d.positions, "context": s.context}))
    return p


def _infer(report: Report, s: Setup) -> Plan:
    from .kv_cache import kv_cache
    from .weights import weight_bytes

    precision = find(s.dtype)
    compute = precision if precision.name in FLOATS else find("bf16")
    p = Plan(report.source, s, precision)
    weights, terms = weight_bytes(report, precision, compute, s.keep)
    p.lines.append(Line("weights", weights, terms))
    if report.decoder is not None:
        kv = find(s.kv_dtype) if s.kv_dtype else compute
        cache, terms, notes = kv_cache(report, s.batch, s.context, kv, s.latent)
        p.lines.append(Line("kv_cache", cache, terms))
        p.notes += [Note(key, terms) for key, terms in notes]
        d = report.decoder
        tokens = s.batch * s.context
        inter = max(d.intermediate, d.expert_intermediate * d.experts_per_token)
        workspace = to_bytes(tokens * (2 * inter + 4 * d.hidden), compute.bits_per_value) + \
            s.batch * d.vocab * 4
        p.lines.append(Line("decoder_workspace", workspace,
                            {"tokens": tokens, "intermediate": inter, "hidden": d.hidden,
                             "precision": compute, "batch": s.batch, "vocab": d.vocab}, False))
    else:
        largest = max((numel(r.input_shape) + numel(r.output_shape) for r in report.rows),
                      default=0)
        p.lines.append(Line("workspace", to_bytes(s.batch * largest, compute.bits_per_value),
                            {"batch": s.batch, "values": largest, "precision": compute}, False))
    return p


def _train(report: Report, s: Setup) -> Plan:
    from .activations import decoder_activation_values, spec_activation_bytes
    from .optimizers import optimizer_bytes, trainable_tensors
    from .weights import weight_bytes

    precision = find(s.dtype)
    if precision.name not in FLOATS:
        raise NnsizeError(f"training keeps weights in a float format (fp32, bf16, fp16), not "
                          f"{precision.name}; for 4-bit base weights train QLoRA (LoRA over NF4 "
                          f"weights)")
    mixed = s.mixed_precision and precision.name in ("bf16", "fp16")
    state_bits = 32 if mixed or precision.name == "fp32" else precision.bits_per_value
    n = s.gpus if s.sharding != "none" else 1
    # (weights, gradients, optimizer states and master weights): over how many GPUs each
    shard = {"none": (1, 1, 1), "ddp": (1, 1, 1), "zero1": (1, 1, n), "zero2": (1, n, n),
             "zero3": (n, n, n), "fsdp": (n, n, n), "tp": (n, n, n)}[s.sharding]
    p = Plan(report.source, s, precision, mixed)
    if s.lora_rank or s.qlora:
        rank = s.lora_rank or 16
        adapters = _lora(report, rank, s.lora_targets)
        base = find("nf4") if s.qlora else precision
        weights, terms = weight_bytes(report, base, precision, s.keep)
        p.lines.append(Line("base_weights", weights // shard[0], terms))
        lora_params = sum(numel(t.shape) for t, _ in adapters)
        p.lines.append(Line("lora", to_bytes(lora_params, precision.bits_per_value),
                            {"params": lora_params, "rank": rank}))
        trainable, trainable_list = lora_params, adapters
    else:
        weights, terms = weight_bytes(report, precision, precision)
        p.lines.append(Line("weights", weights // shard[0], {**terms, "gpus": shard[0]}))
        trainable = report.trainable_params
        trainable_list = trainable_tensors(report)
    p.lines.append(Line("gradients", to_bytes(trainable, precision.bits_per_value) // shard[1],
                        {"params": trainable, "precision": precision, "gpus": shard[1]}))
    if mixed:
        p.lines.append(Line("master_weights", to_bytes(trainable, 32) // shard[2],
                            {"params": trainable, "gpus": shard[2]}))
    optim, terms = optimizer_bytes(report, s.optimizer, state_bits, trainable_list)
    p.lines.append(Line("optimizer", optim // shard[2], {**terms, "gpus": shard[2]}))
    act_precision = find("bf16") if mixed and precision.name == "bf16" else \
        find("fp16") if mixed else precision
    if report.decoder is not None:
        values, fp32_bytes, terms = decoder_activation_values(report, s.batch * s.context,
                                                              s.checkpointing)
        act = to_bytes(values, act_precision.bits_per_value) + (0 if s.checkpointing else
                                                                fp32_bytes)
        tp = n if s.sharding == "tp" else 1
        p.lines.append(Line("decoder_activations", act // tp,
                            {**terms, "precision": act_precision, "gpus": tp}, False))
    else:
        act, terms = spec_activation_bytes(report, s.batch, act_precision, s.checkpointing)
        p.lines.append(Line("activations", act, {**terms, "precision": act_precision}, False))
    return p


def _lora(report: Report, rank: int, targets: tuple[str, ...]) -> list[tuple[Any, int]]:
    """LoRA factors A (r x in) and B (out x r) for every targeted linear weight."""
    from ..model import Tensor

    out = []
    for name, t in report.named_tensors():
        if t.buffer or t.shared_with or len(t.shape) != 2 or t.role != "weight":
            continue
        module = name.rsplit(".", 1)[0]
        if targets == ("all-linear",) or module.rsplit(".", 1)[-1] in targets:
            out_f, in_f = t.shape
            out.append((Tensor(f"{module}.lora_A", (rank, in_f), "weight"), 1))
            out.append((Tensor(f"{module}.lora_B", (out_f, rank), "weight"), 1))
    if not out:
        raise NnsizeError(f"no linear layer matches the LoRA targets {', '.join(targets)}")
    return out
