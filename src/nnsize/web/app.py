"""The HTTP API and the page.  Everything the page shows comes from these endpoints.

The API counts what it is sent and nothing else: it opens no path it is given (a network is a
shorthand, a spec object, a config object, a preset name or the header bytes of a checkpoint),
writes nothing to disk (but the Hub cache, for /api/hub: web/hub.py), and answers bad input with a
4xx carrying the CLI's message.  Requests
are limited in size (1 MiB for JSON, 16 MiB for checkpoint headers) and in time (guard.py; all
documented in the README).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, StrictBool, create_model

from ..errors import NnsizeError
from ..importers import FORMATS
from ..model import Report
from ..version import __version__
from .guard import HEADER_LIMIT, JSON_LIMIT, PLAN_LIMIT, REQUEST_SECONDS, Guard
from .hub import NAME_LIMIT, HubRequest
from .pool import compute, from_hub
from .schemas import ANSWERS

__all__ = ["HEADER_LIMIT", "JSON_LIMIT", "create_app"]

STATIC = Path(__file__).parent / "static"
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
    """A model (one of network, spec, config, preset, checkpoint, hub), the planner's setup
    (every field of memory.setup.Setup, as the CLI has them) and, for fit, a gpu."""
    from ..memory.setup import setup_fields

    fields: dict[str, Any] = {
        "network": (str | None, Field(None, max_length=10_000)),
        "spec": (dict[str, Any] | None, None),
        "config": (dict[str, Any] | None, None),
        "preset": (str | None, Field(None, max_length=200)),
        "checkpoint": (CheckpointHeader | None, None),
        "hub": (str | None, Field(None, max_length=NAME_LIMIT)),  # a Hub model's name
        **{f.name: _setup_field(f) for f in setup_fields()},
        "gpu": (str | None, Field(None, max_length=40, examples=["rtx-4090", "24GiB"])),
    }
    return _request("PlanRequest", _plan_request.__doc__, fields)


def _language_model_request(name: str, described: list[Any], doc: str) -> type[BaseModel]:
    """A language model (config or preset) and every field of a setup, as the CLI has them."""
    fields: dict[str, Any] = {
        "config": (dict[str, Any] | None, None),
        "preset": (str | None, Field(None, max_length=200, examples=["llama-3.1-8b"])),
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


def _language_model(body: Any, hub: bool = False) -> Report:
    if sum(x is not None for x in (body.config, body.preset, body.hub)) != 1:
        raise NnsizeError("give exactly one of: config, preset, hub")
    if body.hub is not None:
        if not hub:
            raise NnsizeError("hub: this server reads no model from the Hugging Face Hub")
        from .hub import count_hub

        return count_hub(body.hub)
    if body.preset is not None:
        from ..architectures.presets import find

        return find(body.preset).count(None)
    from ..architectures import count_config

    return count_config(body.config)


def _checkpoint(fmt: str, data: bytes, file_size: int, name: str) -> Report:
    """A checkpoint counted from its first bytes, by the importers' table."""
    from ..importers import find_format

    load = find_format(fmt).loader()
    report: Report = load(name, data, file_size) if fmt == "safetensors" else load(name, data)
    return report


def _one_model(body: Any) -> None:
    given = [x for x in (body.network, body.spec, body.config, body.preset, body.checkpoint,
                         body.hub) if x is not None]
    if len(given) != 1:
        raise NnsizeError("give exactly one of: network, spec, config, preset, checkpoint, hub")


def _plan_model(body: Any, hub: bool = False) -> Report:
    _one_model(body)
    if body.hub is not None:
        if not hub:
            raise NnsizeError("hub: this server reads no model from the Hugging Face Hub")
        from .hub import count_hub

        return count_hub(body.hub)
    if body.checkpoint is not None:
        import base64
        import binascii

        c = body.checkpoint
        if (c.header is None) == (c.summary is None):
            raise NnsizeError("checkpoint: give exactly one of header, summary")
        if c.summary is not None:
            import json

            from ..importers.summary import report

            try:
                summary = json.loads(c.summary)
            except (ValueError, RecursionError) as e:
                raise NnsizeError(f"checkpoint.summary is not JSON: {e}") from None
            if not isinstance(summary, dict) or summary.get("format") != c.format:
                raise NnsizeError(f"checkpoint.summary is not the summary of a {c.format} file")
            return report(summary, c.file_size, c.name)
        try:
            data = base64.b64decode(c.header, validate=True)
        except (binascii.Error, ValueError) as e:  # ValueError: a character past ASCII
            raise NnsizeError(f"checkpoint.header is not base64: {e}") from None
        return _checkpoint(c.format, data, c.file_size, c.name)
    if body.preset is not None:
        from ..architectures.presets import find

        return find(body.preset).count(None)
    if body.config is not None:
        from ..architectures import count_config

        return count_config(body.config, fallback=False)  # no transformers build per request
    return _count(CountRequest(network=body.network, spec=body.spec))


def _growth(network: str) -> dict[str, Any]:
    from ..growth import mlp_growth
    from ..render.json import growth_dict, strings
    from ..search import Range
    from ..shorthand import parse

    hidden = parse(network)[1:-1]
    w = hidden[0][0] if hidden else 1
    widths = Range(tuple(sorted({max(1, w // 4), max(1, w // 2), w, 2 * w, 4 * w, 8 * w})))
    _, _, by_width, by_depth = mlp_growth(network, widths, Range((1, 2, 4, 8, 16, 32, 64)))
    return strings(growth_dict([by_width, by_depth]))  # type: ignore[no-any-return]


def _memory(body: Any, hub: bool = False) -> dict[str, Any]:
    return _memory_of(_plan_model(body, hub), body)


def _memory_of(report: Report, body: Any) -> dict[str, Any]:
    from ..memory import fit, plan
    from ..render.json import fit_dict, plan_dict, strings

    setup = _setup(body)
    if body.gpu is None:
        return {"plan": strings(plan_dict(plan(report, setup)))}
    from ..gpus import find_gpu
    from ..memory.fit import on_gpu
    from ..memory.plan import settle
    from ..memory.serving import serving
    from ..memory.setup import resolve

    gpu = find_gpu(body.gpu)
    # the one default engine; the context asked, else the default at most the model's own
    setup = settle(report, resolve(setup, str(report.stored.get("format", ""))))
    setup, usable = on_gpu(setup, gpu.reported, gpu.name, gpu.usable)
    result = fit(report, setup, usable)
    engine = serving(report, setup, gpu)
    return {"plan": strings(plan_dict(result.plan)),
            "fit": strings(fit_dict(result, gpu, engine))}


def _first_screen() -> dict[str, Any]:
    """The answers to the requests the page makes on its first screen (boot.py's bodies)."""
    from .boot import FIRST_COUNT, FIRST_NETWORK, FIRST_PLAN

    return {"path": "/api/count", "body": FIRST_COUNT,
            "answer": _answer(_count(CountRequest.model_validate(FIRST_COUNT)), "string"),
            "plan": {"body": FIRST_PLAN,
                     "answer": _memory(PlanRequest.model_validate(FIRST_PLAN))},
            "growth": {"network": FIRST_NETWORK, "answer": _growth(FIRST_NETWORK)}}


class PresetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200, examples=["llama-3.1-8b"])
    base: StrictBool = False
    actions: int | None = Field(None, ge=1, le=1_000_000)


# sizes of a shorthand /api/count answers in the server's own loop (0.1 ms each, repeats
# 'WxN' kept as one); a longer one (up to 10,000 characters: a third of a second) goes to the
# CPU pool like every other count
INLINE_SIZES = 64
INLINE_ANSWERS = 256  # answers kept: each under 64 sizes, at most a few hundred kB (tens of MB)


def _json(data: dict[str, Any]) -> JSONResponse:
    """data, plain JSON already (ints, strings, lists), answered as FastAPI would answer it,
    without its validation of the answer (a millisecond for a small report)."""
    return JSONResponse(data)


@functools.lru_cache(maxsize=INLINE_ANSWERS)
def _inline(network: str | None, inputs: int | None, hidden_layers: int | None,
            neurons: int | None, outputs: int | None, convention: str,
            numbers: Numbers) -> bytes:
    """The JSON of an answer the server's loop gives itself, kept for the INLINE_ANSWERS last
    asked: the same network is counted once, however many visitors ask for it (a count is a
    function of these values alone; a refusal is not kept, it raises)."""
    body = CountRequest(network=network, inputs=inputs, hidden_layers=hidden_layers,
                        neurons=neurons, outputs=outputs, convention=convention)  # type: ignore[arg-type]
    return bytes(_json(_answer(_count(body), numbers)).body)


def _answer(report: Report, numbers: Numbers) -> dict[str, Any]:
    """The report, and the strings the page shows (rendered by render.py, as everywhere)."""
    from ..render.json import report_dict, strings
    from ..render.report import explanation, layer_table, markdown, memory_rows, totals

    headers, rows, _ = layer_table(report)
    data = report_dict(report)
    view: dict[str, Any] = {"headers": headers, "rows": rows, "totals": totals(report),
                            "memory": memory_rows(report), "markdown": markdown(report),
                            "explain": explanation(report) if len(report.rows) <= 500 else ""}
    if "format" in report.stored:  # a checkpoint file's dtypes and bytes
        from ..render.report import STORED_HEADERS, stored_rows, stored_summary

        view["stored"] = {"summary": stored_summary(report.stored), "headers": STORED_HEADERS,
                          "rows": stored_rows(report.stored)}
    return {"report": strings(data) if numbers == "string" else data, "view": view}


def runs(spec: dict[str, Any]) -> dict[str, Any]:
    """spec with each run of identical layers in its top-level list as one entry with a count
    ("repeat": n, which network.py counts as n layers in a row): 5,000 identical layers are
    counted as one entry, and shown as one row.  Entries with a name, groups, and anything not
    a plain layer stay as they are."""
    layers = spec.get("layers") if isinstance(spec, dict) else None
    if not isinstance(layers, list):
        return spec

    def plain(entry: Any) -> bool:
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str) or \
                "name" in entry:
            return False
        repeat = entry.get("repeat", 1)
        return isinstance(repeat, int) and not isinstance(repeat, bool) and repeat >= 1

    out: list[Any] = []
    for entry in layers:
        if out and plain(entry) and plain(out[-1]):
            a, b = dict(out[-1]), dict(entry)
            n = a.pop("repeat", 1) + b.pop("repeat", 1)
            if a == b and all(type(a[k]) is type(b[k]) for k in a):  # 1 and 1.0 stay apart
                out[-1] = {**a, "repeat": n}
                continue
        out.append(entry)
    return spec if len(out) == len(layers) else {**spec, "layers": out}


def _count(body: CountRequest) -> Report:
    from ..network import count_spec
    from ..shorthand import count as count_shorthand
    from ..shorthand import from_counts

    calculator = (body.inputs, body.hidden_layers, body.neurons, body.outputs)
    given = [body.network is not None, body.spec is not None,
             any(v is not None for v in calculator)]
    if sum(given) != 1:
        raise NnsizeError("give exactly one of: network, spec, or inputs / hidden_layers / "
                          "neurons / outputs")
    if body.spec is not None:
        return count_spec(runs(body.spec), body.convention)
    if body.network is not None:
        return count_shorthand(body.network, body.convention)  # a shorthand, never a path
    numbers = [v for v in calculator if v is not None]
    if len(numbers) != 4:
        raise NnsizeError("the calculator needs inputs, hidden_layers, neurons and outputs")
    inputs, hidden, neurons, outputs = numbers
    return count_shorthand(from_counts(inputs, hidden, neurons, outputs), body.convention)


# What the endpoints compute, as module-level functions of plain values: pool.compute runs them
# in a child process, which receives them pickled.

def count_answer(body: dict[str, Any], numbers: Numbers) -> dict[str, Any]:
    return _answer(_count(CountRequest.model_validate(body)), numbers)


def config_answer(config: dict[str, Any], base: bool, numbers: Numbers) -> dict[str, Any]:
    from ..architectures import count_config

    return _answer(count_config(config, "config.json", base, fallback=False), numbers)


def memory_answer(body: dict[str, Any]) -> dict[str, Any]:
    return _memory(PlanRequest.model_validate(body))


def memory_of(report: Report, body: dict[str, Any]) -> dict[str, Any]:
    """/api/memory's answer for a model counted already (a Hub model's, in the Hub pool)."""
    return _memory_of(report, PlanRequest.model_validate(body))


def speed_answer(body: dict[str, Any], hub: bool = False) -> dict[str, Any]:
    from ..render.json import speed_dict, strings
    from ..speed import SpeedSetup, estimate
    from ..speed.setup import planner_fit, speed_fields

    request = SpeedRequest.model_validate(body)
    report = _language_model(request, hub)
    s = _from_body(SpeedSetup, speed_fields(), request)
    # the memory planner's word on the same setup, as speed --json gives it
    return strings(speed_dict(estimate(report, s), planner_fit(report, s)))  # type: ignore[no-any-return]


def train_time_answer(body: dict[str, Any]) -> dict[str, Any]:
    from ..render.json import strings, training_dict
    from ..speed import TrainingSetup, train
    from ..speed.setup import laid_out, train_layout, training_fields

    request = TrainTimeRequest.model_validate(body)
    t = _from_body(TrainingSetup, training_fields(), request)
    if laid_out(t):  # a parallel layout, as train-time --json gives it
        from ..render.parallel import run_dict

        return strings(run_dict(train_layout(_language_model(request), t)))  # type: ignore[no-any-return]
    result = train(_language_model(request), t)
    return strings(training_dict(result))  # type: ignore[no-any-return]


def checkpoint_answer(fmt: str, data: bytes, file_size: int, name: str,
                      numbers: Numbers) -> dict[str, Any]:
    """The count, and the summary the page plans the file with from then on (none for ONNX)."""
    from ..importers.summary import summarize

    answer = _answer(_checkpoint(fmt, data, file_size, name), numbers)
    summary = summarize(fmt, data, file_size, name)
    if summary is None:
        return answer
    import json

    return {**answer, "summary": json.dumps(summary, separators=(",", ":"))}


def hub_answer(name: str, base: bool, numbers: Numbers) -> dict[str, Any]:
    from ..render.hub import comparison
    from .hub import count_hub

    report = count_hub(name, base)
    return {**_answer(report, numbers), "comparison": comparison(report.stored)}


def _safe(value: Any) -> Any:
    """value with what JSON cannot hold written as text: NaN, Infinity, lone surrogates, huge
    integers (a validation error echoes what it was given)."""
    import math

    from ..errors import shown

    if isinstance(value, dict):
        return {str(_safe(k)): _safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return shown(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _safe(str(value))


class Detail(BaseModel):
    """Every error answer: the reason, as the command line would say it."""

    detail: str


# The answers every endpoint may give besides its own, for the OpenAPI schema (FastAPI adds
# 422 itself); their bodies are {"detail": "..."}.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Detail, "description": "Bad input: the command line's one-line message"},
    408: {"model": Detail, "description": f"The body did not arrive within {REQUEST_SECONDS:g} s"},
    413: {"model": Detail, "description": f"A body over {JSON_LIMIT:,} bytes ({HEADER_LIMIT:,} "
                                          f"for /api/checkpoint, {PLAN_LIMIT:,} for "
                                          f"/api/memory)"},
}


# what POST /api/hub may answer besides 400 (hub/fetch.HubError's statuses)
HUB_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Detail, "description": "A gated repo (this server reads without a token)"},
    404: {"model": Detail, "description": "No such repo, revision, file or GGUF quantization"},
    429: {"model": Detail, "description": "The Hub asks for fewer requests (it answered 429); "
                                          "Retry-After: the Hub's, else 60 s"},
    502: {"model": Detail, "description": "The Hub could not be reached, failed (5xx) or "
                                          "answered nonsense; nothing cached"},
    503: {"model": Detail, "description": "HF_HUB_OFFLINE is set and the model is not cached"},
    504: {"model": Detail, "description": "The Hub did not answer in time"},
}


def answers(path: str) -> dict[str, Any]:
    """An endpoint's OpenAPI entry for its answer (web/schemas.py), declared, not validated:
    the answer's bytes are written as they were (in a child, by web/pool.py, for most)."""
    return {"response_model": None,
            "responses": {200: {"model": ANSWERS[path], "description": "The answer"}}}


def create_app(hub: bool | None = None) -> FastAPI:
    """The app; hub: whether it has POST /api/hub (None: where huggingface_hub is installed)."""
    from .hub import available

    hub = available() if hub is None else hub
    app = FastAPI(title="nnsize", version=__version__,
                  description="Exact sizes of neural networks: parameters layer by layer, "
                              "memory at every precision, compute.  Every request must arrive "
                              f"and be answered within {REQUEST_SECONDS:g} s (else 408 or 422).",
                  responses=ERRORS)

    @app.exception_handler(NnsizeError)
    async def bad_input(request: Request, e: NnsizeError) -> JSONResponse:
        # 400, or what a Hub error says it is (hub/fetch.HubError: 404, 401, 502...); a 429
        # or 503 with the seconds to wait (the Hub's Retry-After, or the pool's)
        after = getattr(e, "retry_after", None)
        return JSONResponse({"detail": str(e)}, status_code=getattr(e, "status", 400),
                            headers={"Retry-After": str(after)} if after is not None else None)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        # FastAPI's answer, less the values it was given (which may be NaN, a lone surrogate,
        # a megabyte): where and why, in text JSON can hold
        errors = [{k: _safe(v) for k, v in error.items() if k in ("type", "loc", "msg")}
                  for error in e.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(RecursionError)
    async def too_deep(request: Request, e: RecursionError) -> JSONResponse:
        return JSONResponse({"detail": "the request nests too deeply"}, status_code=400)

    @app.post("/api/count", **answers("/api/count"))
    async def count(body: CountRequest, numbers: Numbers = "int") -> dict[str, Any]:
        """Count an MLP shorthand, a layer spec, or the calculator's four numbers."""
        if body.spec is None and (body.network is None
                                  or body.network.count("-") < INLINE_SIZES):
            # the calculator's four numbers, or a short shorthand: about a millisecond,
            # answered in the server's own loop, with no hop to a thread or a process (each
            # costs more than the count, and a busy machine stretches the hop)
            return Response(_inline(body.network, body.inputs, body.hidden_layers,  # type: ignore[return-value]
                                    body.neurons, body.outputs, body.convention, numbers),
                            media_type="application/json")
        return await compute(count_answer, body.model_dump(exclude_none=True), numbers)  # type: ignore[return-value]

    @app.post("/api/config", **answers("/api/config"))
    async def config(body: ConfigRequest, numbers: Numbers = "int") -> dict[str, Any]:
        """Count the model transformers would build from a config.json's contents."""
        return await compute(config_answer, body.config, body.base, numbers)  # type: ignore[return-value]

    @app.post("/api/preset", **answers("/api/preset"))
    def preset(body: PresetRequest, numbers: Numbers = "int") -> dict[str, Any]:
        """Count a preset by name ('nnsize presets' lists them)."""
        from ..architectures.presets import find

        found = find(body.name)
        options: dict[str, Any] = {"base": body.base}
        if body.actions is not None:
            options["actions"] = body.actions
        return _answer(found.count(None, **options), numbers)

    @app.post("/api/growth", **answers("/api/growth"))
    async def growth(body: GrowthRequest) -> dict[str, Any]:
        """Parameters of an MLP shorthand as its hidden width and its depth vary (strings)."""
        return await compute(_growth, body.network)  # type: ignore[return-value]

    @app.post("/api/memory", **answers("/api/memory"))
    async def memory(body: PlanRequest) -> dict[str, Any]:  # type: ignore[valid-type]
        """Memory for inference or training, line by line (counts as strings), and, given a
        gpu, whether it fits: the largest batch, the longest context, the fewest GPUs."""
        from ..memory.traced import Deferred
        from .pool import traced

        if body.hub is not None:  # type: ignore[attr-defined]
            from .hub import count_hub

            _one_model(body)  # before the Hub is asked anything
            if not hub:
                raise NnsizeError("hub: this server reads no model from the Hugging Face Hub")
            report = await from_hub(count_hub, body.hub)  # type: ignore[attr-defined]
            try:
                return await compute(memory_of, report, body.model_dump())  # type: ignore[attr-defined,return-value]
            except Deferred:  # a training step to trace: under a budget of its own
                return await traced(memory_of, report, body.model_dump())  # type: ignore[attr-defined]
        try:
            return await compute(memory_answer, body.model_dump())  # type: ignore[attr-defined,return-value]
        except Deferred:  # a training step to trace: under a budget of its own
            return await traced(memory_answer, body.model_dump())  # type: ignore[attr-defined]

    @app.post("/api/speed", **answers("/api/speed"))
    async def speed(body: SpeedRequest) -> dict[str, Any]:  # type: ignore[valid-type]
        """Decode tokens per second and time to first token, roofline bounds and expected
        values: the schema of speed --json, every integer as a string.  A Hub model (hub) is
        read as /api/hub reads it, where the server has that endpoint."""
        if body.hub is not None:  # type: ignore[attr-defined]
            return await from_hub(speed_answer, body.model_dump(), hub)  # type: ignore[attr-defined]
        return await compute(speed_answer, body.model_dump())  # type: ignore[attr-defined,return-value]

    @app.post("/api/train-time", **answers("/api/train-time"))
    async def train_time(body: TrainTimeRequest) -> dict[str, Any]:  # type: ignore[valid-type]
        """Training time at a stated MFU, and the Chinchilla-optimal tokens: the schema of
        train-time --json, every integer as a string."""
        return await compute(train_time_answer, body.model_dump())  # type: ignore[attr-defined,return-value]

    if hub:
        @app.post("/api/hub", response_model=None,
                  responses={**HUB_ERRORS, **answers("/api/hub")["responses"]})
        async def hub_model(body: HubRequest, numbers: Numbers = "int") -> dict[str, Any]:
            """Count a model on the Hugging Face Hub by its name, as 'nnsize NAME' does: its
            config.json and its safetensors headers (or a GGUF file's header), never its
            weights, read from the configured endpoint (HF_ENDPOINT) without a token.  Answers
            the report, the page's view, and 'comparison': the config against the checkpoint,
            in words."""
            return await from_hub(hub_answer, body.name, body.base, numbers)

    @app.get("/api/dtypes", **answers("/api/dtypes"))
    def dtypes() -> list[dict[str, str]]:
        """Every precision the planner knows, with its exact bits per value."""
        from ..precision import catalogue
        from ..render.json import dtype_list

        return dtype_list(list(catalogue().values()))

    @app.get("/api/gpus", **answers("/api/gpus"))
    def gpus() -> list[dict[str, Any]]:
        """The GPU catalogue: memory, bandwidth, dense peaks per precision, the link, sources
        (the schema of speed --list-gpus --json, integers as strings)."""
        from ..gpus import GPUS
        from ..render.json import gpu_list, strings

        return strings(gpu_list(list(GPUS.values())))  # type: ignore[no-any-return]

    @app.get("/api/presets", **answers("/api/presets"))
    def preset_list() -> list[dict[str, str]]:
        """Every preset: name, kind, description, where its numbers come from."""
        from ..architectures.presets import presets
        from ..render.json import preset_list

        return preset_list(list(presets().values()))

    @app.get("/api/layers", **answers("/api/layers"))
    def layer_types() -> list[str]:
        """Every layer type a spec may name."""
        from ..layers import known_types

        return known_types()

    @app.post("/api/checkpoint", **answers("/api/checkpoint"))
    async def checkpoint(request: Request,
                         format: Annotated[HeaderFormat, Query()],
                         file_size: int = Query(..., ge=0, le=2**62),
                         name: str = Query("checkpoint", max_length=500),
                         numbers: Numbers = "int") -> dict[str, Any]:
        """Count a checkpoint from its first bytes (the body): a safetensors file's length and
        header, a GGUF file's whole header, or a whole ONNX file (whose external data stays
        behind).  file_size is the whole file's size.  For safetensors and GGUF, 'summary':
        what the count read, layers folded, which /api/memory takes as checkpoint.summary in
        place of the header."""
        data = await request.body()
        return await compute(checkpoint_answer, format, data, file_size, name, numbers)  # type: ignore[return-value]

    @app.get("/", include_in_schema=False)
    def page() -> HTMLResponse:
        """The page, with what its first screen needs inside it: no API call before it shows."""
        from .boot import page_html

        return HTMLResponse(page_html(app, STATIC / "index.html", _first_screen))

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(Guard)  # bounded bodies, a deadline, an answer to every request
    return app
