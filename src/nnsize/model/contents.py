"""What a file or a repo holds beside the count (`Report.stored`), key by key.

Typed dicts, not records: the value is JSON that `nnsize --json` writes as it is, and part of it
comes from outside (a GGUF file's metadata, the Hub's answers).  A count imports this module
only for mypy (`TYPE_CHECKING`): the count path builds plain dicts and imports no `typing`;
web/schemas.py makes the API's answer models, and docs/json.md's tables, from these classes.

    {"format": "safetensors", "tensors": 291, "elements": ..., "bytes": ...,
     "dtypes": {"BF16": {"tensors": 291, "elements": ..., "bytes": ...}}, "quantized": false}
"""

from __future__ import annotations

from typing import TypedDict, Union

# a value of JSON from outside (a GGUF file's metadata): any shape, nothing read from it
JSON = Union[str, int, float, bool, None, list["JSON"], dict[str, "JSON"]]


class DtypeTally(TypedDict):
    """The tensors a file stores in one dtype."""

    tensors: int
    elements: int
    bytes: int


# the model's own longest context, and where it says so ("from" is a keyword: the call form)
ContextLimit = TypedDict("ContextLimit", {"tokens": int, "from": str})


class HubInfo(TypedDict):
    """Where a Hub model was read from, and what reading it cost."""

    repo: str
    revision: str
    commit: str
    endpoint: str
    bytes_transferred: int
    requests: int
    cached_files: int
    offline: str  # why nothing was fetched (HF_HUB_OFFLINE), or ""


class Differences(TypedDict):
    """Where a repo's config and its checkpoint differ (hub/repo.py's differences())."""

    same: bool
    name: str
    reasons: list[str]
    config_params: int
    checkpoint_params: int
    only_config: int
    only_checkpoint: int
    shapes_differ: int
    tied_not_stored: int
    examples_only_config: list[str]
    examples_only_checkpoint: list[str]
    examples_shapes: list[tuple[str, list[int], list[int]]]  # name, config's, checkpoint's
    quantized: bool


class Contents(TypedDict, total=False):
    """What a file or a repo holds beside the count: each key where the source has it."""

    # a checkpoint file (importers/tensors.py's checkpoint_report)
    format: str  # safetensors, pytorch, gguf, onnx...; a diffusers pipeline's: "a, b"
    tensors: int
    elements: int
    bytes: int
    dtypes: dict[str, DtypeTally]
    quantized: bool  # the parameters counted are those of the unquantized model
    tied: int  # tensors stored once under two names
    shards: int
    metadata: dict[str, JSON]  # a GGUF file's general.* keys
    context_limit: ContextLimit
    # a Hub repo or a model folder
    file_bytes: int  # the checkpoint's files
    header_bytes: int  # what of them was read
    components: dict[str, str | None]  # a diffusers pipeline's: the weights read for each
    hub: HubInfo
    differences: Differences
    config_error: str  # why the config could not be counted (the count is the checkpoint's)
    checkpoint: str  # why there is no checkpoint to compare the config with
    # a model counted by building it with transformers (architectures/fallback.py)
    counted_with: str
    build_ms: int
    planner_refused: str  # why the memory planner, compute and speed refuse it
