"""What the well-known tools would say: the same question under accelerate's and DeepSpeed's
assumptions (render/ says how they differ)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import NnsizeError
from ..model import Report, numel
from ..precision import find
from .bits import to_bytes
from .setup import Setup

if TYPE_CHECKING:
    from .lines import ToolTerms

TOOLS = ("accelerate", "deepspeed")


def as_tool(report: Report, tool: str, s: Setup) -> tuple[int, ToolTerms]:
    """(bytes under that tool's assumptions, the terms)."""
    from .lines import AccelerateTerms, DeepSpeedTerms
    params = report.total_params
    precision = find(s.dtype or "bf16")
    if tool == "accelerate":
        # accelerate estimate-memory: training with Adam ~ 4 x the model's size at that dtype
        return 4 * to_bytes(params, precision.bits_per_value), \
            AccelerateTerms(precision)
    if tool == "deepspeed":
        # deepspeed/runtime/zero/stage3.py estimate_zero3_model_states_mem_needs, no offload:
        # gpu_mem = 4 x largest_layer_params + int(18 x total_params / total_gpus), where
        # largest_layer_params is the most parameters one module holds itself
        # (model_to_params: m.parameters(recurse=False))
        largest, module = largest_module(report)
        return 4 * largest + 18 * params // s.gpus, \
            DeepSpeedTerms(s.gpus, largest, module)
    raise NnsizeError(f"unknown tool {tool!r}: accelerate or deepspeed")


def largest_module(report: Report) -> tuple[int, str]:
    """The most parameters one module holds itself (its tensors, not its children's), and its
    name: tensors grouped by the name before their last dot, one copy of a repeated layer."""
    modules: dict[str, int] = {}
    for row in report.rows:
        for t in row.tensors:
            if t.buffer or t.shared_with:
                continue
            name = t.name if row.qualified or not row.name else f"{row.name}.{t.name}"
            module = name.rsplit(".", 1)[0] if "." in name else name
            modules[module] = modules.get(module, 0) + numel(t.shape)
    if not modules:
        return 0, "none"
    name = max(modules, key=lambda k: modules[k])
    return modules[name], name.replace("{i}", "N")
