"""Measure what a model keeps alive, for the planner's differential tests.

kv_cache_bytes: the bytes of the KV cache transformers builds for a config at a batch and a
number of tokens (fp32, a causal LM from the config).

saved_bytes: the tensors autograd saves for backward (saved_tensors_hooks), one count per
storage, parameters and autocast's weight copies apart.  step_peak: a TorchDispatchMode that
tracks every storage an operation makes until it is freed, and the most alive at once during
forward and backward, the weights' gradients apart.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode


class _Casts(TorchDispatchMode):
    """Storages made by casting a parameter: autocast's weight copies."""

    def __init__(self, params: set[int]) -> None:
        super().__init__()
        self.params, self.casts = params, set()

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        if func is torch.ops.aten._to_copy.default and isinstance(args[0], torch.Tensor) and \
                args[0].untyped_storage().data_ptr() in self.params:
            self.casts.add(out.untyped_storage().data_ptr())
        return out


class _Live(TorchDispatchMode):
    """Live bytes of the storages made while active; the peak, weights' gradients apart."""

    def __init__(self, params: list[torch.nn.Parameter]) -> None:
        super().__init__()
        self.live: dict[int, int] = {}
        self.now = self.peak = self.grads = 0
        self.skip = {p.untyped_storage().data_ptr() for p in params}
        for p in params:
            if p.requires_grad:
                p.register_post_accumulate_grad_hook(self._grad)

    def _grad(self, p: torch.Tensor) -> None:
        assert p.grad is not None
        self.grads += p.grad.untyped_storage().nbytes()

    def _free(self, key: int) -> None:
        self.now -= self.live.pop(key)

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        self.peak = max(self.peak, self.now - self.grads)
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor):
                storage = t.untyped_storage()
                key = storage.data_ptr()
                if key not in self.live and key not in self.skip and storage.nbytes():
                    self.live[key] = storage.nbytes()
                    self.now += storage.nbytes()
                    weakref.finalize(storage, self._free, key)
        self.peak = max(self.peak, self.now - self.grads)
        return out


@dataclass(frozen=True)
class Measured:
    saved: int  # activations autograd keeps for backward
    casts: int  # autocast's copies of the weights, kept for backward too
    peak: int  # the most alive during the step, the weights' gradients apart


def _forward(model: Any, ids: torch.Tensor | dict[str, Any], autocast: bool) -> Any:
    """ids: token ids (a language model's input and labels), or the forward's inputs."""
    inputs = ids if isinstance(ids, dict) else {"input_ids": ids, "labels": ids}
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        return model(**inputs).loss


def measure(model: Any, ids: torch.Tensor | dict[str, Any], autocast: bool = False,
            peak: bool = True) -> Measured:
    """Saved bytes, autocast's copies and (when peak) the step's peak, gradients apart."""
    params = list(model.parameters())
    pointers = {p.untyped_storage().data_ptr() for p in params}
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    model.zero_grad(set_to_none=True)
    casts = _Casts(pointers)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), casts:
        loss = _forward(model, ids, autocast)
    del loss
    saved = sum(n for p, n in storages.items() if p not in pointers and p not in casts.casts)
    cast = sum(n for p, n in storages.items() if p in casts.casts)
    if not peak:
        return Measured(saved, cast, 0)
    live = _Live(params)
    with live:
        _forward(model, ids, autocast).backward()
    model.zero_grad(set_to_none=True)
    return Measured(saved, cast, live.peak)


def kv_cache_bytes(config: dict[str, Any], batch: int, tokens: int) -> int:
    """The keys' and values' bytes transformers' cache holds after one forward pass of batch x
    tokens ids through the causal LM the config builds (fp32)."""
    import warnings

    import transformers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[config["model_type"]](
            **{k: v for k, v in config.items() if k != "model_type"})
        model = transformers.AutoModelForCausalLM.from_config(cfg).eval()
    with torch.no_grad():
        ids = torch.randint(0, cfg.vocab_size, (batch, tokens))
        cache = model(ids, use_cache=True).past_key_values
    return int(sum(layer.keys.nbytes + layer.values.nbytes for layer in cache.layers))
