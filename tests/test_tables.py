"""One place per concept: each table the rest reads, and a test per table that fails when
something is registered in one place and not in another (issue 25).

    formats   importers.FORMATS: file suffix -> importer, read from each module's FORMAT; the
              Hub-name test, --help's model files, the web API's header formats and the page's
              drop zone follow it
    commands  cli.COMMANDS: command -> module, read from cli/'s modules; --help lists them,
              each has a docs page
    outputs   render.FORMATS: --format's choices
    engines   engines.ENGINES: the one registry memory/ and speed/ read
    families  architectures.families(): a Llama-shaped decoder's registration holds its Traits,
              which test_traits.py draws its random configs from, wherever it is registered
    presets   architectures.presets: every language model's config file, and no other
    sources   sources.READERS: kind -> recogniser -> loader, tried in order by nnsize.count()
              (and so by every command); a source of each kind is read as that kind
"""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from nnsize.importers import FORMATS, SUFFIXES
from nnsize.spec import SPEC_SUFFIXES

SRC = Path(__file__).resolve().parent.parent / "src" / "nnsize"
STATIC = SRC / "web" / "static"


# --- formats -----------------------------------------------------------------------------------

def test_the_hub_name_test_knows_every_format() -> None:
    from nnsize.hub.name import FILE_SUFFIXES

    assert set(FILE_SUFFIXES) == set(SPEC_SUFFIXES) | {s for f in FORMATS for s in f.suffixes}


@pytest.mark.parametrize("suffix", SUFFIXES + SPEC_SUFFIXES)
def test_a_missing_file_of_any_format_is_a_path_not_a_hub_name(suffix: str) -> None:
    """'models/model.npz' with .npz registered: 'no such file', never a Hub lookup."""
    from nnsize.hub.name import parse

    assert parse(f"no-such-dir/model{suffix}") is None
    assert parse(f"no-such-dir/model{suffix.upper()}") is None


def test_help_names_every_formats_suffixes() -> None:
    """--help's model files are the table's, not a list kept beside it."""
    from nnsize.cli import main

    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(out.getvalue().split())
    files = re.search(r"a model file \(([^)]*)\)", text)
    assert files is not None
    assert files.group(1).replace(" ", "").split(",") == list(SUFFIXES)


def test_every_reader_module_is_in_the_table() -> None:
    """A module from_NAME.py is a format by its FORMAT; only from_torch (live modules, no
    file) has none."""
    import importlib

    declared = {p.stem for p in (SRC / "importers").glob("from_*.py")
                if hasattr(importlib.import_module(f"nnsize.importers.{p.stem}"), "FORMAT")}
    assert declared == {p.stem for p in (SRC / "importers").glob("from_*.py")} - {"from_torch"}
    assert len(FORMATS) == len(declared) == len({f.name for f in FORMATS})
    assert len(SUFFIXES) == len(set(SUFFIXES)), "a suffix claimed by two formats"


def test_every_suffix_reads_with_its_format() -> None:
    from nnsize.importers import format_for

    for f in FORMATS:
        for suffix in f.suffixes:
            assert format_for(f"model{suffix.upper()}") == f, suffix
        assert callable(f.loader())


def test_the_web_api_reads_every_header_format() -> None:
    pytest.importorskip("fastapi")
    from typing import get_args

    from nnsize.web.app import HeaderFormat

    assert set(get_args(HeaderFormat)) == {f.name for f in FORMATS if f.from_bytes}


def _page_suffixes() -> dict[str, set[str]]:
    html = (STATIC / "index.html").read_text()
    js = (STATIC / "app.js").read_text()
    accept = re.search(r'type="file" accept="([^"]*)"', html)
    assert accept is not None
    return {
        "index.html accept": set(accept.group(1).split(",")),
        "index.html text": set(re.findall(r"<code>[^<]*?(\.[a-z]+)</code>",
                                          html[html.index("Drop a"):].split(" here")[0])),
        "app.js": set(re.findall(r'lower\.endsWith\("(\.[a-z.]+)"\)', js)) | {".json"},
    }


def test_the_page_drops_every_header_format() -> None:
    """The drop zone takes a config.json and the first suffix of every format the API reads
    from its first bytes (an .onnx file whole): index.html's accept and words, app.js's
    reader."""
    wanted = {".json"} | {f.suffixes[0] for f in FORMATS if f.from_bytes}
    for where, found in _page_suffixes().items():
        assert found == wanted, where


# --- commands ----------------------------------------------------------------------------------

def test_help_lists_every_command() -> None:
    from nnsize.cli import COMMANDS, main

    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(SystemExit):
        main(["--help"])
    listed = out.getvalue().split("Commands:")[1]
    words = set(re.findall(r"[a-z][a-z-]+", listed))
    assert set(COMMANDS) <= words


def test_every_module_of_cli_is_a_command() -> None:
    """cli/'s modules are its commands (options.py, the shared options, aside): the command a
    word names is found from the module's name, no table to keep beside it."""
    from nnsize.cli import COMMANDS, module_of

    modules = {p.stem for p in (SRC / "cli").glob("*.py")} - {"__init__", "options"}
    assert set(COMMANDS.values()) == modules
    assert list(COMMANDS)[0] == "count"
    for command, module in COMMANDS.items():
        assert module_of(command) == module
    for word in ("options", "plan", "10-20-2", "llama-3.1-8b", "gpt2", "Count"):
        assert module_of(word) is None, word


@pytest.mark.parametrize("command", sorted(__import__("nnsize.cli").cli.COMMANDS))
def test_every_command_has_its_module(command: str) -> None:
    import importlib

    from nnsize.cli import COMMANDS

    module = importlib.import_module(f"nnsize.cli.{COMMANDS[command]}")
    assert callable(module.run)
    assert (SRC / "cli" / f"{COMMANDS[command]}.py").is_file()


def test_format_choices_are_renders() -> None:
    from nnsize import count
    from nnsize.cli.count import parser
    from nnsize.render import FORMATS as OUTPUTS
    from nnsize.render import render

    (action,) = [a for a in parser()._actions if a.dest == "format" and a.choices]
    assert tuple(action.choices) == OUTPUTS  # type: ignore[arg-type]
    # each choice renders as itself: JSON parses, Markdown is a table, CSV has its header
    import csv
    import json

    report = count("10-20-2")
    outputs = {fmt: render(report, fmt) for fmt in OUTPUTS}
    assert json.loads(outputs["json"])["total_params"] == 262  # 10 x 20 + 20 + 20 x 2 + 2
    assert outputs["markdown"].startswith("**") or "| " in outputs["markdown"]
    assert next(csv.reader(io.StringIO(outputs["csv"])))[0] and "Total" in outputs["table"]


# --- engines and presets -----------------------------------------------------------------------

def test_one_engine_registry() -> None:
    from nnsize import engines
    from nnsize.memory import engines as memory_engines
    from nnsize.speed import engines as speed_engines

    names = list(engines.ENGINES)
    assert list(memory_engines.ENGINES) == names
    assert list(speed_engines.ENGINES) == names


def test_a_decoders_traits_are_in_its_registration() -> None:
    """register_traits keeps a family's Traits in its Family, where test_traits.py reads them:
    a family registered by one call anywhere (vlm.py's glm4v_text) is drawn against
    transformers as decoder_families.py's are."""
    from nnsize.architectures import decoder, decoder_families, families

    registered = {name: f.traits for name, f in families().items() if f.traits is not None}
    assert {**decoder.TRAITS, **decoder_families.TRAITS}.items() <= registered.items()
    assert "glm4v_text" in registered


def test_every_language_model_preset_has_its_config_and_no_other() -> None:
    from nnsize.architectures.presets import CONFIGS, LANGUAGE_MODELS

    files = {p.stem for p in (SRC / "architectures" / CONFIGS).glob("*.json")}
    assert files == set(LANGUAGE_MODELS)


def test_families_load_on_demand_as_they_would_all_at_once() -> None:
    """architectures.family_of imports MODULES in order only until one registers the type; a
    legacy name that is also a family's own (gemma3: gemma3_text's, and the image-text model's)
    must then be registered as legacy in an earlier module, or a config would count as another
    family than with every module loaded.  In a fresh process, where the order is MODULES'."""
    import subprocess
    import sys

    code = """
import nnsize.architectures as a
from nnsize.architectures.registry import FAMILIES
order = list(a.families())
for f in FAMILIES.values():
    for old in f.legacy_types:
        if old in FAMILIES:
            assert order.index(f.model_type) < order.index(old), (f.model_type, old)
print("ok", len(order))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": str(SRC.parent)})
    assert done.stdout.startswith("ok"), done.stderr


def test_a_count_imports_only_what_it_uses() -> None:
    """Nothing built that the command does not use: a network's count imports no analysis and no
    model family; a Llama preset's, the decoder's modules and not the 27."""
    import subprocess
    import sys

    code = """
import io, sys, contextlib
from nnsize.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main(sys.argv[1:])
print(" ".join(m for m in sys.modules if m.startswith("nnsize.")))
"""
    def loaded(*argv: str) -> set[str]:
        done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                              text=True, env={"PYTHONPATH": str(SRC.parent)}, check=True)
        return set(done.stdout.split())

    mlp = loaded("10-20-20-20-2")
    # the parser's --hub-timeout / --hub-deadline read their defaults from hub.deadlines, a
    # module of constants (the package's __init__ imports nothing at import)
    parser = {"nnsize.hub", "nnsize.hub.deadlines"}
    assert not {m for m in mlp - parser if m.split(".")[1] in ("memory", "architectures",
                                                               "speed", "importers", "hub")}, mlp
    llama = loaded("llama-3.1-405b", "--json")
    families = {m for m in llama if m.startswith("nnsize.architectures.")}
    assert "nnsize.architectures.decoder" in families
    assert not families & {"nnsize.architectures.whisper", "nnsize.architectures.seamless",
                           "nnsize.architectures.vision", "nnsize.architectures.mamba"}


def test_no_help_text_is_left_with_a_placeholder() -> None:
    """Every command's --help fills in what options.SHOWN names ({FILES}, the Hub's deadlines)
    from the tables that hold it."""
    import contextlib
    import io

    from nnsize.cli import COMMANDS, main
    from nnsize.cli.options import SHOWN

    for command in COMMANDS:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            main([command, "--help"])
        assert not [name for name in SHOWN if f"{{{name}}}" in out.getvalue()], command


def test_each_kind_of_source_is_recognised_as_itself(tmp_path: Path) -> None:
    """sources.READERS: a source of each kind is claimed first by its own recogniser (the order
    count() tries them in), and every kind has a source here: a new kind must say what it
    reads."""
    from nnsize.sources import READERS, kind_of

    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "net.yaml").write_text("layers: []\n")
    samples = {"object": {"input_shape": [4], "layers": []},
               "torch": "torch:torchvision.models:resnet18",
               "hub": "Qwen/Qwen3-30B-A3B", "folder": str(folder), "preset": "llama-3.1-8b",
               "file": "missing/model.gguf", "spec": str(tmp_path / "net.yaml"),
               "shorthand": "10-20-2"}
    assert list(samples) == list(READERS)
    assert {kind: kind_of(source)[0] for kind, source in samples.items()} == \
        {kind: kind for kind in READERS}
