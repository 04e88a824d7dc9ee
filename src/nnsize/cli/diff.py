"""nnsize diff A B: two sources of one model compared; exit 1 if they differ."""

from __future__ import annotations

from .options import Parser, hub_options, json_option


def run(argv: list[str]) -> str:
    from .. import sources
    from ..diff import compare
    from . import BudgetExceeded

    p = Parser(prog="nnsize diff", description="Compare two sources of the same model "
               "(a config or preset and a checkpoint, or two checkpoints); exit 1 if they "
               "differ.")
    p.add_argument("a", help="a config, preset or checkpoint; or a Hub model (org/name) or a "
                   "model folder alone: its config against its checkpoint")
    p.add_argument("b", nargs="?")
    p.add_argument("--base", action="store_true", help="count configs as base models")
    json_option(p)
    hub_options(p)
    args = p.parse_args(argv)
    options: dict[str, object] = {"base": True} if args.base else {}
    if args.b is None:
        import os

        from ..errors import NnsizeError
        from ..hub.name import parse

        if parse(args.a) is None and not os.path.isdir(args.a):
            raise NnsizeError("give two sources to compare, or one Hub model (org/name) or "
                              "model folder to compare its config with its checkpoint")
        a = sources.count(args.a, None, part="config", **options)
        b = sources.count(args.a, None, part="checkpoint", **options)
    else:
        a, b = sources.count(args.a, None, **options), sources.count(args.b, None, **options)
    result = compare(a, b)
    if args.json:
        from ..render.json import diff_dict, dumps

        text = dumps(diff_dict(result))
    else:
        from ..render.diff import diff_text

        text = diff_text(result)
    if not result.same:
        raise BudgetExceeded(text)
    return text
