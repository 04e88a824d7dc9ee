"""The HTTP API and the page.  Everything the page shows comes from these endpoints.

The API counts what it is sent and nothing else: it opens no path it is given (a network is a
shorthand, a spec object, a config object, a preset name or the header bytes of a checkpoint),
writes nothing to disk (but the Hub cache, for /api/hub: web/hub.py), and answers bad input with a
4xx carrying the CLI's message.  Requests
are limited in size (1 MiB for JSON, 16 MiB for checkpoint headers) and in time (guard.py; all
documented in the README).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from ..errors import NnsizeError
from ..version import __version__
from .answers import (
    INLINE_SIZES,
    _answer,
    _checkpoint,
    _count,
    _first_screen,
    _growth,
    _inline,
    _one_model,
    checkpoint_answer,
    config_answer,
    count_answer,
    hub_answer,
    memory_answer,
    memory_of,
    speed_answer,
    train_time_answer,
)
from .errors import ERRORS, HUB_ERRORS, _safe
from .guard import HEADER_LIMIT, JSON_LIMIT, REQUEST_SECONDS, Guard
from .hub import HubRequest
from .pool import compute, from_hub
from .requests import (
    ConfigRequest,
    CountRequest,
    GrowthRequest,
    HeaderFormat,
    Numbers,
    PlanRequest,
    PresetRequest,
    SpeedRequest,
    TrainTimeRequest,
)
from .schemas import ANSWERS

# the names the tests and the CLI import from here (the app's parts live in requests.py,
# answers.py, errors.py and schemas/)
__all__ = ["HEADER_LIMIT", "JSON_LIMIT", "CountRequest", "HeaderFormat", "_answer",
           "_checkpoint", "_count", "_inline", "create_app"]

STATIC = Path(__file__).parent / "static"

def _declared(path: str) -> dict[str, Any]:
    """An endpoint's OpenAPI entry for its answer (web/schemas/), declared, not validated:
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

    @app.post("/api/count", **_declared("/api/count"))
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

    @app.post("/api/config", **_declared("/api/config"))
    async def config(body: ConfigRequest, numbers: Numbers = "int") -> dict[str, Any]:
        """Count the model transformers would build from a config.json's contents."""
        return await compute(config_answer, body.config, body.base, numbers)  # type: ignore[return-value]

    @app.post("/api/preset", **_declared("/api/preset"))
    def preset(body: PresetRequest, numbers: Numbers = "int") -> dict[str, Any]:
        """Count a preset by name ('nnsize presets' lists them)."""
        from ..architectures.presets import find

        found = find(body.name)
        options: dict[str, Any] = {"base": body.base}
        if body.actions is not None:
            options["actions"] = body.actions
        return _answer(found.count(None, **options), numbers)

    @app.post("/api/growth", **_declared("/api/growth"))
    async def growth(body: GrowthRequest) -> dict[str, Any]:
        """Parameters of an MLP shorthand as its hidden width and its depth vary (strings)."""
        return await compute(_growth, body.network)  # type: ignore[return-value]

    @app.post("/api/memory", **_declared("/api/memory"))
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

    @app.post("/api/speed", **_declared("/api/speed"))
    async def speed(body: SpeedRequest) -> dict[str, Any]:  # type: ignore[valid-type]
        """Decode tokens per second and time to first token, roofline bounds and expected
        values: the schema of speed --json, every integer as a string.  A Hub model (hub) is
        read as /api/hub reads it, where the server has that endpoint."""
        if body.hub is not None:  # type: ignore[attr-defined]
            return await from_hub(speed_answer, body.model_dump(), hub)  # type: ignore[attr-defined]
        return await compute(speed_answer, body.model_dump())  # type: ignore[attr-defined,return-value]

    @app.post("/api/train-time", **_declared("/api/train-time"))
    async def train_time(body: TrainTimeRequest) -> dict[str, Any]:  # type: ignore[valid-type]
        """Training time at a stated MFU, and the Chinchilla-optimal tokens: the schema of
        train-time --json, every integer as a string."""
        return await compute(train_time_answer, body.model_dump())  # type: ignore[attr-defined,return-value]

    if hub:
        @app.post("/api/hub", response_model=None,
                  responses={**HUB_ERRORS, **_declared("/api/hub")["responses"]})
        async def hub_model(body: HubRequest, numbers: Numbers = "int") -> dict[str, Any]:
            """Count a model on the Hugging Face Hub by its name, as 'nnsize NAME' does: its
            config.json and its safetensors headers (or a GGUF file's header), never its
            weights, read from the configured endpoint (HF_ENDPOINT) without a token.  Answers
            the report, the page's view, and 'comparison': the config against the checkpoint,
            in words."""
            return await from_hub(hub_answer, body.name, body.base, numbers)

    @app.get("/api/dtypes", **_declared("/api/dtypes"))
    def dtypes() -> list[dict[str, str]]:
        """Every precision the planner knows, with its exact bits per value."""
        from ..precision import catalogue
        from ..render.json import dtype_list

        return dtype_list(list(catalogue().values()))

    @app.get("/api/gpus", **_declared("/api/gpus"))
    def gpus() -> list[dict[str, Any]]:
        """The GPU catalogue: memory, bandwidth, dense peaks per precision, the link, sources
        (the schema of speed --list-gpus --json, integers as strings)."""
        from ..gpus import GPUS
        from ..render.json import gpu_list, strings

        return strings(gpu_list(list(GPUS.values())))

    @app.get("/api/presets", **_declared("/api/presets"))
    def preset_list() -> list[dict[str, str]]:
        """Every preset: name, kind, description, where its numbers come from."""
        from ..architectures.presets import presets
        from ..render.json import preset_list

        return preset_list(list(presets().values()))

    @app.get("/api/layers", **_declared("/api/layers"))
    def layer_types() -> list[str]:
        """Every layer type a spec may name."""
        from ..layers import known_types

        return known_types()

    @app.post("/api/checkpoint", **_declared("/api/checkpoint"))
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
