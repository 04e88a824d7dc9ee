"""nnsize [count] NETWORK: the layer table, the totals, the memory table (the default command)."""

from __future__ import annotations

import argparse

from ..errors import NnsizeError
from .options import Parser, model_options, output_options

DEFAULT_NETWORK = "10-20-20-20-2"


# a word on the commands whose name does not say it, in --help's list
NOTES = {"count": "the default", "serve": "the web calculator"}


def commands() -> str:
    """The commands of the COMMANDS table, for --help: 'count (the default), compare, ...'."""
    from . import COMMANDS

    return ", ".join(f"{c} ({NOTES[c]})" if c in NOTES else c for c in COMMANDS)


class _Help(Parser):
    def format_help(self) -> str:  # cli/'s modules read only for --help
        self.epilog = f"Commands: {commands()}. 'nnsize COMMAND --help' for each one's options."
        return super().format_help()


def parser() -> argparse.ArgumentParser:
    p = _Help(prog="nnsize", description="Exact sizes of neural networks: parameters layer by "
              "layer, memory at every precision, compute.")
    p.add_argument("network", nargs="?",
                   help=f"an MLP shorthand such as 10-20-20-20-2 or 784-512x4-10, a .json / "
                        f".yaml layer spec, a model file ({{FILES}}), a model folder, "
                        f"torch:package.module:factory, or a Hugging Face Hub model: "
                        f"org/name[@revision][:QUANT] (default: {DEFAULT_NETWORK})")
    mlp = p.add_argument_group("the original calculator (instead of NETWORK)")
    mlp.add_argument("--inputs", type=int, help="input neurons")
    mlp.add_argument("--hidden-layers", type=int, help="number of hidden layers")
    mlp.add_argument("--neurons", type=int, help="neurons per hidden layer")
    mlp.add_argument("--outputs", type=int, help="output neurons")
    p.add_argument("--explain", action="store_true", help="print the worked sums")
    output_options(p)
    model_options(p)
    return p


def network(args: argparse.Namespace) -> str:
    """The NETWORK argument, or the calculator's four numbers as a shorthand."""
    calc = (args.inputs, args.hidden_layers, args.neurons, args.outputs)
    if all(v is None for v in calc):
        return DEFAULT_NETWORK if args.network is None else str(args.network)
    if args.network:
        raise NnsizeError("give either NETWORK or --inputs/--hidden-layers/--neurons/--outputs")
    missing = [f"--{name}" for name, v in zip(("inputs", "hidden-layers", "neurons", "outputs"),
                                              calc) if v is None]
    if missing and missing != ["--neurons"] or (missing and args.hidden_layers != 0):
        raise NnsizeError(f"the calculator needs {', '.join(missing)} too")
    from ..shorthand import from_counts

    return from_counts(args.inputs, args.hidden_layers, args.neurons or 1, args.outputs)


def run(argv: list[str]) -> str:
    from ..render import render
    from .options import count

    args = parser().parse_args(argv)
    report = count(args, network(args), args.convention)
    text = render(report, args.format, args.explain)
    if not argv:  # the plain `nnsize`: the calculator's default network, and where to go next
        text += ("\n\nAny network: nnsize 784-512x4-10, nnsize llama-3.1-8b, nnsize net.yaml "
                 "(nnsize --help).\nThe web calculator: nnsize serve, then open "
                 "http://127.0.0.1:8000/ (needs the web extra: pip install 'nnsize[web]').")
    return text
