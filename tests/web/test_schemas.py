"""Every endpoint's answer has a schema (web/schemas/) in the OpenAPI document, and real
answers validate against it: a few requests per endpoint, each answer read strictly (no extra
key, no missing one, a bool a bool)."""

from __future__ import annotations

import base64
import json
import struct
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402
from pydantic import TypeAdapter  # noqa: E402

from nnsize.web.app import create_app  # noqa: E402
from nnsize.web.schemas import ANSWERS  # noqa: E402

client = TestClient(create_app(hub=False), raise_server_exceptions=False)


def _safetensors(shape: list[int]) -> bytes:
    # the header only: 1000 x 1000 x 4 bytes = 4,000,000 bytes of data stay behind
    n = 4
    for d in shape:
        n *= d
    header = json.dumps({"w": {"dtype": "F32", "shape": shape,
                               "data_offsets": [0, n]}}).encode()
    return struct.pack("<Q", len(header)) + header


def test_every_endpoint_documents_its_answer() -> None:
    paths = TestClient(create_app(hub=True)).get("/openapi.json").json()["paths"]
    api = {p for p in paths if p.startswith("/api/")}
    assert api == set(ANSWERS)  # one schema per endpoint, none for an endpoint that is gone
    for path in api:
        for operation in paths[path].values():
            schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
            assert schema.get("$ref") or schema.get("items") or schema.get("anyOf"), path


TINY = _safetensors([1000, 1000])
SPEC = {"input_shape": [3, 32, 32], "layers": [
    {"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
    {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}
GPT2 = {"model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4,
        "architectures": ["GPT2LMHeadModel"]}
HEADER = base64.b64encode(TINY).decode()

# (method, path, query, body): a handful per endpoint, the shapes of answer each can give
REQUESTS: list[tuple[str, str, str, Any]] = [
    ("post", "/api/count", "", {"network": "10-20-20-20-2"}),
    ("post", "/api/count", "?numbers=string", {"network": "1000000000-1000000000"}),
    ("post", "/api/count", "", {"inputs": 10, "hidden_layers": 3, "neurons": 20, "outputs": 2}),
    ("post", "/api/count", "", {"spec": SPEC}),
    ("post", "/api/count", "", {"network": "-".join(["8"] * 80)}),  # through the pool
    ("post", "/api/config", "", {"config": GPT2}),
    ("post", "/api/config", "?numbers=string", {"config": GPT2, "base": True}),
    ("post", "/api/preset", "", {"name": "llama-3.1-8b"}),
    ("post", "/api/preset", "?numbers=string", {"name": "mixtral-8x7b"}),
    ("post", "/api/preset", "", {"name": "resnet50"}),
    ("post", "/api/checkpoint", f"?format=safetensors&file_size={len(TINY) + 4_000_000}",
     TINY),
    ("post", "/api/checkpoint",
     f"?format=safetensors&file_size={len(TINY) + 4_000_000}&numbers=string", TINY),
    ("post", "/api/growth", "", {"network": "10-20x3-2"}),
    ("post", "/api/growth", "", {"network": "784-512-10"}),
    ("post", "/api/memory", "", {"network": "10-20-20-20-2", "train": True, "batch": 32}),
    ("post", "/api/memory", "", {"network": "784-512x4-10", "gpu": "RTX 4090"}),
    ("post", "/api/memory", "", {"preset": "llama-3.1-8b", "batch": 4, "context": 8192,
                                 "gpu": "rtx-4090"}),
    ("post", "/api/memory", "", {"preset": "llama-3.1-8b", "dtype": "q4_k_m",
                                 "engine": "vllm", "gpu": "24GiB"}),
    ("post", "/api/memory", "", {"preset": "llama-3.1-8b", "dtype": "q4_k_m",
                                 "engine": "llama.cpp", "gpu": "rtx-4090"}),
    # nemotron-nas, a layer without attention: llama.cpp's -ngl split refused (offload_refused)
    ("post", "/api/memory", "", {"engine": "llama.cpp", "gpu": "rtx-4090", "config": {
        "model_type": "nemotron-nas", "vocab_size": 96, "hidden_size": 64,
        "num_attention_heads": 8, "num_hidden_layers": 2, "block_configs": [
            {"attention": {"n_heads_in_group": 4, "no_op": False, "replace_with_linear": False},
             "ffn": {"ffn_mult": 1.0, "no_op": False, "replace_with_linear": False}},
            {"attention": {"no_op": True, "replace_with_linear": False},
             "ffn": {"ffn_mult": 2.0, "no_op": False, "replace_with_linear": False}}]}}),
    ("post", "/api/memory", "", {"checkpoint": {"format": "safetensors",
                                                "file_size": len(TINY) + 4_000_000,
                                                "header": HEADER}}),
    ("post", "/api/speed", "", {"preset": "llama-3.1-8b", "gpu": "rtx-4090"}),
    ("post", "/api/speed", "", {"preset": "qwen3-30b-a3b", "gpu": "rtx-4090",
                                "dtype": "q4_k_m", "engine": "llama.cpp"}),
    ("post", "/api/speed", "", {"preset": "llama-3.1-8b", "gpu": "h100", "gpus": 2}),
    ("post", "/api/train-time", "", {"preset": "llama-3.1-8b", "gpu": "h100",
                                     "tokens": "1T"}),
    ("post", "/api/train-time", "", {"preset": "llama-3.1-8b", "gpu": "h100-80gb", "gpus": 8,
                                     "tp": 2, "tokens": "1T"}),
    ("get", "/api/presets", "", None),
    ("get", "/api/dtypes", "", None),
    ("get", "/api/gpus", "", None),
    ("get", "/api/layers", "", None),
]


@pytest.mark.parametrize(("method", "path", "query", "body"), REQUESTS,
                         ids=[f"{r[1]}{r[2]}-{i}" for i, r in enumerate(REQUESTS)])
def test_real_answers_validate(method: str, path: str, query: str, body: Any) -> None:
    if method == "get":
        r = client.get(path + query)
    elif isinstance(body, bytes):
        r = client.post(path + query, content=body)
    else:
        r = client.post(path + query, json=body)
    assert r.status_code == 200, r.text[:300]
    TypeAdapter(ANSWERS[path]).validate_json(r.content, strict=True)


def test_every_endpoint_is_exercised() -> None:
    assert {r[1] for r in REQUESTS} == set(ANSWERS) - {"/api/hub"}  # no Hub reached here


# a real run of each command's --json in each mode that has no golden JSON file
# (tests/golden/commands/<command>.json): (the command line, its key in COMMANDS)
RUNS = [
    ("compute llama-3.1-8b --context 4096 --json", "compute"),
    ("check llama-3.1-8b --max-params 10B --dtype bf16 --json", "check"),
    ("memory --list-dtypes --json", "memory --list-dtypes"),
    ("speed --list-gpus --json", "speed --list-gpus"),
    ("train-time llama-3.1-8b --gpu h100-80gb --gpus 8 --tp 2 --tokens 1T --json",
     "train-time"),
    ("layout llama-3.1-8b --serve --gpus 8 --gpu h100 --json", "layout --serve"),
    ("layout llama-3.1-8b --serve --gpus 8 --gpu h100 --tokens-per-s 5000 --json",
     "layout --serve --tokens-per-s N"),
    ("layout llama-3.1-8b --serve --gpus 8 --gpu h100 --tokens-per-s 1000000 --json",
     "layout --serve --tokens-per-s N"),  # none meets it: count 0, no layouts
    ("layout --list-interconnects --json", "layout --list-interconnects"),
]


def _printed(command: str) -> str:
    import contextlib
    import io

    from nnsize.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(command.split()) in (0, 1)
    return out.getvalue()


@pytest.mark.parametrize(("command", "kind"), RUNS)
def test_command_answers_validate(command: str, kind: str) -> None:
    from nnsize.web.schemas import COMMANDS

    TypeAdapter(COMMANDS[kind]).validate_json(_printed(command), strict=True)


def test_layout_modes_answer_what_they_say() -> None:
    """The serving modes' numbers agree with each other: replicas x tp x pp GPUs, the
    replicas' rate their count x one replica's; the link catalogue is parallel/'s."""
    from nnsize.parallel.interconnect import CATALOGUE

    serve = json.loads(_printed("layout llama-3.1-8b --serve --gpus 8 --gpu h100 --json"))
    for one in serve:  # tp x pp x dp = 8 cards, dp of them replicas
        t = one["layout"]
        assert t["tp"] * t["pp"] * t["dp"] == t["gpus"] == 8 and one["replicas"] == t["dp"]
    target = json.loads(_printed("layout llama-3.1-8b --serve --gpus 8 --gpu h100 "
                                 "--tokens-per-s 5000 --json"))
    assert target["count"] == len(target["layouts"]) > 0
    assert target["tokens_per_s_target"] == 5000
    for one in target["layouts"]:
        t = one["layout"]
        assert one["gpus"] == one["replicas"] * t["tp"] * t["pp"] <= 8
        assert one["decode_tokens_per_s"] == pytest.approx(
            one["replicas"] * one["decode_tokens_per_s_per_replica"])
        assert one["decode_tokens_per_s"] >= 5000
    links = json.loads(_printed("layout --list-interconnects --json"))
    assert [(i["name"], i["bandwidth"]) for i in links] == \
        [(i.name, i.bandwidth) for i in CATALOGUE.values()]


GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "commands"


@pytest.mark.parametrize("path", sorted(p.name for p in GOLDEN.glob("*.json")))
def test_golden_json_validates(path: str) -> None:
    """Every command's golden JSON (tests/test_golden.py: the same bytes it prints) read
    strictly by the model docs/json.md lists for it."""
    from nnsize.web.schemas import COMMANDS

    command = "" if path == "count.json" else path.removesuffix(".json")
    TypeAdapter(COMMANDS[command]).validate_json((GOLDEN / path).read_text(), strict=True)


class _Parsed(Exception):
    """Raised by a command's parse_args: the parser it built, caught before it runs."""


def _parser(command: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from nnsize import cli
    from nnsize.cli.options import Parser

    def parse_args(self: Parser, *args: object, **kwargs: object) -> None:
        raise _Parsed(self)

    monkeypatch.setattr(Parser, "parse_args", parse_args)
    module = import_module(f"nnsize.cli.{cli.commands()[command]}")
    with pytest.raises(_Parsed) as parsed:
        module.run([])
    return parsed.value.args[0]


def _json_answers(command: str) -> int:
    """The JSON answers a command's module can print: each call of dumps (a mode's answer),
    and the report's formats (--format json) where it takes output_options."""
    import ast

    from nnsize import cli

    source = import_module(f"nnsize.cli.{cli.commands()[command]}").__file__
    calls = [n.func for n in ast.walk(ast.parse(Path(str(source)).read_text()))
             if isinstance(n, ast.Call)]
    names = [f.id if isinstance(f, ast.Name) else getattr(f, "attr", "") for f in calls]
    return names.count("dumps") + names.count("output_options")


def _kinds(kind: Any) -> int:
    """The answers a model of COMMANDS stands for: one, or each of a union's."""
    from typing import get_args, get_origin

    return 1 if get_origin(kind) is list or not get_args(kind) else len(get_args(kind))


# a mode flag a command runs in without it: the key its answer has in COMMANDS
DEFAULT_MODES = {"layout --train": "layout"}


def test_every_command_mode_has_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each command of cli/ (its modules), in each mode its module offers, has its model and a
    real answer validated by it (a golden file, or one of RUNS): a mode is a --list-... option,
    an option of a mutually exclusive group (--train, --serve), and any other answer the
    module prints (each dumps call: layout's --tokens-per-s), so a new one without a model
    fails here."""
    from nnsize import cli
    from nnsize.web.schemas import COMMANDS

    by_command: dict[str, list[str]] = {}
    for key in COMMANDS:
        by_command.setdefault(key.split(" ")[0] or cli.DEFAULT, []).append(key)
    answers = {c: n for c in cli.commands() if (n := _json_answers(c))}
    assert set(by_command) == set(answers), "a command that prints JSON and has no model"
    for command, keys in by_command.items():
        parser = _parser(command, monkeypatch)
        options = {o for a in parser._actions for o in a.option_strings}
        modes = {o for o in options if o.startswith("--list-")} | {
            o for g in parser._mutually_exclusive_groups for a in g._group_actions
            for o in a.option_strings}
        named = {w for key in keys for w in key.split() if w.startswith("--")}
        assert named <= options, f"{command}: a mode of COMMANDS it does not take"
        default = {m for m in modes if f"{command} {m}" in DEFAULT_MODES}
        assert modes - default <= named, f"{command}: a mode without a model"
        assert sum(_kinds(COMMANDS[k]) for k in keys) == answers[command], \
            f"{command}: {answers[command]} JSON answers, {len(keys)} in COMMANDS"
    golden = {"" if p.stem == "count" else p.stem for p in GOLDEN.glob("*.json")}
    assert set(COMMANDS) == golden | {kind for _, kind in RUNS}, "a mode never run"


# docs/json.md's schemas, made from the models: regenerate them with
# `PYTHONPATH=src python3 tests/web/test_schemas.py` after changing web/schemas.py.
DOCS = Path(__file__).resolve().parent.parent.parent / "docs" / "json.md"
START, END = "<!-- schemas: made by tests/web/test_schemas.py -->", "<!-- end -->"


def test_docs_schemas_are_the_models() -> None:
    from nnsize.web.schemas import documented

    text = DOCS.read_text()
    assert text[text.index(START) + len(START):text.index(END, text.index(START))].strip() \
        == documented(), "docs/json.md's schemas are stale: " \
                         "PYTHONPATH=src python3 tests/web/test_schemas.py"


if __name__ == "__main__":
    from nnsize.web.schemas import documented

    text = DOCS.read_text()
    end = text.index(END, text.index(START))
    DOCS.write_text(text[:text.index(START) + len(START)] + "\n" + documented() + "\n" +
                    text[end:])
