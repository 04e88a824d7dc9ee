"""What several commands share: the parser that fails in one line, the output options, the
options of a model source, and the planner's setup (derived from memory.setup.Setup)."""

from __future__ import annotations

import argparse

from ..errors import NnsizeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn


# what a help text names as {NAME}: read from the tables that hold it when help is shown, so
# that a command's run imports none of them
SHOWN = ("FILES", "REQUEST_S", "DEADLINE_S")


def _shown() -> dict[str, str]:
    """{NAME}'s text: the model files nnsize reads (importers.FORMATS), the Hub's deadlines."""
    from ..hub.deadlines import DEADLINE_S, REQUEST_S
    from ..importers import SUFFIXES

    return {"FILES": ", ".join(SUFFIXES), "REQUEST_S": f"{REQUEST_S:g}",
            "DEADLINE_S": f"{DEADLINE_S:g}"}


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        raise NnsizeError(f"{message} (see '{self.prog} --help')")

    def format_help(self) -> str:
        values: dict[str, str] = {}
        for action in self._actions:
            for name in SHOWN:
                if action.help and f"{{{name}}}" in action.help:
                    values = values or _shown()
                    action.help = action.help.replace(f"{{{name}}}", values[name])
        return super().format_help()

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse builds a formatter for every add_argument, and its width from
        # shutil.get_terminal_size(), whose import (shutil, bz2, lzma...) is a tenth of a count's
        # start-up: the same width, without shutil
        formatter: Any = self.formatter_class  # every HelpFormatter takes a width
        return formatter(prog=self.prog, width=_columns() - 2)  # type: ignore[no-any-return]


def _columns() -> int:
    """The terminal's columns as shutil.get_terminal_size() finds them: $COLUMNS, the
    terminal of stdout, else 80."""
    import os
    import sys

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def output_options(p: argparse.ArgumentParser) -> None:
    from ..render import FORMATS

    p.add_argument("--format", choices=FORMATS, default="table",
                   help="output format (default: table)")
    p.add_argument("--json", dest="format", action="store_const", const="json",
                   help="short for --format json")
    p.add_argument("--convention", choices=("pytorch", "keras"), default=None,
                   help="whose tensors to count where frameworks differ (LSTM biases, "
                        "BatchNorm statistics); default: keras for .keras files, else pytorch")


def json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="JSON for scripts")


def source_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", nargs="?", default="10-20-20-20-2",
                   help="anything 'nnsize' counts (default 10-20-20-20-2)")
    hub_options(p)


class _HubSeconds(argparse.Action):
    """--hub-timeout / --hub-deadline: a number of seconds, given to hub/session.py at once."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from ..hub.deadlines import LONGEST_S, OPTIONS

        try:
            value = float(values)
        except ValueError:
            value = -1.0
        if not 0 < value <= LONGEST_S:
            parser.error(f"{option_string} {values!r}: give a number of seconds, more than 0 "
                         f"and at most {LONGEST_S:,.0f}")
        OPTIONS[{"hub_timeout": "NNSIZE_HUB_TIMEOUT"}.get(self.dest, "NNSIZE_HUB_DEADLINE")] = value
        setattr(namespace, self.dest, value)


def hub_options(p: argparse.ArgumentParser) -> None:
    """The deadlines of a Hub model's reading (hf:org/name), before the environment's."""
    p.add_argument("--hub-timeout", action=_HubSeconds, metavar="SECONDS", default=None,
                   help="for a Hub model, the seconds each request to the Hub may take "
                        "(default {REQUEST_S}; also NNSIZE_HUB_TIMEOUT)")
    p.add_argument("--hub-deadline", action=_HubSeconds, metavar="SECONDS", default=None,
                   help="for a Hub model, the seconds all of its requests may take together, "
                        "retries included (default {DEADLINE_S}; also NNSIZE_HUB_DEADLINE)")


def model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input-size", type=sizes, default=None,
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
    hub_options(p)


def sizes(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.replace("x", ",").split(","))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected sizes like 1,3,224,224, got {text!r}") from e
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return values


def model_kwargs(args: argparse.Namespace) -> dict[str, object]:
    """The options of sources.count() that model_options() read."""
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


def count(args: argparse.Namespace, source: str, convention: str | None = None) -> Any:
    """sources.count(source) with the model options given, or the plain GPT the shape options
    (gpt_options) give."""
    from .. import sources

    shape = gpt_numbers(args)
    if shape:
        if source:
            raise NnsizeError("give a model or a GPT shape (--layers --hidden --heads), not both")
        from ..architectures.gpt_shape import report

        return report(**shape)
    if not source:
        raise NnsizeError("give a model (a preset, a config.json...) or a GPT shape (--layers "
                          "--hidden --heads)")
    return sources.count(source, convention, **model_kwargs(args))


GPT_FLAGS = ("layers", "hidden", "heads", "kv_heads", "ffn", "vocab")


def language_model_options(p: argparse.ArgumentParser) -> None:
    """model_options and gpt_options: the commands that plan a language model."""
    model_options(p)
    gpt_options(p)


def gpt_options(p: argparse.ArgumentParser) -> None:
    """A plain GPT of the papers, for models with no config (parallel.shape.gpt)."""
    for name in GPT_FLAGS:
        p.add_argument("--" + name.replace("_", "-"), type=int, default=0,
                       help="a plain GPT shape (no model named): " + name.replace("_", " ") +
                       (" (default 4 x hidden)" if name == "ffn" else
                        " (default 51,200)" if name == "vocab" else
                        " (default: heads)" if name == "kv_heads" else ""))


def gpt_numbers(args: argparse.Namespace) -> dict[str, int]:
    """The GPT shape options given ({} where none of layers, hidden, heads is)."""
    a = vars(args)
    if not any(a.get(k) for k in ("layers", "hidden", "heads")):
        return {}
    from ..architectures.gpt_shape import VOCAB

    return {k: int(a.get(k) or 0) for k in GPT_FLAGS} | {"vocab": int(a.get("vocab") or VOCAB)}


# --- the planner's setup, from memory.setup.Setup's fields --------------------------------------

def _flag(f: Any) -> str:
    return str(f.metadata["flag"] or "--" + f.name.replace("_", "-"))


def field_options(p: argparse.ArgumentParser, described: list[Any]) -> None:
    """One option per field of a setup described once (memory.setup, speed.setup)."""
    for f in described:
        m, flag = f.metadata, _flag(f)
        if f.type == "bool" and m["choices"]:  # a bool spelled as one of two words
            p.add_argument(flag, dest=f.name, choices=m["choices"],
                           default=m["choices"][0 if f.default else 1], help=m["help"])
        elif f.type == "bool":
            p.add_argument(flag, dest=f.name, action="store_false" if m["negated"] else
                           "store_true", help=m["help"])
        elif m["listed"]:
            p.add_argument(flag, dest=f.name, default=",".join(f.default), help=m["help"])
        elif f.type in ("int", "int | None", "float", "float | None"):
            p.add_argument(flag, dest=f.name, type=int if f.type.startswith("int") else float,
                           default=f.default, help=m["help"])
        else:
            p.add_argument(flag, dest=f.name, default=f.default, help=m["help"],
                           choices=m["choices"] or None)


def from_fields(cls: Any, described: list[Any], args: argparse.Namespace) -> Any:
    """The setup (an instance of cls) the options of field_options() describe."""
    values: dict[str, Any] = {}
    for f in described:
        value = getattr(args, f.name)
        m = f.metadata
        if f.type == "bool" and m["choices"]:
            value = value == m["choices"][0]
        elif m["listed"]:
            value = () if value.strip() == "none" else \
                tuple(v.strip() for v in value.split(",") if v.strip())
        values[f.name] = value
    return cls(**values)


def setup_options(p: argparse.ArgumentParser) -> None:
    """The source and one option per Setup field."""
    from ..memory.setup import setup_fields

    p.add_argument("source", nargs="?", default="", help="anything 'nnsize' counts: a "
                   "preset, a config.json, a checkpoint, a layer spec, a shorthand (or none "
                   "with --layers --hidden --heads)")
    field_options(p, setup_fields())
    json_option(p)
    language_model_options(p)


def setup(args: argparse.Namespace) -> Any:
    """The Setup the options of setup_options() describe."""
    from ..memory.setup import Setup, setup_fields

    return from_fields(Setup, setup_fields(), args)
