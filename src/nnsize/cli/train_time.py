"""nnsize train-time: time to train a language model on N tokens, at a stated MFU."""

from __future__ import annotations

from .options import Parser, count, json_option, model_options
from .speed import card, hardware_options


def run(argv: list[str]) -> str:
    from ..speed import hardware, training
    from ..units import parse_count

    p = Parser(prog="nnsize train-time", description="Time to train a language model on a "
               "number of tokens: 6 x active parameters + attention FLOPs a token, over the "
               "cards' peak at a model-FLOPs utilisation.")
    p.add_argument("source", help="a preset, a config.json, a Hub id: a language model")
    p.add_argument("--tokens", help="training tokens, e.g. 15T, 300B (default: "
                   "Chinchilla-optimal, 20 per parameter)")
    hardware_options(p)
    p.add_argument("--dtype", default="bf16", help="the precision the matmuls run at (bf16)")
    p.add_argument("--mfu", type=float, default=0.4,
                   help="model-FLOPs utilisation, the share of peak reached (0.4)")
    p.add_argument("--context", type=int, default=4096, help="tokens per sequence (4096)")
    p.add_argument("--batch", type=int, help="sequences per step, all cards together "
                   "(default: one per card)")
    json_option(p)
    model_options(p)
    args = p.parse_args(argv)
    report = count(args, args.source)
    hw = hardware(card(args), args.dtype, args.gpus, None, args.tflops, need_bandwidth=False)
    tokens = parse_count(args.tokens, "--tokens") if args.tokens else 20 * report.total_params
    result = training(report, hw, tokens, args.mfu, args.context, args.batch)
    if args.json:
        from ..render.json import dumps, training_dict

        return dumps(training_dict(result))
    from ..render.speed import training_text

    return training_text(result)
