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
    p.add_argument("--images", type=int, default=-1,
                   help="images in each sequence: an image-text model's tokens per image join "
                   "the context (default: as memory plans it, one for a model whose "
                   "cross-attention layers read an image, else none)")
    json_option(p)
    hub_options(p)
    args = p.parse_args(argv)
    report = sources.count(args.source)
    from ..memory import Setup
    from ..memory.plan import images_of, settle

    # the memory planner's defaults: 2,048 tokens at most the model's own, its images
    context = args.context or settle(report, Setup()).context
    asked = Setup(context=context, images=args.images)
    asked.check()  # the bounds memory's setup states: --images -1 (the default) or more
    images = images_of(report, asked)
    c = compute(report, image_context(report, context, images), images)
    if args.json:
        from ..render.json import compute_dict, dumps

        return dumps(compute_dict(c))
    from ..render.plan import compute_text

    return compute_text(args.source, c)
