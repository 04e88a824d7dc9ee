"""The memory planner: numbers only.  Each module one part of the sum; render/ writes it out.

    weights      parameters at each format's exact bits (what weight-only formats keep)
    kv_cache     keys and values per token per layer, as transformers fills the cache
    activations  what autograd saves for backward (each layer kind says what it saves; a
                 language model's training step as transformers runs it, measured)
    optimizers   optimizer.state as torch.optim keeps it
    setup        the planner's inputs, described once for the CLI and the web
    plan         the lines of a plan and their sum
    fit          will it fit: the largest batch, the longest context, the fewest GPUs
    compute      multiply-accumulates per token, prefill, decode
    peers        the same question under accelerate's and DeepSpeed's assumptions
    engines      inference as transformers, vLLM and llama.cpp serve it
    gguf_mix     llama.cpp's per-tensor types for its named mixes (Q4_K_M...)
    weight_only  what GPTQ, AWQ, bitsandbytes NF4 and FP8 leave unquantized
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .activations import Activations, activations, spec_activation_bytes
from .compute import Compute, compute
from .fit import Fit, fit
from .kv_cache import kv_cache
from .optimizers import optimizer_bytes
from .peers import as_tool, largest_module
from .plan import Plan, plan
from .setup import MAX_TOKENS, MIXED, OPTIMIZERS, SHARDING, Setup
from .weights import KEEP, parameter_memory, weight_bytes

if TYPE_CHECKING:
    from .lines import Line, Note

__all__ = ["KEEP", "MAX_TOKENS", "MIXED", "OPTIMIZERS", "SHARDING", "Activations", "Compute",
           "Fit", "Line", "Note", "Plan", "Setup", "activations", "as_tool", "compute", "fit",
           "kv_cache", "largest_module", "optimizer_bytes", "parameter_memory", "plan",
           "spec_activation_bytes", "weight_bytes"]


def __getattr__(name: str) -> Any:
    """Line and Note (the plan's records, lines.py), loaded when asked: a count does not."""
    if name in ("Line", "Note"):
        from . import lines

        return getattr(lines, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

