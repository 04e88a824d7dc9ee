"""nnsize check SOURCE --max-params / --max-memory: exit 1 when a model exceeds a budget."""

from __future__ import annotations

from ..errors import NnsizeError
from .options import Parser, json_option, model_options


def run(argv: list[str]) -> str:
    from ..precision import PARAMETER_TABLE, memory_table
    from ..units import parse_bytes, parse_count
    from . import BudgetExceeded
    from .options import count

    p = Parser(prog="nnsize check", description="Exit 1 when a model exceeds a budget (for CI).")
    p.add_argument("source", help="anything 'nnsize' counts")
    p.add_argument("--max-params", help="most parameters allowed, e.g. 10M, 1.5B, 1102")
    p.add_argument("--max-memory", help="most parameter memory allowed, e.g. 8GiB or 500MB "
                   "(GiB and MiB are powers of 1024, GB and MB of 1000)")
    p.add_argument("--dtype", default="fp32", help="precision of that memory (default fp32)")
    p.add_argument("--convention", choices=("pytorch", "keras"), default=None)
    json_option(p)
    model_options(p)
    args = p.parse_args(argv)
    if args.max_params is None and args.max_memory is None:
        raise NnsizeError("give --max-params and/or --max-memory")
    max_params = parse_count(args.max_params, "--max-params") if args.max_params else None
    max_memory = parse_bytes(args.max_memory, "--max-memory") if args.max_memory else None
    precisions = {p.name: p for p in PARAMETER_TABLE}
    if args.dtype not in precisions:
        from ..errors import suggest

        raise NnsizeError(f"unknown --dtype {args.dtype!r}{suggest(args.dtype, list(precisions))}"
                          f"; one of {', '.join(precisions)}")
    report = count(args, args.source, args.convention)
    checks: list[tuple[str, int, int, bool]] = []  # what, used, limit, within it
    if max_params is not None:
        checks.append(("parameters", report.total_params, max_params,
                       report.total_params <= max_params))
    if max_memory is not None:
        used = memory_table(report.total_params)[args.dtype]
        checks.append((f"parameter memory at {args.dtype}", used, max_memory,
                       used <= max_memory))
    if args.json:
        from ..render.json import check_dict, dumps

        text = dumps(check_dict(report, checks))
    else:
        from ..render.check import check_text

        text = check_text(report, checks)
    if not all(ok for *_, ok in checks):
        raise BudgetExceeded(text)
    return text
