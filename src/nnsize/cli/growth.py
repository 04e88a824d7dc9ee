"""nnsize growth: how parameters grow with width and depth."""

from __future__ import annotations

from .options import Parser, json_option


def run(argv: list[str]) -> str:
    from ..growth import mlp_growth, plot
    from ..render.design import growth_text
    from ..search import Range, parse_range

    p = Parser(prog="nnsize growth", description="How parameters grow with width and depth.")
    p.add_argument("network", nargs="?", default="10-20-20-20-2",
                   help="an MLP shorthand with one hidden width (default 10-20-20-20-2)")
    p.add_argument("--width", help="hidden widths (default: a quarter to 8x the network's)")
    p.add_argument("--depth", help="hidden layers (default 1,2,4,...,64)")
    p.add_argument("--plot", help="also draw it to this .png or .svg file (needs matplotlib)")
    json_option(p)
    args = p.parse_args(argv)
    from ..shorthand import parse

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
        from ..render.json import dumps, growth_dict

        return dumps(growth_dict([by_width, by_depth]))
    return growth_text(args.network, [by_width, by_depth])
