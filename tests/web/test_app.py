"""The HTTP API through FastAPI's test client: answers, errors, limits, and a fuzz of every
endpoint that must never produce a 500."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from nnsize.web.app import JSON_LIMIT, create_app  # noqa: E402

client = TestClient(create_app(), raise_server_exceptions=False)


def test_the_original_calculator() -> None:
    r = client.post("/api/count", json={"inputs": 10, "hidden_layers": 3, "neurons": 20,
                                        "outputs": 2})
    assert r.status_code == 200
    report = r.json()["report"]
    assert (report["weights"], report["biases"], report["total_params"]) == (1040, 62, 1102)
    assert report["memory"]["fp32"] == 4408


def test_counts_above_2_to_the_53_travel_as_strings() -> None:
    # 10^9 x 10^9 + 10^9 parameters: past 2^53, where a JS float would round
    r = client.post("/api/count?numbers=string", json={"network": "1000000000-1000000000"})
    assert r.json()["report"]["total_params"] == str(10**18 + 10**9)
    assert json.loads(r.text)["report"]["total_params"] == "1000000001000000000"


def test_spec_config_preset_and_checkpoint() -> None:
    spec = {"input_shape": [3, 32, 32], "layers": [
        {"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
        {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}
    assert client.post("/api/count", json={"spec": spec}).json()["report"]["total_params"] == \
        448 + 16 * 32 * 32 * 10 + 10
    config = {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12,
              "architectures": ["GPT2LMHeadModel"]}
    assert client.post("/api/config", json={"config": config}).json()["report"][
        "total_params"] == 124_439_808
    assert client.post("/api/preset", json={"name": "Llama-3.1-8B"}).json()["report"][
        "total_params"] == 8_030_261_248
    header = json.dumps({"w": {"dtype": "F32", "shape": [1000, 1000],
                               "data_offsets": [0, 4_000_000]}}).encode()
    body = struct.pack("<Q", len(header)) + header  # the header only: the data stays behind
    r = client.post(f"/api/checkpoint?format=safetensors&file_size={len(body) + 4_000_000}",
                    content=body)
    assert r.status_code == 200 and r.json()["report"]["total_params"] == 1_000_000
    names = [p["name"] for p in client.get("/api/presets").json()]
    assert "llama-3.1-8b" in names and "resnet50" in names
    assert "Conv2d" in client.get("/api/layers").json()


@pytest.mark.parametrize("path, body, status, message", [
    ("/api/count", {"network": "10--20"}, 400, "token 2: empty size"),
    ("/api/count", {"network": "/etc/passwd.json"}, 400, "not a whole number"),
    ("/api/count", {}, 400, "exactly one of"),
    ("/api/count", {"network": "10-2", "spec": {}}, 400, "exactly one of"),
    ("/api/count", {"inputs": "ten"}, 422, ""),
    ("/api/count", {"spec": {"input_shape": [3], "layers": [{"type": "Lineer"}]}}, 400,
     "did you mean 'Linear'"),
    ("/api/count", {"network": "10-2", "extra": 1}, 422, ""),
    ("/api/config", {"config": {"model_type": "lama"}}, 400, "not supported"),
    ("/api/preset", {"name": "llama-9"}, 400, "no preset"),
    ("/api/count", {"inputs": 10**400, "hidden_layers": 1, "neurons": 1, "outputs": 1}, 400, ""),
])
def test_errors_are_4xx_with_the_cli_message(path: str, body: dict[str, Any], status: int,
                                             message: str) -> None:
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    assert message in json.dumps(r.json())


def test_an_onnx_file_sent_whole() -> None:
    onnx = pytest.importorskip("onnx")
    helper = onnx.helper
    w = onnx.numpy_helper.from_array(__import__("numpy").zeros((3, 4), "float32"), "w")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 4])],
                              [w])
    data = helper.make_model(graph).SerializeToString()
    r = client.post(f"/api/checkpoint?format=onnx&file_size={len(data)}", content=data)
    assert r.status_code == 200 and r.json()["report"]["total_params"] == 12


def test_request_size_limit() -> None:
    big = {"network": "1" * (JSON_LIMIT + 10)}
    assert client.post("/api/count", json=big).status_code == 413
    r = client.post("/api/count", content=b"{" * 200_000, headers={"content-type":
                                                                    "application/json"})
    assert r.status_code in (400, 422)


def test_growth() -> None:
    data = client.post("/api/growth", json={"network": "10-20x3-2"}).json()
    assert data["width"]["sizes"] == ["5", "10", "20", "40", "80", "160"]
    assert data["width"]["params"][2] == "1102"
    assert client.post("/api/growth", json={"network": "10-20-30-2"}).status_code == 400


def test_openapi_schema_is_served() -> None:
    schema = client.get("/openapi.json").json()
    assert {"/api/count", "/api/config", "/api/preset", "/api/checkpoint"} <= set(schema["paths"])


def test_the_page_and_its_assets_ship_in_the_package() -> None:
    page = client.get("/").text
    assert "Total parameters" in page and "{{BOOT}}" not in page
    assert client.get("/static/app.js").status_code == 200


def test_the_page_carries_its_first_screen() -> None:
    page = client.get("/").text
    start = page.index('<script type="application/json" id="boot">') + 42
    boot = json.loads(page[start:page.index("</script>", start)])
    assert boot["initial"]["answer"]["report"]["total_params"] == "1102"  # 1,040 + 62
    assert boot["initial"]["plan"]["answer"]["fit"]["gpu"] == "rtx-4090"
    assert boot["initial"]["growth"]["answer"]["width"]["params"][2] == "1102"
    names = {d["name"]: d for d in boot["dtypes"]}
    assert names["q4_k"]["group"] == "GGUF (llama.cpp)" and names["nf4"]["bits"] == "4.5"
    from nnsize.web.hub import available

    # /api/hub where huggingface_hub is installed (tests/hub/test_web_api.py calls it)
    assert boot["features"] == {"hub": available(), "speed": True}
    without = TestClient(create_app(hub=False)).get("/").text
    assert '"features":{"hub":false,"speed":true}' in without


def test_a_plan_of_a_checkpoint_header() -> None:
    import base64

    header = json.dumps({"w": {"dtype": "F32", "shape": [1000, 1000],
                               "data_offsets": [0, 4_000_000]}}).encode()
    body = base64.b64encode(struct.pack("<Q", len(header)) + header).decode()
    r = client.post("/api/memory", json={"checkpoint": {
        "format": "safetensors", "file_size": 8 + len(header) + 4_000_000, "header": body}})
    assert r.status_code == 200
    # planned as stored (issue 21): 1,000,000 F32 values x 4 bytes
    assert r.json()["plan"]["lines"][0]["bytes"] == "4000000"
    bad = client.post("/api/memory", json={"checkpoint": {
        "format": "safetensors", "file_size": 10, "header": "not base64!"}})
    assert bad.status_code == 400 and "base64" in bad.json()["detail"]
    # a header of 2 MiB travels in a plan's body (over the 1 MiB of other JSON bodies)
    big = base64.b64encode(struct.pack("<Q", 2**21) + b" " * 2**21).decode()
    r = client.post("/api/memory", json={"checkpoint": {
        "format": "safetensors", "file_size": 2**22, "header": big}})
    assert r.status_code == 400  # read, and refused for what it says, not for its size


def test_the_four_numbers_may_be_exact_strings() -> None:
    r = client.post("/api/count?numbers=string", json={
        "inputs": "9007199254740993", "hidden_layers": "1", "neurons": "1", "outputs": "1"})
    # 2^53 + 1 weights and 1 bias, then 1 + 1: a float would have lost the + 1
    assert r.json()["report"]["total_params"] == str(9007199254740993 + 1 + 2)


def test_fit_says_what_the_cli_says() -> None:
    r = client.post("/api/memory", json={"preset": "llama-3.1-8b", "gpu": "h100", "train": True,
                                         "batch": 8, "context": 4096}).json()["fit"]
    assert r["gpu"] == "h100-80gb"  # an alias, named in the answer
    assert r["lines"] == [["Largest batch at this context", "none fits"],
                          ["Longest context at this batch", "none fits"],
                          ["Fewest such GPUs that hold it",
                           "more than 4,096 (sharded with FSDP / ZeRO-3; any count, not "
                           "powers of two)"]]
    mlp = client.post("/api/memory", json={"network": "784-512x4-10", "gpu": "RTX 4090"}).json()
    assert mlp["fit"]["gpu"] == "rtx-4090" and mlp["fit"]["longest_context"] is None
    assert [k for k, _ in mlp["fit"]["lines"]] == ["Largest batch at this context",
                                                   "Fewest such GPUs that hold it"]
    gpt2 = client.post("/api/memory", json={"preset": "gpt2", "gpu": "4090"}).json()
    assert gpt2["fit"]["longest_context"] == "1024"  # its learned positions
    # no context asked: 2,048 stops at GPT-2's 1,024 learned positions (n_positions), and says so
    assert gpt2["plan"]["title"].endswith("context 1,024")
    assert any(note.startswith("Context 1,024: gpt2's learned positions")
               for note in gpt2["plan"]["notes"])
    gpt2 = client.post("/api/memory", json={"preset": "gpt2", "gpu": "4090",
                                            "context": 2048}).json()  # asked: planned, and said
    assert any("1,024 learned positions" in note for note in gpt2["plan"]["notes"])


def test_speed_without_a_context_is_the_planners_default() -> None:
    # context 0 (the page's empty field): 2,048 at most the model's own; GPT-2 has 1,024
    # learned positions (n_positions in openai-community/gpt2's config.json)
    for preset, context in (("gpt2", "1024"), ("llama-3.1-8b", "2048")):
        r = client.post("/api/speed", json={"preset": preset, "gpu": "rtx-4090", "context": 0})
        assert r.status_code == 200 and r.json()["context"] == context


def test_speed_reads_a_published_checkpoint_as_memory_plans_it() -> None:
    # no dtype: gpt-oss-20b as its quantization_config stores it (MXFP4 experts), as
    # /api/memory plans it; a dtype re-prices it (speed.weights, tests/speed/test_weights.py)
    body = {"preset": "gpt-oss-20b", "gpu": "rtx-4090"}
    published = client.post("/api/speed", json=body).json()
    assert published["dtype"] == "mxfp4" and "as nnsize memory plans them" in \
        published["notes"][0]
    assert client.post("/api/speed", json={**body, "dtype": "bf16"}).json()["dtype"] == "bf16"


def test_a_traced_training_plan_answers_under_its_own_budget() -> None:
    # BERT's step is traced on fake tensors (memory/traced.py): torch and transformers alone pass
    # the counting child's 1 GiB of address space and its 10 s, so the plan is refused there
    # (traced.Deferred) and planned again in web/pool.py's traced budget (4 GiB, 60 s), the
    # request's deadline moved with it.  No context asked: BERT's 512 learned positions
    # (max_position_embeddings 512 in google-bert/bert-base-uncased's config.json)
    r = client.post("/api/memory", json={"preset": "bert-base", "train": True})
    assert r.status_code == 200, r.text
    plan = r.json()["plan"]
    assert plan["title"].endswith("batch 1, context 512")
    assert any(note.startswith("Context 512: bert-base's learned positions")
               for note in plan["notes"])
    names = [line["name"] for line in plan["lines"]]
    assert "activations (saved for backward)" in names
    # 109,514,298 parameters x 4 B (fp32 weights under autocast) = 438,057,192
    assert plan["lines"][0]["bytes"] == "438057192"
    # a context past the table is refused by name, before any trace (400, not a 422 at a limit)
    r = client.post("/api/memory", json={"preset": "bert-base", "train": True, "context": 1024})
    assert r.status_code == 400 and "at most 512 positions" in r.json()["detail"]


json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4), max_leaves=15)
fields = st.sampled_from(["network", "spec", "inputs", "hidden_layers", "neurons", "outputs",
                          "convention", "config", "base", "name", "actions", "preset", "dtype",
                          "batch", "context", "train", "gpu", "optimizer", "gpus", "bandwidth",
                          "tflops", "prompt", "engine", "tokens", "keep"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(["/api/count", "/api/config", "/api/preset", "/api/growth",
                             "/api/memory", "/api/speed", "/api/train-time"]),
       body=st.dictionaries(fields, json_value, max_size=4) | json_value,
       numbers=st.sampled_from(["int", "string", "x"]))
def test_fuzz_no_500(path: str, body: Any, numbers: str) -> None:
    r = client.post(f"{path}?numbers={numbers}", json=body)
    assert r.status_code < 500, r.text


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300), fmt=st.sampled_from(["safetensors", "gguf", "onnx"]),
       size=st.integers(-5, 2**64))
def test_fuzz_checkpoint_headers_no_500(data: bytes, fmt: str, size: int) -> None:
    r = client.post(f"/api/checkpoint?format={fmt}&file_size={size}", content=data)
    assert r.status_code < 500, r.text


def test_memory_and_fit() -> None:
    r = client.post("/api/memory", json={"preset": "llama-3.1-8b", "batch": 4, "context": 8192,
                                         "gpu": "rtx-4090"})
    assert r.status_code == 200
    plan = r.json()["plan"]
    assert plan["total_bytes"] == str(sum(int(line["bytes"]) for line in plan["lines"]))
    assert r.json()["fit"]["gpu"] == "rtx-4090"
    r = client.post("/api/memory", json={"network": "10-20-20-20-2", "train": True,
                                         "batch": 32})
    # bf16 training runs under torch.autocast by default: fp32 weights, 1,102 x 4 bytes
    assert r.json()["plan"]["lines"][0]["bytes"] == "4408"
    r = client.post("/api/memory", json={"preset": "llama-3.1-8b", "dtype": "q4_k_m",
                                         "engine": "vllm", "gpu": "24GiB"})
    assert r.status_code == 200 and r.json()["plan"]["lines"][0]["name"] == \
        "weights (GGUF Q4_K_M)"
    # vLLM takes 0.92 of the card (vLLM 0.28's default): 24 x 2^30 x 92 / 100 bytes
    assert r.json()["fit"]["usable_bytes"] == str(24 * 2**30 * 92 // 100)
    assert client.post("/api/memory", json={"preset": "llama-3.1-8b", "engine": "tgi"}) \
        .status_code in (400, 422)
    assert client.post("/api/memory", json={"preset": "llama-3.1-8b", "gpu": "24G"}) \
        .status_code == 400
    assert client.post("/api/memory", json={"preset": "llama-3.1-8b", "dtype": "fp7"}) \
        .status_code == 400
    assert any(d["name"] == "q4_k" for d in client.get("/api/dtypes").json())
    assert any(g["name"] == "h100-80gb" for g in client.get("/api/gpus").json())


@pytest.mark.parametrize("setup, argv", [
    ({"dtype": "q4_k", "keep": ["norms"]}, ["--dtype", "q4_k", "--keep", "norms"]),
    ({"train": True, "lora_rank": 8, "lora_targets": ["q_proj", "k_proj"]},
     ["--train", "--lora-rank", "8", "--lora-targets", "q_proj,k_proj"]),
    ({"latent": False, "context": 512}, ["--mla", "expanded", "--context", "512"]),
    ({"engine": "llama.cpp", "batch": 4, "context": 512, "kv_unified": False},
     ["--engine", "llama.cpp", "--batch", "4", "--context", "512", "--kv-sharing", "split"]),
])
def test_memory_takes_every_setup_option_as_the_cli(setup: dict[str, Any],
                                                   argv: list[str]) -> None:
    """The web's request model and the CLI's options come from one Setup: the same plan, in
    the same schema (the web's integers as strings)."""
    from nnsize.cli import run
    from nnsize.render.json import strings

    preset = "deepseek-v2-lite" if "latent" in setup else "llama-3.2-1b"
    r = client.post("/api/memory", json={"preset": preset, **setup})
    assert r.status_code == 200, r.text
    cli = json.loads(run(["memory", preset, "--json", *argv]))
    assert r.json()["plan"] == strings(cli)


def test_memory_refuses_an_unknown_setup_option() -> None:
    r = client.post("/api/memory", json={"preset": "llama-3.2-1b", "kepp": ["norms"]})
    assert r.status_code == 422


def test_speed_endpoints() -> None:
    r = client.post("/api/speed", json={"preset": "llama-3.1-8b", "gpu": "rtx-4090",
                                        "dtype": "q4_0", "context": 4096})
    assert r.status_code == 200, r.text
    decode = r.json()["decode"]
    # counts travel as strings; the seconds as numbers
    assert int(decode["bytes"]) == int(decode["weight_bytes"]) + int(decode["cache_bytes"])
    assert decode["roofline_s"] == pytest.approx(int(decode["bytes"]) / 1_008e9)
    assert decode["bound"] == "memory"
    assert r.json()["hardware"]["compute_dtype"] == "bf16"
    # the request's fields are the CLI's options: one description (speed.setup)
    from nnsize.cli import run
    from nnsize.render.json import strings

    assert r.json() == strings(json.loads(run(["speed", "llama-3.1-8b", "--gpu", "rtx-4090",
                                               "--dtype", "q4_0", "--context", "4096",
                                               "--json"])))
    r = client.post("/api/speed", json={"preset": "llama-3.1-8b", "bandwidth": "500GB/s",
                                        "tflops": 50, "keep": []})
    assert r.json()["hardware"]["bandwidth_bytes_per_s"] == "500000000000"
    r = client.post("/api/train-time", json={"preset": "llama-3.1-8b", "tokens": "15T",
                                             "gpu": "h100-80gb", "gpus": 1024})
    assert r.status_code == 200, r.text
    assert r.json()["tokens"] == "15000000000000"
    for path, bad in (("speed", {"preset": "llama-3.1-8b"}),
                      ("speed", {"preset": "llama-3.1-8b", "gpu": "tpu"}),
                      ("speed", {"preset": "llama-3.1-8b", "gpu": "a100-80gb",
                                 "compute_dtype": "fp8"}),
                      ("speed", {"preset": "llama-3.1-8b", "gpu": "h100-80gb",
                                 "engine": "vllm9"}),
                      ("speed", {"preset": "llama-3.1-8b", "gpu": "h100-80gb",
                                 "keep": ["eyes"]}),
                      ("speed", {"network": "10-20-2", "gpu": "h100-80gb"}),
                      ("speed", {"gpu": "h100-80gb"}),
                      ("train-time", {"preset": "llama-3.1-8b", "gpu": "t4", "mfu": 2}),
                      ("train-time", {"preset": "llama-3.1-8b", "gpu": "t4", "tokens": "x"})):
        assert client.post(f"/api/{path}", json=bad).status_code in (400, 422), bad
    gpus = {g["name"]: g for g in client.get("/api/gpus").json()}
    assert gpus["h100-80gb"]["peak_bf16"] == "989400000000000"


def test_openapi_lists_the_error_answers() -> None:
    schema = client.get("/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for status in ("400", "408", "413"):
                assert status in operation["responses"], f"{method} {path}: {status}"
    assert schema["components"]["schemas"]["Detail"]["required"] == ["detail"]


@pytest.mark.parametrize("path, body", [
    ("/api/config", {"config": {"model_type": "llama"}, "base": 0}),
    ("/api/config", {"config": {"model_type": "llama"}, "base": "no"}),
    ("/api/preset", {"name": "llama-3.1-8b", "base": 1}),
    ("/api/memory", {"preset": "llama-3.1-8b", "train": 0}),
])
def test_booleans_are_true_or_false(path: str, body: dict[str, Any]) -> None:
    r = client.post(path, json=body)
    assert r.status_code == 422
    assert "bool" in r.text


def test_the_web_tests_reach_no_network() -> None:
    """conftest.py's no_network cuts every web test off from anything but loopback."""
    import socket

    with socket.socket() as s, pytest.raises(AssertionError, match="tried to reach"):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1, never routed


def test_the_api_reads_the_hub_only_for_a_name() -> None:
    """Every endpoint but /api/hub answers without huggingface_hub's network: the Hub's
    endpoint here is the discard port, and a config, a preset or a network never asks it."""
    assert client.post("/api/preset", json={"name": "gpt2"}).status_code == 200
    answer = client.post("/api/memory", json={"preset": "gpt2", "gpu": "24GiB"})
    assert answer.status_code == 200
    answer = client.post("/api/config", json={"config": {"model_type": "org/model"}})
    assert answer.status_code == 400  # a name-like model_type is not looked up anywhere


def test_a_busy_pool_asks_to_come_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from nnsize.web import app as app_module
    from nnsize.web.pool import Busy

    async def busy(*args: Any) -> Any:
        raise Busy("the server is busy")

    monkeypatch.setattr(app_module, "compute", busy)
    answer = client.post("/api/config", json={"config": {"model_type": "llama"}})
    assert answer.status_code == 503 and answer.headers["retry-after"] == "1"


@pytest.mark.parametrize("network", ["10-20-20-2", "-".join(["7"] * 200)])
def test_a_short_and_a_long_shorthand_answer_alike(network: str) -> None:
    """A short one is answered in the server's loop, a long one in the CPU pool's child."""
    from nnsize.web.app import CountRequest, _answer, _count

    answer = client.post("/api/count", json={"network": network})
    assert answer.status_code == 200
    assert answer.json() == json.loads(json.dumps(_answer(_count(CountRequest(network=network)),
                                                          "int")))


def test_the_calculator_counts_the_same_values_once() -> None:
    """The answers the server's loop gives itself are kept (web.app._inline, the last
    INLINE_ANSWERS): the same four numbers are counted once; the answer kept is the one made,
    byte for byte; a refusal is not kept."""
    from nnsize.web.app import _inline

    body = {"inputs": 7, "hidden_layers": 2, "neurons": 9, "outputs": 3}
    first = client.post("/api/count", json=body)
    hits = _inline.cache_info().hits
    second = client.post("/api/count", json=body)
    assert _inline.cache_info().hits == hits + 1
    assert first.content == second.content
    # 7 x 9 + 9 + 9 x 9 + 9 + 9 x 3 + 3 = 72 + 90 + 30 = 192
    assert second.json()["report"]["total_params"] == 192
    size = _inline.cache_info().currsize
    assert client.post("/api/count", json={"network": "10-x-2"}).status_code == 400
    assert _inline.cache_info().currsize == size


def test_train_time_takes_the_layout_flags_as_the_command_does() -> None:
    """A layout flag, a link or a price makes /api/train-time time the parallel layout, the
    same answer as `nnsize train-time ... --json` (every integer a string): tp 2 over 8 GPUs
    leaves dp 8 / 2 = 4."""
    from nnsize.cli import run
    from nnsize.render.json import strings

    body = {"preset": "llama-3.1-8b", "gpu": "h100-80gb", "gpus": 8, "tp": 2, "tokens": "1T"}
    r = client.post("/api/train-time", json=body)
    assert r.status_code == 200, r.text
    cli = json.loads(run(["train-time", "llama-3.1-8b", "--gpu", "h100-80gb", "--gpus", "8",
                          "--tp", "2", "--tokens", "1T", "--json"]))
    assert r.json()["describe"] == cli["describe"] == "tp 2 x pp 1 x dp 4"
    assert r.json() == strings(cli)
    bad = client.post("/api/train-time", json={**body, "tp": 3})  # 3 divides neither 8 nor 32 heads
    assert bad.status_code == 400 and "3" in bad.json()["detail"], bad.text


def test_memory_of_llama_3_2_vision_as_the_cli() -> None:
    """Llama 3.2 Vision, built by nnsize itself (mllama.py; the API never builds with
    transformers): the plan the CLI gives, its cross-attention layers caching one image's
    4 tiles x 1,601 vision tokens."""
    from pathlib import Path

    from nnsize.cli import run
    from nnsize.render.json import strings

    path = Path(__file__).parent.parent / "data" / "published_configs" / \
        "ome--llama3_2_11b_vision.json"
    r = client.post("/api/memory", json={"config": json.loads(path.read_text()),
                                         "context": 8192})
    assert r.status_code == 200, r.text
    cli = json.loads(run(["memory", str(path), "--json", "--context", "8192"]))
    assert r.json()["plan"] == strings(cli)
    kv = next(line for line in r.json()["plan"]["lines"] if line["name"].startswith("KV cache"))
    # (8,192 text tokens + 1 <|image|>) x 32 self-attention layers x 8 KV heads x 128 x 2 x 2 B
    # + 8 cross-attention layers x 4 x 1,601 vision tokens x 8 x 128 x 2 x 2 B
    assert kv["bytes"] == str((8192 + 1) * 32 * 8 * 128 * 2 * 2 +
                              8 * 4 * 1601 * 8 * 128 * 2 * 2)
