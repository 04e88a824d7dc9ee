"""The design tools' commands: search, growth, init, sparsity (thin shells, as cli.py)."""

from __future__ import annotations

import argparse
from typing import Any

from .cli import _Parser
from .errors import NnsizeError


def _budget(args: argparse.Namespace) -> tuple[int, int | None]:
    """(the most parameters, the bits per parameter when the budget is memory)."""
    from .precision import PARAMETER_TABLE
    from .units import parse_bytes, parse_count

    if (args.max_params is None) == (args.max_memory is None):
        raise NnsizeError("give one budget: --max-params (like 1M) or --max-memory (like 4MiB)")
    precisions = {p.name: p for p in PARAMETER_TABLE}
    if args.dtype not in precisions:
        raise NnsizeError(f"unknown --dtype {args.dtype!r}; one of {', '.join(precisions)}")
    bits = int(precisions[args.dtype].bits_per_value)
    if args.max_params is not None:
        return parse_count(args.max_params, "--max-params"), None
    return parse_bytes(args.max_memory, "--max-memory") * 8 // bits, bits


def search(argv: list[str]) -> str:
    from .render import search_json, search_text
    from .search import parse_range, search_cnn, search_llama, search_mlp

    p = _Parser(prog="nnsize search", description="The architectures of a family that fit a "
                "budget, largest first, and the Pareto front.")
    p.add_argument("family", choices=("mlp", "llama", "cnn"))
    p.add_argument("--max-params", help="at most this many parameters: 1M, 1.5B, 100000")
    p.add_argument("--max-memory", help="at most this much parameter memory: 4MiB, 1GB")
    p.add_argument("--dtype", default="fp32", help="the precision of that memory (fp32)")
    p.add_argument("--top", type=int, default=10, help="how many candidates to list (10)")
    p.add_argument("--json", action="store_true", help="JSON for scripts")
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
    return search_json(result) if args.json else search_text(result, bits)


def growth(argv: list[str]) -> str:
    import json

    from .growth import mlp_growth, plot
    from .render import growth_text
    from .search import Range, parse_range

    p = _Parser(prog="nnsize growth", description="How parameters grow with width and depth.")
    p.add_argument("network", nargs="?", default="10-20-20-20-2",
                   help="an MLP shorthand with one hidden width (default 10-20-20-20-2)")
    p.add_argument("--width", help="hidden widths (default: a quarter to 8x the network's)")
    p.add_argument("--depth", help="hidden layers (default 1,2,4,...,64)")
    p.add_argument("--plot", help="also draw it to this .png or .svg file (needs matplotlib)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    from .shorthand import parse

    hidden = parse(args.network)[1:-1]
    w = hidden[0][0] if hidden else 1
    widths = parse_range(args.width, "--width") if args.width else \
        Range(tuple(sorted({max(1, w // 4), max(1, w // 2), w, 2 * w, 4 * w, 8 * w})))
    depths = parse_range(args.depth, "--depth") if args.depth else \
        Range((1, 2, 4, 8, 16, 32, 64))
    _, _, by_width, by_depth = mlp_growth(args.network, widths, depths)
    if args.plot:
        plot([by_width, by_depth], f"{args.network}: parameters", args.plot)
    if args.json:
        return json.dumps({s.axis: {"fixed": s.fixed, "sizes": s.sizes, "params": s.params,
                                    "exponent": round(s.exponent, 4)}
                           for s in (by_width, by_depth)}, indent=2)
    return growth_text(args.network, [by_width, by_depth])


def _source(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", nargs="?", default="10-20-20-20-2",
                   help="anything 'nnsize' counts (default 10-20-20-20-2)")


def init(argv: list[str]) -> str:
    import json

    import nnsize

    from .initialization import report_scales
    from .render import init_text

    p = _Parser(prog="nnsize init", description="Xavier, He, LeCun and orthogonal scales of "
                "every weight, as torch.nn.init computes them.")
    _source(p)
    p.add_argument("--nonlinearity", default="relu", help="for the gain: relu (default), "
                   "leaky_relu, tanh, selu, sigmoid, linear")
    p.add_argument("--param", type=float, default=None, help="leaky_relu's negative slope")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    report = nnsize.count(args.source)
    scales = report_scales(report, args.nonlinearity, args.param)
    if args.json:
        from dataclasses import asdict

        return json.dumps([asdict(s) for s in scales], indent=2)
    return init_text(report, scales, args.nonlinearity)


def sparsity(argv: list[str]) -> str:
    import json

    import nnsize

    from .render import sparsity_text
    from .sparsity import parse_sparsity, sparsify

    p = _Parser(prog="nnsize sparsity", description="Non-zero weights and their memory, dense "
                "and in sparse formats, at a sparsity.")
    _source(p)
    p.add_argument("--sparsity", required=True, help="the fraction of weights that are zero")
    p.add_argument("--layer", action="append", default=[], metavar="NAME=SPARSITY",
                   help="a sparsity for the weights whose name starts with NAME (repeatable)")
    p.add_argument("--value-bits", type=int, default=32, help="bits per value (32)")
    p.add_argument("--index-bits", type=int, default=64, help="bits per index (64, as "
                   "torch.sparse)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    per_layer: dict[str, Any] = {}
    for item in args.layer:
        name, sep, value = item.partition("=")
        if not sep:
            raise NnsizeError(f"--layer {item!r}: write NAME=SPARSITY")
        per_layer[name] = parse_sparsity(value)
    if args.value_bits < 1:
        raise NnsizeError("--value-bits must be at least 1")
    report = nnsize.count(args.source)
    tensors = sparsify(report, parse_sparsity(args.sparsity), per_layer, args.value_bits,
                       args.index_bits)
    if not tensors:
        raise NnsizeError(f"{report.source} has no weight matrices to make sparse")
    if args.json:
        return json.dumps([{"name": t.name, "shape": list(t.shape),
                            "sparsity": float(t.sparsity), "nonzeros": t.nonzeros,
                            "bytes": t.bytes,
                            "break_even": {k: float(v) for k, v in t.break_even.items()}}
                           for t in tensors], indent=2)
    return sparsity_text(report, tensors, args.value_bits, args.index_bits)
