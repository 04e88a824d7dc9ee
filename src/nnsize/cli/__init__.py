"""The nnsize command: a thin shell over the library, one module per command.

    nnsize 10-20-20-20-2            count (the default command; 'nnsize count X' is the same)
    nnsize net.yaml --explain       a spec file, with the worked sums
    nnsize compare A B C            networks side by side

Each command is a module of this package with run(argv) -> the text to print, named as the
command with "-" written "_" (train_time.py is train-time): a new command is a new module here,
and nothing else (COMMANDS, and --help's list, are read from the package's modules).  A command's
module (and what it needs) is imported only when it runs.  Bad input is one line on stderr and
exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..errors import NnsizeError
from ..lazy import load

# the one command whose module has another name (plan.py: the memory planner's)
RENAMED = {"memory": "plan"}
NOT_COMMANDS = ("options", *RENAMED.values())  # modules here that no command name reaches
DEFAULT = "count"


def _is_name(word: str) -> bool:
    """A command's spelling: lowercase ASCII letters and digits in words joined by single
    hyphens, the first word starting with a letter.  (str methods, not a regex: compiling one
    costs more than a count's arithmetic, at every start.)"""
    return word.isascii() and "a" <= word[:1] <= "z" and \
        all(part.isalnum() and part == part.lower() for part in word.split("-"))


def _is_dashed_network(arg: str) -> bool:
    """'-5-3': a (bad) shorthand that starts with a dash, not an option (a dash, digits, a dash)."""
    head, dash, _ = arg[1:].partition("-")
    return arg[:1] == "-" and dash == "-" and head.isascii() and head.isdigit()


def module_of(word: str) -> str | None:
    """The module of the command named word, None for a word that names none (a network)."""
    if word in RENAMED:
        return RENAMED[word]
    module = word.replace("-", "_")
    if not _is_name(word) or module in NOT_COMMANDS:
        return None
    from importlib.util import find_spec

    return module if find_spec(f"{__name__}.{module}") is not None else None


def commands() -> dict[str, str]:
    """command: its module, for every module of this package that is a command; the default
    first, then by name."""
    import pkgutil

    names = {m.name.replace("_", "-") for m in pkgutil.iter_modules(__path__)
             if not m.name.startswith("_") and m.name not in NOT_COMMANDS} | set(RENAMED)
    ordered = [DEFAULT, *sorted(names - {DEFAULT})]
    return {name: module for name in ordered if (module := module_of(name)) is not None}


def __getattr__(name: str) -> dict[str, str]:
    if name == "COMMANDS":  # read from the modules when asked for, not at every start
        return commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


EXIT_BAD_INPUT = 2


class BudgetExceeded(Exception):
    """A model over its budget, or two sources that differ: the text, and exit code 1."""


def run(argv: Sequence[str]) -> str:
    """The text the command prints for these arguments; raises NnsizeError for bad input."""
    argv = list(argv)
    if argv in (["--version"], ["-V"]):
        from ..version import __version__

        return f"nnsize {__version__}"
    module = module_of(argv[0]) if argv else None
    if module is not None:
        argv.pop(0)
    # '-5-3' is a (bad) network, not an option: keep it where the shorthand parser can say why.
    end = argv.index("--") if "--" in argv else len(argv)
    dashed = [a for a in argv[:end] if _is_dashed_network(a)]
    if dashed:
        argv = [a for a in argv[:end] if a not in dashed] + ["--", *dashed, *argv[end + 1:]]
    command = load(f"{__name__}.{module or DEFAULT}")
    return str(command.run(argv))


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
    except MemoryError:  # every input is bounded; a machine short of memory still gets a line
        print("nnsize: error: out of memory", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def console() -> int:
    """The nnsize program (its console script, and python -m nnsize): main() on this process's
    command line, in a process that lives for one command.  The cycle collector runs 100,000
    allocations apart instead of 700, and the objects left at the end are frozen: its passes
    over every imported module's objects, during start-up and once more at exit, cost a tenth
    of a first call and free nothing a command this short leaves (benchmarks/startup.py).
    A long command (serve, a traced plan) is still collected, less often."""
    import gc

    gc.set_threshold(100_000)
    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(console())
