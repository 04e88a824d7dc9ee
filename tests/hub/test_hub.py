"""Models by their Hub names, read from a real HTTP server on loopback (HF_ENDPOINT) through
huggingface_hub: config.json and the safetensors headers, never tensor data; GGUF files by their
quantization; the cache, offline; and every error in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hub_repos import TINY_LLAMA, save_pretrained, write_gguf
from loopback_hub import Hub

import nnsize
from nnsize.errors import NnsizeError

pytest.importorskip("huggingface_hub")


def test_a_sharded_repo_is_counted_from_its_config_and_headers(hub: Hub, tmp_path: Path) -> None:
    folder = save_pretrained(TINY_LLAMA, tmp_path / "tiny", max_shard_size="4KB")
    commit = hub.add("org/tiny-llama", str(folder))
    report = nnsize.count("org/tiny-llama")
    # embeddings 64 x 16 = 1,024, lm_head 1,024, per layer: q 16x16=256, k,v 2x(8x16)=256,
    # o 256, mlp 3 x 16 x 24 = 1,152, norms 32 -> 1,952 x 3 = 5,856; final norm 16
    assert report.total_params == 1024 + 1024 + 5856 + 16
    stored = report.stored
    assert stored["shards"] > 3 and stored["tensors"] == 2 + 3 * 9 + 1
    assert stored["hub"]["commit"] == commit
    assert stored["differences"]["same"] is True
    # only headers: every shard's bytes 0-7, then its header, never a byte of tensor data
    sent_by_shards = sum(b for m, p, b in hub.log if p.startswith("/lfs/"))
    assert sent_by_shards == stored["header_bytes"] < stored["file_bytes"]
    assert stored["hub"]["bytes_transferred"] == hub.bytes_sent
    text = nnsize.count("org/tiny-llama").__str__()
    assert "From the Hugging Face Hub: org/tiny-llama at main" in text
    assert "exactly the tensors the config builds" in text


def test_a_second_run_is_answered_from_the_cache_offline(hub: Hub, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    hub.add("org/tiny-llama", str(save_pretrained(TINY_LLAMA, tmp_path / "t", "4KB")))
    first = nnsize.count("org/tiny-llama")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    before = len(hub.log)
    again = nnsize.count("org/tiny-llama")
    assert len(hub.log) == before and again.stored["hub"]["bytes_transferred"] == 0
    assert again.total_params == first.total_params
    assert again.stored["hub"]["offline"] == "HF_HUB_OFFLINE is set"
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    hub.close()  # no network at all: the cache answers too
    assert nnsize.count("org/tiny-llama").total_params == first.total_params
    with pytest.raises(NnsizeError, match="cannot reach .*, and the repo is not in the cache"):
        nnsize.count("org/never-seen")


def test_gguf_by_quantization(hub: Hub, tmp_path: Path) -> None:
    files = {"README.md": b"# tiny",
             "tiny-Q4_0.gguf": write_gguf(tmp_path / "a.gguf").read_bytes(),
             "tiny-Q8_0.gguf": write_gguf(tmp_path / "b.gguf").read_bytes()}
    hub.add("org/tiny-GGUF", files)
    report = nnsize.count("org/tiny-GGUF:Q4_0")
    assert report.total_params == 640 + 4096
    assert report.stored["metadata"]["general.name"] == "tiny"
    assert report.stored["format"] == "gguf"
    with pytest.raises(NnsizeError, match="has no Q5_K_M GGUF file; it has Q4_0, Q8_0"):
        nnsize.count("org/tiny-GGUF:Q5_K_M")
    with pytest.raises(NnsizeError, match="has 2 GGUF files: name one"):
        nnsize.count("org/tiny-GGUF")


@pytest.mark.parametrize(("name", "message"), [
    ("org/missing", "org/missing: no such model repo on http://127.0.0.1:.* set HF_TOKEN"),
    ("org/gated", "org/gated is a gated repo: give a token: set HF_TOKEN"),
    ("org/tiny@v9", "org/tiny has no revision 'v9'"),
    ("org/readme-only", "the repo has neither a config.json nor weights"),
])
def test_errors_are_one_line(hub: Hub, tmp_path: Path, name: str, message: str) -> None:
    hub.add("org/tiny", {"config.json": b"{}"})
    hub.add("org/gated", {"config.json": b"{}"}, gated=True)
    hub.add("org/readme-only", {"README.md": b"hello"})
    with pytest.raises(NnsizeError, match=message) as e:
        nnsize.count(name)
    assert "\n" not in str(e.value)


def test_a_gated_repo_with_a_token(hub: Hub, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    hub.add("org/gated", str(save_pretrained(TINY_LLAMA, tmp_path / "t")), gated=True)
    monkeypatch.setenv("HF_TOKEN", "hf_not_granted")
    with pytest.raises(NnsizeError, match="org/gated is a gated repo: the token given has not "
                                          "been granted access: accept the model's terms"):
        nnsize.count("org/gated")
    monkeypatch.setenv("HF_TOKEN", hub.token)
    assert nnsize.count("org/gated@main").total_params == 7920
    commit = hub.repos["org/gated"].commit
    report = nnsize.count(f"org/gated@{commit}")  # a revision by its commit
    assert report.total_params == 7920 and report.stored["hub"]["revision"] == commit


def test_names_local_paths_presets_and_shorthands(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from nnsize.hub import HubName, parse

    assert parse("Qwen/Qwen3-30B-A3B") == HubName("Qwen/Qwen3-30B-A3B")
    assert parse("org/m@refs/pr/1:Q4_K_M") == HubName("org/m", "refs/pr/1", "Q4_K_M")
    assert parse("hf:gpt2") == HubName("gpt2")
    for other in ("llama-3.1-8b", "784-512x4-10", "configs/llama.json", "a/b/c", "/abs/x",
                  "torch:a.b:c", "./x/y"):
        assert parse(other) is None, other
    monkeypatch.chdir(tmp_path)
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "name").write_text("{}")
    assert parse("org/name") is None  # a local path that exists wins


def test_every_command_takes_a_hub_name(hub: Hub, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from nnsize.cli import main

    hub.add("org/tiny-llama", str(save_pretrained(TINY_LLAMA, tmp_path / "t", "4KB")))
    capsys.readouterr()
    assert main(["org/tiny-llama", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_params"] == 7920 and data["stored"]["hub"]["repo"] == "org/tiny-llama"
    for argv in (["memory", "org/tiny-llama", "--dtype", "bf16", "--context", "64"],
                 ["compute", "org/tiny-llama", "--context", "64"],
                 ["fit", "org/tiny-llama", "--gpu", "24GiB"],
                 ["compare", "org/tiny-llama", "10-20-2"],
                 ["check", "org/tiny-llama", "--max-params", "1M"],
                 ["diff", "org/tiny-llama"],
                 ["diff", "org/tiny-llama", "org/tiny-llama@main"]):
        assert main(argv) == 0, argv
        assert capsys.readouterr().out
    assert main(["org/missing"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nnsize: error: org/missing: no such model repo") and err.count("\n") == 1


def test_the_report_says_where_config_and_checkpoint_differ(hub: Hub, tmp_path: Path) -> None:
    import json

    folder = save_pretrained(TINY_LLAMA, tmp_path / "t")
    # the config says 2 layers, the checkpoint stores 3: as DeepSeek-V3's extra MTP layer
    config = json.loads((folder / "config.json").read_text())
    config["num_hidden_layers"] = 2
    (folder / "config.json").write_text(json.dumps(config))
    hub.add("org/mtp", str(folder))
    report = nnsize.count("org/mtp")
    d = report.stored["differences"]
    assert d["only_checkpoint"] == 9 and d["only_config"] == 0 and not d["same"]
    assert d["checkpoint_params"] - d["config_params"] == 1952  # one layer: see the first test
    text = str(report)
    assert "The config and the checkpoint differ" in text
    assert "9 tensor(s) stored, not in the model the config builds, such as " \
           "model.layers.2." in text
    assert "'nnsize diff org/mtp' lists them all." in text
    assert "stores layer(s) 2 past the config's 2 (as DeepSeek-V3's multi-token-prediction " \
           "layer" in text


def test_a_tied_head_stored_anyway_is_said_so(hub: Hub, tmp_path: Path) -> None:
    import json

    from safetensors.torch import load_file, save_file

    folder = save_pretrained({**TINY_LLAMA, "tie_word_embeddings": True}, tmp_path / "t")
    state = load_file(str(folder / "model.safetensors"))
    state["lm_head.weight"] = state["model.embed_tokens.weight"].clone()  # stored anyway
    save_file(state, str(folder / "model.safetensors"))
    assert json.loads((folder / "config.json").read_text())["tie_word_embeddings"] is True
    hub.add("org/tied", str(folder))
    report = nnsize.count("org/tied")
    d = report.stored["differences"]
    assert d["same"] and d["checkpoint_params"] - d["config_params"] == 64 * 16
    assert "stores lm_head.weight as a tensor of its own" in str(report)


def test_a_model_type_without_a_builder_is_counted_by_transformers(hub: Hub,
                                                                    tmp_path: Path) -> None:
    # DeBERTa (v1) has no builder (MPNet, here before, has one since issue 14)
    config = {"model_type": "deberta", "architectures": ["DebertaForMaskedLM"], "hidden_size": 16,
              "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 8,
              "vocab_size": 32, "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
    hub.add("org/tiny-deberta", str(save_pretrained(config, tmp_path / "m")))
    report = nnsize.count("org/tiny-deberta")
    assert report.stored["counted_with"].startswith("DebertaForMaskedLM")
    assert report.stored["differences"]["same"], report.stored["differences"]


def test_a_model_folder_is_read_as_a_repo(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    # what save_pretrained writes, on disk: the config's count beside what the shards store
    from nnsize.cli import main

    folder = save_pretrained(TINY_LLAMA, tmp_path / "tiny", max_shard_size="4KB")
    report = nnsize.count(str(folder))
    assert report.total_params == 7920 and "hub" not in report.stored
    assert report.stored["differences"]["same"] and report.stored["shards"] > 3
    assert report.stored["header_bytes"] < report.stored["file_bytes"]
    capsys.readouterr()
    assert main(["diff", str(folder)]) == 0
    assert "Same tensors and shapes." in capsys.readouterr().out
    with pytest.raises(NnsizeError, match="a folder without a config.json"):
        nnsize.count(str(tmp_path))


def test_a_server_that_ignores_range_costs_only_what_is_read(hub: Hub, tmp_path: Path) -> None:
    import struct

    # an 8 MB shard behind a server that answers every range with the whole file
    header = b'{"w": {"dtype": "F32", "shape": [2097152], "data_offsets": [0, 8388608]}}'
    shard = struct.pack("<Q", len(header)) + header + bytes(8 * 1024 * 1024)
    hub.add("org/big", {"model.safetensors": shard})
    hub.ignore_range = True
    report = nnsize.count("org/big")
    assert report.total_params == 2097152
    assert report.stored["hub"]["bytes_transferred"] < len(shard) // 4


@pytest.mark.parametrize(("shard", "message"), [
    (b"\x01\x02\x03", "too short to be a safetensors file"),
    (b"\xff" * 8 + b"{}", "the header claims"),
    (b"\x04\x00\x00\x00\x00\x00\x00\x00[1]x", "not a JSON object|not valid JSON"),
])
def test_hostile_shards_are_one_line(hub: Hub, shard: bytes, message: str) -> None:
    hub.add("org/bad", {"model.safetensors": shard})
    with pytest.raises(NnsizeError, match=message) as e:
        nnsize.count("org/bad")
    assert "\n" not in str(e.value)


def test_a_model_downloaded_before_is_read_from_huggingface_hub_s_cache(
        hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # snapshot_download (what transformers' from_pretrained does) filled the cache; nnsize then
    # needs nothing of the network, not even offline, and reads the headers from those files
    import os

    import huggingface_hub
    import huggingface_hub.constants

    hub.add("org/downloaded", str(save_pretrained(TINY_LLAMA, tmp_path / "t", "4KB")))
    huggingface_hub.snapshot_download("org/downloaded", endpoint=hub.url,
                                      cache_dir=os.path.join(os.environ["HF_HOME"], "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    before = len(hub.log)
    report = nnsize.count("org/downloaded")
    assert len(hub.log) == before and report.total_params == 7920
    assert report.stored["differences"]["same"] and report.stored["hub"]["bytes_transferred"] == 0
