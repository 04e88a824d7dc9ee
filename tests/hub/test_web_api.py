"""POST /api/hub, and the planner given a Hub name, read from the loopback Hub (HF_ENDPOINT):
the CLI's count and comparison, the Hub's errors as 4xx, no token lent, names that are names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hub_repos import TINY_LLAMA, save_pretrained, write_gguf
from loopback_hub import Hub

import nnsize

pytest.importorskip("huggingface_hub")
pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from nnsize.web.app import create_app  # noqa: E402


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(hub=True), raise_server_exceptions=False)


def test_a_repo_by_name_as_the_cli_counts_it(hub: Hub, tmp_path: Path,
                                             client: TestClient) -> None:
    folder = save_pretrained(TINY_LLAMA, tmp_path / "tiny", max_shard_size="4KB")
    commit = hub.add("org/tiny-llama", str(folder))
    answer = client.post("/api/hub?numbers=string", json={"name": "org/tiny-llama"})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    # embeddings 1,024 + lm_head 1,024 + 3 layers x 1,952 + final norm 16 (tests/hub/test_hub.py)
    assert data["report"]["total_params"] == "7920" == str(1024 + 1024 + 3 * 1952 + 16)
    assert data["report"]["stored"]["hub"]["commit"] == commit
    assert data["report"]["stored"]["differences"]["same"] is True
    assert data["view"]["totals"]
    assert data["comparison"].startswith("From the Hugging Face Hub: org/tiny-llama at main")
    assert "The checkpoint stores exactly the tensors the config builds." in data["comparison"]
    cli = nnsize.count("org/tiny-llama")  # the same code: the same numbers and words
    assert cli.total_params == 7920
    from nnsize.render.hub import comparison

    assert comparison(cli.stored).splitlines()[2:] == data["comparison"].splitlines()[2:]


def test_the_comparison_says_where_they_differ(hub: Hub, tmp_path: Path,
                                               client: TestClient) -> None:
    import json

    folder = save_pretrained(TINY_LLAMA, tmp_path / "tiny")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 2}))
    hub.add("org/more-layers", str(folder))
    data = client.post("/api/hub", json={"name": "org/more-layers"}).json()
    assert data["report"]["total_params"] == 7920 - 1952  # the config's: one layer fewer
    assert "the checkpoint stores layer(s) 2 past the config's 2" in data["comparison"]
    assert "'nnsize diff org/more-layers' lists them all." in data["comparison"]


def test_a_gguf_file_by_its_quantization(hub: Hub, tmp_path: Path, client: TestClient) -> None:
    hub.add("org/tiny-GGUF", {"tiny-Q4_0.gguf": write_gguf(tmp_path / "a.gguf").read_bytes()})
    data = client.post("/api/hub", json={"name": "org/tiny-GGUF:Q4_0"}).json()
    assert data["report"]["total_params"] == 640 + 4096  # 10 x 64 embeddings, 64 x 64 Q4_0
    assert "it has no config to compare with" in data["comparison"]
    missing = client.post("/api/hub", json={"name": "org/tiny-GGUF:Q8_0"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "org/tiny-GGUF has no Q8_0 GGUF file; it has Q4_0"


@pytest.mark.parametrize(("name", "status", "detail"), [
    ("org/missing", 404, "org/missing: no such model repo on http://127.0.0.1:"),
    ("org/tiny@v9", 404, "org/tiny has no revision 'v9'"),
    ("org/gated", 401, "org/gated is a gated repo: this server reads the Hub without a token: "
                       "count it with the nnsize command, HF_TOKEN set"),
    ("org/readme-only", 400, "the repo has neither a config.json nor weights"),
    ("", 400, "name: give a model's name on the Hub"),
    ("https://evil.example/org/x", 400, "is not a Hub model name"),
    ("../../etc/passwd", 400, "is not a Hub model name"),
    ("org/a/b", 400, "is not a Hub model name"),
])
def test_errors_are_4xx_in_one_line(hub: Hub, client: TestClient, name: str, status: int,
                                    detail: str) -> None:
    hub.add("org/tiny", {"config.json": b"{}"})
    hub.add("org/gated", {"config.json": b"{}"}, gated=True)
    hub.add("org/readme-only", {"README.md": b"hello"})
    before = len(hub.log)
    answer = client.post("/api/hub", json={"name": name})
    assert answer.status_code == status and detail in answer.json()["detail"], answer.text
    assert "\n" not in answer.json()["detail"]
    if status == 400 and "Hub model name" in detail or not name:
        assert len(hub.log) == before  # refused before any request


def test_no_token_is_lent(hub: Hub, tmp_path: Path, client: TestClient,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator's HF_TOKEN opens the gated repo to the command line, not to the server's
    visitors."""
    hub.add("org/gated", str(save_pretrained(TINY_LLAMA, tmp_path / "t")), gated=True)
    monkeypatch.setenv("HF_TOKEN", hub.token)
    assert nnsize.count("org/gated").total_params == 7920
    assert client.post("/api/hub", json={"name": "org/gated"}).status_code == 401


def test_the_hub_unreachable_is_502_and_a_local_path_is_never_read(
        hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: TestClient) -> None:
    monkeypatch.chdir(tmp_path)
    folder = save_pretrained(TINY_LLAMA, tmp_path / "org" / "local")  # ./org/local exists
    assert nnsize.count("org/local").total_params == 7920  # the command line reads the folder
    hub.close()
    answer = client.post("/api/hub", json={"name": "org/local"})  # the server asks the Hub
    assert answer.status_code == 502 and "cannot reach" in answer.json()["detail"]
    assert folder.is_dir()


def test_the_planner_takes_a_hub_name(hub: Hub, tmp_path: Path, client: TestClient) -> None:
    hub.add("org/tiny-llama", str(save_pretrained(TINY_LLAMA, tmp_path / "t")))
    body: dict[str, Any] = {"hub": "org/tiny-llama", "dtype": "fp32", "batch": 1,
                            "context": 10}
    answer = client.post("/api/memory", json=body)
    assert answer.status_code == 200, answer.text
    lines = {line["name"]: line for line in answer.json()["plan"]["lines"]}
    # weights 7,920 x 4 bytes; KV cache 3 layers x 10 tokens x 2 kv heads x (4 + 4) x 4 bytes
    assert lines["weights"]["bytes"] == str(7920 * 4)
    assert lines["KV cache (fp32)"]["bytes"] == str(3 * 10 * 2 * 8 * 4)
    both = client.post("/api/memory", json={**body, "preset": "gpt2"})
    assert both.status_code == 400 and "exactly one of" in both.json()["detail"]


def test_an_app_without_the_hub_has_no_endpoint(hub: Hub) -> None:
    client = TestClient(create_app(hub=False), raise_server_exceptions=False)
    assert client.post("/api/hub", json={"name": "org/x"}).status_code in (404, 405)
    answer = client.post("/api/memory", json={"hub": "org/x"})
    assert answer.status_code == 400 and "reads no model from the Hugging Face Hub" in \
        answer.json()["detail"]
    assert hub.log == []


def test_the_speed_of_a_model_named_on_the_hub(hub: Hub, tmp_path: Path,
                                               client: TestClient) -> None:
    """Issue 24, point 17: the page's speed panel for a model counted by its Hub name, and a
    name pasted as its page's address."""
    folder = save_pretrained(TINY_LLAMA, tmp_path / "tiny")
    hub.add("org/tiny-llama", str(folder))
    body = {"gpu": "rtx-4090", "dtype": "bf16", "engine": "transformers"}
    by_name = client.post("/api/speed", json={"hub": "org/tiny-llama", **body})
    assert by_name.status_code == 200, by_name.text
    pasted = client.post("/api/speed", json={
        "hub": "https://huggingface.co/org/tiny-llama", **body})
    assert pasted.json()["decode"] == by_name.json()["decode"]
    off = TestClient(create_app(hub=False)).post("/api/speed",
                                                 json={"hub": "org/tiny-llama", **body})
    assert off.status_code == 400 and "reads no model from the Hugging Face Hub" in off.text


def test_hub_answers_validate_against_their_model(hub: Hub, tmp_path: Path,
                                                  client: TestClient) -> None:
    """/api/hub's answers, read strictly by HubAnswer (web/schemas/): no key it does not
    list (stored's keys are model/contents.py's), none missing, a bool a bool; with every kind
    of `stored` the Hub gives: a config beside its checkpoint (alike, and differing in shapes),
    a config alone, weights beside a config that cannot be counted, a GGUF file, a diffusers
    pipeline."""
    import json

    from pydantic import TypeAdapter

    from nnsize.web.schemas import HubAnswer

    hub.add("org/tiny-llama", str(save_pretrained(TINY_LLAMA, tmp_path / "t")))
    # intermediate_size 24 -> 32: the three MLP matrices of each layer differ in shape
    other = save_pretrained({**TINY_LLAMA, "intermediate_size": 32}, tmp_path / "wide")
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "intermediate_size": 24}))
    hub.add("org/other-shapes", str(other))
    hub.add("org/config-only", {"config.json": (tmp_path / "t" / "config.json").read_bytes()})
    broken = {p.name: p.read_bytes() for p in (tmp_path / "t").iterdir() if p.is_file()}
    hub.add("org/broken-config", {**broken, "config.json": b'{"model_type": "no-such"}'})
    hub.add("org/tiny-GGUF", {"tiny-Q4_0.gguf": write_gguf(tmp_path / "a.gguf").read_bytes()})
    from hub_repos import write_pipeline

    write_pipeline(tmp_path / "pipe")
    hub.add("org/tiny-pipe", str(tmp_path / "pipe"))
    model = TypeAdapter(HubAnswer)
    keys = {}
    for name in ("org/tiny-llama", "org/other-shapes", "org/config-only",
                 "org/broken-config", "org/tiny-GGUF:Q4_0", "org/tiny-pipe"):
        for numbers in ("int", "string"):
            answer = client.post(f"/api/hub?numbers={numbers}", json={"name": name})
            assert answer.status_code == 200, (name, answer.text)
            model.validate_json(answer.content, strict=True)
            if numbers == "int":  # the model reads each key: one it does not know fails
                data = answer.json()
                data["report"]["stored"]["unknown"] = 1
                with pytest.raises(ValueError, match="unknown"):
                    model.validate_json(json.dumps(data), strict=True)
            keys[name] = set(answer.json()["report"]["stored"])
    assert "differences" in keys["org/tiny-llama"]
    assert "checkpoint" in keys["org/config-only"]
    assert "config_error" in keys["org/broken-config"]
    assert {"metadata", "hub", "file_bytes"} <= keys["org/tiny-GGUF:Q4_0"]
    assert "components" in keys["org/tiny-pipe"]
    # every int a string, the shapes of the examples too: 3 layers x (gate, up, down) differ
    d = client.post("/api/hub?numbers=string",
                    json={"name": "org/other-shapes"}).json()["report"]["stored"]["differences"]
    assert d["shapes_differ"] == "9"
    assert all(isinstance(x, str) for e in d["examples_shapes"] for x in [e[0], *e[1], *e[2]])
