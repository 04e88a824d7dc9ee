"""The planner's commands: memory, fit, compute (thin shells over memory.py, as cli.py)."""

from __future__ import annotations

import argparse
import json
from fractions import Fraction
from typing import Any

from .cli import _model_options, _options, _Parser
from .memory import KEEP, MIXED, OPTIMIZERS, SHARDING, Setup


def _setup_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="anything 'nnsize' counts: a preset, a config.json, a "
                   "checkpoint, a layer spec, a shorthand")
    p.add_argument("--dtype", default="bf16", help="weights' precision: fp32, bf16, fp16, fp8, "
                   "int8, int8-channel, gptq-int4[-gN], awq-int4, nf4, nf4-dq, mxfp4, nvfp4, "
                   "the GGUF types (q4_k, q8_0...), ternary, binary (default bf16)")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--context", type=int, default=2048, help="tokens per sequence (2048)")
    p.add_argument("--kv-dtype", help="the KV cache's precision (default: the compute one)")
    p.add_argument("--mla", choices=("latent", "expanded"), default="latent",
                   help="DeepSeek's latent attention cache: compressed (serving engines) or "
                        "expanded (transformers)")
    p.add_argument("--train", action="store_true", help="training instead of inference")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adamw")
    p.add_argument("--mixed-precision", choices=MIXED, default="autocast",
                   help="with a 16-bit --dtype: torch.autocast over fp32 weights (default, as "
                        "the Trainer's bf16=True runs), 16-bit weights with fp32 master "
                        "weights (DeepSpeed, Megatron), or none (pure 16-bit)")
    p.add_argument("--no-mixed-precision", action="store_true",
                   help="the same as --mixed-precision none")
    p.add_argument("--attention", choices=("sdpa", "eager"), default="sdpa",
                   help="transformers' attention: sdpa (default; flash / memory-efficient) or "
                        "eager (keeps the heads x context x context probabilities)")
    p.add_argument("--engine", choices=("transformers", "vllm", "llama.cpp"),
                   default="transformers", help="inference as this engine serves it "
                   "(default transformers: the whole prompt in one pass)")
    p.add_argument("--chunk", type=int, help="prompt tokens per forward pass (vLLM's "
                   "max_num_batched_tokens, llama.cpp's --ubatch-size; default the engine's)")
    p.add_argument("--gpu-memory-utilization", type=float,
                   help="vLLM's share of the GPU (default 0.9)")
    p.add_argument("--imatrix", action="store_true",
                   help="a GGUF mix made with an importance matrix (changes a few tensors)")
    p.add_argument("--checkpointing", action="store_true", help="activation checkpointing")
    p.add_argument("--gpus", type=int, default=1)
    p.add_argument("--sharding", choices=SHARDING, default="none",
                   help="data parallel (ddp), ZeRO 1/2/3, FSDP or tensor parallel over --gpus")
    p.add_argument("--lora-rank", type=int, default=0, help="train LoRA adapters of this rank")
    p.add_argument("--lora-targets", default="q_proj,v_proj",
                   help="module names to adapt, or all-linear (q_proj,v_proj)")
    p.add_argument("--qlora", action="store_true", help="LoRA over NF4 base weights")
    p.add_argument("--keep", default=",".join(KEEP),
                   help="what a weight-only format (int4, nf4, q4_k...) leaves at the compute "
                        "precision: norms, biases, embeddings, head, or none (default: all four)")
    p.add_argument("--json", action="store_true")
    _model_options(p)


def _setup(args: argparse.Namespace) -> Setup:
    return Setup(dtype=args.dtype, batch=args.batch, context=args.context,
                 kv_dtype=args.kv_dtype, latent=args.mla == "latent", train=args.train,
                 optimizer=args.optimizer, mixed_precision=not args.no_mixed_precision,
                 checkpointing=args.checkpointing, gpus=args.gpus, sharding=args.sharding,
                 lora_rank=args.lora_rank,
                 lora_targets=tuple(t.strip() for t in args.lora_targets.split(",") if t),
                 qlora=args.qlora, mixed=args.mixed_precision, attention=args.attention,
                 engine=args.engine, chunk=args.chunk,
                 gpu_memory_utilization=None if args.gpu_memory_utilization is None else
                 Fraction(str(args.gpu_memory_utilization)), imatrix=args.imatrix,
                 keep=() if args.keep.strip() == "none" else
                 tuple(k.strip() for k in args.keep.split(",") if k.strip()))


def _report(args: argparse.Namespace) -> Any:
    import nnsize

    return nnsize.count(args.source, None, **_options(args))


def memory(argv: list[str]) -> str:
    from .memory import as_tool, plan
    from .render import plan_text

    p = _Parser(prog="nnsize memory", description="Memory for inference or training, line by "
                "line, and the sum.")
    _setup_options(p)
    p.add_argument("--as", dest="tool", choices=("accelerate", "deepspeed"),
                   help="also the figure under that tool's assumptions, and the difference")
    p.add_argument("--list-dtypes", action="store_true", help="list the precisions and exit")
    if "--list-dtypes" in argv:
        from .precision import catalogue
        from .render import table

        return table(["Precision", "Bits per value", "What"],
                     [[c.name, f"{float(c.bits_per_value):.4g}", c.description]
                      for c in catalogue().values()], [False, True, False])
    args = p.parse_args(argv)
    setup = _setup(args)
    report = _report(args)
    result = plan(report, setup)
    tool = as_tool(report, args.tool, setup) if args.tool else None
    if args.json:
        return json.dumps({"title": result.title, "total_bytes": result.total,
                           "lines": [{"name": line.name, "bytes": line.bytes, "how": line.how,
                                      "exact": line.exact} for line in result.lines],
                           "notes": result.notes,
                           **({"as": {"tool": args.tool, "bytes": tool[0], "why": tool[1]}}
                              if tool else {})}, indent=2)
    return plan_text(result, args.tool, tool)


def fit(argv: list[str]) -> str:
    from .gpus import find_gpu
    from .memory import fit as fit_plan
    from .render import fit_text

    p = _Parser(prog="nnsize fit", description="Will it fit on a GPU: the largest batch, the "
                "longest context, the fewest GPUs, the precisions that fit.")
    _setup_options(p)
    p.add_argument("--gpu", required=True, help="a size (24GiB, 80 GB) or a GPU: rtx-4090, "
                   "a100-80gb, h100-80gb...")
    args = p.parse_args(argv)
    gpu = find_gpu(args.gpu)
    from dataclasses import replace

    setup = replace(_setup(args), gpu_bytes=gpu.bytes, gpu_name=gpu.name)
    share = setup.serving().memory_fraction  # vLLM takes its share of the whole GPU
    usable = gpu.usable if share == 1 or setup.train else gpu.bytes * share.numerator // \
        share.denominator
    result = fit_plan(_report(args), setup, usable)
    if args.json:
        return json.dumps({"gpu": gpu.name, "gpu_bytes": gpu.bytes, "usable_bytes": usable,
                           "fits": result.fits, "total_bytes": result.plan.total,
                           "largest_batch": result.largest_batch,
                           "longest_context": result.longest_context,
                           "fewest_gpus": result.fewest_gpus,
                           "precisions": [{"dtype": n, "bytes": b, "fits": f}
                                          for n, b, f in result.precisions]}, indent=2)
    return fit_text(result, gpu)


def compute(argv: list[str]) -> str:
    from .memory import compute as count_compute
    from .render import compute_text

    p = _Parser(prog="nnsize compute", description="Multiply-accumulates and FLOPs of a "
                "language model: per token, prefill, decode, training.")
    p.add_argument("source")
    p.add_argument("--context", type=int, default=2048)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    import nnsize

    c = count_compute(nnsize.count(args.source), args.context)
    if args.json:
        return json.dumps({"context": c.context, "linear_macs_per_token": c.linear_macs,
                           "attention_macs_prefill": c.attention_macs_prefill,
                           "prefill_flops": c.prefill_flops, "decode_flops": c.decode_flops,
                           "training_flops_per_token": c.training_flops_per_token}, indent=2)
    return compute_text(args.source, c)
