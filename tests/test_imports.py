"""The imports of src/nnsize, read with ast (nothing is executed): no cycle, and each package
imports only those below it.

    core (errors, units, model, precision, spec, files)  <  layers  <  sources (network,
    shorthand, architectures, importers, hub, diff, sources)  <  analyses (memory, sparsity,
    initialization, search, growth, gpus, speed)  <  render  <  cli, web  <  the package
    itself (__init__)

Imports inside functions count too: a lazy import is still a dependency.  One exception, named
in PRESENTERS: a Report's and a Row's methods for users (`str(report)`, `to_dict()`,
`formula_text`...) live in model/report.py and model/row.py, where a reader sees what a Report
can do, and import render/ inside those methods only; nothing below render/ calls them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "nnsize"

LEVELS = [
    # engines: the engine registry, data that memory/ and speed/ both read; limits: a config's
    # longest context, which architectures/ records and memory/ reads; child: work in a child
    # process under limits, which architectures/ (the fallback's build) and web/ use; least:
    # the bisection memory/ (fewest GPUs) and speed/ (the batch where compute binds) share
    # records: the frozen records model/ and layers/ are made of; compute: a language model's
    # MACs a token, a count's own figure (memory/ re-exports it for the planner); lazy: the
    # packages' names imported when first used
    ("lazy", "errors", "units", "records", "model", "compute", "precision", "spec", "version",
     "files", "engines", "limits", "child", "least"),
    ("layers",),
    # diff sits with the sources: a pure comparison of two reports, which hub/ uses to say
    # where a model's config and its checkpoint differ
    ("network", "shorthand", "architectures", "importers", "hub", "diff", "sources"),
    # parallel layouts: numbers of a counted report's shape, below the analyses that use them
    ("parallel",),
    ("memory", "sparsity", "initialization", "search", "growth", "gpus", "speed"),
    ("render",),
    ("cli", "web"),
    ("__init__", "__main__"),
]
LEVEL = {unit: i for i, units in enumerate(LEVELS) for unit in units}
# module: the modules above it that it may import inside a function (and nowhere else)
PRESENTERS = {"nnsize.model.report": {"nnsize.render.json", "nnsize.render.report"},
              "nnsize.model.row": {"nnsize.render.json", "nnsize.render.numbers"}}


def _name(path: Path) -> str:
    parts = ["nnsize", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in SRC.rglob("*.py")}


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _lazy(tree: ast.Module) -> set[int]:
    """The ids of the import nodes inside a function of this module."""
    return {id(node) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
            for node in ast.walk(f) if isinstance(node, (ast.Import, ast.ImportFrom))}


def imports(module: str, presenters: bool = False) -> set[str]:
    """The nnsize modules this one imports, anywhere in it; with presenters, also the lazy
    imports PRESENTERS allows (left out otherwise)."""
    tree = ast.parse(MODULES[module].read_text())
    package = module if _is_package(module) else module.rpartition(".")[0]
    allowed, lazy = PRESENTERS.get(module, set()), _lazy(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if not presenters and id(node) in lazy and allowed & imports_of(node, package):
            continue
        found |= imports_of(node, package)
    return {m for m in found if m in MODULES and m != module}


def imports_of(node: ast.AST, package: str) -> set[str]:
    """The nnsize modules one import statement names."""
    found: set[str] = set()
    if isinstance(node, ast.Import):
        found |= {a.name for a in node.names if a.name.split(".")[0] == "nnsize"}
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = package.split(".")
            base = base[:len(base) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        if target.split(".")[0] != "nnsize":
            return found
        for a in node.names:  # `from . import sources` names a module
            sub = f"{target}.{a.name}"
            found.add(sub if sub in MODULES else target)
    return found


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


GRAPH = {m: imports(m) for m in MODULES}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph as a path, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_every_unit_has_a_level() -> None:
    assert {unit(m) for m in MODULES} <= set(LEVEL), "place a new module in LEVELS"


def test_no_module_import_cycle() -> None:
    assert _cycle(GRAPH) == []


def test_no_package_import_cycle() -> None:
    units: dict[str, set[str]] = {}
    for m, targets in GRAPH.items():
        units.setdefault(unit(m), set()).update(unit(t) for t in targets if unit(t) != unit(m))
    assert _cycle(units) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_from_below(module: str) -> None:
    upward = sorted(t for t in GRAPH[module] if LEVEL[unit(t)] > LEVEL[unit(module)])
    assert upward == [], f"{module} imports from above it"


def test_the_walk_sees_lazy_and_relative_imports() -> None:
    # cli/serve.py imports the web app inside its run(); model/ imports nothing above it
    # but its presenters, inside its methods
    assert "nnsize.web.app" in GRAPH["nnsize.cli.serve"]
    model = {m for m in MODULES if m.startswith("nnsize.model.")}
    for module in sorted(PRESENTERS):
        assert GRAPH[module] <= {"nnsize.errors", "nnsize.precision", "nnsize.records", *model}
        assert imports(module, presenters=True) - GRAPH[module] == PRESENTERS[module]


def test_presenters_are_lazy() -> None:
    """A presenter's upward import sits inside a function: importing nnsize.model imports no
    render/ module."""
    import subprocess
    import sys

    code = ("import sys, nnsize.model; "
            "print(sorted(m for m in sys.modules if m.startswith('nnsize.render')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": str(SRC.parent)}, check=True)
    assert done.stdout.strip() == "[]"


# --- what a command imports (issue 25: a first call as fast as the work) ------------------------

def _imported(argv: list[str], bare: bool = False) -> set[str]:
    """The modules in sys.modules after the CLI's main() ran argv in a fresh interpreter
    (bare: without the site module, -S)."""
    import ast
    import subprocess
    import sys

    code = ("import os, sys\n"
            "before, out = set(sys.modules), sys.stdout\n"
            "sys.stdout = open(os.devnull, 'w')\n"
            "from nnsize.cli import main\n"
            f"code = main({argv!r})\n"
            "loaded = sorted(set(sys.modules) - before)\n"
            "sys.stdout = out\n"
            "print(code, loaded)\n")
    done = subprocess.run([sys.executable, *(["-S"] if bare else []), "-c", code],
                          capture_output=True, text=True, env={"PYTHONPATH": str(SRC.parent)},
                          check=True)
    status, loaded = done.stdout.split(" ", 1)
    assert status == "0", done.stderr
    return set(ast.literal_eval(loaded))


# the Hub client: all of hub/ but deadlines.py, the defaults the parser reads
HUB_CLIENT = tuple(f"nnsize.hub.{p.stem}" for p in (SRC / "hub").glob("*.py")
                   if p.stem not in ("__init__", "deadlines"))
# never on the calculator's path: the model families, the presets, the planner, parsers of
# file formats, the Hub (the parser reads its deadlines only for --help), the web app, a
# language model's records, other renderers, the importlib package (commands and families are
# loaded by nnsize.lazy.load), and the third-party libraries any of them use
NOT_FOR_A_SHORTHAND = (
    "nnsize.architectures", "nnsize.importers", "nnsize.memory", "nnsize.speed",
    "nnsize.parallel", "nnsize.web", "nnsize.search", "nnsize.growth", "nnsize.gpus",
    "nnsize.engines", "nnsize.render.json", "nnsize.render.plan", "nnsize.diff", *HUB_CLIENT,
    "nnsize.model.decoder", "nnsize.render.compare", "nnsize.render.hub", "importlib.util",
    "nnsize.hub",
    "yaml", "json", "torch", "numpy", "transformers", "jsonschema", "pydantic", "starlette",
    "fractions", "decimal", "pkgutil", "importlib.resources", "urllib", "http", "email", "ssl",
    "socket", "zipfile", "shutil", "tempfile", "subprocess", "multiprocessing", "concurrent")


def _under(names: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in names if any(m == p.rstrip(".") and not p.endswith(".")
                                          or m.startswith(p if p.endswith(".") else p + ".")
                                          for p in prefixes))


def test_the_calculators_path_imports_almost_nothing() -> None:
    """`nnsize 10-20-20-20-2` loads the shorthand, the layer kinds it uses and the text
    renderer: no architecture module, preset, planner, file reader or Hub client."""
    loaded = _imported(["10-20-20-20-2"])
    assert _under(loaded, NOT_FOR_A_SHORTHAND) == []
    assert {"nnsize.shorthand", "nnsize.layers.dense", "nnsize.render.report"} <= loaded
    # the layer kinds it does not use stay unread (conv, norm, attention, recurrent...)
    assert sorted(m for m in loaded if m.startswith("nnsize.layers.")) == \
        ["nnsize.layers.arguments", "nnsize.layers.dense",
         "nnsize.layers.kind", "nnsize.layers.registry"]
    # the four numbers of the original calculator: the same path
    assert _under(_imported(["--inputs", "10", "--hidden-layers", "3", "--neurons", "20",
                             "--outputs", "2"]), NOT_FOR_A_SHORTHAND) == []


def test_version_imports_no_analysis() -> None:
    loaded = _imported(["--version"])
    assert sorted(m for m in loaded if m.startswith("nnsize")) == \
        ["nnsize", "nnsize.cli", "nnsize.errors", "nnsize.lazy", "nnsize.version"]


def test_a_preset_loads_its_own_family_only() -> None:
    """`nnsize llama-3.1-405b --json`: the preset's config and the decoder's modules, not the
    other families' modules, the classic networks, the speed model or the Hub client."""
    from nnsize.architectures import MODULES

    loaded = _imported(["llama-3.1-405b", "--json"])
    families = {f"nnsize.architectures.{m}" for m in MODULES} & loaded
    assert families == {"nnsize.architectures.decoder"}
    assert _under(loaded, ("nnsize.architectures.classic", "nnsize.architectures.fallback",
                           "nnsize.importers.", "nnsize.speed", "nnsize.parallel",
                           "nnsize.web", *HUB_CLIENT, "nnsize.render.plan", "yaml", "torch",
                           "nnsize.shorthand", "nnsize.network", "nnsize.render.compare",
                           "transformers", "numpy", "urllib", "http", "ssl")) == []
    # its linear maps, norms and embedding come from model/blocks.py: no layer kind of a spec
    assert "nnsize.model.blocks" in loaded
    assert _under(loaded, ("nnsize.layers",)) == []


def test_the_benchmarked_paths_build_no_dataclass() -> None:
    """The two commands benchmarks/startup.py times import neither dataclasses (its records are
    nnsize.records, made without compiling methods), nor inspect (which dataclasses pulls in,
    with ast, dis and tokenize), nor typing (annotations only, under TYPE_CHECKING).  Run with
    -S, so that no site hook has imported one of them before."""
    for argv in (["10-20-20-20-2"], ["llama-3.1-405b", "--json"]):
        loaded = _imported(argv, bare=True)
        assert {"nnsize.records", "nnsize.model"} <= loaded
        assert sorted({"dataclasses", "inspect", "typing"} & loaded) == [], argv
    # a language model's MACs a token, in its --json, without the memory planner
    assert _under(_imported(["llama-3.1-405b", "--json"]), ("nnsize.memory",)) == []


def test_a_packages_names_are_imported_when_first_used() -> None:
    """nnsize.lazy.exports: model/ names its records without importing them; a name is its
    module's own object, dir() lists it, an unknown name is an AttributeError.  render/ holds
    render() and FORMATS only: each renderer is imported from its module."""
    import os
    import subprocess
    import sys

    code = ("import sys, nnsize.model as m, nnsize.render as r; "
            "assert 'nnsize.model.decoder' not in sys.modules; "
            "from nnsize.model.decoder import Decoder; assert m.Decoder is Decoder; "
            "assert 'Decoder' in dir(m) and not hasattr(r, 'text'); "
            "assert 'nnsize.render.report' not in sys.modules; "
            "print(hasattr(m, 'Nothing'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(SRC.parent)})
    assert (out.returncode, out.stdout.strip()) == (0, "False"), out.stderr


def test_the_program_is_console() -> None:
    """The console script and python -m nnsize run cli.console (main, with the collector's
    settings of a one-command process); main() itself leaves the collector as it was."""
    import gc

    import tomllib

    from nnsize.cli import main

    scripts = tomllib.loads((SRC.parent.parent / "pyproject.toml").read_text())["project"]
    assert scripts["scripts"] == {"nnsize": "nnsize.cli:console"}
    assert "sys.exit(console())" in (SRC / "__main__.py").read_text()
    before = gc.get_threshold()
    assert main(["--version"]) == 0
    assert gc.get_threshold() == before and gc.isenabled()
