"""Serving layouts: tp x pp a replica, the rest of the GPUs replicas; each replica's KV cache
(the room its busiest rank leaves, 16-bit weights and cache, SHARE of the GPU: vLLM's default,
nnsize.engines) and its decode rate at that many sequences (the rank's weights and cache read
at the card's bandwidth, plus 2 all-reduces a layer's latency and the pipeline's hops).  With
a tokens/s target (`target`), the replicas a target needs, at the speed model's decode rate,
fewest GPUs first."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

from ..engines import VLLM_ALLOCATION
from .interconnect import CATALOGUE, Interconnect
from .layout import Layout, LayoutError, check
from .rank import serving
from .search import divisors
from .shape import Shape

SHARE = VLLM_ALLOCATION.memory_fraction  # vLLM's gpu_memory_utilization default


@dataclass(frozen=True)
class Replica:
    layout: Layout
    replicas: int
    kv_tokens: int
    concurrency: float
    tokens_per_s: float  # all replicas, decoding as many sequences as the cache holds


@dataclass(frozen=True)
class Room:
    """A tp x pp replica shape that can run, and the KV cache its busiest rank has room for."""

    layout: Layout  # tp x pp, dp 1
    weight_bytes: int  # the busiest rank's weights
    kv_bytes_per_token: int  # the busiest rank's share of one token's cache
    kv_tokens: int  # what its room holds (SHARE of the card, less its weights), in 16-token blocks


def rooms(shape: Shape, gpus: int, gpu_bytes: int) -> Iterator[Room]:
    """Every tp x pp dividing gpus that passes the layout's checks and leaves room for a cache,
    16-bit weights and cache."""
    for tp in divisors(gpus):
        for pp in divisors(gpus // tp):
            t = Layout(tp=tp, pp=pp)
            try:
                check(shape, t, training=False)
            except LayoutError:
                continue
            r = serving(shape, t, Fraction(2), 16)
            room = int(gpu_bytes * SHARE) - r.weight_bytes
            if room <= 0 or not r.kv_bytes_per_token:
                continue
            yield Room(t, r.weight_bytes, r.kv_bytes_per_token,
                       room // r.kv_bytes_per_token // 16 * 16)


def replicas(shape: Shape, gpus: int, context: int, gpu_bytes: int, bandwidth: int,
             link: Interconnect = CATALOGUE["nvlink4"]) -> list[Replica]:
    """Every tp x pp that divides, with the rest of the GPUs replicas; fastest decode first."""
    out = []
    for r in rooms(shape, gpus, gpu_bytes):
        tp, pp = r.layout.tp, r.layout.pp
        t = Layout(tp=tp, pp=pp, dp=gpus // (tp * pp))
        seqs = r.kv_tokens // context
        if seqs < 1:
            continue
        read = r.weight_bytes + seqs * context * r.kv_bytes_per_token
        per_token = pp * (read / bandwidth if bandwidth else 0.0) + \
            2 * shape.layers * link.latency(tp) * (tp > 1) + (pp - 1) * link.latency_s
        out.append(Replica(t, t.dp, r.kv_tokens, r.kv_tokens / context,
                           t.dp * seqs / per_token if per_token else 0.0))
    out.sort(key=lambda c: -c.tokens_per_s)
    return out


@dataclass(frozen=True)
class Plan:
    """A replica shape (tp x pp) with as many replicas as a tokens/s target needs."""

    layout: Layout  # one replica: tp x pp, dp 1
    replicas: int  # replicas the target needs (ceil(target / tokens_per_s))
    batch: int  # sequences a replica decodes together
    memory_bytes: int  # the busiest rank: its weights and the batch's KV cache
    weight_bytes: int
    kv_tokens: int  # the cache a rank has room for (SHARE of the card, less its weights)
    tokens_per_s: float  # one replica's decode, as the rate function gives it

    @property
    def gpus(self) -> int:
        return self.replicas * self.layout.gpus

    @property
    def total_tokens_per_s(self) -> float:
        return self.replicas * self.tokens_per_s


# step_s(tp, sequences) -> seconds of one decode step of the whole model on tp cards at that
# batch: the speed model's (the caller passes it in: parallel/ sits below speed/)
StepTime = Callable[[int, int], float]


def target(shape: Shape, gpus: int, context: int, batch: int, gpu_bytes: int, step_s: StepTime,
           tokens_per_s: float) -> list[Plan]:
    """Every tp x pp replica whose ranks hold the weights and `batch` sequences of `context`
    tokens (batch 0: as many as the cache holds), with as many replicas as `tokens_per_s`
    needs; the ones that fit in `gpus`, fewest GPUs first (then the fastest).

    A replica's rate: with pp stages, vLLM keeps pp micro-batches in flight (its virtual
    engines), each of batch / pp sequences; a stage takes 1 / pp of a whole step, so the
    replica makes batch / step(tp, batch / pp) tokens a second (batch below pp: micro-batches
    of one sequence, batch / step(tp, 1))."""
    out = []
    for r in rooms(shape, gpus, gpu_bytes):
        tp, pp = r.layout.tp, r.layout.pp
        seqs = batch or r.kv_tokens // context
        if seqs < 1 or seqs * context > r.kv_tokens:
            continue
        rate = seqs / step_s(tp, max(1, seqs // pp))
        need = max(1, math.ceil(tokens_per_s / rate))
        if need * tp * pp > gpus:
            continue
        out.append(Plan(r.layout, need, seqs, r.weight_bytes + seqs * context *
                        r.kv_bytes_per_token, r.weight_bytes, r.kv_tokens, rate))
    out.sort(key=lambda p: (p.gpus, -p.total_tokens_per_s))
    return out
