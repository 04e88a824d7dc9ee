"""What the API's endpoints take: the request models (pydantic), and the setups their fields
describe.  The setups' fields are described once (memory.setup.Setup, speed.setup) and each
becomes a field here, as the CLI has them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, create_model

from ..importers import FORMATS
from .guard import HEADER_LIMIT, JSON_LIMIT
from .hub import NAME_LIMIT

__all__ = ["CheckpointHeader", "ConfigRequest", "CountRequest", "GptShape", "GrowthRequest",
           "HeaderFormat", "Numbers", "PlanRequest", "PresetRequest", "SpeedRequest",
           "TrainTimeRequest"]

Numbers = Literal["int", "string"]
# the formats read from a file's first bytes, from the importers' one table
if TYPE_CHECKING:
    HeaderFormat = str
else:
    HeaderFormat = Literal[tuple(f.name for f in FORMATS if f.from_bytes)]


class CountRequest(BaseModel):
    """Exactly one of: network (an MLP shorthand), spec (a layer spec), or the calculator's
    four numbers."""

    model_config = ConfigDict(extra="forbid")
    network: str | None = Field(None, max_length=10_000, examples=["10-20-20-20-2"])
    spec: dict[str, Any] | None = None
    inputs: int | None = None
    hidden_layers: int | None = None
    neurons: int | None = None
    outputs: int | None = None
    convention: Literal["pytorch", "keras"] = "pytorch"


class ConfigRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    config: dict[str, Any]
    base: StrictBool = False  # true or false: 0 and "no" are refused, not read as false


class GrowthRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    network: str = Field(max_length=10_000, examples=["10-20-20-20-2"])


class GptShape(BaseModel):
    """A plain GPT of the papers (architectures.gpt_shape), as --layers --hidden --heads
    [--kv-heads --ffn --vocab] give it: 0 for kv_heads is one per head, for ffn 4 x hidden."""

    model_config = ConfigDict(extra="forbid")
    layers: int = Field(ge=1, le=100_000, examples=[96])
    hidden: int = Field(ge=1, le=1_000_000, examples=[12288])
    heads: int = Field(ge=1, le=100_000, examples=[96])
    kv_heads: int = Field(0, ge=0, le=100_000)
    ffn: int = Field(0, ge=0, le=10_000_000)
    vocab: int = Field(51200, ge=1, le=10_000_000)


class CheckpointHeader(BaseModel):
    """A checkpoint's first bytes, base64, as /api/checkpoint takes them raw, or the summary
    /api/checkpoint answered for them (importers.summary: a few hundred bytes, checked as a
    header is): the page plans a dropped file with them."""

    model_config = ConfigDict(extra="forbid")
    format: HeaderFormat
    file_size: int = Field(ge=0, le=2**62)
    name: str = Field("checkpoint", max_length=500)
    header: str | None = Field(None, max_length=(HEADER_LIMIT + 2) // 3 * 4)
    # JSON text, as /api/checkpoint answers it: its numbers pass through a browser unrounded
    summary: str | None = Field(None, max_length=JSON_LIMIT)


def _setup_field(f: Any) -> tuple[Any, Any]:
    """A pydantic field for one field of a setup described once (memory.setup.Setup,
    speed.setup), from its type and metadata."""
    m = f.metadata
    if f.type == "bool":
        return StrictBool, f.default
    if f.type in ("int", "int | None", "float", "float | None"):
        kind: Any = {"int": int, "int | None": int | None, "float": float,
                     "float | None": float | None}[f.type]
        return kind, Field(f.default, ge=m["low"], le=m["high"], description=m["help"])
    if m["listed"]:
        return list[str], Field(list(f.default), max_length=64, description=m["help"])
    if m["choices"]:
        # "" where a setting's default is chosen from the rest of the request (the engine)
        allowed = m["choices"] if f.default in m["choices"] else ("", *m["choices"])
        return Literal[allowed], Field(f.default, description=m["help"])
    kind = str | None if f.type == "str | None" else str
    return kind, Field(f.default, max_length=m["max_length"], description=m["help"])


def _request(name: str, doc: str | None, fields: dict[str, Any]) -> type[BaseModel]:
    return create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=doc, **fields)


def _plan_request() -> type[BaseModel]:
    """A model (one of network, spec, config, preset, gpt, checkpoint, hub), the planner's setup
    (every field of memory.setup.Setup, as the CLI has them) and, for fit, a gpu."""
    from ..memory.setup import setup_fields

    fields: dict[str, Any] = {
        "network": (str | None, Field(None, max_length=10_000)),
        "spec": (dict[str, Any] | None, None),
        "config": (dict[str, Any] | None, None),
        "preset": (str | None, Field(None, max_length=200)),
        "gpt": (GptShape | None, None),  # a plain GPT shape
        "checkpoint": (CheckpointHeader | None, None),
        "hub": (str | None, Field(None, max_length=NAME_LIMIT)),  # a Hub model's name
        **{f.name: _setup_field(f) for f in setup_fields()},
        "gpu": (str | None, Field(None, max_length=40, examples=["rtx-4090", "24GiB"])),
    }
    return _request("PlanRequest", _plan_request.__doc__, fields)


def _language_model_request(name: str, described: list[Any], doc: str) -> type[BaseModel]:
    """A language model (config, preset, gpt or hub) and every field of a setup, as the CLI has
    them."""
    fields: dict[str, Any] = {
        "config": (dict[str, Any] | None, None),
        "preset": (str | None, Field(None, max_length=200, examples=["llama-3.1-8b"])),
        "gpt": (GptShape | None, None),  # a plain GPT shape
        "hub": (str | None, Field(None, max_length=NAME_LIMIT)),  # a Hub model's name
        **{f.name: _setup_field(f) for f in described},
    }
    return _request(name, doc, fields)


PlanRequest = _plan_request()


def _from_body(cls: Any, described: list[Any], body: Any) -> Any:
    """The setup (an instance of cls) a request's fields describe."""
    values: dict[str, Any] = {}
    for f in described:  # lists (lora_targets, keep) become the setup's tuples
        value = getattr(body, f.name)
        values[f.name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


def _setup(body: Any) -> Any:
    from ..memory.setup import Setup, setup_fields

    return _from_body(Setup, setup_fields(), body)


def _speed_requests() -> tuple[type[BaseModel], type[BaseModel]]:
    from ..speed.setup import speed_fields, training_fields

    return (_language_model_request("SpeedRequest", speed_fields(), "A language model "
                                    "(config or preset) and the options of nnsize speed."),
            _language_model_request("TrainTimeRequest", training_fields(), "A language model "
                                    "(config or preset) and the options of nnsize train-time."))


SpeedRequest, TrainTimeRequest = _speed_requests()


class PresetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200, examples=["llama-3.1-8b"])
    base: StrictBool = False
    actions: int | None = Field(None, ge=1, le=1_000_000)
