"""Bamba, Falcon-H1, Granite 4 (granitemoehybrid) and Nemotron-H against transformers, tensor by
tensor: random configs, transformers' default configs as save_pretrained writes them, and the
planner's view (a KV cache for the attention layers, a fixed state for the Mamba-2 ones)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from hf import (
    assert_cache_is_planned,
    assert_defaults_are_transformers_own,
    compare,
    lm_class,
    random_configs_test,
    torch,
    transformers,
)
from hypothesis import strategies as st

import nnsize
from nnsize.architectures import base_class, count_config
from nnsize.errors import SpecError

FAMILIES = ["bamba", "falcon_h1", "granitemoehybrid", "nemotron_h"]
TOKENS = {"pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    h = draw(st.sampled_from([8, 16]))
    heads = draw(st.sampled_from([1, 2]))
    layers = draw(st.integers(1, 5))
    kinds = ["linear_attention", "full_attention"]
    c: dict[str, Any] = {
        "model_type": family, "hidden_size": h, "vocab_size": draw(st.integers(10, 40)),
        "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": draw(st.sampled_from([1, heads])),
        "intermediate_size": draw(st.integers(2, 12)), "tie_word_embeddings": draw(st.booleans()),
        **TOKENS}
    mamba_heads = draw(st.sampled_from([1, 2, 4]))
    state, conv = draw(st.integers(2, 6)), draw(st.integers(2, 4))
    if family == "nemotron_h":
        types = draw(st.lists(st.sampled_from([*kinds, "moe", "mlp"]), min_size=1, max_size=6))
        c.update(mamba_num_heads=mamba_heads, mamba_head_dim=draw(st.integers(1, 4)),
                 n_groups=draw(st.sampled_from([1, 2])), ssm_state_size=state, conv_kernel=conv,
                 use_bias=draw(st.booleans()), use_conv_bias=draw(st.booleans()),
                 mlp_bias=draw(st.booleans()), head_dim=draw(st.sampled_from([2, 4])),
                 n_routed_experts=draw(st.integers(1, 4)), num_experts_per_tok=1,
                 moe_intermediate_size=draw(st.integers(1, 6)),
                 moe_shared_expert_intermediate_size=draw(st.integers(0, 6)),
                 moe_latent_size=draw(st.sampled_from([None, 4])))
        if draw(st.booleans()):
            c["layers_block_type"] = types
        else:
            c["hybrid_override_pattern"] = "".join(
                {"linear_attention": "M", "full_attention": "*", "moe": "E", "mlp": "-"}[t]
                for t in types)
    else:
        c.update(mamba_n_heads=mamba_heads, mamba_n_groups=draw(st.sampled_from([1, 2])),
                 mamba_d_state=state, mamba_d_conv=conv, mamba_expand=draw(st.sampled_from([1, 2])),
                 mamba_conv_bias=draw(st.booleans()), mamba_proj_bias=draw(st.booleans()),
                 attention_bias=draw(st.booleans()))
    if family == "bamba":
        c.update(attn_layer_indices=draw(st.lists(st.integers(0, layers), max_size=3)),
                 mlp_bias=draw(st.booleans()))
    if family == "falcon_h1":
        c.update(mamba_d_ssm=draw(st.sampled_from([None, 8])),
                 mamba_rms_norm=draw(st.booleans()), projectors_bias=draw(st.booleans()),
                 mlp_bias=draw(st.booleans()), head_dim=draw(st.sampled_from([2, 4])))
    if family == "granitemoehybrid":
        c.update(num_local_experts=draw(st.integers(0, 3)), num_experts_per_tok=1,
                 shared_intermediate_size=draw(st.integers(1, 6)),
                 layer_types=draw(st.lists(st.sampled_from(kinds), min_size=layers,
                                           max_size=layers)))
    if draw(st.booleans()):
        c["architectures"] = [lm_class(family)]
    return c


test_random_configs_match_transformers = random_configs_test(FAMILIES, config, 8)


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_are_transformers_own(family: str) -> None:
    assert_defaults_are_transformers_own(family)


@pytest.mark.parametrize("family", FAMILIES)
def test_saved_default_config(family: str) -> None:
    # transformers' default config, as save_pretrained writes it (time_step_limit's infinity
    # included, as {"__float__": "Infinity"}), counted as the base model and the LM
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[family]()
        with torch.device("meta"):
            model = transformers.AutoModel.from_config(cfg)
    data = json.loads(cfg.to_json_string())
    data.pop("architectures", None)
    assert count_config(data, base=True).total_params == sum(p.numel() for p in model.parameters())
    assert base_class(family) == type(model).__name__


@pytest.mark.parametrize("family", FAMILIES)
def test_default_config_lm_matches_transformers(family: str) -> None:
    # the LM of transformers' default config, tensor by tensor (time_step_limit left out: the
    # builder of the comparison passes keys to the config class as they are)
    compare({"model_type": family, "architectures": [lm_class(family)]})


def test_nemotron_h_legacy_keys_win() -> None:
    # NemotronHConfig renames mamba_n_groups -> n_groups (the older key wins), and reads the
    # number of layers from the layer types alone, whatever num_hidden_layers says
    c = {"model_type": "nemotron_h", "hidden_size": 16, "num_attention_heads": 2,
         "num_key_value_heads": 1, "head_dim": 8, "mamba_num_heads": 2, "mamba_head_dim": 4,
         "ssm_state_size": 4, "n_groups": 1, "mamba_n_groups": 2, "mamba_d_conv": 3,
         "n_routed_experts": 2, "moe_intermediate_size": 4,
         "moe_shared_expert_intermediate_size": 4, "intermediate_size": 8, "vocab_size": 32,
         "num_hidden_layers": 9, "hybrid_override_pattern": "M*E-", **TOKENS}
    compare(c)


def test_bamba_state_and_cache() -> None:
    # 4 layers, attention at 1: 3 Mamba-2 layers of I = 2 x 16 = 32, groups 1, N 4, kernel 4:
    # conv (32 + 2 x 4) x 4 = 160, SSM 32 x 4 = 128; 3 x 288 = 864 values a sequence
    report = nnsize.count({"model_type": "bamba", "hidden_size": 16, "num_attention_heads": 2,
                           "num_key_value_heads": 1, "num_hidden_layers": 4,
                           "attn_layer_indices": [1], "mamba_n_heads": 2, "mamba_d_state": 4,
                           "intermediate_size": 8, "vocab_size": 32})
    d = report.decoder
    assert d is not None and d.state_values == 864 and d.scan_values == 3 * 128
    assert len(d.layers) == 1 and d.layers[0].kv_heads == 1 and d.layers[0].key_dim == 8


@pytest.mark.parametrize(("family", "change", "needle"), [
    ("bamba", {"mamba_n_heads": 3}, "mamba_n_heads"),
    ("bamba", {"mamba_d_head": 5}, "mamba_d_head"),
    ("granitemoehybrid", {"layer_types": ["sliding_attention"]}, "layer_types"),
    ("granitemoehybrid", {"layer_types": []}, "layer_types"),
    ("nemotron_h", {"hybrid_override_pattern": "MX"}, "hybrid_override_pattern"),
    ("nemotron_h", {"layers_block_type": ["mamba", "bad"]}, "layers_block_type"),
])
def test_structural_keys_are_refused_by_name(family: str, change: dict[str, Any],
                                            needle: str) -> None:
    with pytest.raises(SpecError, match=needle):
        count_config({"model_type": family, "hidden_size": 16, "num_hidden_layers": 2,
                      "num_attention_heads": 2, "mamba_n_heads": 4, **change})


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("command", [["memory"], ["fit", "--gpu", "24GiB"]])
def test_the_planner_commands(family: str, command: list[str], tmp_path: Any) -> None:
    # a KV cache for the attention layers, the Mamba-2 state for the rest: the planner answers
    # (inference), and refuses training (activations of state-space layers) in one line
    # (Granite 4, whose grouped experts now trace, by its carry: at 16-64 tokens its Mamba-2
    # scan is one chunk of mamba_chunk_size 256, and the bytes carried to 2,048 give a peak
    # below what the step saves, 118,251,664 < 172,572,880 B: traced.trace_config refuses it)
    from nnsize.cli import main

    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": family, "hidden_size": 64,
                                "num_attention_heads": 4, "num_hidden_layers": 4,
                                "intermediate_size": 128, "vocab_size": 100,
                                "mamba_n_heads": 8, "attn_layer_indices": [2],
                                "layer_types": ["linear_attention", "full_attention"] * 2}))
    assert main([command[0], str(path), *command[1:]]) == 0
    assert main(["memory", str(path), "--train"]) == 2


def test_granite_4_h_small_active_parameters() -> None:
    # IBM: "32B total / 9B active"; a token reaches 10 of the 72 experts of each layer
    # experts: 40 layers x 72 x (1,536 x 4,096 + 4,096 x 768) = 40 x 72 x 9,437,184
    from published import PUBLISHED

    report = nnsize.count(PUBLISHED["granite-4.0-h-small"][0])
    experts = 40 * 72 * (1536 * 4096 + 4096 * 768)
    assert experts == 27_179_089_920
    assert report.active_params == report.total_params - experts + experts * 10 // 72
    assert round(report.active_params / 10**9) == 9


@pytest.mark.parametrize("config", [
    {"model_type": "bamba", "num_hidden_layers": 3, "attn_layer_indices": [1],
     "mamba_n_heads": 2, "mamba_chunk_size": 4},
    {"model_type": "falcon_h1", "num_hidden_layers": 2, "mamba_n_heads": 2, "mamba_d_ssm": 16,
     "mamba_chunk_size": 4},
    {"model_type": "granitemoehybrid", "num_hidden_layers": 3, "mamba_n_heads": 2,
     "layer_types": ["mamba", "attention", "mamba"], "mamba_chunk_size": 4,
     "num_local_experts": 2, "num_experts_per_tok": 1},
    {"model_type": "nemotron_h", "head_dim": 8, "mamba_num_heads": 2, "mamba_head_dim": 8,
     "n_groups": 1, "ssm_state_size": 4, "chunk_size": 4,
     "layers_block_type": ["linear_attention", "full_attention", "mlp"]},
], ids=lambda c: c["model_type"])
def test_the_cache_transformers_keeps(config: dict[str, Any]) -> None:
    # batch 3 x 13 tokens: the attention layers' keys and values, each Mamba-2 layer's conv
    # window and SSM state, byte for byte
    assert_cache_is_planned({**config, "hidden_size": 16, "num_attention_heads": 2,
                             "num_key_value_heads": 1, "intermediate_size": 8,
                             "vocab_size": 32, "mamba_d_state": 4, **TOKENS})


SMALL = {"hidden_size": 16, "num_attention_heads": 2, "num_key_value_heads": 1,
         "intermediate_size": 8, "vocab_size": 32, "mamba_d_state": 4, **TOKENS}


@pytest.mark.parametrize("config, layers", [
    # every layer a Mamba-2 one (Granite 4's default layer_types): 2 blocks, no KV cache
    ({"model_type": "granitemoehybrid", "num_hidden_layers": 2, "mamba_n_heads": 2}, 2),
    # layer 1 attends, 0 and 2 are Mamba-2: 3 blocks
    ({"model_type": "bamba", "num_hidden_layers": 3, "attn_layer_indices": [1],
      "mamba_n_heads": 2}, 3),
    # each of the 2 blocks holds attention and a Mamba-2 mixer side by side: 2, not 4
    ({"model_type": "falcon_h1", "num_hidden_layers": 2, "mamba_n_heads": 2,
      "mamba_d_ssm": 16}, 2),
], ids=lambda c: c["model_type"] if isinstance(c, dict) else str(c))
def test_speed_reads_the_state_beside_the_kv_cache(config: dict[str, Any], layers: int) -> None:
    # main's speed of state-space models (Mamba, Jamba), carried to the Mamba-2 hybrids: the
    # state each token reads is the planner's, and every block costs the engine a layer
    from nnsize.memory import kv_cache
    from nnsize.precision import find
    from nnsize.speed import Hardware, speed

    report = nnsize.count({**SMALL, **config})
    d = report.decoder
    assert d is not None
    s = speed(report, Hardware("card", 10**6, 10**7, "bf16"), context=10, engine="roofline")
    m = d.mixer  # as transformers keeps it: the conv window at 2 bytes, the SSM state at 4
    assert m is not None and s.state_bytes == m.layers * (
        (m.inner + 2 * m.groups * m.state) * m.kernel * 2 + m.heads * m.head_dim * m.state * 4)
    assert s.decode.cache_bytes == kv_cache(report, 1, 10, find("bf16"))[0]
    assert s.layers == layers
