"""How fast a language model runs: decode tokens per second, time to first token, training time.

Every figure comes twice.  The roofline bound: a step takes at least
max(bytes moved / memory bandwidth, FLOPs / peak FLOP/s), and whichever term is larger binds
(memory or compute); no engine does better.  The expected value: the same bytes and FLOPs at the
share of peak an engine reaches, plus its fixed cost per layer per step (kernel launches,
synchronisation), both fitted to published measurements (ENGINES says which).

Decode, one step for `batch` sequences at `context` tokens each:
  weight bytes  every matrix but the input embedding (looked up a row per token), at the
                weights' precision; a mixture-of-experts layer reads only the experts the batch
                picks: with k of n experts per token and uniform routing,
                n (1 - (1 - k/n)^batch) of them in expectation
  cache bytes   the whole KV cache of every sequence at that context (memory.kv_cache)
  FLOPs         batch x 2 x (active linear MACs + attention over the context) (memory.compute)
Prefill, a prompt of `prompt` tokens for each of `batch` sequences at once:
  FLOPs         batch x 2 x (linear MACs x prompt + causal attention over the prompt)
  bytes         the weights (the experts batch x prompt tokens touch) + the KV cache written
  eager scores  where the engine runs eager attention (transformers-eager; transformers for
                the families it runs eager, memory.eager.EAGER): each layer's steps over its
                batch x heads x prompt x prompt scores, the bytes each reads and writes a
                score (memory.eager.score_traffic: llama's 32 B at bf16, measured on the CPU),
                and its mask read once; at the card's bandwidth, added after the rest: eager
                attention runs them as kernels of their own, one after another
Training, per token: 3 x the forward FLOPs (forward, then backward for inputs and for weights),
  which is 6 x the active parameters plus attention, at a stated model-FLOPs utilisation.
Tensor parallel over g cards (Megatron-LM): weights, FLOPs and KV heads split g ways; each layer
  all-reduces its attention and its MLP output, a ring moving 2 (g - 1) / g x tokens x hidden x
  2 bytes per card each time over the card's link (latency not counted).
"""

from __future__ import annotations

from .engines import ENGINES, Engine, find_engine
from .hardware import FLOATS, PEAKS, Hardware, compute_precision, hardware, parse_bandwidth
from .inference import MAX_BATCH, MAX_TOKENS, Speed, Step, speed
from .setup import SpeedSetup, TrainingSetup, estimate, train
from .training import CHINCHILLA_TOKENS_PER_PARAM, Training, training
from .weights import Weights, weights_read

__all__ = ["CHINCHILLA_TOKENS_PER_PARAM", "ENGINES", "FLOATS", "MAX_BATCH", "MAX_TOKENS", "PEAKS",
           "Engine", "Hardware", "Speed", "SpeedSetup", "Step", "Training", "TrainingSetup",
           "Weights", "compute_precision", "estimate", "find_engine", "hardware",
           "parse_bandwidth", "speed", "train", "training", "weights_read"]
