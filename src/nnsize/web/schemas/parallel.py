"""Parallel layouts: a layout's degrees, and `nnsize layout --json` in each of its modes
(render.parallel's search_dict for training, cli/layout.py's serving replicas and link
catalogue, render.parallel's target_dict for a decode target)."""

from __future__ import annotations

from pydantic import Field

from .base import Integer, Real, Schema

__all__ = ["Interconnect", "Layout", "LayoutChoice", "LayoutSearch", "LayoutTarget",
           "ParallelLayout", "ServingReplicas", "TargetReplicas", "Why"]


class Layout(Schema):
    tp: Integer
    pp: Integer
    vp: Integer
    dp: Integer
    cp: Integer
    ep: Integer
    sp: bool
    zero: Integer
    fsdp: str | None
    micro_batch: Integer
    global_batch: Integer | None
    micro_batches: Integer
    recompute: str
    gpus: Integer
    nodes: Integer
    attention: str
    grad_dtype: str = Field(description="what the gradients are kept in: 16-bit (the "
                            "weights' own), bf16, fp16, fp32, bf16+fp32 (DeepSpeed's "
                            "BF16_Optimizer)")


class ParallelLayout(Layout):
    """A layout in the layout command's answers: the fields of Layout (memory, train-time)."""


class LayoutChoice(Schema):
    layout: ParallelLayout
    describe: str
    step_time_s: Real
    step_terms_s: dict[str, Real]
    mfu: Real
    tflops_per_gpu: Real
    tokens_per_s_per_gpu: Real
    memory_per_gpu_bytes: Integer


class Why(Schema):
    term: str = Field(description="the step's term that separates the best from the next")
    best_s: Real
    next_s: Real


class LayoutSearch(Schema):
    """`nnsize layout --json`: the fastest layouts that fit, best first."""

    model: str
    gpu: str
    gpus: Integer
    count: Integer = Field(description="layouts that fit")
    why: Why | None
    layouts: list[LayoutChoice]


class ServingReplicas(Schema):
    """`nnsize layout --serve --json`: a list, one a replica shape (tp x pp) with the rest of
    the GPUs its replicas, fastest decode first."""

    layout: ParallelLayout = Field(description="dp: the replicas")
    replicas: Integer
    kv_cache_tokens: Integer = Field(description="what a replica's busiest rank has room for "
                                                 "(vLLM's default share of the card less "
                                                 "its weights), in "
                                                 "16-token blocks")
    max_concurrency: Real = Field(description="sequences of the full context the cache holds "
                                              "at once")
    decode_tokens_per_s: Real = Field(description="all replicas, each decoding as many "
                                                  "sequences as its cache holds")


class TargetReplicas(Schema):
    layout: ParallelLayout = Field(description="one replica: tp x pp, dp 1")
    replicas: Integer = Field(description="replicas the target needs")
    gpus: Integer = Field(description="replicas x tp x pp")
    sequences_per_replica: Integer = Field(description="decoded together: --batch, or as many "
                                                       "as the cache holds")
    memory_per_gpu_bytes: Integer = Field(description="the busiest rank: its weights and the "
                                                      "sequences' KV cache")
    weight_bytes_per_gpu: Integer
    kv_cache_tokens: Integer = Field(description="the cache a rank has room for")
    decode_tokens_per_s_per_replica: Real = Field(description="the speed model's, at the "
                                                              "replica's tp and batch")
    decode_tokens_per_s: Real = Field(description="all replicas")


class LayoutTarget(Schema):
    """`nnsize layout --serve --tokens-per-s N --json`: the replica shapes that meet a decode
    target within the GPUs, fewest GPUs first."""

    model: str
    gpu: str
    gpus: Integer = Field(description="at most")
    context: Integer
    engine: str = Field(description="whose fitted efficiency the speed model uses")
    tokens_per_s_target: Real
    count: Integer = Field(description="replica shapes that meet it")
    layouts: list[TargetReplicas]


class Interconnect(Schema):
    """`nnsize layout --list-interconnects --json`: a list, one a link."""

    name: str
    bandwidth: Integer = Field(description="bytes/s one GPU sends one way")
    within_node: bool
    latency_s: Real = Field(description="a collective's")
    hop_s: Real = Field(description="per doubling of the ranks, beyond the latency")
    source: str
