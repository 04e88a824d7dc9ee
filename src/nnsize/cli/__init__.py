"""The nnsize command: a thin shell over the library, one module per command.

    nnsize 10-20-20-20-2            count (the default command; 'nnsize count X' is the same)
    nnsize net.yaml --explain       a spec file, with the worked sums
    nnsize compare A B C            networks side by side

Each command is a module of this package with run(argv) -> the text to print; COMMANDS names
them, and a command's module (and what it needs) is imported only when it runs.  Bad input is
one line on stderr and exit code 2.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

from ..errors import NnsizeError

# command: its module in this package
COMMANDS = {
    "count": "count", "compare": "compare", "check": "check", "presets": "presets",
    "diff": "diff", "serve": "serve", "search": "search", "growth": "growth", "init": "init",
    "sparsity": "sparsity", "memory": "plan", "fit": "fit", "compute": "compute",
    "speed": "speed", "train-time": "train_time", "layout": "layout",
}
EXIT_BAD_INPUT = 2


class BudgetExceeded(Exception):
    """A model over its budget, or two sources that differ: the text, and exit code 1."""


def run(argv: Sequence[str]) -> str:
    """The text the command prints for these arguments; raises NnsizeError for bad input."""
    import importlib

    argv = list(argv)
    if argv in (["--version"], ["-V"]):
        from ..version import __version__

        return f"nnsize {__version__}"
    command = argv.pop(0) if argv and argv[0] in COMMANDS else "count"
    # '-5-3' is a (bad) network, not an option: keep it where the shorthand parser can say why.
    end = argv.index("--") if "--" in argv else len(argv)
    dashed = [a for a in argv[:end] if re.match(r"-[0-9]+-", a)]
    if dashed:
        argv = [a for a in argv[:end] if a not in dashed] + ["--", *dashed, *argv[end + 1:]]
    module = importlib.import_module(f"{__name__}.{COMMANDS[command]}")
    return str(module.run(argv))


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


if __name__ == "__main__":
    sys.exit(main())
