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
COMMANDS = ("count", "compare", "check", "presets", "diff", "serve", "search", "growth", "init",
            "sparsity", "memory", "fit", "compute")
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        raise NnsizeError(f"{message} (see '{self.prog} --help')")


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("table", "json", "markdown", "csv"), default="table",
                   help="output format (default: table)")
    p.add_argument("--json", dest="format", action="store_const", const="json",
                   help="short for --format json")
    p.add_argument("--convention", choices=("pytorch", "keras"), default=None,
                   help="whose tensors to count where frameworks differ (LSTM biases, "
                        "BatchNorm statistics); default: keras for .keras files, else pytorch")


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input-size", type=_sizes, default=None,
                   help="for torch: models, the input shape with the batch, e.g. 1,3,224,224 "
                        "(shapes and compute come from a forward pass that allocates nothing)")
    p.add_argument("--input-dtype", choices=("float32", "float16", "bfloat16", "int64"),
                   default=None, help="dtype of that input (int64 for token ids)")
    p.add_argument("--depth", type=int, default=None,
                   help="for torch: models, fold modules deeper than this into their parent")
    p.add_argument("--base", action="store_true",
                   help="for a config.json or a language-model preset, count the base model "
                        "(no language-model head)")
    p.add_argument("--actions", type=int, default=None,
                   help="for the dqn preset, the number of actions (default 18)")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(v) for v in text.replace("x", ",").split(","))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected sizes like 1,3,224,224, got {text!r}") from e
    if not sizes or any(v < 1 for v in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return sizes


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nnsize", description="Exact sizes of neural networks: parameters layer by "
                "layer, memory at every precision, compute.",
                epilog="Commands: count (the default), compare, check, diff, presets, serve "
                       "(the web calculator), memory, fit, compute, search, growth, init, "
                       "sparsity. "
                       "'nnsize COMMAND --help' for each one's options.")
    p.add_argument("network", nargs="?",
                   help=f"an MLP shorthand such as 10-20-20-20-2 or 784-512x4-10, a .json / "
                        f".yaml layer spec, an .onnx or .keras file, torch:package.module:"
                        f"factory, or a Hugging Face Hub model: org/name[@revision][:QUANT] "
                        f"(default: {DEFAULT_NETWORK})")
    mlp = p.add_argument_group("the original calculator (instead of NETWORK)")
    mlp.add_argument("--inputs", type=int, help="input neurons")
    mlp.add_argument("--hidden-layers", type=int, help="number of hidden layers")
    mlp.add_argument("--neurons", type=int, help="neurons per hidden layer")
    mlp.add_argument("--outputs", type=int, help="output neurons")
    p.add_argument("--explain", action="store_true", help="print the worked sums")
    _output_options(p)
    _model_options(p)
    return p


def _check_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nnsize check", description="Exit 1 when a model exceeds a budget (for CI).")
    p.add_argument("source", help="anything 'nnsize' counts")
    p.add_argument("--max-params", help="most parameters allowed, e.g. 10M, 1.5B, 1102")
    p.add_argument("--max-memory", help="most parameter memory allowed, e.g. 8GiB or 500MB "
                   "(GiB and MiB are powers of 1024, GB and MB of 1000)")
    p.add_argument("--dtype", default="fp32", help="precision of that memory (default fp32)")
    p.add_argument("--convention", choices=("pytorch", "keras"), default=None)
    _model_options(p)
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
    dashed = [a for a in argv[:end] if re.match(r"-[0-9]+-", a)]
    if dashed:
        argv = [a for a in argv[:end] if a not in dashed] + ["--", *dashed, *argv[end + 1:]]
    if command == "compare":
        args = _compare_parser().parse_args(argv)
        reports = [nnsize.count(s, args.convention) for s in args.networks]
        return compare(reports, args.format)
    if command == "check":
        return check(_check_parser().parse_args(argv))
    if command == "diff":
        return diff(argv)
    if command == "serve":
        return serve(argv)
    if command in ("memory", "fit", "compute"):
        from . import planner

        return str(getattr(planner, command)(argv))
    if command in ("search", "growth", "init", "sparsity"):
        from . import design

        return str(getattr(design, command)(argv))
    if command == "presets":
        from .presets import presets
        from .render import preset_table

        _Parser(prog="nnsize presets", description="The models nnsize knows by name.") \
            .parse_args(argv)
        return preset_table(list(presets().values()))
    args = _parser().parse_args(argv)
    report = nnsize.count(_network(args), args.convention, **_options(args))
    text = render(report, args.format, args.explain)
    if not argv:  # the plain `nnsize`: the calculator's default network, and where to go next
        text += ("\n\nAny network: nnsize 784-512x4-10, nnsize llama-3.1-8b, nnsize net.yaml "
                 "(nnsize --help).\nThe web calculator: nnsize serve, then open "
                 "http://127.0.0.1:8000/ (needs the web extra: pip install 'nnsize[web]').")
    return text


def _options(args: argparse.Namespace) -> dict[str, object]:
    options: dict[str, object] = {}
    if args.input_size:
        options["input_size"] = args.input_size
    if args.depth is not None:
        options["depth"] = args.depth
    if args.base:
        options["base"] = True
    if args.actions is not None:
        options["actions"] = args.actions
    if args.input_dtype:
        import torch

        options["input_dtype"] = getattr(torch, args.input_dtype)
    return options


class BudgetExceeded(Exception):
    """A model over its budget, or two sources that differ: the text, and exit code 1."""


def serve(argv: list[str]) -> str:
    p = _Parser(prog="nnsize serve", description="The web calculator and its HTTP API.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: "
                   "127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    args = p.parse_args(argv)
    try:
        import uvicorn

        from .web.app import create_app
    except ImportError as e:
        raise NnsizeError("the web calculator needs its extra: pip install 'nnsize[web]'") from e
    print(f"nnsize web calculator on http://{args.host}:{args.port}/ (Ctrl+C stops it)",
          flush=True)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")
    return ""


def diff(argv: list[str]) -> str:
    import nnsize

    from .diff import compare
    from .render import diff_text

    p = _Parser(prog="nnsize diff", description="Compare two sources of the same model "
                "(a config or preset and a checkpoint, or two checkpoints); exit 1 if they "
                "differ.")
    p.add_argument("a", help="a config, preset or checkpoint; or a Hub model alone "
                   "(org/name): its config against its checkpoint")
    p.add_argument("b", nargs="?")
    p.add_argument("--base", action="store_true", help="count configs as base models")
    args = p.parse_args(argv)
    options: dict[str, object] = {"base": True} if args.base else {}
    if args.b is None:
        import os

        from .hub import parse

        if parse(args.a) is None and not os.path.isdir(args.a):
            raise NnsizeError("give two sources to compare, or one Hub model (org/name) or "
                              "model folder to compare its config with its checkpoint")
        a = nnsize.count(args.a, None, part="config", **options)
        b = nnsize.count(args.a, None, part="checkpoint", **options)
    else:
        a, b = nnsize.count(args.a, None, **options), nnsize.count(args.b, None, **options)
    result = compare(a, b)
    text = diff_text(result)
    if not result.same:
        raise BudgetExceeded(text)
    return text


def check(args: argparse.Namespace) -> str:
    import nnsize

    from .precision import PARAMETER_TABLE
    from .units import parse_bytes, parse_count

    if args.max_params is None and args.max_memory is None:
        raise NnsizeError("give --max-params and/or --max-memory")
    max_params = parse_count(args.max_params, "--max-params") if args.max_params else None
    max_memory = parse_bytes(args.max_memory, "--max-memory") if args.max_memory else None
    precisions = {p.name: p for p in PARAMETER_TABLE}
    if args.dtype not in precisions:
        from .errors import suggest

        raise NnsizeError(f"unknown --dtype {args.dtype!r}{suggest(args.dtype, list(precisions))}"
                          f"; one of {', '.join(precisions)}")
    report = nnsize.count(args.source, args.convention, **_options(args))
    lines, over = [], False
    if max_params is not None:
        ok = report.total_params <= max_params
        over |= not ok
        lines.append(f"{'ok  ' if ok else 'OVER'} parameters {report.total_params:,} "
                     f"{'<=' if ok else '>'} {max_params:,}")
    if max_memory is not None:
        used = report.memory[args.dtype]
        ok = used <= max_memory
        over |= not ok
        lines.append(f"{'ok  ' if ok else 'OVER'} parameter memory at {args.dtype} {used:,} B "
                     f"{'<=' if ok else '>'} {max_memory:,} B")
    text = f"{report.source}\n" + "\n".join(lines)
    if over:
        raise BudgetExceeded(text)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    try:
        out = run(sys.argv[1:] if argv is None else argv)
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
    except BudgetExceeded as e:
        sys.stdout.write(f"{e}\n")
        return 1
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
