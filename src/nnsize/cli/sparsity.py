"""nnsize sparsity: non-zero weights and their memory, dense and in sparse formats."""

from __future__ import annotations

from typing import Any

from ..errors import NnsizeError
from .options import Parser, json_option, source_option


def run(argv: list[str]) -> str:
    from .. import sources
    from ..render.design import sparsity_text
    from ..sparsity import parse_sparsity, sparsify

    p = Parser(prog="nnsize sparsity", description="Non-zero weights and their memory, dense "
                "and in sparse formats, at a sparsity.")
    source_option(p)
    p.add_argument("--sparsity", required=True, help="the fraction of weights that are zero")
    p.add_argument("--layer", action="append", default=[], metavar="NAME=SPARSITY",
                   help="a sparsity for the weights whose name starts with NAME (repeatable)")
    p.add_argument("--value-bits", type=int, default=32, help="bits per value (32)")
    p.add_argument("--index-bits", type=int, default=64, help="bits per index (64, as "
                   "torch.sparse)")
    json_option(p)
    args = p.parse_args(argv)
    per_layer: dict[str, Any] = {}
    for item in args.layer:
        name, sep, value = item.partition("=")
        if not sep:
            raise NnsizeError(f"--layer {item!r}: write NAME=SPARSITY")
        per_layer[name] = parse_sparsity(value)
    if args.value_bits < 1:
        raise NnsizeError("--value-bits must be at least 1")
    report = sources.count(args.source)
    tensors = sparsify(report, parse_sparsity(args.sparsity), per_layer, args.value_bits,
                       args.index_bits)
    if not tensors:
        raise NnsizeError(f"{report.source} has no weight matrices to make sparse")
    if args.json:
        from ..render.json import dumps, sparsity_list

        return dumps(sparsity_list(tensors))
    return sparsity_text(report, tensors, args.value_bits, args.index_bits)
