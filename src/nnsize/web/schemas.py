"""What each endpoint answers, as pydantic models: the 200 responses of the OpenAPI schema and
the JSON schemas in docs/json.md, both generated from these.

They describe the dicts render/json.py (and render/parallel.py's run_dict) build; a count's
`stored` is model/contents.py's typed dicts, made models here (_model); the server
does not validate its answers against them (the children write JSON bytes already:
web/pool.py), tests/web/test_schemas.py does, for real answers of every endpoint.

Integers are JSON integers, or strings of their digits where the answer carries strings (the
count endpoints with numbers=string; memory, speed, train-time, growth and gpus always), so a
browser never rounds one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["ANSWERS", "COMMANDS", "Integer", "Real", "documented"]

# an exact integer: a JSON integer, or its digits as a string (render.json.strings)
Integer = int | Annotated[str, StringConstraints(pattern=r"^-?[0-9]+$")]
# a float, or an integer the same way (a value that may be whole, e.g. 0 seconds)
Real = float | Integer


class Schema(BaseModel):
    """An answer's object: every key listed, no other."""

    model_config = ConfigDict(extra="forbid")


# --- what a file holds beside a count (model/contents.py's typed dicts, made models) ----------

def _field(hint: Any) -> Any:
    """A typed dict's type as a model's: its ints Integer, its typed dicts models, its JSON any
    JSON value."""
    from types import UnionType
    from typing import Union, get_args, get_origin, is_typeddict

    from pydantic import JsonValue

    from ..model import contents

    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, UnionType) and args[:5] == get_args(contents.JSON)[:5]:  # JSON
        return JsonValue
    if is_typeddict(hint):
        return _model(hint)
    if hint is int:
        return Integer
    if origin is None:
        return hint
    if origin in (Union, UnionType):
        return Union[tuple(_field(a) for a in args)]  # noqa: UP007 (of a tuple made here)
    return origin[tuple(_field(a) for a in args)]


_MODELS: dict[str, type[Schema]] = {}


def _model(td: Any) -> type[Schema]:
    """The model of a typed dict: the same keys, its required ones required, no other key."""
    import keyword
    from typing import get_args, get_type_hints

    from pydantic import create_model

    if td.__name__ not in _MODELS:
        fields: dict[str, Any] = {}
        for key, hint in get_type_hints(td, include_extras=True).items():
            meaning = None
            if hasattr(hint, "__metadata__"):  # Annotated[type, "what it means"]
                hint, meaning = get_args(hint)[0], hint.__metadata__[0]
            default = ... if key in td.__required_keys__ else None
            name = key + "_" if keyword.iskeyword(key) else key  # "from": by its alias
            fields[name] = (_field(hint), Field(default, alias=key if name != key else None,
                                                description=meaning))
        doc = " ".join((td.__doc__ or "").split())
        _MODELS[td.__name__] = create_model(td.__name__, __base__=Schema, __doc__=doc,
                                            **fields)
    return _MODELS[td.__name__]


def _contents() -> type[Schema]:
    from ..model.contents import Contents

    return _model(Contents)


Contents = _contents()


# --- a count (render.json.report_dict, and the page's view of it: render.report) -------------

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


# --- the planner (render.json.plan_dict, fit_dict) --------------------------------------------

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


class PrecisionFit(Schema):
    dtype: str
    bytes: Integer
    binary: str
    fits: bool


class KvCache(Schema):
    engine: str
    total_bytes: Integer
    fraction: float
    budget_bytes: Integer
    weights_bytes: Integer
    activation_bytes: Integer
    sampler_bytes: Integer
    overhead_bytes: Integer
    kv_bytes: Integer
    kv_bytes_per_token: Integer
    block_tokens: Integer
    max_model_len: Integer


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
    engine_lines: list[list[str]] | None = None
    gpu_layers_decode: Split | None = None


class MemoryAnswer(Schema):
    """POST /api/memory: the plan, and given a gpu, the fit."""

    plan: Plan
    fit: Fit | None = None


# --- the design tools -------------------------------------------------------------------------

class Series(Schema):
    fixed: Integer = Field(description="the other size, held")
    sizes: list[Integer]
    params: list[Integer]
    exponent: float = Field(description="parameters ~ size^exponent between the last two "
                                        "points")


class GrowthAnswer(Schema):
    """POST /api/growth."""

    width: Series
    depth: Series


class Preset(Schema):
    name: str
    kind: str
    description: str
    source: str


class Dtype(Schema):
    name: str
    bits: str = Field(description="exact bits per value, a fraction where not whole")
    description: str


# --- speed (render.json.gpu_list, speed_dict, training_dict; render.parallel.run_dict) --------

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


class TrainTime(Schema):
    """`nnsize train-time --json` without a layout."""

    model: str
    tokens: Integer
    context: Integer
    batch: Integer
    gpu: str
    gpus: Integer
    peak_flops: Integer
    compute_dtype: str
    mfu: Real
    flops_per_token: Integer
    six_n_flops_per_token: Integer
    attention_flops_per_token: Integer
    total_flops: Integer
    seconds: Rates
    step_seconds: Rates
    steps: Integer
    params: Integer
    chinchilla_tokens: Integer


class MemoryPart(Schema):
    part: str
    bytes: Integer


class Links(Schema):
    node: str
    network: str


class TrainRun(Schema):
    """`nnsize train-time --json` with a parallel layout."""

    model: str
    gpu: str
    gpus: Integer
    layout: Layout
    describe: str
    tokens: Integer
    context: Integer
    steps: Integer
    step_time_s: Real
    step_terms_s: dict[str, Real]
    context_parallel_s_overlapped: Real
    bubble_fraction: Real
    tokens_per_step: Integer
    tokens_per_s_per_gpu: Real
    tflops_per_gpu: Real
    mfu: Real
    memory_per_gpu_bytes: Integer
    memory_stage: Literal["first", "last", "only"]
    memory_lines: list[MemoryPart]
    usable_bytes: Integer
    fits: bool
    seconds: Real
    days: Real
    gpu_hours: Real
    cost: Real | None
    links: Links


class Compute(Schema):
    """`nnsize compute --json`."""

    context: Integer
    linear_macs_per_token: Integer
    attention_macs_prefill: Integer
    scan_macs_per_token: Integer
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


# what each endpoint answers, by path: the app declares these as its 200 responses
# --- the commands without an endpoint -----------------------------------------------------------

class Summary(Count):
    """`nnsize compare --json`: a list of counts, one a network."""

    layers: Integer = Field(description="the number of layers, instead of the rows")  # type: ignore[assignment]


class DiffSide(Schema):
    source: str
    total_params: Integer


class Mismatch(Schema):
    name: str
    a: list[Integer]
    b: list[Integer]


class Diff(Schema):
    """`nnsize diff --json` (exit 1 when they differ)."""

    a: DiffSide
    b: DiffSide
    same: bool
    only_a: list[str]
    only_b: list[str]
    mismatched: list[Mismatch] = Field(description="tensors of both, of other shapes")
    tied_not_stored: list[str] = Field(description="tied in one, absent from the other: the "
                                                   "same model")
    fused_experts: list[str] = Field(description="expert groups matched in fused form")
    gguf_names: Literal["A", "B"] | None = Field(description="that side renamed as GGUF names "
                                                             "tensors, against a GGUF file")


class SearchCandidate(Schema):
    label: str
    sizes: dict[str, Integer]
    params: Integer


class Pareto(Schema):
    axis: str = Field(description="the size along which the frontier runs; \"\": none")
    candidates: list[SearchCandidate]


class Search(Schema):
    """`nnsize search --json`."""

    family: str
    space: Integer = Field(description="the designs searched")
    fitting: Integer = Field(description="those within the budget")
    budget_params: Integer
    candidates: list[SearchCandidate] = Field(description="the largest that fit")
    pareto: Pareto


class Scales(Schema):
    """`nnsize init --json`: a list, one a weight."""

    name: str
    shape: list[Integer]
    fan_in: Integer
    fan_out: Integer
    xavier_uniform_bound: Real
    xavier_normal_std: Real
    kaiming_uniform_bound_fan_in: Real
    kaiming_normal_std_fan_in: Real
    kaiming_uniform_bound_fan_out: Real
    kaiming_normal_std_fan_out: Real
    lecun_normal_std: Real
    orthogonal_std: Real


class SparseTensor(Schema):
    """`nnsize sparsity --json`: a list, one a weight."""

    name: str
    shape: list[Integer]
    sparsity: Real
    nonzeros: Integer
    bytes: dict[str, Integer] = Field(description="per storage format (dense, coo, csr, csc, "
                                                  "bitmask, 2:4)")
    break_even: dict[str, Real] = Field(description="the sparsity past which each format "
                                                    "takes fewer bytes than dense")


class ParallelLayout(Schema):
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


ANSWERS: dict[str, Any] = {
    "/api/count": CountAnswer,
    "/api/config": CountAnswer,
    "/api/preset": CountAnswer,
    "/api/checkpoint": CheckpointAnswer,
    "/api/hub": HubAnswer,
    "/api/growth": GrowthAnswer,
    "/api/memory": MemoryAnswer,
    "/api/speed": SpeedAnswer,
    "/api/train-time": TrainTime | TrainRun,
    "/api/presets": list[Preset],
    "/api/dtypes": list[Dtype],
    "/api/gpus": list[Gpu],
    "/api/layers": list[str],
}

# what each command prints with --json (its words after `nnsize`), the API's models where it
# has an endpoint; tests/test_golden.py's JSON files validate against these
COMMANDS: dict[str, Any] = {
    "": Count, "compare": list[Summary], "memory": Plan, "fit": Fit, "compute": Compute,
    "speed": SpeedAnswer, "train-time": TrainTime | TrainRun, "layout": LayoutSearch,
    "growth": GrowthAnswer, "presets": list[Preset], "memory --list-dtypes": list[Dtype],
    "speed --list-gpus": list[Gpu], "check": Check, "diff": Diff, "search": Search,
    "init": list[Scales], "sparsity": list[SparseTensor],
}


def _named(kind: Any) -> str:
    """A type of ANSWERS in words: a model's name, a list of one, one of several."""
    from typing import get_args, get_origin

    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return f"[{kind.__name__}](#{kind.__name__.lower()})"
    if get_origin(kind) is list:
        return f"a list of {_named(get_args(kind)[0])}"
    if kind is str:
        return "string"
    return " or ".join(_named(k) for k in get_args(kind))


def _models(kind: Any) -> list[type[BaseModel]]:
    from typing import get_args

    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return [kind]
    return [m for k in get_args(kind) for m in _models(k)]


def _type(schema: dict[str, Any]) -> str:
    """A property's JSON schema in words (Integer: an integer, exact, perhaps as a string)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return "any JSON" if name == "JsonValue" else f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        kinds = schema["anyOf"]
        if [k.get("type") for k in kinds] == ["integer", "string"]:
            return "integer"
        if [k.get("type") for k in kinds] == ["number", "integer", "string"]:
            return "number"
        return " or ".join(dict.fromkeys(_type(k) for k in kinds))
    if "enum" in schema or "const" in schema:
        return " or ".join(f'`"{v}"`' for v in schema.get("enum", [schema.get("const")]))
    kind = schema.get("type")
    if kind == "array":
        if "prefixItems" in schema:
            return "[" + ", ".join(_type(k) for k in schema["prefixItems"]) + "]"
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object":
        extra = schema.get("additionalProperties")
        return f"object of {_type(extra)}" if isinstance(extra, dict) else "object"
    return {"string": "string", "boolean": "boolean", "number": "number", "integer": "integer",
            "null": "null"}.get(str(kind), "any")


def documented() -> str:
    """docs/json.md's generated part, from the models' JSON schemas: which schema each
    endpoint answers, and each schema's keys (a table per model)."""
    from pydantic.json_schema import models_json_schema

    rows = ["| endpoint | answers |", "| --- | --- |",
            *(f"| `{path}` | {_named(kind)} |" for path, kind in ANSWERS.items()),
            *(f"| `{' '.join(['nnsize', *name.split(), '--json'])}` | {_named(kind)} |"
              for name, kind in COMMANDS.items())]
    models = list(dict.fromkeys(m for kind in (*ANSWERS.values(), *COMMANDS.values())
                                for m in _models(kind)))
    _, schema = models_json_schema([(m, "serialization") for m in models])
    out = ["\n".join(rows)]
    for name, one in schema["$defs"].items():
        if name == "JsonValue":  # JSON from outside (a GGUF file's metadata): no keys
            continue
        lines = [f"### {name}", ""]
        if one.get("description"):
            lines += [" ".join(one["description"].split()), ""]
        lines += ["| key | type | meaning |", "| --- | --- | --- |"]
        required = set(one.get("required", ()))
        for key, prop in one["properties"].items():
            kind = _type(prop) + ("" if key in required else ", or absent")
            meaning = " ".join(prop.get("description", "").split()).replace("|", "\\|")
            lines.append(f"| `{key}` | {kind} | {meaning} |")
        extra = one.get("additionalProperties")
        if isinstance(extra, dict):
            lines.append(f"| other keys | {_type(extra)} | |")
        out.append("\n".join(lines))
    return "\n\n".join(out)
