"""nemotron-nas (Llama-3.3-Nemotron-Super-49B, DeciLMForCausalLM): each layer built by its own
block_configs entry, as vLLM's nemotron_nas.py and NVIDIA's modeling_decilm.py build it
(architectures/nemotron_nas.py); where every block is a whole Llama layer, the model is
transformers' LlamaForCausalLM tensor for tensor.  The planner keeps a KV cache on the layers
that attend alone, each MLP its own width: checked against the same stack of transformers' Llama
modules (the cache they fill, the FLOPs torch counts)."""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import pytest
from hf import built, torch, transformers

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


def test_super_49b_is_planned_layer_by_layer() -> None:
    # the planner's decoder: a KV cache of 8 KV heads of 128 on the 49 attending layers, the 31
    # no_op ones bare; each MLP its own width, the widest 28,672 (ffn_mult 5.25)
    d = nnsize.count(SUPER).decoder
    assert d is not None
    assert [(layer.kv_heads, layer.key_dim, layer.value_dim, n) for layer, n in
            d.layers.counts()] == [(8, 128, 128, 49)]
    assert (d.bare_layers, d.depth, d.intermediate) == (31, 80, 28672)
    # ffn_mult 5.25 on 49 layers, 3.28125 on 1, 2.625 on 6, 1.3125 on 10, 1.0 on 8, 0.5 on 6
    assert d.mlp_widths == ((28672, 49), (17920, 1), (14336, 6), (7168, 10), (5632, 8),
                            (2816, 6))
    assert d.varied == "31 of its 80 layers without attention, MLPs 2,816 to 28,672 wide"


def _mixed() -> dict[str, Any]:
    # 8 heads of 8 (hidden 64): 2, -, 4, -, 1 and 8 KV heads; MLPs int(2 x m x 64 / 3) rounded
    # up to 256 (all 256 wide), a linear and a no_op ffn among them
    return small(block(4, 1.0), block(None, 2.0, attention="none"), block(2, 3.0),
                 block(None, None, attention="linear", ffn="linear"),
                 block(8, None, ffn="none"), block(1, 1.0))


def _reference(config: dict[str, Any]) -> Any:
    """The stack as DECILM builds it, of transformers' Llama modules (DeciLMAttention and
    DeciLMMLP are Llama's with their own KV heads and width; the linear blocks nn.Linear
    without bias), named as nnsize names them."""
    from torch import nn
    from transformers.models.llama import modeling_llama as llama

    def cfg(kv: int = 8, width: int = 256) -> Any:
        return transformers.LlamaConfig(vocab_size=96, hidden_size=64, num_attention_heads=8,
                                        num_key_value_heads=kv, intermediate_size=width,
                                        num_hidden_layers=1)

    def layer(i: int, entry: dict[str, Any]) -> Any:
        out, att, ffn = nn.Module(), entry["attention"], entry["ffn"]
        if not att["no_op"]:
            out.input_layernorm = llama.LlamaRMSNorm(64)
            if att["replace_with_linear"]:
                out.self_attn = nn.Module()
                out.self_attn.linear_attn = nn.Linear(64, 64, bias=False)
            else:
                out.self_attn = llama.LlamaAttention(cfg(8 // att["n_heads_in_group"]), i)
        if not ffn["no_op"]:
            out.post_attention_layernorm = llama.LlamaRMSNorm(64)
            if ffn["replace_with_linear"]:
                out.mlp = nn.Module()
                out.mlp.linear_mlp = nn.Linear(64, 64, bias=False)
            else:
                out.mlp = llama.LlamaMLP(cfg(width=ffn_width(ffn["ffn_mult"], 64)))
        return out

    model = nn.Module()
    model.model = nn.Module()
    model.model.embed_tokens = nn.Embedding(96, 64)
    model.model.layers = nn.ModuleList(layer(i, e) for i, e in
                                       enumerate(config["block_configs"]))
    model.model.norm = llama.LlamaRMSNorm(64)
    model.lm_head = nn.Linear(64, 96, bias=False)
    model.rope = llama.LlamaRotaryEmbedding(cfg())
    return model.to(torch.bfloat16).eval()


def _forward(model: Any, tokens: int) -> tuple[Any, dict[str, int]]:
    """DeciLMDecoderLayer.forward over tokens hidden states (no_op halves skipped, a linear
    half applied to its norm's output): the DynamicCache each attending layer updates at its
    own index, and the FLOPs torch's FlopCounterMode counts, by op."""
    from torch.utils.flop_counter import FlopCounterMode

    cache = transformers.DynamicCache()
    h = torch.randn(1, tokens, 64, dtype=torch.bfloat16)
    rope = model.rope(h, torch.arange(tokens)[None])
    with torch.no_grad(), warnings.catch_warnings(), FlopCounterMode(display=False) as flops:
        warnings.simplefilter("ignore")
        for layer in model.model.layers:
            if hasattr(layer, "self_attn"):
                x = layer.input_layernorm(h)
                h = h + (layer.self_attn.linear_attn(x) if hasattr(layer.self_attn, "linear_attn")
                         else layer.self_attn(x, rope, None, past_key_values=cache)[0])
            if hasattr(layer, "mlp"):
                mlp = getattr(layer.mlp, "linear_mlp", layer.mlp)
                h = h + mlp(layer.post_attention_layernorm(h))
        model.lm_head(model.model.norm(h))
    return cache, {str(op): n for op, n in flops.get_flop_counts()["Global"].items()}


def test_a_mixed_stack_against_transformers_modules() -> None:
    from nnsize.memory import Setup, compute, kv_cache, plan
    from nnsize.precision import find

    config = _mixed()
    report = nnsize.count(config)
    model = _reference(config)
    # the same tensors, and the weights line to the byte: 265,920 parameters x 2 B
    theirs = {n: tuple(p.shape) for n, p in model.named_parameters() if not n.startswith("rope")}
    assert tensors(config) == theirs
    stored = sum(p.numel() * p.element_size() for n, p in model.named_parameters())
    assert plan(report, Setup(dtype="bf16", context=5)).lines[0].bytes == stored == 531_840
    # the KV cache: the 4 attending layers alone, (2 + 4 + 1 + 8) KV heads x 8 x 2 (keys,
    # values) x 5 tokens x 2 B = 2,400; the others keep nothing
    cache, flops = _forward(model, 5)
    kept = [tuple(layer.keys.shape) if layer.keys is not None else None for layer in cache.layers]
    assert kept == [(1, 2, 5, 8), None, (1, 4, 5, 8), None, (1, 1, 5, 8), (1, 8, 5, 8)]
    measured = sum(layer.keys.nbytes + layer.values.nbytes for layer in cache.layers
                   if layer.keys is not None)
    assert kv_cache(report, 1, 5, find("bf16"))[0] == measured == (2 + 4 + 1 + 8) * 8 * 2 * 5 * 2
    # compute: the matmuls with weights, summed layer by layer (q and o 64 x 64, k and v kv x 8
    # x 64 each; MLPs 3 x 256 x 64; the linear blocks 64 x 64 each; the head 96 x 64), a token:
    # attention 4 x 2 x 4,096 + (2 + 4 + 1 + 8) x 2 x 512 = 48,128; MLPs 4 x 49,152 = 196,608;
    # linear 2 x 4,096; head 6,144: 259,072 MACs, FlopCounterMode's mm over 5 tokens / 2
    c = compute(report, 5)
    assert c.linear_macs == 48_128 + 196_608 + 8_192 + 6_144 == flops["aten.mm"] // 2 // 5
    # attention: 4 layers x 8 heads x (8 + 8) a key; the reference's bmm, unmasked, 5 x 5 keys,
    # nnsize's causal 1 + 2 + ... + 5 = 15
    assert flops["aten.bmm"] // 2 == 4 * 8 * 16 * 5 * 5
    assert c.attention_macs_prefill == 4 * 8 * 16 * 15


def test_the_workspace_is_the_widest_layer_s() -> None:
    # vLLM's forward pass: a chunk of 2,048 tokens x (3 x the widest MLP, 28,672, + 4 x 8,192)
    from nnsize.memory import Setup, plan

    lines = plan(nnsize.count(SUPER), Setup(engine="vllm", context=8192)).lines
    work = next(line for line in lines if line.part == "decoder_workspace")
    assert work.terms.intermediate == 28672
    assert work.bytes >= 2048 * (3 * 28672 + 4 * 8192) * 2


@pytest.mark.parametrize(("setup", "message"), [
    ({"train": True}, r"what training saves of layers that differ \(2 of its 6 layers without "
                      r"attention, 4 MLPs 256 wide and the others none or one matrix\)"),
    ({"dtype": "q4_k_m"}, "a GGUF mix of a model whose layers differ"),
    ({"tp": 2, "gpus": 2}, "how layers that differ .* split over tensor- and pipeline-parallel"),
])
def test_what_takes_every_layer_alike_is_refused_by_name(setup: dict[str, Any],
                                                         message: str) -> None:
    # training's activations, llama-quantize's choices by layer index and the parallel
    # layouts each take one layer for all: refused by name, inference on one GPU planned
    from nnsize.memory import Setup, plan

    with pytest.raises(NnsizeError, match=message):
        plan(nnsize.count(_mixed()), Setup(**setup))


def test_speed_on_one_card() -> None:
    from nnsize.gpus import GPUS
    from nnsize.speed import hardware, speed

    report = nnsize.count(SUPER)
    one = speed(report, hardware(GPUS["h100-80gb"], "bf16"), engine="vllm")
    assert one.layers == 80  # each layer's launches, the bare ones' too
    with pytest.raises(NnsizeError, match="tensor parallelism of layers that differ"):
        speed(report, hardware(GPUS["h100-80gb"], "bf16", gpus=2), engine="vllm")


@pytest.mark.parametrize(("key", "value"), [
    ("window_length", 4), ("num_sink_tokens", 2), ("unshifted_sink", True),
    ("use_prefill_window_in_sink_attention", True)])
def test_a_window_or_sinks_are_counted_not_planned(key: str, value: Any) -> None:
    # DeciLMDecoderLayer masks a window and sink tokens, which its VariableCache keeps its own
    # way: the count stands, the planner refuses the key by name
    from nnsize.memory import Setup, plan

    config = small(block(4, 1.0), block(4, 1.0))
    config["block_configs"][1]["attention"][key] = value
    report = nnsize.count(config)
    assert report.total_params == nnsize.count(small(block(4, 1.0), block(4, 1.0))).total_params
    with pytest.raises(NnsizeError, match=rf"cannot plan it: block_configs\[1\]\.attention\.{key}"):
        plan(report, Setup())
