"""What GPTQ, AWQ, bitsandbytes NF4 and FP8 leave unquantized, against transformers' own choice."""

from __future__ import annotations

from typing import Any

import pytest

import nnsize
from nnsize.errors import NnsizeError
from nnsize.memory import weight_only

TINY = {"vocab_size": 128, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64}


def _model(kind: str) -> Any:
    transformers = pytest.importorskip("transformers")
    if kind == "mixtral":
        config = transformers.MixtralConfig(**TINY, num_local_experts=4, num_experts_per_tok=2)
        return transformers.MixtralForCausalLM(config)
    if kind == "qwen2_moe":
        config = transformers.Qwen2MoeConfig(**TINY, num_experts=4, num_experts_per_tok=2,
                                             moe_intermediate_size=16,
                                             shared_expert_intermediate_size=32)
        return transformers.Qwen2MoeForCausalLM(config)
    return transformers.LlamaForCausalLM(transformers.LlamaConfig(**TINY))


@pytest.mark.parametrize("kind", ["llama", "mixtral", "qwen2_moe"])
def test_nf4_is_what_transformers_bitsandbytes_replaces(kind: str) -> None:
    """replace_with_bnb_linear: type(module) is nn.Linear, not in get_keys_to_not_convert."""
    torch = pytest.importorskip("torch")
    from transformers.quantizers.base import get_keys_to_not_convert

    model = _model(kind)
    skip = set(get_keys_to_not_convert(model))
    expected = {f"{name}.weight" for name, module in model.named_modules()
                if type(module) is torch.nn.Linear and name not in skip}
    ours = {name for name, p in model.named_parameters()
            if weight_only.quantized("nf4", name, tuple(p.shape))}
    assert ours == expected


def test_gptq_awq_fp8_on_a_moe_model() -> None:
    model = _model("qwen2_moe")
    params = {name: tuple(p.shape) for name, p in model.named_parameters()}
    for method in ("gptq", "awq", "fp8"):
        q = {n for n, s in params.items() if weight_only.quantized(method, n, s)}
        assert "model.layers.0.mlp.experts.gate_up_proj" in q  # every expert is quantized
        assert "model.layers.0.self_attn.q_proj.weight" in q
        assert "model.layers.0.mlp.shared_expert.down_proj.weight" in q
        assert "model.layers.0.mlp.gate.weight" not in q  # the router stays
        assert "model.layers.0.mlp.shared_expert_gate.weight" not in q
        assert "model.layers.0.self_attn.q_proj.bias" not in q  # biases stay
        assert "lm_head.weight" not in q and "model.embed_tokens.weight" not in q
        assert "model.norm.weight" not in q


def test_split_counts_a_preset() -> None:
    report = nnsize.count("llama-3.1-8b")
    q, kept = weight_only.split(report, "gptq")
    # kept: embeddings and head 2 x 128,256 x 4,096 + norms (2 x 32 + 1) x 4,096
    assert kept == 2 * 128_256 * 4_096 + 65 * 4_096
    assert q + kept == report.total_params


def test_unknown_method() -> None:
    with pytest.raises(NnsizeError, match="gptq"):
        weight_only.quantized("gptqq", "x.weight", (2, 2))
