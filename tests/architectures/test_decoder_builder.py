"""The builder's sparse-attention (DSA) families, GLM-5 (glm_moe_dsa) and DeepSeek-V3.2: built
tensor by tensor as transformers builds them, their KV cache (the latent and the indexer's
key, each layer) as transformers' DynamicIndexedLayer fills it, and GLM-5's configs that give
a layer no indexer of its own refused by key."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from hf import assert_cache_is_planned, compare, transformers

import nnsize
from nnsize.errors import NnsizeError, SpecError
from nnsize.memory import Setup, compute, kv_cache, plan
from nnsize.precision import find

import paths

GLM5 = paths.DATA / "published_configs" / "zai-org--GLM-5.json"


def glm5() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GLM5.read_text())
    return data


def tiny(model_type: str, **more: Any) -> dict[str, Any]:
    """A small DSA model: two layers, the first dense, the second four experts."""
    return {"model_type": model_type, "vocab_size": 32, "hidden_size": 16,
            "intermediate_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
            "num_key_value_heads": 2, "q_lora_rank": 8, "kv_lora_rank": 8,
            "qk_rope_head_dim": 4, "qk_nope_head_dim": 4, "v_head_dim": 4, "index_n_heads": 2,
            "index_head_dim": 8, "index_topk": 4, "n_routed_experts": 4,
            "num_experts_per_tok": 2, "moe_intermediate_size": 8, "first_k_dense_replace": 1,
            "n_group": 1, "topk_group": 1, "pad_token_id": 0, "bos_token_id": 0,
            "eos_token_id": 0, **more}


def test_glm5_is_built_natively_as_transformers_builds_it() -> None:
    # every tensor's name and shape, and sum(p.numel()), against GlmMoeDsaForCausalLM on the
    # meta device; fallback=False: nnsize's own builder, not transformers' model read back
    report = compare(glm5(), fallback=False)
    assert report.total_params == 743_911_199_232
    # the indexer of one layer: wq_b 2,048 -> 32 heads x 128, wk 6,144 -> 128, k_norm's weight
    # and bias 128 each, weights_proj 6,144 -> 32 heads; 78 layers of it
    indexer = [t for row in report.rows for t in row.tensors if ".indexer." in t.name]
    per_layer = 2048 * 32 * 128 + 6144 * 128 + 2 * 128 + 6144 * 32
    assert sum(t.numel for t in indexer) == 78 * per_layer


# GLM-5's config.json, key by key: what nnsize reads, and why the rest changes no tensor.
# Read: vocab_size, hidden_size, intermediate_size, moe_intermediate_size, num_hidden_layers,
# num_attention_heads, num_key_value_heads (one per head: latent attention keeps no KV heads),
# q_lora_rank, kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim, v_head_dim, index_n_heads,
# index_head_dim, n_routed_experts, n_shared_experts, num_experts_per_tok,
# first_k_dense_replace, attention_bias, tie_word_embeddings, and the keys that would make a
# layer share an indexer (indexer_types, index_topk_pattern, index_topk_freq,
# index_skip_topk_offset: refused below).  No tensor of their own: head_dim and qk_head_dim
# (GlmMoeDsaConfig sets them from the rope and nope dims), index_topk (the keys the attention
# reads: a compute matter, refused there), num_nextn_predict_layers (the MTP layer, which
# transformers does not build and skips on load, model.layers.78: as DeepSeek-V3's, not
# counted), routed_scaling_factor, n_group, topk_group, topk_method, scoring_func,
# norm_topk_prob, moe_layer_freq, ep_size, pretraining_tp, rope_parameters, rope_interleave,
# indexer_rope_interleave, rms_norm_eps, hidden_act, max_position_embeddings (the context
# limit), initializer_range, attention_dropout, use_cache, dtype, the token ids and
# transformers_version.
READ = {"vocab_size", "hidden_size", "intermediate_size", "moe_intermediate_size",
        "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "q_lora_rank",
        "kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim", "index_n_heads",
        "index_head_dim", "n_routed_experts", "n_shared_experts", "num_experts_per_tok",
        "first_k_dense_replace", "attention_bias", "tie_word_embeddings"}
NO_TENSOR = {"head_dim", "qk_head_dim", "index_topk", "num_nextn_predict_layers",
             "routed_scaling_factor", "n_group", "topk_group", "topk_method", "scoring_func",
             "norm_topk_prob", "moe_layer_freq", "ep_size", "pretraining_tp", "rope_parameters",
             "rope_interleave", "indexer_rope_interleave", "rms_norm_eps", "hidden_act",
             "max_position_embeddings", "initializer_range", "attention_dropout", "use_cache",
             "dtype", "eos_token_id", "pad_token_id", "transformers_version", "model_type",
             "architectures"}


def test_every_key_of_glm5s_config_is_read_or_changes_no_tensor() -> None:
    assert set(glm5()) == READ | NO_TENSOR
    assert not READ & NO_TENSOR
    # the ones that change no tensor: changed, the count stays (MTP layers included)
    base = nnsize.count(glm5())
    for key, value in (("num_nextn_predict_layers", 3), ("index_topk", 64),
                       ("routed_scaling_factor", 1.0), ("qk_head_dim", 7), ("head_dim", 7)):
        assert nnsize.count({**glm5(), key: value}).total_params == base.total_params, key


def test_glm5s_kv_cache_at_bf16() -> None:
    report = nnsize.count(glm5())
    bf16 = find("bf16")
    # a token, every layer: the latent (kv_lora_rank 512 + the shared rope key 64) and the
    # indexer's key (index_head_dim 128), at 2 bytes: 78 x (512 + 64 + 128) x 2 = 109,824 B
    total, terms, _ = kv_cache(report, 1, 1, bf16)
    assert total == 78 * (512 + 64 + 128) * 2 == 109_824
    # 8,192 tokens: 78 x 8,192 x 704 x 2 = 899,678,208 B (858 MiB); without the indexer's
    # keys, 78 x 8,192 x 576 x 2 = 736,100,352
    total, terms, notes = kv_cache(report, 1, 8192, bf16)
    assert total == 78 * 8192 * (512 + 64 + 128) * 2 == 899_678_208
    assert terms is not None and terms.groups == ((78, 8192, 512 + 64 + 128),)
    p = plan(report, Setup(context=8192))
    assert p.lines[1].bytes == 899_678_208


@pytest.mark.parametrize("model_type", ["glm_moe_dsa", "deepseek_v32"])
def test_the_cache_is_transformers_own(model_type: str) -> None:
    # the tensors and the cache after a forward pass of 3 x 13 tokens: each layer's keys (the
    # latent, kv_lora_rank 8), values (the rope key, 4) and indexer_keys (index_head_dim 8):
    # 2 layers x 3 x 13 x (8 + 4 + 8) x 4 B = 6,240 bytes in fp32
    config = tiny(model_type)
    compare(config, fallback=False)
    assert_cache_is_planned(config)
    total, _, _ = kv_cache(nnsize.count(config), 3, 13, find("fp32"))
    assert total == 2 * 3 * 13 * (8 + 4 + 8) * 4 == 6_240


def test_a_serving_engine_compute_and_speed_refuse_the_indexer() -> None:
    from nnsize.gpus import find_gpu
    from nnsize.speed import hardware, speed

    report = nnsize.count(glm5())
    with pytest.raises(NnsizeError, match="vLLM: in fp8 with an fp32 scale"):
        plan(report, Setup(engine="vllm"))
    with pytest.raises(NnsizeError, match="index_topk keys its indexer picks"):
        compute(report, 64)
    with pytest.raises(NnsizeError, match="index_topk keys its indexer picks"):
        speed(report, hardware(find_gpu("h100-80gb"), "bf16"), engine="transformers")


def _shared(data: dict[str, Any]) -> bool:
    """Whether GlmMoeDsaConfig gives some layer no indexer of its own."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.GlmMoeDsaConfig(**{k: v for k, v in data.items()
                                              if k != "model_type"})
    return "shared" in cfg.indexer_types


@pytest.mark.parametrize("more", [
    {"indexer_types": ["full", "shared", "full", "full"]}, {"index_topk_pattern": "FSFF"},
    {"index_topk_pattern": ["full", "full", "full", "shared"]}, {"index_topk_freq": 2},
    {"index_topk_freq": 2, "index_skip_topk_offset": -1},
    {"index_topk_freq": 3, "index_skip_topk_offset": 0}])
def test_layers_that_share_an_indexer_are_refused_by_key(more: dict[str, Any]) -> None:
    config = {**tiny("glm_moe_dsa", num_hidden_layers=4), **more}
    assert _shared(config)
    with pytest.raises(SpecError, match="reuse the previous layer's top-k") as e:
        nnsize.count(config)
    assert next(iter(more)) in str(e.value)


@pytest.mark.parametrize("layers", [1, 2, 5])
@pytest.mark.parametrize("freq", [-1, 1, 2, 3])
@pytest.mark.parametrize("offset", [-2, 0, 1, 2, 4, 6])
def test_the_index_topk_schedule_is_transformers_own(layers: int, freq: int,
                                                     offset: int) -> None:
    # GlmMoeDsaConfig's schedule: layer i runs its indexer where
    # max(i - offset + 1, 0) % max(freq, 1) == 0; nnsize refuses exactly when one does not
    config = tiny("glm_moe_dsa", num_hidden_layers=layers, index_topk_freq=freq,
                  index_skip_topk_offset=offset, first_k_dense_replace=0)
    if _shared(config):
        with pytest.raises(SpecError, match="index_topk_freq"):
            nnsize.count(config)
    else:
        compare(config, fallback=False)


@pytest.mark.parametrize("types", [["full"], ["full", "none", "full", "full"], "FSFF"])
def test_indexer_types_name_each_layer_full_or_shared(types: Any) -> None:
    # a list for each of the 4 layers (transformers' config class takes a short one, and its
    # model then fails on the layer it lacks); a string is index_topk_pattern's spelling
    with pytest.raises(SpecError, match="indexer_types must give each of the 4 layers"):
        nnsize.count(tiny("glm_moe_dsa", num_hidden_layers=4, indexer_types=types))
