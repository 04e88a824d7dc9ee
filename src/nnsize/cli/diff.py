"""nnsize diff A B: two sources of one model compared; exit 1 if they differ."""

from __future__ import annotations

from .options import Parser, json_option


def run(argv: list[str]) -> str:
    from .. import sources
    from ..diff import compare
    from . import BudgetExceeded

    p = Parser(prog="nnsize diff", description="Compare two sources of the same model "
               "(a config or preset and a checkpoint, or two checkpoints); exit 1 if they "
               "differ.")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--base", action="store_true", help="count configs as base models")
    json_option(p)
    args = p.parse_args(argv)
    options: dict[str, object] = {"base": True} if args.base else {}
    result = compare(sources.count(args.a, None, **options),
                     sources.count(args.b, None, **options))
    if args.json:
        from ..render.json import diff_dict, dumps

        text = dumps(diff_dict(result))
    else:
        from ..render.diff import diff_text

        text = diff_text(result)
    if not result.same:
        raise BudgetExceeded(text)
    return text
