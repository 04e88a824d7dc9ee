"""The memory planner: numbers only.  Each module one part of the sum; render/ writes it out.

    weights      parameters at each format's exact bits (what weight-only formats keep)
    kv_cache     keys and values per token per layer, as transformers fills the cache
    activations  what autograd saves for backward (each layer kind says what it saves)
    optimizers   optimizer.state as torch.optim keeps it
    setup        the planner's inputs, described once for the CLI and the web
    plan         the lines of a plan and their sum
    fit          will it fit: the largest batch, the longest context, the fewest GPUs
    compute      multiply-accumulates per token, prefill, decode
    peers        the same question under accelerate's and DeepSpeed's assumptions
"""

from __future__ import annotations

from .activations import decoder_activation_values, spec_activation_bytes
from .compute import Compute, compute
from .fit import Fit, fit
from .kv_cache import kv_cache
from .optimizers import optimizer_bytes
from .peers import as_tool
from .plan import Line, Note, Plan, plan
from .setup import MAX_TOKENS, OPTIMIZERS, SHARDING, Setup
from .weights import KEEP, parameter_memory, weight_bytes

__all__ = ["KEEP", "MAX_TOKENS", "OPTIMIZERS", "SHARDING", "Compute", "Fit", "Line", "Note",
           "Plan", "Setup", "as_tool", "compute", "decoder_activation_values", "fit", "kv_cache",
           "optimizer_bytes", "parameter_memory", "plan", "spec_activation_bytes",
           "weight_bytes"]
