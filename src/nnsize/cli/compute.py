"""nnsize compute: multiply-accumulates and FLOPs of a language model."""

from __future__ import annotations

from .options import Parser, json_option


def run(argv: list[str]) -> str:
    from .. import sources
    from ..memory import compute

    p = Parser(prog="nnsize compute", description="Multiply-accumulates and FLOPs of a "
               "language model: per token, prefill, decode, training.")
    p.add_argument("source")
    p.add_argument("--context", type=int, default=2048)
    json_option(p)
    args = p.parse_args(argv)
    c = compute(sources.count(args.source), args.context)
    if args.json:
        from ..render.json import compute_dict, dumps

        return dumps(compute_dict(c))
    from ..render.plan import compute_text

    return compute_text(args.source, c)
