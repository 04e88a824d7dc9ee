"""Speed's answers: `nnsize speed --json` and POST /api/speed (render.json.speed_dict), and the
GPU catalogue (`speed --list-gpus`, GET /api/gpus: render.json.gpu_list)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import Integer, Real, Schema
from .plan import Split

__all__ = ["Decode", "Engine", "Gpu", "Hardware", "Link", "Planner", "Prefill", "Rates",
           "SpeedAnswer", "SpeedLink", "Step"]


class Link(Schema):
    name: str
    bandwidth: Integer
    source: str


class Gpu(BaseModel):
    """One GPU of the catalogue; its other keys are peak_<precision>: dense FLOP/s."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Integer] = Field(init=False)
    name: str
    bytes: Integer
    bandwidth: Integer = Field(description="bytes/s")
    link: Link | None
    note: str
    source: str = Field(description="of the memory")
    spec_source: str = Field(description="of the bandwidth and the peaks")
    verified: bool
    checked: str


class SpeedLink(Schema):
    name: str
    bandwidth_bytes_per_s: Integer


class Hardware(Schema):
    gpu: str
    gpus: Integer
    bandwidth_bytes_per_s: Integer
    peak_flops: Integer
    compute_dtype: str
    link: SpeedLink | None
    source: str


class Engine(Schema):
    name: str
    bandwidth_share: Real
    compute_share: Real
    layer_overhead_s: Real
    token_overhead_s: Real
    call_overhead_s: Real = Field(description="prefill: seconds per call (one forward pass)")
    sequence_overhead_s: Real = Field(description="decode: seconds per layer per sequence "
                                                  "beyond the first")
    fitted_on: str = Field(description="the group the figures were fitted on; \"\": all")
    source: str
    measured: bool = Field(description="false where nothing published was fitted")


class Rates(Schema):
    roofline: Real
    expected: Real


class Step(Schema):
    weight_bytes: Integer
    cache_bytes: Integer
    bytes: Integer
    flops: Integer
    allreduce_bytes: Integer = Field(description="per card")
    memory_s: Real
    compute_s: Real
    allreduce_s: Real
    overhead_s: Real
    eager_scores_bytes: Integer = Field(description="eager attention's prefill traffic over "
                                                    "its scores, per card; 0: none")
    eager_scores_s: Real = Field(description="eager_scores_bytes at the card's bandwidth, "
                                             "added to the roofline and the expected time")
    bound: Literal["memory", "compute", "interconnect"]
    roofline_s: Real
    expected_s: Real
    tokens_per_s: Rates


class Decode(Step):
    tokens_per_s_per_sequence: Rates
    compute_bound_batch: Integer | None = Field(description="null: never")


class Prefill(Step):
    time_to_first_token_s: Rates


class Planner(Schema):
    fits: bool
    needed_bytes: Integer
    usable_bytes: Integer


class SpeedAnswer(Schema):
    """`nnsize speed --json`, POST /api/speed."""

    model: str
    dtype: str
    gguf_mix: bool = Field(description="true: dtype names a llama.cpp mix")
    kv_dtype: str
    batch: Integer
    context: Integer
    prompt: Integer
    layers: Integer
    state_bytes: Integer = Field(description="a state-space model's state, in cache_bytes")
    hardware: Hardware
    engine: Engine
    decode: Decode
    prefill: Prefill
    offload: Split | None
    notes: list[str]
    planner: Planner | None = Field(None, description="the memory planner's word on the "
                                                      "same setup")
