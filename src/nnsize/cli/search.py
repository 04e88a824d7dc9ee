"""nnsize search: the architectures of a family that fit a budget, and the Pareto front."""

from __future__ import annotations

import argparse

from ..errors import NnsizeError
from .options import Parser, json_option


def _budget(args: argparse.Namespace) -> tuple[int, int | None]:
    """(the most parameters, the bits per parameter when the budget is memory)."""
    from ..precision import PARAMETER_TABLE
    from ..units import parse_bytes, parse_count

    if (args.max_params is None) == (args.max_memory is None):
        raise NnsizeError("give one budget: --max-params (like 1M) or --max-memory (like 4MiB)")
    precisions = {p.name: p for p in PARAMETER_TABLE}
    if args.dtype not in precisions:
        raise NnsizeError(f"unknown --dtype {args.dtype!r}; one of {', '.join(precisions)}")
    bits = int(precisions[args.dtype].bits_per_value)
    if args.max_params is not None:
        return parse_count(args.max_params, "--max-params"), None
    return parse_bytes(args.max_memory, "--max-memory") * 8 // bits, bits


def run(argv: list[str]) -> str:
    from ..render.design import search_text
    from ..search import parse_range, search_cnn, search_llama, search_mlp

    p = Parser(prog="nnsize search", description="The architectures of a family that fit a "
                "budget, largest first, and the Pareto front.")
    p.add_argument("family", choices=("mlp", "llama", "cnn"))
    p.add_argument("--max-params", help="at most this many parameters: 1M, 1.5B, 100000")
    p.add_argument("--max-memory", help="at most this much parameter memory: 4MiB, 1GB")
    p.add_argument("--dtype", default="fp32", help="the precision of that memory (fp32)")
    p.add_argument("--top", type=int, default=10, help="how many candidates to list (10)")
    json_option(p)
    g = p.add_argument_group("mlp")
    g.add_argument("--inputs", type=int, default=784)
    g.add_argument("--outputs", type=int, default=10)
    g.add_argument("--depth", default="1:4", help="hidden layers: 1:4, or 1,2,8")
    g.add_argument("--width", default="16:1024:16", help="hidden widths: 16:1024:16, or 64,128")
    g.add_argument("--per-layer", action="store_true", help="each hidden layer its own width")
    g.add_argument("--pareto", choices=("depth", "width"), default="depth",
                   help="the front's axis: the most parameters for each depth (default) or width")
    g = p.add_argument_group("llama")
    g.add_argument("--hidden", default="256:4096:64", help="hidden_size range")
    g.add_argument("--layers", default="16", help="num_hidden_layers")
    g.add_argument("--heads", default="8,16,32", help="num_attention_heads")
    g.add_argument("--kv-heads", default="1,2,4,8", help="num_key_value_heads")
    g.add_argument("--intermediate", default=None,
                   help="intermediate_size (default: 8/3 of hidden, a multiple of 256)")
    g.add_argument("--mlp-ratio", type=float, default=None, help="intermediate / hidden")
    g.add_argument("--vocab", default="32000", help="vocab_size")
    g.add_argument("--tied", action="store_true", help="tie the head to the embeddings")
    g = p.add_argument_group("cnn")
    g.add_argument("--in-channels", type=int, default=3)
    g.add_argument("--classes", type=int, default=10)
    g.add_argument("--base", default="8:256:8", help="channels of the first stage")
    g.add_argument("--stages", default="2:5", help="stages (channels double each)")
    g.add_argument("--blocks", default="1:4", help="3x3 convolutions per stage")
    args = p.parse_args(argv)
    budget, bits = _budget(args)
    if args.top < 1:
        raise NnsizeError("--top must be at least 1")
    if args.family == "mlp":
        if args.inputs < 1 or args.outputs < 1:
            raise NnsizeError("--inputs and --outputs must be at least 1")
        result = search_mlp(args.inputs, args.outputs, parse_range(args.depth, "--depth", 0),
                            parse_range(args.width, "--width"), budget, args.top, args.per_layer,
                            args.pareto)
    elif args.family == "llama":
        inter = parse_range(args.intermediate, "--intermediate") if args.intermediate else None
        result = search_llama(parse_range(args.hidden, "--hidden"),
                              parse_range(args.layers, "--layers"),
                              parse_range(args.heads, "--heads"),
                              parse_range(args.kv_heads, "--kv-heads"), inter, args.mlp_ratio,
                              parse_range(args.vocab, "--vocab"), args.tied, budget, args.top)
    else:
        result = search_cnn(args.in_channels, args.classes, parse_range(args.base, "--base"),
                            parse_range(args.stages, "--stages"),
                            parse_range(args.blocks, "--blocks"), budget, args.top)
    if args.json:
        from ..render.json import dumps, search_dict

        return dumps(search_dict(result))
    return search_text(result, bits)
