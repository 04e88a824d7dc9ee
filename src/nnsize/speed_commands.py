"""The speed commands: nnsize speed and nnsize train-time (thin shells over speed.py)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .cli import _model_options, _options, _Parser


def _hardware_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gpu", help="a card of the catalogue: rtx-4090, h100-80gb, m2-ultra, "
                   "mi300x... (nnsize speed --list-gpus)")
    p.add_argument("--gpus", type=int, default=1, help="cards (tensor parallel for speed, data "
                   "parallel for train-time; default 1)")
    p.add_argument("--tflops", type=float, help="dense peak TFLOP/s of one card at the compute "
                   "precision, for a card not in the catalogue or to override it")


def _card(args: argparse.Namespace) -> Any:
    from .errors import NnsizeError
    from .gpus import GPU, find_gpu

    if args.gpu:
        return find_gpu(args.gpu)
    if getattr(args, "bandwidth", None) is None and args.tflops is None:
        raise NnsizeError("give --gpu (a card of the catalogue), or --bandwidth and --tflops")
    return GPU("the card given", 0, "--bandwidth and --tflops")


def _report(args: argparse.Namespace) -> Any:
    import nnsize

    return nnsize.count(args.source, None, **_options(args))


def _gpu_list() -> str:
    from .gpus import GPUS
    from .render import table

    rows = [[g.name, f"{g.bandwidth / 1e9:,.0f} GB/s",
             ", ".join(f"{k} {v / 1e12:,.4g}" for k, v in g.peaks), g.link.name if g.link else "",
             g.spec_source or g.source] for g in GPUS.values()]
    return table(["GPU", "Memory bandwidth", "Dense peak TFLOP/s", "Link", "Source"], rows,
                 [False, True, False, False, False])


def speed(argv: list[str]) -> str:
    from .memory import KEEP
    from .render_speed import speed_json, speed_text
    from .speed import ENGINES, hardware, parse_bandwidth
    from .speed import speed as estimate

    if "--list-gpus" in argv:
        return _gpu_list()
    p = _Parser(prog="nnsize speed", description="How fast a language model decodes and reads "
                "a prompt: the bytes and FLOPs of each step over the card's bandwidth and peak, "
                "as a roofline bound and as the value an engine reaches.")
    p.add_argument("source", help="a preset, a config.json, a Hub id: a language model")
    _hardware_options(p)
    p.add_argument("--bandwidth", help="memory bandwidth of one card, e.g. 1008GB/s or 3.35TB/s")
    p.add_argument("--dtype", default="bf16", help="the weights' precision (default bf16): "
                   "fp32, bf16, fp16, fp8, int8, gptq-int4, nf4, the GGUF types (q4_0, q8_0...)")
    p.add_argument("--kv-dtype", help="the KV cache's precision (default: the compute one)")
    p.add_argument("--compute-dtype", help="the precision the matmuls run at (default: the "
                   "weights' for floats, fp8 for fp8 on cards that have it, else bf16)")
    p.add_argument("--context", type=int, default=2048, help="tokens in the cache while "
                   "decoding (2048)")
    p.add_argument("--batch", type=int, default=1, help="sequences decoded together (1)")
    p.add_argument("--prompt", type=int, default=512, help="prompt tokens for the time to "
                   "first token (512)")
    p.add_argument("--engine", default="llama.cpp", choices=list(ENGINES),
                   help="whose measured efficiency the expected values use (llama.cpp)")
    p.add_argument("--mla", choices=("latent", "expanded"), default="latent",
                   help="DeepSeek's latent attention cache: compressed or expanded")
    p.add_argument("--keep", default=",".join(KEEP),
                   help="what a weight-only format leaves at 16 bits: norms, biases, "
                        "embeddings, head, or none (GGUF files: none)")
    p.add_argument("--list-gpus", action="store_true", help="the catalogue, with sources")
    p.add_argument("--json", action="store_true")
    _model_options(p)
    args = p.parse_args(argv)
    band = parse_bandwidth(args.bandwidth) if args.bandwidth else None
    hw = hardware(_card(args), args.dtype, args.gpus, band, args.tflops, args.compute_dtype)
    keep = () if args.keep.strip() == "none" else \
        tuple(k.strip() for k in args.keep.split(",") if k.strip())
    result = estimate(_report(args), hw, args.dtype, args.kv_dtype, args.batch, args.context,
                      args.prompt, args.engine, args.mla == "latent", keep)
    if args.json:
        return json.dumps(speed_json(result), indent=2)
    return speed_text(result)


def train_time(argv: list[str]) -> str:
    from .render_speed import training_json, training_text
    from .speed import hardware, training
    from .units import parse_count

    p = _Parser(prog="nnsize train-time", description="Time to train a language model on a "
                "number of tokens: 6 x active parameters + attention FLOPs a token, over the "
                "cards' peak at a model-FLOPs utilisation.")
    p.add_argument("source", help="a preset, a config.json, a Hub id: a language model")
    p.add_argument("--tokens", help="training tokens, e.g. 15T, 300B (default: "
                   "Chinchilla-optimal, 20 per parameter)")
    _hardware_options(p)
    p.add_argument("--dtype", default="bf16", help="the precision the matmuls run at (bf16)")
    p.add_argument("--mfu", type=float, default=0.4,
                   help="model-FLOPs utilisation, the share of peak reached (0.4)")
    p.add_argument("--context", type=int, default=4096, help="tokens per sequence (4096)")
    p.add_argument("--batch", type=int, help="sequences per step, all cards together "
                   "(default: one per card)")
    p.add_argument("--json", action="store_true")
    _model_options(p)
    args = p.parse_args(argv)
    report = _report(args)
    hw = hardware(_card(args), args.dtype, args.gpus, None, args.tflops, need_bandwidth=False)
    tokens = parse_count(args.tokens, "--tokens") if args.tokens else 20 * report.total_params
    result = training(report, hw, tokens, args.mfu, args.context, args.batch)
    if args.json:
        return json.dumps(training_json(result), indent=2)
    return training_text(result)
