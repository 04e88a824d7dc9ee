"""nnsize compute: multiply-accumulates and FLOPs of a language model."""

from __future__ import annotations

from .options import Parser, hub_options, json_option


def run(argv: list[str]) -> str:
    from .. import sources
    from ..memory import compute
    from ..memory.compute import image_context

    p = Parser(prog="nnsize compute", description="Multiply-accumulates and FLOPs of a "
               "language model: per token, prefill, decode, training.")
    p.add_argument("source")
    p.add_argument("--context", type=int, default=0,
                   help="tokens (default: 2048, or the model's own longest context where it is "
                   "shorter, as memory plans it)")
    p.add_argument("--images", type=int, default=0,
                   help="images in the context: an image-text model's tokens per image join it")
    json_option(p)
    hub_options(p)
    args = p.parse_args(argv)
    report = sources.count(args.source)
    context = args.context
    if not context:  # the memory planner's default: 2,048 at most the model's own
        from ..memory import Setup
        from ..memory.plan import settle

        context = settle(report, Setup()).context
    c = compute(report, image_context(report, context, args.images), args.images)
    if args.json:
        from ..render.json import compute_dict, dumps

        return dumps(compute_dict(c))
    from ..render.plan import compute_text

    return compute_text(args.source, c)
