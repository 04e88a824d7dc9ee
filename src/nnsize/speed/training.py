"""Training time: 6 x active parameters + attention FLOPs a token, at a model-FLOPs utilisation."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import NnsizeError
from ..model import Report
from .hardware import Hardware
from .inference import MAX_TOKENS

CHINCHILLA_TOKENS_PER_PARAM = 20  # Hoffmann et al. 2022, https://arxiv.org/abs/2203.15556


@dataclass(frozen=True)
class Training:
    """Time to train on `tokens` tokens at a model-FLOPs utilisation, and per step."""

    source: str
    hardware: Hardware
    tokens: int
    context: int
    batch: int  # sequences per step, all cards together
    mfu: float
    flops_per_token: int  # forward and backward, attention included
    six_n: int  # 6 x active parameters per token, the usual rule
    params: int
    active_params: int

    @property
    def total_flops(self) -> int:
        return self.tokens * self.flops_per_token

    @property
    def attention_flops_per_token(self) -> int:
        return self.flops_per_token - self.six_n

    @property
    def cluster_flops(self) -> int:
        """Peak FLOP/s of every card together."""
        return self.hardware.peak_flops * self.hardware.gpus

    @property
    def seconds(self) -> tuple[float, float]:
        """(roofline at 100% of peak, expected at the stated MFU)."""
        best = self.total_flops / self.cluster_flops
        return best, best / self.mfu

    @property
    def step_tokens(self) -> int:
        return self.batch * self.context

    @property
    def step_seconds(self) -> tuple[float, float]:
        best = self.step_tokens * self.flops_per_token / self.cluster_flops
        return best, best / self.mfu

    @property
    def steps(self) -> int:
        return -(-self.tokens // self.step_tokens)

    @property
    def chinchilla_tokens(self) -> int:
        """20 tokens per parameter (Hoffmann et al. 2022, for dense models)."""
        return CHINCHILLA_TOKENS_PER_PARAM * self.params


def training(report: Report, hw: Hardware, tokens: int, mfu: float = 0.4, context: int = 4096,
             batch: int | None = None) -> Training:
    """6 x active parameters + attention FLOPs per token, over gpus x peak x MFU."""
    from ..memory import compute

    if tokens < 1:
        raise NnsizeError(f"--tokens must be at least 1, got {tokens}")
    if not 1 <= context <= MAX_TOKENS:
        raise NnsizeError(f"--context must be from 1 to {MAX_TOKENS:,}, got {context:,}")
    if not 0 < mfu <= 1:
        raise NnsizeError(f"--mfu is a share of peak between 0 and 1, got {mfu}")
    sequences = hw.gpus if batch is None else batch
    if sequences < 1:
        raise NnsizeError(f"--batch must be at least 1, got {sequences}")
    c = compute(report, context)
    active = report.active_params - _embedding_params(report)
    return Training(report.source, hw, tokens, context, sequences, mfu,
                    c.training_flops_per_token, 6 * c.linear_macs, report.total_params, active)


def _embedding_params(report: Report) -> int:
    return sum(r.params for r in report.rows if r.type == "embedding")
