"""The memory planner's answers: `nnsize memory --json` (render.json.plan_dict), `nnsize fit
--json` (fit_dict), POST /api/memory, and the precisions it knows (`memory --list-dtypes`)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from .base import Integer, Real, Schema
from .parallel import Layout

__all__ = ["AsTool", "Dtype", "Fit", "KvCache", "MemoryAnswer", "Offload", "Plan", "PlanLine",
           "PrecisionFit", "Split"]


class PlanLine(Schema):
    name: str
    bytes: Integer
    binary: str
    decimal: str
    how: str
    exact: bool


class AsTool(Schema):
    tool: str
    bytes: Integer
    why: str


class Plan(Schema):
    """`nnsize memory --json`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    title: str
    total_bytes: Integer = Field(description="the sum of the lines")
    total_binary: str
    lines: list[PlanLine]
    notes: list[str]
    as_: AsTool | None = Field(None, alias="as")


class PrecisionFit(Schema):
    dtype: str
    bytes: Integer
    binary: str
    fits: bool


class KvGroup(Schema):
    layers: Integer
    window: Integer | None = Field(None, description="a sliding window's tokens; null: full "
                                                     "attention")
    token_bytes: Integer
    block_tokens: Integer
    state_bytes: Integer | None = Field(None, description="a state-space or linear-attention "
                                                          "layer's state on one rank (its "
                                                          "group's block: one request)")


class VllmModelCaching(Schema):
    values_as_keys: bool = Field(description="values padded to the keys' width")
    window_less: Integer = Field(description="vLLM's sliding window, this many tokens shorter "
                                             "than transformers'")
    source: str


class KvGroups(Schema):
    groups: list[KvGroup]
    group_size: Integer
    padding_layers: Integer
    page_bytes: Integer
    blocks: Integer
    request_blocks: Integer = Field(description="blocks one request of max_model_len tokens "
                                                "takes over the groups")
    attention_block_tokens: Integer | None = Field(
        None, description="vLLM's attention block raised so a page holds one state "
                          "(\"Setting attention block size to N tokens\")")
    state_bytes: Integer | None = Field(None, description="one state layer's state on one "
                                                          "rank, before padding")
    state_padding_percent: float | None = Field(
        None, description="the state padded to the attention page (\"Padding mamba page size "
                          "by X%\")")
    vllm_model_caching: VllmModelCaching | None = Field(
        None, description="where vLLM's model of the family caches otherwise than "
                          "transformers' (the plan's KV cache): the groups above are vLLM's")
    mamba_cache_mode: str | None = Field(
        None, description="how vLLM keeps the states: none (no prefix caching, vllm serve's "
                          "default for hybrid models: one state block a request in each state "
                          "group), align (--enable-prefix-caching: two) or all "
                          "(--mamba-cache-mode all: one a block of the request)")
    mamba_cache_mode_fell_back: bool | None = Field(
        None, description="true where all was asked of a model whose vLLM class keeps no "
                          "state a block: vLLM runs it in align")


class KvCache(Schema):
    engine: str
    total_bytes: Integer
    fraction: float
    budget_bytes: Integer
    weights_bytes: Integer
    allocator_rounding_bytes: Integer | None = Field(
        None, description="SGLang: what PyTorch's caching allocator reserves beyond the weight "
                          "tensors (its segments, which its load's free memory counts); in "
                          "weights_bytes")
    activation_bytes: Integer
    sampler_bytes: Integer
    overhead_bytes: Integer
    kv_bytes: Integer
    kv_bytes_per_token: Integer
    block_tokens: Integer
    max_model_len: Integer
    groups: KvGroups | None = Field(None, description="vLLM's KV cache groups where the "
                                                      "layers are not all alike")


class Offload(Schema):
    layers: Integer
    gpu_bytes: Integer
    cpu_bytes: Integer
    layer_bytes: Integer
    output_bytes: Integer
    compute_bytes: Integer


class Split(Schema):
    """Decode at llama.cpp's -ngl split."""

    ngl: Integer
    gpu_layers: Integer
    layers: Integer
    output_on_gpu: bool
    gpu_bytes: Integer
    cpu_bytes: Integer
    gpu_s: Real
    overhead_s: Real
    cpu_s: Real
    expected_s: Real
    tokens_per_s: Real
    cpu_bandwidth_bytes_per_s: Real
    cpu_bandwidth_source: str


class Fit(Schema):
    """`nnsize fit --json`."""

    gpu: str
    gpu_bytes: Integer
    usable_bytes: Integer
    usable_binary: str
    usable_rule: Literal["cuda_context", "macos", "vllm", "sglang"]
    fits: bool
    verdict: str
    lines: list[list[str]] = Field(description="the text output's sentences")
    total_bytes: Integer
    largest_batch: Integer | None
    longest_context: Integer | None = Field(description="null for a network that reads no "
                                                        "sequence")
    fewest_gpus: Integer | None
    kv_cache_tokens: Integer | None
    max_concurrency: Real | None
    layout: Layout | None
    precisions: list[PrecisionFit]
    kv_cache: KvCache | None = Field(None, description="vLLM's, SGLang's start-up figures")
    gpu_layers: Integer | None = Field(None, description="llama.cpp's")
    offload: Offload | None = None
    offload_refused: str | None = Field(None, description="why llama.cpp's -ngl split is not "
                                        "given (a model whose layers differ)")
    engine_lines: list[list[str]] | None = None
    gpu_layers_decode: Split | None = None


class MemoryAnswer(Schema):
    """POST /api/memory: the plan, and given a gpu, the fit."""

    plan: Plan
    fit: Fit | None = None


class Dtype(Schema):
    name: str
    bits: str = Field(description="exact bits per value, a fraction where not whole")
    description: str
