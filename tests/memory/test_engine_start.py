"""A serving engine that would not start is no fit: vLLM's check_enough_kv_cache_memory and
SGLang's start-up refuse a cache with no room, or (vLLM) less than one request of
max_model_len tokens (memory.serving.Capacity.refusal)."""

from __future__ import annotations

import json

from nnsize.cli import run

import paths

QWEN35_35B = str(paths.DATA / "published_configs" / "Qwen--Qwen3.5-35B-A3B.json")


def test_no_room_for_the_cache_is_no_fit() -> None:
    # Qwen3.5-35B-A3B at bf16 on one H100 under vLLM: 79.22 GiB x 0.9 = 71.30 GiB - weights
    # 65.39 GiB - the profile run's 9.03 GiB (its sampler over 1,024 rows x 248,320 logits x
    # 38 B = 9.00 GiB) - 163.84 MiB outside torch < 0: the plan's 65.78 GiB is under the share,
    # but vLLM stops with "No available memory for the cache blocks"
    data = json.loads(run(["fit", QWEN35_35B, "--engine", "vllm", "--gpu", "h100-80gb",
                           "--json"]))
    assert data["kv_cache_tokens"] == 0
    assert data["fits"] is False
    assert "vLLM stops at start-up: no memory is left for its KV cache" in data["verdict"]


def test_less_than_one_request_is_no_fit() -> None:
    # Llama-3.1-8B on an RTX 4090 under vLLM at its whole 131,072-token context: the cache's
    # tokens are fewer than one request of max_model_len, which vLLM refuses
    text = run(["fit", "llama-3.1-8b", "--engine", "vllm", "--gpu", "rtx-4090", "--dtype",
                "fp8", "--context", "131072"])
    verdict = next(line for line in text.splitlines() if line.startswith("On "))
    assert "does not fit (vLLM stops at start-up: its KV cache holds" in verdict
    assert "less than one request of 131,072" in verdict


def test_a_cache_with_room_fits() -> None:
    data = json.loads(run(["fit", "llama-3.1-8b", "--engine", "vllm", "--gpu", "h100-80gb",
                           "--json"]))
    assert data["fits"] is True and data["kv_cache_tokens"] > 2048
