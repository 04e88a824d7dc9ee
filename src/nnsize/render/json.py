"""One JSON schema per result, used by the CLI (--json) and the web API alike.

Counts are JSON integers; the web API sends them as strings where asked (numbers=string), so a
browser never rounds one (see strings()).
"""

from __future__ import annotations

import json

from .numbers import formula_text, human

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar

    from ..architectures.presets import Preset
    from ..diff import Diff
    from ..gpus import GPU
    from ..growth import Series
    from ..initialization import Scales
    from ..memory import Compute, Fit, Plan
    from ..memory.lines import ToolTerms
    from ..memory.serving import Serving
    from ..memory.vllm_kv import Groups
    from ..model import Report, Row, Tensor
    from ..precision import Precision
    from ..search import Candidate as SearchCandidate
    from ..search import Result as SearchResult
    from ..sparsity import SparseTensor
    from ..speed import Speed, Step, Training
    from ..speed.split import Split

    # an answer: an object, or a list of objects (the GPU catalogue)
    Answer = TypeVar("Answer", dict[str, object], list[dict[str, object]])


def dumps(value: object) -> str:
    return json.dumps(value, indent=2)


def strings(value: Answer) -> Answer:
    """Every int as a string: what a browser gets, so no count is rounded by a JS float."""
    if isinstance(value, dict):
        return {k: _strings(v) for k, v in value.items()}
    return [{k: _strings(v) for k, v in d.items()} for d in value]


def _strings(value: object) -> object:
    """JSON of any shape, its ints as strings (bools are ints to Python, and stay bools)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {k: _strings(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):  # a tuple: a JSON array too (a shape's example)
        return [_strings(v) for v in value]
    return value


# --- a count -----------------------------------------------------------------------------------

def tensor_dict(t: Tensor) -> dict[str, object]:
    d: dict[str, object] = {"name": t.name, "shape": list(t.shape), "role": t.role,
                         "trainable": t.trainable and not t.buffer,
                         "buffer": t.buffer, "numel": t.numel}
    if t.copies != 1:
        d["copies"] = t.copies
        d["first_index"] = t.start
    if t.shared_with:
        d["shared_with"] = t.shared_with
    return d


def row_dict(r: Row) -> dict[str, object]:
    return {"name": r.name, "label": r.label, "type": r.type,
            "input_shape": list(r.input_shape), "output_shape": list(r.output_shape),
            "repeat": r.repeat, "params": r.params, "params_each": r.params_each,
            "weights": r.weights, "biases": r.biases, "buffers": r.buffers,
            "macs": r.macs, "formula": formula_text(r),
            **({"depth": r.depth} if r.depth >= 0 else {}),
            "tensors": [tensor_dict(t) for t in r.tensors]}


def report_dict(report: Report, layers: bool = True) -> dict[str, object]:
    """The count (docs/json.md); without layers, compare's one row."""
    from ..precision import memory_table

    d: dict[str, object] = {
        "source": report.source,
        "convention": report.convention,
        "input_shape": list(report.input_shape),
        "output_shape": list(report.output_shape),
        "total_params": report.total_params,
        "active_params": report.active_params,
        "trainable_params": report.trainable_params,
        "non_trainable_params": report.non_trainable_params,
        "weights": report.weights,
        "biases": report.biases,
        "other_trainable": report.other_trainable,
        "buffers": report.buffers,
        **_macs(report),
        "memory": memory_table(report.total_params),
        **({"stored": report.stored} if report.stored else {}),
    }
    if layers:
        d["layers"] = [row_dict(r) for r in report.rows]
    else:
        from ..compute import layer_count

        d["layers"] = layer_count(report)
    return d


def _macs(report: Report) -> dict[str, object]:
    """MACs and FLOPs: one forward pass of the input, or a language model's per token."""
    from ..compute import token_macs

    token = token_macs(report)
    macs = report.macs if token is None else token
    return {"macs": macs, "flops": 2 * macs,
            **({"macs_per": "token"} if token is not None else {})}


# --- the planner -------------------------------------------------------------------------------

def plan_dict(plan: Plan, as_tool: tuple[int, ToolTerms] | None = None) -> dict[str, object]:
    """The memory plan: its lines, their sum (total_bytes) and the notes."""
    from .plan import line_how, line_name, note_text, title, tool_why

    return {"title": title(plan), "total_bytes": plan.total,
            "total_binary": human(plan.total, True),
            "lines": [{"name": line_name(line), "bytes": line.bytes,
                       "binary": human(line.bytes, True), "decimal": human(line.bytes, False),
                       "how": line_how(line), "exact": line.exact} for line in plan.lines],
            "notes": [note_text(note) for note in plan.notes],
            **({"as": {"tool": as_tool[1].TOOL, "bytes": as_tool[0],
                       "why": tool_why(as_tool[1])}} if as_tool else {})}


def _usable_rule(result: Fit, gpu: GPU) -> str:
    """Which rule gave the usable bytes: a serving engine's share (vllm, sglang), macOS's
    wired limit, or the GPU less the CUDA context."""
    from ..memory.serving import engine_share

    share = engine_share(result.plan.setup, getattr(gpu, "reported", gpu.bytes), gpu.name)
    if share is not None and share.usable == result.usable:
        return share.engine
    return "macos" if getattr(gpu, "unified", False) else "cuda_context"


def fit_dict(result: Fit, gpu: GPU, engine: Serving | None = None,
             at_split: Speed | None = None) -> dict[str, object]:
    """Will it fit on a GPU: the verdict, the largest batch and context, the fewest GPUs; with
    engine (memory.serving.Serving), the engine's own answers: kv_cache_tokens and
    max_concurrency (vLLM, SGLang), gpu_layers (llama.cpp)."""
    from .plan import engine_refusal, fit_lines, fit_verdict, serving_lines

    return {"gpu": gpu.name, "gpu_bytes": gpu.bytes, "usable_bytes": result.usable,
            "usable_binary": human(result.usable, True),
            "usable_rule": _usable_rule(result, gpu),
            "fits": result.fits and not engine_refusal(engine),
            "verdict": fit_verdict(result, gpu, engine),
            "lines": [list(line) for line in fit_lines(result)],
            "total_bytes": result.plan.total,
            "largest_batch": result.largest_batch,
            "longest_context": result.longest_context,
            "fewest_gpus": result.fewest_gpus,
            "kv_cache_tokens": result.kv_cache_tokens,
            "max_concurrency": result.max_concurrency,
            "layout": _layout(result.plan),
            "precisions": [{"dtype": name, "bytes": b, "binary": human(b, True), "fits": ok}
                           for name, b, ok in result.precisions],
            **(serving_dict(engine) if engine is not None else {}),
            **({"engine_lines": [list(line) for line in serving_lines(engine)]}
               if engine is not None else {}),
            **({"gpu_layers_decode": split_dict(at_split.offload)}
               if at_split is not None and at_split.offload is not None else {})}


def _kv_groups(g: Groups) -> dict[str, object]:
    """vLLM's KV cache groups for a hybrid model (memory.vllm_kv)."""
    a = g.alignment
    return {"groups": [{"layers": x.layers, "window": x.spec.window,
                        "token_bytes": x.spec.token_bytes, "block_tokens": x.block_tokens,
                        **({"state_bytes": x.spec.state} if x.spec.state else {})}
                       for x in g.groups],
            "group_size": g.group_size, "padding_layers": g.padding, "page_bytes": g.page,
            "blocks": g.blocks, "request_blocks": g.request_blocks,
            **({"attention_block_tokens": a.block_tokens, "state_bytes": a.state,
                "state_padding_percent": round(a.padding_percent, 2),
                "mamba_cache_mode": g.mamba_cache_mode,
                **({"mamba_cache_mode_fell_back": True} if g.fell_back else {})}
               if a is not None else {}),
            **({"vllm_model_caching": {"values_as_keys": c.values_as_keys,
                                       "window_less": c.window_less, "source": c.source}}
               if (c := g.caching) is not None else {})}


def serving_dict(engine: Serving) -> dict[str, object]:
    """The engine's start-up figures (memory.serving): what its log prints."""
    out: dict[str, object] = {}
    c = engine.capacity
    if c is not None:
        out.update({"kv_cache_tokens": c.kv_cache_tokens,
                    "max_concurrency": round(c.max_concurrency, 2),
                    "kv_cache": {"engine": c.engine, "total_bytes": c.total,
                                 "fraction": float(c.fraction), "budget_bytes": c.budget,
                                 "weights_bytes": c.weights,
                                 "allocator_rounding_bytes": c.terms.get(
                                     "allocator_rounding"),
                                 "activation_bytes": c.activations,
                                 "sampler_bytes": c.sampler, "overhead_bytes": c.overhead,
                                 "kv_bytes": c.kv_bytes, "kv_bytes_per_token": c.per_token,
                                 "block_tokens": c.block_tokens,
                                 "max_model_len": c.max_model_len,
                                 **({"groups": _kv_groups(c.groups)}
                                    if c.groups is not None else {})}})
    o = engine.offload
    if engine.offload_refused:
        out["offload_refused"] = engine.offload_refused
    if o is not None:
        out.update({"gpu_layers": o.gpu_layers,
                    "offload": {"layers": o.layers, "gpu_bytes": o.gpu_bytes,
                                "cpu_bytes": o.cpu_bytes, "layer_bytes": o.per_layer,
                                "output_bytes": o.output, "compute_bytes": o.compute}})
    return out


def split_dict(o: Split) -> dict[str, object]:
    """Decode at llama.cpp's -ngl split (speed.offload.Split)."""
    return {"ngl": o.ngl, "gpu_layers": o.gpu_layers, "layers": o.layers,
            "output_on_gpu": o.output_on_gpu, "gpu_bytes": o.gpu_bytes,
            "cpu_bytes": o.cpu_bytes, "gpu_s": o.gpu_s, "overhead_s": o.overhead_s,
            "cpu_s": o.cpu_s, "expected_s": o.expected_s,
            "tokens_per_s": o.tokens_per_s, "cpu_bandwidth_bytes_per_s": o.cpu_bandwidth,
            "cpu_bandwidth_source": o.cpu_source}


def compute_dict(c: Compute) -> dict[str, object]:
    return {"context": c.context, "linear_macs_per_token": c.linear_macs,
            "attention_macs_prefill": c.attention_macs_prefill,
            "scan_macs_per_token": c.scan_macs, "image_macs": c.image_macs,
            "prefill_flops": c.prefill_flops, "decode_flops": c.decode_flops,
            "training_flops_per_token": c.training_flops_per_token}


# --- the design tools ----------------------------------------------------------------------------

def search_dict(result: SearchResult) -> dict[str, object]:
    def one(c: SearchCandidate) -> dict[str, object]:
        return {"label": c.label, "sizes": c.sizes, "params": c.params}

    return {"family": result.family, "space": result.space,
            "fitting": result.fitting, "budget_params": result.budget,
            "candidates": [one(c) for c in result.best],
            "pareto": {"axis": result.pareto_axis,
                       "candidates": [one(c) for c in result.pareto]}}


def growth_dict(series: list[Series]) -> dict[str, object]:
    return {s.axis: {"fixed": s.fixed, "sizes": s.sizes, "params": s.params,
                     "exponent": round(s.exponent, 4)} for s in series}


def init_list(scales: list[Scales]) -> list[dict[str, object]]:
    from dataclasses import asdict

    return [asdict(s) for s in scales]


def sparsity_list(tensors: list[SparseTensor]) -> list[dict[str, object]]:
    return [{"name": t.name, "shape": list(t.shape), "sparsity": float(t.sparsity),
             "nonzeros": t.nonzeros, "bytes": t.bytes,
             "break_even": {k: float(v) for k, v in t.break_even.items()}} for t in tensors]


def preset_list(presets: list[Preset]) -> list[dict[str, str]]:
    """Every preset: name, kind, description, where its numbers come from."""
    return [{"name": p.name, "kind": p.kind, "description": p.description, "source": p.source}
            for p in presets]


def dtype_list(catalogue: list[Precision]) -> list[dict[str, str]]:
    return [{"name": p.name, "bits": str(p.bits_per_value), "description": p.description}
            for p in catalogue]


def check_dict(report: Report, checks: list[tuple[str, int, int, bool]]) -> dict[str, object]:
    """A budget check: each (what, used, limit, ok)."""
    return {"source": report.source, "ok": all(ok for *_, ok in checks),
            "checks": [{"what": what, "used": used, "limit": limit, "ok": ok}
                       for what, used, limit, ok in checks]}


def diff_dict(d: Diff) -> dict[str, object]:
    return {"a": {"source": d.a.source, "total_params": d.a.total_params},
            "b": {"source": d.b.source, "total_params": d.b.total_params},
            "same": d.same, "only_a": d.only_a, "only_b": d.only_b,
            "mismatched": [{"name": name, "a": list(x), "b": list(y)}
                           for name, x, y in d.mismatched],
            "tied_not_stored": d.tied_not_stored, "fused_experts": d.fused,
            "gguf_names": d.gguf_names or None}


# --- speed ---------------------------------------------------------------------------------------

def gpu_list(gpus: list[GPU]) -> list[dict[str, object]]:
    """The catalogue: name, bytes, bandwidth (bytes/s), peak_<precision> (dense FLOP/s), link,
    note, source (of the memory) and spec_source (of bandwidth and peaks), verified (the figures
    were compared with the stored page in source) and checked (what that comparison found)."""
    return [{"name": g.name, "bytes": g.bytes, "bandwidth": g.bandwidth,
             **{f"peak_{k}": v for k, v in g.peaks},
             "link": None if g.link is None else
             {"name": g.link.name, "bandwidth": g.link.bandwidth, "source": g.link.source},
             "note": g.note, "source": g.source, "spec_source": g.spec_source or g.source,
             "verified": g.verified, "checked": g.checked}
            for g in gpus]


def _step_dict(step: Step, tokens: int) -> dict[str, object]:
    return {"weight_bytes": step.weight_bytes, "cache_bytes": step.cache_bytes,
            "bytes": step.bytes, "flops": step.flops, "allreduce_bytes": step.comm_bytes,
            "memory_s": step.memory_s, "compute_s": step.compute_s,
            "allreduce_s": step.comm_s, "overhead_s": step.overhead_s,
            "eager_scores_bytes": step.attention_bytes, "eager_scores_s": step.attention_s,
            "bound": step.bound,
            "roofline_s": step.roofline_s, "expected_s": step.expected_s,
            "tokens_per_s": {"roofline": tokens / step.roofline_s,
                             "expected": tokens / step.expected_s}}


def speed_dict(s: Speed, planner: tuple[int, int] | None = None) -> dict[str, object]:
    """The schema of `nnsize speed --json` and POST /api/speed; planner: (bytes the memory
    planner needs a card, bytes usable there) for the same setup (speed.setup.planner_fit)."""
    return {**_speed_dict(s), **({"planner": {
        "fits": planner[0] <= planner[1], "needed_bytes": planner[0],
        "usable_bytes": planner[1]}} if planner else {})}


def _speed_dict(s: Speed) -> dict[str, object]:
    from .speed import speed_notes

    hw, e = s.hardware, s.engine
    return {
        "model": s.source, "dtype": s.dtype, "gguf_mix": s.gguf_mix, "kv_dtype": s.kv_dtype,
        "batch": s.batch,
        "context": s.context, "prompt": s.prompt, "layers": s.layers,
        "state_bytes": s.state_bytes,  # a state-space model's, in cache_bytes; 0 for the others
        "hardware": {"gpu": hw.name, "gpus": hw.gpus, "bandwidth_bytes_per_s": hw.bandwidth,
                     "peak_flops": hw.peak_flops, "compute_dtype": hw.compute,
                     "link": None if hw.link is None else
                     {"name": hw.link.name, "bandwidth_bytes_per_s": hw.link.bandwidth},
                     "source": hw.source},
        "engine": {"name": e.name, "bandwidth_share": e.bandwidth_share,
                   "compute_share": e.compute_share, "layer_overhead_s": e.layer_overhead_s,
                   "token_overhead_s": e.token_overhead_s,
                   "call_overhead_s": e.call_overhead_s,
                   "sequence_overhead_s": e.sequence_overhead_s, "fitted_on": e.fitted_on,
                   "source": e.source, "measured": e.measured},
        "decode": {**_step_dict(s.decode, s.batch),
                   "tokens_per_s_per_sequence": {"roofline": 1 / s.decode.roofline_s,
                                                 "expected": 1 / s.decode.expected_s},
                   "compute_bound_batch": s.compute_bound_batch},
        "prefill": {**_step_dict(s.prefill, s.batch * s.prompt),
                    "time_to_first_token_s": {"roofline": s.prefill.roofline_s,
                                              "expected": s.prefill.expected_s}},
        "offload": None if s.offload is None else split_dict(s.offload),
        "notes": speed_notes(s),
    }


def training_dict(t: Training) -> dict[str, object]:
    hw = t.hardware
    best, expected = t.seconds
    step_best, step_expected = t.step_seconds
    return {"model": t.source, "tokens": t.tokens, "context": t.context, "batch": t.batch,
            "gpu": hw.name, "gpus": hw.gpus, "peak_flops": hw.peak_flops,
            "compute_dtype": hw.compute, "mfu": t.mfu,
            "flops_per_token": t.flops_per_token, "six_n_flops_per_token": t.six_n,
            "attention_flops_per_token": t.attention_flops_per_token,
            "total_flops": t.total_flops,
            "seconds": {"roofline": best, "expected": expected},
            "step_seconds": {"roofline": step_best, "expected": step_expected},
            "steps": t.steps, "params": t.params, "chinchilla_tokens": t.chinchilla_tokens}


def _layout(p: Plan) -> dict[str, object] | None:
    """The parallel layout a plan is one rank of, or None."""
    layout = p.setup.layout()
    return None if layout is None else layout.as_dict()
