"""What the well-known tools would say: the same question under accelerate's and DeepSpeed's
assumptions (render/ says how they differ)."""

from __future__ import annotations

from typing import Any

from ..errors import NnsizeError
from ..model import Report
from ..precision import find
from .bits import to_bytes
from .setup import Setup

TOOLS = ("accelerate", "deepspeed")


def as_tool(report: Report, tool: str, s: Setup) -> tuple[int, dict[str, Any]]:
    """(bytes under that tool's assumptions, the terms)."""
    params = report.total_params
    precision = find(s.dtype)
    if tool == "accelerate":
        # accelerate estimate-memory: training with Adam ~ 4 x the model's size at that dtype
        return 4 * to_bytes(params, precision.bits_per_value), \
            {"tool": tool, "precision": precision}
    if tool == "deepspeed":
        # DeepSpeed estimate_zero3_model_states_mem_needs, no offload: 18 bytes a parameter
        return 18 * params // s.gpus, {"tool": tool, "gpus": s.gpus}
    raise NnsizeError(f"unknown tool {tool!r}: accelerate or deepspeed")
