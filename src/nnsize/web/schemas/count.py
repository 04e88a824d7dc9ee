"""A count's answer: `nnsize --json` (render.json.report_dict), the page's view of it
(render.report), the count endpoints' answers, and what else a count answers: the presets,
its compute, its check against limits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Integer, Schema
from .typed import model

__all__ = ["Check", "CheckLine", "CheckpointAnswer", "Compute", "Contents", "Count",
           "CountAnswer", "HubAnswer", "Layer", "Preset", "StoredView", "TensorEntry", "View"]


def _contents() -> type[Schema]:
    from ...model.contents import Contents

    return model(Contents)


Contents = _contents()


class TensorEntry(Schema):
    name: str
    shape: list[Integer]
    role: str = Field(description="weight, bias, norm, embedding, statistic, other")
    trainable: bool
    buffer: bool
    numel: Integer
    copies: Integer | None = Field(None, description="entries this one stands for: a stack "
                                                     "of identical tensors, named with {i} "
                                                     "(layers.{i}.linear1.weight)")
    first_index: Integer | None = Field(None, description="with copies: the layer index the "
                                                          "first copy has")
    shared_with: str | None = None


class Layer(Schema):
    name: str = Field(description="its index in an nn.Sequential, or a range for repeats")
    label: str
    type: str
    input_shape: list[Integer]
    output_shape: list[Integer]
    repeat: Integer = Field(description="identical layers this row stands for")
    params: Integer = Field(description="all repeats")
    params_each: Integer
    weights: Integer
    biases: Integer
    buffers: Integer
    macs: Integer
    formula: str
    depth: Integer | None = None
    tensors: list[TensorEntry]


class Count(Schema):
    """The count: `nnsize --json`."""

    source: str = Field(description="what was counted")
    convention: str = Field(description="how: pytorch, keras, checkpoint, onnx...")
    input_shape: list[Integer]
    output_shape: list[Integer]
    total_params: Integer = Field(description="every parameter, trainable or not (= sum(p.numel() "
                                              "for p in model.parameters()), = Keras' "
                                              "count_params())")
    active_params: Integer = Field(description="used per token (less for mixture-of-experts)")
    trainable_params: Integer
    non_trainable_params: Integer
    weights: Integer = Field(description="trainable parameters by role: weights, biases and "
                                         "other_trainable sum to trainable_params")
    biases: Integer
    other_trainable: Integer
    buffers: Integer = Field(description="elements of buffers, not parameters (BatchNorm's "
                                         "running statistics)")
    macs: Integer = Field(description="one forward pass of one sample, or per token")
    flops: Integer = Field(description="2 x macs")
    macs_per: Literal["token"] | None = Field(None, description="a language model's: per token")
    memory: dict[str, Integer] = Field(description="bytes of the parameters per precision: "
                                                   "fp64, fp32, bf16, fp16, fp8, int8, int4, "
                                                   "1bit")
    stored: Contents | None = Field(None, description="what a file or a repo holds beside "  # type: ignore[valid-type]
                                                      "the count")
    layers: list[Layer]


class StoredView(Schema):
    summary: str
    headers: list[str]
    rows: list[list[str]]


class View(Schema):
    """The strings the page shows (render.report)."""

    headers: list[str]
    rows: list[list[str]]
    totals: list[tuple[str, str]]
    memory: list[list[str]]
    markdown: str
    explain: str = Field(description="empty past 500 rows")
    stored: StoredView | None = None


class CountAnswer(Schema):
    """POST /api/count, /api/config, /api/preset."""

    report: Count
    view: View


class CheckpointAnswer(CountAnswer):
    """POST /api/checkpoint."""

    summary: str | None = Field(None, description="JSON text: what the count read, which "
                                                  "/api/memory takes as checkpoint.summary")


class HubAnswer(CountAnswer):
    """POST /api/hub."""

    comparison: str = Field(description="the config against the checkpoint, in words")


class Preset(Schema):
    name: str
    kind: str
    description: str
    source: str


class Compute(Schema):
    """`nnsize compute --json`."""

    context: Integer
    linear_macs_per_token: Integer
    attention_macs_prefill: Integer
    scan_macs_per_token: Integer
    image_macs: Integer  # once a sequence: cross-attention's k and v of its images' tokens
    prefill_flops: Integer
    decode_flops: Integer
    training_flops_per_token: Integer


class CheckLine(Schema):
    what: str
    used: Integer
    limit: Integer
    ok: bool


class Check(Schema):
    """`nnsize check --json` (exit 1 when not ok)."""

    source: str
    ok: bool
    checks: list[CheckLine]
