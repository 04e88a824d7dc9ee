"""Mamba, Falcon-Mamba and Mamba-2 against transformers, tensor by tensor, random configs."""

from __future__ import annotations

from typing import Any

import pytest
from hf import assert_defaults_are_transformers_own, compare, lm_class, random_configs_test
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsize.architectures import families
from nnsize.architectures.config import Config
from nnsize.architectures.mamba import state_values

FAMILIES = ["falcon_mamba", "mamba", "mamba2"]


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    h = draw(st.sampled_from([8, 16]))
    c: dict[str, Any] = {
        "model_type": family, "hidden_size": h, "vocab_size": draw(st.integers(10, 40)),
        "num_hidden_layers": draw(st.integers(1, 3)), "state_size": draw(st.integers(2, 8)),
        "expand": draw(st.sampled_from([1, 2])), "conv_kernel": draw(st.integers(2, 4)),
        "use_bias": draw(st.booleans()), "use_conv_bias": draw(st.booleans()),
        "tie_word_embeddings": draw(st.booleans()),
        "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0,
    }
    if family == "mamba2":
        inner = c["expand"] * h
        heads = draw(st.sampled_from([2, 4]))
        c.update(num_heads=heads, head_dim=inner // heads, n_groups=draw(st.sampled_from([1, 2])))
    else:
        c["time_step_rank"] = draw(st.sampled_from(["auto", 3]))
    if draw(st.booleans()):
        c["architectures"] = [lm_class(family)]
    return c


test_random_configs_match_transformers = random_configs_test(FAMILIES, config, 6)


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_are_transformers_own(family: str) -> None:
    assert_defaults_are_transformers_own(family)


def test_state_size() -> None:
    # mamba-130m: 24 layers, d 768, expand 2 -> I 1,536; kernel 4, N 16
    # a layer: 1,536 x 4 conv + 1,536 x 16 ssm = 6,144 + 24,576 = 30,720; x 24 = 737,280
    c = Config({"hidden_size": 768, "num_hidden_layers": 24}, "mamba",
               families()["mamba"].defaults)
    assert state_values("mamba", c) == 737_280


def test_the_planner_keeps_the_state_and_no_kv_cache() -> None:
    # mamba-130m: the state is 737,280 values a sequence, whatever the context
    from nnsize.memory import kv_cache
    from nnsize.precision import find

    report = nnsize_count({"model_type": "mamba", "hidden_size": 768, "num_hidden_layers": 24,
                           "vocab_size": 50280})
    for context in (1, 4096):
        total, terms, _ = kv_cache(report, 2, context, find("bf16"))
        # batch 2 x 24 layers x (1,536 x 4 conv x 2 bytes + 1,536 x 16 SSM x 4 bytes, float32)
        assert total == 2 * 24 * (1536 * 4 * 2 + 1536 * 16 * 4) == 5_308_416
        assert terms is not None and terms.state == 737_280


def nnsize_count(config: dict[str, Any]) -> Any:
    import nnsize

    return nnsize.count(config)


@st.composite
def jamba_config(draw: st.DrawFn) -> dict[str, Any]:
    c: dict[str, Any] = {
        "model_type": "jamba", "hidden_size": 16, "num_attention_heads": 2,
        "num_key_value_heads": draw(st.sampled_from([1, 2])),
        "num_hidden_layers": draw(st.integers(1, 4)), "intermediate_size": draw(st.integers(4, 8)),
        "vocab_size": draw(st.integers(10, 40)), "num_experts": draw(st.integers(1, 4)),
        "num_experts_per_tok": 1, "expert_layer_period": draw(st.integers(1, 2)),
        "expert_layer_offset": 0, "attn_layer_period": draw(st.integers(1, 3)),
        "attn_layer_offset": 0, "mamba_d_state": draw(st.integers(2, 4)),
        "mamba_d_conv": draw(st.integers(2, 4)), "mamba_expand": draw(st.sampled_from([1, 2])),
        "mamba_proj_bias": draw(st.booleans()), "mamba_conv_bias": draw(st.booleans()),
        "tie_word_embeddings": draw(st.booleans()), "use_mamba_kernels": False,
        "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0,
    }
    c["attn_layer_offset"] = draw(st.integers(0, c["attn_layer_period"] - 1))
    c["expert_layer_offset"] = draw(st.integers(0, c["expert_layer_period"] - 1))
    if draw(st.booleans()):
        c["architectures"] = ["JambaForCausalLM"]
    return c


@settings(max_examples=8, deadline=None)
@given(jamba_config())
def test_jamba_matches_transformers(c: dict[str, Any]) -> None:
    compare(c)


def test_jamba_defaults_are_transformers_own() -> None:
    assert_defaults_are_transformers_own("jamba")


@pytest.mark.parametrize("command", [["memory"], ["memory", "--engine", "vllm"],
                                     ["fit", "--gpu", "24GiB"]])
def test_the_planner_commands_on_state_space_models(command: list[str], tmp_path: Any) -> None:
    # no KV cache, no attention layer: the planner's commands answer, or refuse in one line
    import json

    from nnsize.cli import main

    for config in ({"model_type": "mamba", "hidden_size": 64, "num_hidden_layers": 2,
                    "vocab_size": 100},
                   {"model_type": "jamba", "hidden_size": 64, "num_attention_heads": 4,
                    "num_hidden_layers": 8, "intermediate_size": 128, "vocab_size": 100,
                    "num_experts": 4}):
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
        assert main([command[0], str(path), *command[1:]]) == 0


def test_training_plans_of_state_space_models(tmp_path: Any, capsys: Any) -> None:
    """Mamba's step is traced at four short contexts and carried to the default 2,048 (its
    reference scan, a loop over the tokens, would pass the time limit at 2,048).  This Jamba
    keeps JambaConfig's default 8 KV heads over its 4 heads, a step transformers cannot run
    (SDPA: "The size of tensor a (4) must match the size of tensor b (8)"): said in one line.
    (Its grouped experts trace since traced._cpu_op: with 2 KV heads, a step at batch 2 x 64
    under autocast is 1.001 of the real CPU step's saved bytes and 1.002 of its peak.)"""
    import json

    from nnsize.cli import main

    mamba = tmp_path / "mamba.json"
    mamba.write_text(json.dumps({"model_type": "mamba", "hidden_size": 64,
                                 "num_hidden_layers": 2, "vocab_size": 100}))
    assert main(["memory", str(mamba), "--train"]) == 0
    assert "at 16, 32, 48 and 64 tokens and carried to 2,048" in capsys.readouterr().out
    jamba = tmp_path / "jamba.json"
    jamba.write_text(json.dumps({"model_type": "jamba", "hidden_size": 64,
                                 "num_attention_heads": 4, "num_hidden_layers": 8,
                                 "intermediate_size": 128, "vocab_size": 100,
                                 "num_experts": 4}))
    assert main(["memory", str(jamba), "--train"]) == 2
    assert "could not be traced" in capsys.readouterr().err
