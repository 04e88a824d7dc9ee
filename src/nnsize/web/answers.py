"""What the endpoints compute: a model counted from a request, and the answer made of it
(render/ writes every string).  The functions of plain values (count_answer, memory_answer...)
are what web/pool.py runs in a child process, which receives them pickled."""

from __future__ import annotations

import functools
from typing import Any

from fastapi.responses import JSONResponse

from ..errors import NnsizeError
from ..model import Report
from .requests import (
    CountRequest,
    Numbers,
    PlanRequest,
    SpeedRequest,
    TrainTimeRequest,
    _from_body,
    _setup,
)


def _language_model(body: Any, hub: bool = False) -> Report:
    if sum(x is not None for x in (body.config, body.preset, body.gpt, body.hub)) != 1:
        raise NnsizeError("give exactly one of: config, preset, gpt, hub")
    if body.gpt is not None:
        return _gpt(body.gpt)
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


def _gpt(shape: Any) -> Report:
    """A plain GPT shape (requests.GptShape) counted as the CLI's --layers --hidden --heads."""
    from ..architectures.gpt_shape import report

    return report(**shape.model_dump())


def _checkpoint(fmt: str, data: bytes, file_size: int, name: str) -> Report:
    """A checkpoint counted from its first bytes, by the importers' table."""
    from ..importers import find_format

    load = find_format(fmt).loader()
    report: Report = load(name, data, file_size) if fmt == "safetensors" else load(name, data)
    return report


def _one_model(body: Any) -> None:
    given = [x for x in (body.network, body.spec, body.config, body.preset, body.gpt,
                         body.checkpoint, body.hub) if x is not None]
    if len(given) != 1:
        raise NnsizeError("give exactly one of: network, spec, config, preset, gpt, checkpoint, "
                          "hub")


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
    if body.gpt is not None:
        return _gpt(body.gpt)
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
    return strings(growth_dict([by_width, by_depth]))


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
    return strings(speed_dict(estimate(report, s), planner_fit(report, s)))


def train_time_answer(body: dict[str, Any]) -> dict[str, Any]:
    from ..render.json import strings, training_dict
    from ..speed import TrainingSetup, train
    from ..speed.setup import laid_out, train_layout, training_fields

    request = TrainTimeRequest.model_validate(body)
    t = _from_body(TrainingSetup, training_fields(), request)
    if laid_out(t):  # a parallel layout, as train-time --json gives it
        from ..render.parallel import run_dict

        return strings(run_dict(train_layout(_language_model(request), t)))
    result = train(_language_model(request), t)
    return strings(training_dict(result))


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
