"""nnsize compare A B C: networks side by side, one row each."""

from __future__ import annotations

from .options import Parser, output_options


def run(argv: list[str]) -> str:
    from .. import sources
    from ..render.compare import compare

    p = Parser(prog="nnsize compare", description="Networks side by side, one row each.")
    p.add_argument("networks", nargs="+", help="shorthands or spec files")
    output_options(p)
    args = p.parse_args(argv)
    return compare([sources.count(s, args.convention) for s in args.networks], args.format)
