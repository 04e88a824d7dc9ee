"""Configs with huge layer counts: arithmetic, not enumeration.  A model of n layers differs
from one of n + 1 by exactly one layer's parameters, at any n."""

from __future__ import annotations

import pytest

import nnsize
from nnsize.errors import SpecError
from nnsize.memory.lines import SlidingWindowNote


def _config(model_type: str, layers: int = 2, **extra: object) -> dict[str, object]:
    return {"model_type": model_type, "hidden_size": 64, "intermediate_size": 128,
            "num_attention_heads": 4, "num_hidden_layers": layers, "vocab_size": 100, **extra}


@pytest.mark.parametrize("config", [
    _config("llama"),
    _config("gemma2", sliding_window=8, num_key_value_heads=2, head_dim=16),
    {"model_type": "t5", "d_model": 64, "d_ff": 128, "num_heads": 4, "vocab_size": 100},
    _config("gpt2"),
])
def test_layers_cost_what_one_does(config: dict[str, object]) -> None:
    key = "num_layers" if config["model_type"] == "t5" else "num_hidden_layers"

    def params(n: int) -> int:
        return nnsize.count({**config, key: n}).total_params

    one = params(3) - params(2)  # one layer (T5: an encoder block and a decoder block)
    assert one > 0
    # 10^15 layers: the 2-layer model and 10^15 - 2 more layers like the third
    assert params(10**15) == params(2) + (10**15 - 2) * one
    report = nnsize.count({**config, key: 10**15})
    assert len(report.rows) < 20


def test_qwen_moe_alternating_layers() -> None:
    config = _config("qwen2_moe", decoder_sparse_step=2, num_experts=4, num_experts_per_tok=2,
                     moe_intermediate_size=32, shared_expert_intermediate_size=32)

    def params(n: int) -> int:
        return nnsize.count({**config, "num_hidden_layers": n}).total_params

    pair = params(4) - params(2)  # a dense layer and a mixture-of-experts one
    assert params(2000) == params(2) + 999 * pair
    with pytest.raises(SpecError, match="change in more than 2,000 places"):
        params(10**6)  # 1,000,000 runs of alternating layers: past the stated limit


def test_deepseek_dense_layers_then_experts_at_any_count() -> None:
    config = _config("deepseek_v3", n_routed_experts=4, num_experts_per_tok=2,
                     moe_intermediate_size=32, q_lora_rank=32, kv_lora_rank=32,
                     qk_rope_head_dim=8, qk_nope_head_dim=8, v_head_dim=8,
                     num_key_value_heads=4)

    def params(n: int, dense: int) -> int:
        return nnsize.count({**config, "num_hidden_layers": n,
                             "first_k_dense_replace": dense}).total_params

    dense_layer = params(2, 2) - params(1, 1)
    moe_layer = params(2, 1) - params(1, 1)
    assert params(10**15, 10**12) == params(1, 1) + (10**12 - 1) * dense_layer + \
        (10**15 - 10**12) * moe_layer


def test_memory_plan_of_alternating_windows_at_a_million_layers() -> None:
    from nnsize.memory import kv_cache
    from nnsize.precision import find

    config = _config("gemma2", sliding_window=8, num_key_value_heads=2, head_dim=16)
    report = nnsize.count({**config, "num_hidden_layers": 10**6})
    total, _, notes = kv_cache(report, 1, 100, find("bf16"))
    # 500,000 local layers keep 7 tokens, 500,000 global ones 100; each token 2 x 2 x 16 values
    # of 2 bytes: (500,000 x 7 + 500,000 x 100) x 64 x 2
    assert total == (500_000 * 7 + 500_000 * 100) * 64 * 2
    assert SlidingWindowNote(500_000, 10**6) in notes
