"""nnsize init: Xavier, He, LeCun and orthogonal scales of every weight."""

from __future__ import annotations

from .options import Parser, json_option, source_option


def run(argv: list[str]) -> str:
    from .. import sources
    from ..initialization import report_scales
    from ..render.design import init_text

    p = Parser(prog="nnsize init", description="Xavier, He, LeCun and orthogonal scales of "
                "every weight, as torch.nn.init computes them.")
    source_option(p)
    p.add_argument("--nonlinearity", default="relu", help="for the gain: relu (default), "
                   "leaky_relu, tanh, selu, sigmoid, linear")
    p.add_argument("--param", type=float, default=None, help="leaky_relu's negative slope")
    json_option(p)
    args = p.parse_args(argv)
    report = sources.count(args.source)
    scales = report_scales(report, args.nonlinearity, args.param)
    if args.json:
        from ..render.json import dumps, init_list

        return dumps(init_list(scales))
    return init_text(report, scales, args.nonlinearity)
