"""nnsize memory: memory for inference or training, line by line, and the sum."""

from __future__ import annotations

from .options import Parser, count, setup, setup_options


def run(argv: list[str]) -> str:
    from ..memory import as_tool, plan
    from ..memory.peers import TOOLS

    p = Parser(prog="nnsize memory", description="Memory for inference or training, line by "
               "line, and the sum.")
    setup_options(p)
    p.add_argument("--as", dest="tool", choices=TOOLS,
                   help="also the figure under that tool's assumptions, and the difference")
    p.add_argument("--list-dtypes", action="store_true", help="list the precisions and exit")
    if "--list-dtypes" in argv:
        from ..precision import catalogue

        if "--json" in argv:
            from ..render.json import dtype_list, dumps

            return dumps(dtype_list(list(catalogue().values())))
        from ..render.plan import dtype_table

        return dtype_table(list(catalogue().values()))
    args = p.parse_args(argv)
    s = setup(args)
    report = count(args, args.source)
    result = plan(report, s)
    tool = as_tool(report, args.tool, s) if args.tool else None
    if args.json:
        from ..render.json import dumps, plan_dict

        return dumps(plan_dict(result, tool))
    from ..render.plan import plan_text

    return plan_text(result, tool)
