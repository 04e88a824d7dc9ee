"""Models by their Hub names, read from a real HTTP server on loopback (HF_ENDPOINT) through
huggingface_hub: config.json and the safetensors headers, never tensor data; GGUF files by their
quantization; the cache, offline; and every error in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TINY_LLAMA, save_pretrained, write_gguf
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
    ("org/readme-only", "the repo has neither a config.json nor safetensors weights"),
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
    monkeypatch.setenv("HF_TOKEN", hub.token)
    assert nnsize.count("org/gated@main").total_params == 7920


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
