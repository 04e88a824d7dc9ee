"""nemotron-nas (Llama-3.3-Nemotron-Super-49B, DeciLMForCausalLM): each layer built by its own
block_configs entry, as vLLM's nemotron_nas.py and NVIDIA's modeling_decilm.py build it
(architectures/nemotron_nas.py); where every block is a whole Llama layer, the model is
transformers' LlamaForCausalLM tensor for tensor; the planner refuses it by name."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hf import built

import nnsize
from nnsize.architectures.nemotron_nas import ffn_width
from nnsize.errors import NnsizeError, SpecError

import paths

SUPER = json.loads((paths.DATA / "published_configs" /
                    "nvidia--Llama-3_3-Nemotron-Super-49B-v1.json").read_text())


def block(group: int | None = 8, mult: float | None = 5.25, attention: str = "full",
          ffn: str = "full") -> dict[str, Any]:
    """A block_configs entry as the published configs write it out, every key given."""
    return {"attention": {"n_heads_in_group": group, "no_op": attention == "none",
                          "replace_with_linear": attention == "linear", "sparsify": None,
                          "num_sink_tokens": None, "unshifted_sink": False,
                          "use_prefill_window_in_sink_attention": False,
                          "window_length": None},
            "ffn": {"ffn_mult": mult, "no_op": ffn == "none",
                    "replace_with_linear": ffn == "linear", "sparsify": None}}


def small(*blocks: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"model_type": "nemotron-nas", "architectures": ["DeciLMForCausalLM"],
            "vocab_size": 96, "hidden_size": 64, "num_attention_heads": 8,
            "num_hidden_layers": len(blocks), "block_configs": list(blocks), **more}


def tensors(config: dict[str, Any], base: bool = False) -> dict[str, tuple[int, ...]]:
    from nnsize.architectures import count_config

    report = count_config(config, base=base)
    return {name: t.shape for row in report.rows for t in row.tensors for name in t.names()}


@pytest.mark.parametrize(("mult", "width"), [
    # each ffn_mult of Llama-3.3-Nemotron-Super-49B-v1 at hidden 8,192: int(2 x m x 8,192 / 3)
    # rounded up to a multiple of 256
    (0.5, 2816), (1.0, 5632), (1.3125, 7168), (2.625, 14336), (3.28125, 17920), (5.25, 28672)])
def test_the_mlp_width_is_the_publishers(mult: float, width: int) -> None:
    assert ffn_width(mult, 8192) == width


def test_super_49b_tensor_by_tensor() -> None:
    # by hand from its block_configs: 49 layers attend (8 query heads a KV head: 8 KV heads of
    # 128), 31 do not; each layer's MLP its own width; vLLM's names (the checkpoint's)
    expected: dict[str, tuple[int, ...]] = {
        "model.embed_tokens.weight": (128256, 8192), "model.norm.weight": (8192,),
        "lm_head.weight": (128256, 8192)}
    for i, entry in enumerate(SUPER["block_configs"]):
        p = f"model.layers.{i}."
        if not entry["attention"]["no_op"]:
            assert entry["attention"]["n_heads_in_group"] == 8
            expected.update({p + "input_layernorm.weight": (8192,),
                             p + "self_attn.q_proj.weight": (8192, 8192),
                             p + "self_attn.k_proj.weight": (1024, 8192),
                             p + "self_attn.v_proj.weight": (1024, 8192),
                             p + "self_attn.o_proj.weight": (8192, 8192)})
        assert not entry["ffn"]["no_op"]
        width = {0.5: 2816, 1.0: 5632, 1.3125: 7168, 2.625: 14336, 3.28125: 17920,
                 5.25: 28672}[entry["ffn"]["ffn_mult"]]
        expected.update({p + "post_attention_layernorm.weight": (8192,),
                         p + "mlp.gate_proj.weight": (width, 8192),
                         p + "mlp.up_proj.weight": (width, 8192),
                         p + "mlp.down_proj.weight": (8192, width)})
    assert tensors(SUPER) == expected
    assert sum(math.prod(s) for s in expected.values()) == 49_867_145_216
    assert sum(not e["attention"]["no_op"] for e in SUPER["block_configs"]) == 49


def test_whole_llama_layers_are_transformers_llama() -> None:
    # every block a whole layer, 2 query heads a KV head and ffn_mult 3: transformers'
    # LlamaForCausalLM with num_key_value_heads 4 and intermediate_size int(2 x 3 x 64 / 3) =
    # 128 rounded up to 256, tensor for tensor, biases where attention_bias and mlp_bias say so
    config = small(block(2, 3.0), block(2, 3.0), attention_bias=True, mlp_bias=True)
    llama = {k: v for k, v in config.items() if k != "block_configs"}
    llama.update(model_type="llama", architectures=["LlamaForCausalLM"],
                 num_key_value_heads=4, intermediate_size=256)
    theirs = {name: shape for name, (_, shape) in built(llama).parameters.items()}
    assert tensors(config) == theirs
    # the base model (DeciLMModel) without model., the head tied as Llama's
    base = {name: shape for name, (_, shape) in built(llama, base=True).parameters.items()}
    assert tensors(config, base=True) == base
    tied = nnsize.count({**config, "tie_word_embeddings": True})
    assert tied.total_params == nnsize.count(config).total_params - 96 * 64


def test_no_op_and_linear_blocks() -> None:
    # no_op: neither the block nor its norm; replace_with_linear: the norm and one
    # hidden x hidden Linear without a bias (modeling_decilm.py's DeciLMLinearAttention and
    # DeciLMLinearMLP), whatever attention_bias and mlp_bias say; the names those TensorRT-LLM's
    # loader reads from a DeciLM checkpoint (nemotron_nas.CHECKPOINT_NAMES)
    config = small(block(4, 1.0), block(None, 2.0, attention="none"),
                   block(None, None, attention="linear", ffn="linear"),
                   block(8, None, ffn="none"), attention_bias=True, mlp_bias=True)
    names = tensors(config)
    assert {n for n in names if n.startswith("model.layers.1.")} == {
        "model.layers.1.post_attention_layernorm.weight", "model.layers.1.mlp.gate_proj.weight",
        "model.layers.1.mlp.gate_proj.bias", "model.layers.1.mlp.up_proj.weight",
        "model.layers.1.mlp.up_proj.bias", "model.layers.1.mlp.down_proj.weight",
        "model.layers.1.mlp.down_proj.bias"}
    # int(2 x 2 x 64 / 3) = 85, rounded up to 256
    assert names["model.layers.1.mlp.gate_proj.weight"] == (256, 64)
    assert {n: s for n, s in names.items() if n.startswith("model.layers.2.")} == {
        "model.layers.2.input_layernorm.weight": (64,),
        "model.layers.2.self_attn.linear_attn.weight": (64, 64),
        "model.layers.2.post_attention_layernorm.weight": (64,),
        "model.layers.2.mlp.linear_mlp.weight": (64, 64)}
    layer3 = {n: s for n, s in names.items() if n.startswith("model.layers.3.")}
    assert layer3 == {"model.layers.3.input_layernorm.weight": (64,),
                      "model.layers.3.self_attn.q_proj.weight": (64, 64),
                      "model.layers.3.self_attn.q_proj.bias": (64,),
                      "model.layers.3.self_attn.k_proj.weight": (8, 64),
                      "model.layers.3.self_attn.k_proj.bias": (8,),
                      "model.layers.3.self_attn.v_proj.weight": (8, 64),
                      "model.layers.3.self_attn.v_proj.bias": (8,),
                      "model.layers.3.self_attn.o_proj.weight": (64, 64),
                      "model.layers.3.self_attn.o_proj.bias": (64,)}
    # layer 0: 2 KV heads of 8, an MLP int(2 x 64 / 3) = 42, rounded up to 256
    assert names["model.layers.0.self_attn.k_proj.weight"] == (16, 64)
    assert names["model.layers.0.mlp.down_proj.weight"] == (64, 256)


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c.pop("block_configs"), "missing 'block_configs'"),
    (lambda c: c.update(num_hidden_layers=3),
     r"one block \(attention, ffn\) for each of the 3 layers \(num_hidden_layers\), got 2"),
    (lambda c: c["block_configs"][0]["attention"].update(n_heads_in_group=3),
     r"block_configs\[0\].attention.n_heads_in_group must be a whole number"),
    (lambda c: c["block_configs"][1]["attention"].update(n_heads_in_group=None),
     r"block_configs\[1\].attention.n_heads_in_group"),
    (lambda c: c["block_configs"][1]["ffn"].update(ffn_mult=0), r"ffn.ffn_mult must be"),
    (lambda c: c["block_configs"][0]["ffn"].update(moe={"num_local_experts": 8}),
     r"block_configs\[0\].ffn: moe: nnsize does not read this key"),
    (lambda c: c["block_configs"][0]["attention"].update(no_op=True, replace_with_linear=True),
     "both no_op and replace_with_linear"),
    (lambda c: c["block_configs"][1]["ffn"].pop("no_op"), r"ffn: missing 'no_op'"),
    (lambda c: c["block_configs"][1]["ffn"].update(no_op=0), r"ffn.no_op must be true or false"),
    (lambda c: c.update(head_dim=16), "head_dim = 16, but nemotron-nas's attention is"),
    (lambda c: c.update(num_attention_heads=6), "hidden_size 64 is not a whole number of heads"),
])
def test_what_it_cannot_build_is_refused_by_name(change: Any, message: str) -> None:
    config = json.loads(json.dumps(small(block(4, 1.0), block(2, 2.0))))
    change(config)
    with pytest.raises(SpecError, match=message):
        nnsize.count(config)


def test_head_dim_as_built_is_accepted() -> None:
    assert nnsize.count(small(block(4, 1.0), head_dim=8)).total_params == \
        nnsize.count(small(block(4, 1.0))).total_params


def test_the_planner_refuses_it_by_name() -> None:
    from nnsize.memory import Setup, plan

    report = nnsize.count(SUPER)
    assert report.decoder is None
    refused = report.stored["planner_refused"]
    assert refused.startswith("a nemotron-nas model's block_configs give each layer its own")
    assert "31 of its 80 layers without attention, MLPs 2,816 to 28,672 wide" in refused
    with pytest.raises(NnsizeError, match="cannot plan it: a nemotron-nas model's"):
        plan(report, Setup())
    # layers all alike are refused too (DeciLM's own attention is not measured), with what
    # they are
    alike = nnsize.count(small(block(2, 3.0), block(4, 3.0))).stored["planner_refused"]
    assert "(all 2 layers attending, MLPs 256 wide, 2 to 4 KV heads)" in alike
