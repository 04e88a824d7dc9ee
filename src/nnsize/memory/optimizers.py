"""Optimizer states after a step, as torch.optim keeps them, per trainable tensor: Adam's
exp_avg and exp_avg_sq and a 4-byte step; SGD's momentum buffer; Adafactor's factored row and
column variances; bitsandbytes' 8-bit Adam with an fp32 absmax per block of 2,048."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from ..errors import NnsizeError
from ..model import Report, Row, Tensor, numel
from .bits import to_bytes
from .setup import OPTIMIZERS

if TYPE_CHECKING:
    from .lines import OptimizerTerms


def trainable_tensors(report: Report) -> list[tuple[Tensor, int]]:
    """(tensor, copies) of every trainable parameter the forward reaches, counted once: a row
    no token uses (MiMo's multi-token-prediction layers, which its forward never calls: its
    active parameters 0) gets no gradient, and torch.optim keeps no state for a parameter
    whose grad is None."""
    return [(t, t.copies * row.repeat) for row in report.rows if reached(row)
            for t in row.tensors if not t.buffer and not t.shared_with and t.trainable]


def reached(row: Row) -> bool:
    """Whether the forward uses the row's parameters (a row of them none a token uses is not)."""
    return not (row.active_each == 0 and row.params > 0)


def unreached_params(report: Report) -> int:
    """Trainable parameters in rows the forward never uses (they get no gradient)."""
    return sum(numel(t.shape) * t.copies * row.repeat for row in report.rows if not reached(row)
               for t in row.tensors if not t.buffer and not t.shared_with and t.trainable)


def optimizer_bytes(report: Report, optimizer: str, state_bits: int | Fraction,
                    trainable: list[tuple[Tensor, int]] | None = None
                    ) -> tuple[int, OptimizerTerms]:
    """Bytes of optimizer.state after a step (per trainable tensor), and the terms."""
    if optimizer not in OPTIMIZERS:
        from ..errors import suggest

        raise NnsizeError(f"unknown optimizer {optimizer!r}{suggest(optimizer, OPTIMIZERS)}; "
                          f"one of {', '.join(OPTIMIZERS)}")
    tensors = trainable if trainable is not None else trainable_tensors(report)
    total, params, count = 0, 0, 0
    for t, copies in tensors:
        n = numel(t.shape)
        params += n * copies
        count += copies
        if optimizer == "sgd":
            each = 0
        elif optimizer in ("sgd-momentum", "lion"):
            each = to_bytes(n, state_bits)
        elif optimizer in ("adam", "adamw"):
            each = 2 * to_bytes(n, state_bits) + 4  # exp_avg, exp_avg_sq, step (fp32 scalar)
        elif optimizer == "adam-8bit":
            blocks = -(-n // 2048)  # bitsandbytes: 8-bit states, an fp32 absmax per 2048
            each = 2 * (n + 4 * blocks)
        else:  # adafactor: row and column variances for matrices, a full one for vectors
            shape = t.shape
            if len(shape) >= 2:
                each = to_bytes(numel(shape[:-1]) + numel(shape[:-2] + shape[-1:]),
                                state_bits) + 4
            else:
                each = to_bytes(n, state_bits) + 4
        total += each * copies
    from .lines import OptimizerTerms

    return total, OptimizerTerms(optimizer, params, count, state_bits)
