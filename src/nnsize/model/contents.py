"""What a file or a repo holds beside the count (`Report.stored`), key by key.

Typed dicts, not records: the value is JSON that `nnsize --json` writes as it is, and part of it
comes from outside (a GGUF file's metadata, the Hub's answers).  A count imports this module
only for mypy (`TYPE_CHECKING`): the count path builds plain dicts and imports no `typing`;
web/schemas/ makes the API's answer models, and docs/json.md's tables, from these classes.

    {"format": "safetensors", "tensors": 291, "elements": ..., "bytes": ...,
     "dtypes": {"BF16": {"tensors": 291, "elements": ..., "bytes": ...}}, "quantized": false}
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated as Meaning  # a key's type and what it means (docs/json.md)
from typing import TypedDict

# a value of JSON from outside (a GGUF file's metadata): any shape, nothing read from it
JSON = str | int | float | bool | None | list["JSON"] | dict[str, "JSON"]


class DtypeTally(TypedDict):
    """The tensors a file stores in one dtype."""

    tensors: int
    elements: int
    bytes: int


# the model's own longest context, and where it says so ("from" is a keyword: the call form)
ContextLimit = TypedDict("ContextLimit", {
    "tokens": int, "from": Meaning[str, "where the model says so (a config key, a GGUF key)"]})


class HubInfo(TypedDict):
    """Where a Hub model was read from, and what reading it cost."""

    repo: str
    revision: str
    commit: str
    endpoint: str
    bytes_transferred: int
    requests: int
    cached_files: int
    offline: Meaning[str, "why nothing was fetched (HF_HUB_OFFLINE is set), or empty"]


class Differences(TypedDict):
    """Where a repo's config and its checkpoint differ."""

    same: Meaning[bool, "the same tensor names and shapes"]
    name: str
    reasons: Meaning[list[str], "why they differ, where nnsize knows"]
    config_params: int
    checkpoint_params: int
    only_config: Meaning[int, "tensors of the model the config builds, not stored"]
    only_checkpoint: Meaning[int, "tensors stored, not in the model"]
    shapes_differ: int
    tied_not_stored: Meaning[int, "tensors tied in the model, stored once or not at all"]
    examples_only_config: list[str]
    examples_only_checkpoint: list[str]
    examples_shapes: Meaning[list[tuple[str, list[int], list[int]]],
                             "name, the config's shape, the checkpoint's"]
    quantized: bool


class KeepsFp32(TypedDict):
    """What transformers keeps in float32 when it loads a model it built at bf16 or fp16: each
    a pattern searched in a tensor's name, "*" any run of characters and "." any character."""

    strict: Meaning[list[str], "its _keep_in_fp32_modules_strict: at bf16 and fp16"]
    fp16: Meaning[list[str], "its _keep_in_fp32_modules: at fp16 only"]
    created: Meaning[list[str], "the tensors its code creates in float32: at bf16 and fp16"]


def kept_in_fp32(patterns: Iterable[str], name: str) -> bool:
    """transformers' own test of a keep pattern against a tensor's name: any pattern searched
    in the name, "*" as ".*" (PreTrainedModel._get_dtype_plan's keys, matched by the loader)."""
    joined = "|".join(f"(?:{p.replace('*', '.*')})" for p in patterns)
    return bool(joined) and re.search(joined, name) is not None


class Contents(TypedDict, total=False):
    """What a file or a repo holds beside the count: each key where the source has it (a
    checkpoint's file, a Hub model or a model folder, a model transformers built)."""

    format: Meaning[str, "safetensors, pytorch, gguf, onnx...; a diffusers pipeline's formats"]
    tensors: Meaning[int, "tensors stored"]
    elements: int
    bytes: int
    dtypes: Meaning[dict[str, DtypeTally], "per stored dtype"]
    quantized: Meaning[bool, "the parameters counted are those of the unquantized model"]
    tied: Meaning[int, "tensors stored once under two names"]
    shards: int
    metadata: Meaning[dict[str, JSON], "a GGUF file's general.* keys"]
    context_limit: Meaning[ContextLimit, "the model's own longest context"]
    file_bytes: Meaning[int, "a Hub model's or a folder's checkpoint files"]
    header_bytes: Meaning[int, "what of them was read"]
    components: Meaning[dict[str, str | None],
                        "a diffusers pipeline's: the weights file read for each component "
                        "(null: it has none)"]
    hub: Meaning[HubInfo, "where a Hub model was read from"]
    differences: Meaning[Differences, "the config's count against the checkpoint's tensors"]
    config_error: Meaning[str, "why the config could not be counted (the count is the "
                               "checkpoint's)"]
    checkpoint: Meaning[str, "why there is no checkpoint to compare the config with"]
    counted_with: Meaning[str, "the class and transformers version that built the model"]
    built_from: Meaning[str, "the publisher's modeling code nnsize's builder follows, where "
                             "transformers has no class for the model_type"]
    build_ms: Meaning[int, "milliseconds it took, on the meta device"]
    planner_refused: Meaning[str, "why the memory planner, compute and speed refuse it"]
    keeps_fp32: Meaning[KeepsFp32, "what transformers keeps in float32 of the model it built, "
                                   "loaded at bf16 or fp16"]
    gpt_shape: Meaning[dict[str, int], "a plain GPT of the papers (--layers --hidden --heads): "
                                       "its numbers; its layers keep dropout masks"]
