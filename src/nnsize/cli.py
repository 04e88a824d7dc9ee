"""The nnsize command: a thin shell over the library.

    nnsize 10-20-20-20-2            count (the default command; 'nnsize count X' is the same)
    nnsize net.yaml --explain       a spec file, with the worked sums
    nnsize compare A B C            networks side by side

Bad input is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from .errors import NnsizeError

DEFAULT_NETWORK = "10-20-20-20-2"
COMMANDS = ("count", "compare")
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        raise NnsizeError(f"{message} (see '{self.prog} --help')")


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("table", "json", "markdown", "csv"), default="table",
                   help="output format (default: table)")
    p.add_argument("--json", dest="format", action="store_const", const="json",
                   help="short for --format json")
    p.add_argument("--convention", choices=("pytorch", "keras"), default="pytorch",
                   help="whose tensors to count where frameworks differ (LSTM biases, "
                        "BatchNorm statistics); default pytorch")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nnsize", description="Exact sizes of neural networks: parameters layer by "
                "layer, memory at every precision, compute.",
                epilog="Commands: count (the default), compare. "
                       "'nnsize compare --help' for its options.")
    p.add_argument("network", nargs="?",
                   help=f"an MLP shorthand such as 10-20-20-20-2 or 784-512x4-10, or a .json / "
                        f".yaml layer spec (default: {DEFAULT_NETWORK})")
    mlp = p.add_argument_group("the original calculator (instead of NETWORK)")
    mlp.add_argument("--inputs", type=int, help="input neurons")
    mlp.add_argument("--hidden-layers", type=int, help="number of hidden layers")
    mlp.add_argument("--neurons", type=int, help="neurons per hidden layer")
    mlp.add_argument("--outputs", type=int, help="output neurons")
    p.add_argument("--explain", action="store_true", help="print the worked sums")
    _output_options(p)
    return p


def _compare_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nnsize compare", description="Networks side by side, one row each.")
    p.add_argument("networks", nargs="+", help="shorthands or spec files")
    _output_options(p)
    return p


def _network(args: argparse.Namespace) -> str:
    from .shorthand import from_counts

    calc = (args.inputs, args.hidden_layers, args.neurons, args.outputs)
    if all(v is None for v in calc):
        return DEFAULT_NETWORK if args.network is None else args.network
    if args.network:
        raise NnsizeError("give either NETWORK or --inputs/--hidden-layers/--neurons/--outputs")
    missing = [f"--{name}" for name, v in zip(("inputs", "hidden-layers", "neurons", "outputs"),
                                              calc) if v is None]
    if missing and missing != ["--neurons"] or (missing and args.hidden_layers != 0):
        raise NnsizeError(f"the calculator needs {', '.join(missing)} too")
    return from_counts(args.inputs, args.hidden_layers, args.neurons or 1, args.outputs)


def run(argv: Sequence[str]) -> str:
    """The text the command prints for these arguments; raises NnsizeError for bad input."""
    import nnsize

    from .render import compare, render

    argv = list(argv)
    command = argv.pop(0) if argv and argv[0] in COMMANDS else "count"
    # '-5-3' is a (bad) network, not an option: keep it where the shorthand parser can say why.
    end = argv.index("--") if "--" in argv else len(argv)
    dashed = [a for a in argv[:end] if re.match(r"-[0-9]", a)]
    if dashed:
        argv = [a for a in argv[:end] if a not in dashed] + ["--", *dashed, *argv[end + 1:]]
    if command == "compare":
        args = _compare_parser().parse_args(argv)
        reports = [nnsize.count(s, args.convention) for s in args.networks]
        return compare(reports, args.format)
    args = _parser().parse_args(argv)
    report = nnsize.count(_network(args), args.convention)
    return render(report, args.format, args.explain)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        out = run(sys.argv[1:] if argv is None else argv)
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
    except NnsizeError as e:
        print(f"nnsize: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # nnsize ... | head
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
    except RecursionError:
        print("nnsize: error: input nested too deeply", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
