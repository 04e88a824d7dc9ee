"""Serving layouts: tp x pp a replica, the rest of the GPUs replicas; each replica's KV cache
(the room its busiest rank leaves, 16-bit weights and cache, 90% of the GPU as vLLM takes it)
and its decode rate at that many sequences (the rank's weights and cache read at the card's
bandwidth, plus 2 all-reduces a layer's latency and the pipeline's hops)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .interconnect import CATALOGUE, Interconnect
from .layout import Layout, LayoutError, check
from .rank import serving
from .search import divisors
from .shape import Shape

SHARE = Fraction(9, 10)  # vLLM's gpu_memory_utilization default


@dataclass(frozen=True)
class Replica:
    layout: Layout
    replicas: int
    kv_tokens: int
    concurrency: float
    tokens_per_s: float  # all replicas, decoding as many sequences as the cache holds


def replicas(shape: Shape, gpus: int, context: int, gpu_bytes: int, bandwidth: int,
             link: Interconnect = CATALOGUE["nvlink4"]) -> list[Replica]:
    """Every tp x pp that divides, with the rest of the GPUs replicas; fastest decode first."""
    out = []
    for tp in divisors(gpus):
        for pp in divisors(gpus // tp):
            t = Layout(tp=tp, pp=pp, dp=gpus // (tp * pp))
            try:
                check(shape, t, training=False)
            except LayoutError:
                continue
            r = serving(shape, t, Fraction(2), 16)
            room = int(gpu_bytes * SHARE) - r.weight_bytes
            if room <= 0 or not r.kv_bytes_per_token:
                continue
            tokens = room // r.kv_bytes_per_token // 16 * 16
            seqs = tokens // context
            if seqs < 1:
                continue
            read = r.weight_bytes + seqs * context * r.kv_bytes_per_token
            per_token = pp * (read / bandwidth if bandwidth else 0.0) + \
                2 * shape.layers * link.latency(tp) * (tp > 1) + (pp - 1) * link.latency_s
            out.append(Replica(t, t.dp, tokens, tokens / context,
                               t.dp * seqs / per_token if per_token else 0.0))
    out.sort(key=lambda c: -c.tokens_per_s)
    return out
