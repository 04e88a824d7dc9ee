"""nnsize speed: decode tokens per second and time to first token, bound and expected."""

from __future__ import annotations

import argparse
from typing import Any

from .options import Parser, count, json_option, model_options


def hardware_options(p: argparse.ArgumentParser) -> None:
    """--gpu, --gpus, --tflops: what speed and train-time share."""
    p.add_argument("--gpu", help="a card of the catalogue: rtx-4090, h100-80gb, m2-ultra, "
                   "mi300x... (nnsize speed --list-gpus)")
    p.add_argument("--gpus", type=int, default=1, help="cards (tensor parallel for speed, data "
                   "parallel for train-time; default 1)")
    p.add_argument("--tflops", type=float, help="dense peak TFLOP/s of one card at the compute "
                   "precision, for a card not in the catalogue or to override it")


def card(args: argparse.Namespace) -> Any:
    """The catalogue's card --gpu names, or a card known only by --bandwidth and --tflops."""
    from ..errors import NnsizeError
    from ..gpus import GPU, find_gpu

    if args.gpu:
        return find_gpu(args.gpu)
    if getattr(args, "bandwidth", None) is None and args.tflops is None:
        raise NnsizeError("give --gpu (a card of the catalogue), or --bandwidth and --tflops")
    return GPU("the card given", 0, "--bandwidth and --tflops")


def run(argv: list[str]) -> str:
    from ..memory import KEEP
    from ..speed import ENGINES, hardware, parse_bandwidth
    from ..speed import speed as estimate

    if "--list-gpus" in argv:
        from ..gpus import GPUS
        from ..render.speed import gpu_table

        return gpu_table(list(GPUS.values()))
    p = Parser(prog="nnsize speed", description="How fast a language model decodes and reads "
               "a prompt: the bytes and FLOPs of each step over the card's bandwidth and peak, "
               "as a roofline bound and as the value an engine reaches.")
    p.add_argument("source", help="a preset, a config.json, a Hub id: a language model")
    hardware_options(p)
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
    json_option(p)
    model_options(p)
    args = p.parse_args(argv)
    band = parse_bandwidth(args.bandwidth) if args.bandwidth else None
    hw = hardware(card(args), args.dtype, args.gpus, band, args.tflops, args.compute_dtype)
    keep = () if args.keep.strip() == "none" else \
        tuple(k.strip() for k in args.keep.split(",") if k.strip())
    result = estimate(count(args, args.source), hw, args.dtype, args.kv_dtype, args.batch,
                      args.context, args.prompt, args.engine, args.mla == "latent", keep)
    if args.json:
        from ..render.json import dumps, speed_dict

        return dumps(speed_dict(result))
    from ..render.speed import speed_text

    return speed_text(result)
