"""The API takes a plain GPT shape ("gpt") where the CLI takes --layers --hidden --heads, and
answers what the CLI answers (issue 22: one answer on every surface)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from nnsize.cli import run  # noqa: E402
from nnsize.web.app import create_app  # noqa: E402

client = TestClient(create_app(hub=False), raise_server_exceptions=False)
GPT3 = {"layers": 96, "hidden": 12288, "heads": 96}
FLAGS = ["--layers", "96", "--hidden", "12288", "--heads", "96"]


def test_memory_of_a_shape_is_the_clis() -> None:
    answer = client.post("/api/memory", json={"gpt": GPT3, "dtype": "bf16", "gpu": "h100-80gb"})
    assert answer.status_code == 200, answer.text
    cli = json.loads(run(["memory", *FLAGS, "--dtype", "bf16", "--json"]))
    # 174,590,681,088 parameters x 2 B = 349,181,362,176 B of weights on both surfaces
    weights = next(line for line in answer.json()["plan"]["lines"] if line["name"] == "weights")
    assert int(weights["bytes"]) == 174_590_681_088 * 2 == \
        next(line["bytes"] for line in cli["lines"] if line["name"] == "weights")


def test_train_time_of_a_shape_is_the_clis() -> None:
    body = {"gpt": GPT3, "gpu": "a100-80gb", "gpus": 1024, "tp": 8, "pp": 16, "sp": True,
            "global_batch": 1536, "context": 2048, "recompute": "full", "tokens": "300B"}
    answer = client.post("/api/train-time", json=body)
    assert answer.status_code == 200, answer.text
    cli = json.loads(run(["train-time", *FLAGS, "--gpu", "a100-80gb", "--gpus", "1024",
                          "--tp", "8", "--pp", "16", "--sp", "--global-batch", "1536",
                          "--context", "2048", "--recompute", "full", "--tokens", "300B",
                          "--json"]))
    assert int(answer.json()["memory_per_gpu_bytes"]) == cli["memory_per_gpu_bytes"]
    assert float(answer.json()["step_time_s"]) == pytest.approx(cli["step_time_s"])


@pytest.mark.parametrize("body, says", [
    ({"gpt": {**GPT3, "hidden": 10}}, "does not divide"),
    ({"gpt": GPT3, "preset": "llama-3.1-8b"}, "exactly one"),
    ({"gpt": {**GPT3, "layers": 0}}, "greater than or equal to 1"),
])
def test_a_wrong_shape_is_a_4xx_naming_it(body: dict[str, object], says: str) -> None:
    answer = client.post("/api/memory", json=body)
    assert 400 <= answer.status_code < 500
    assert says in answer.text
