"""Published config.json files nnsize had not seen (tests/data/published_configs/, each byte for
byte as its source keeps it, the sources in tests/data/published_configs.json): each is counted
as transformers builds it, tensor for tensor (or, for a model_type transformers has no class for,
as its publisher's code builds it), or refused with one message naming why; each counted
language model is planned (memory at 8,192 tokens, fit on an H100) with its KV cache, or the
planner names the key it does not model."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hf import built, compare, transformers

import nnsize
from nnsize.architectures import count_config
from nnsize.errors import SpecError

import paths

FOLDER = paths.DATA / "published_configs"
SOURCES: dict[str, dict[str, Any]] = json.loads(
    (paths.DATA / "published_configs.json").read_text())["files"]


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FOLDER / name).read_text())
    return data


# file: the parameters transformers 5.25 builds (sum(p.numel()), each tied tensor once)
COUNTED = {
    "MiniMaxAI--MiniMax-M2.5.json": 228_689_748_992,
    # model_type minimax_m3, counted as minimax_m3_vl_text (AS_READ), MiniMaxM3VLForCausalLM:
    # 200,064 x 6,144 = 1,229,193,216 for the embeddings and as much for lm_head; a layer's
    # attention q and o 8,192 x 6,144 = 50,331,648 each, k and v 512 x 6,144 = 3,145,728 each,
    # q_norm and k_norm 128 each: 106,955,008; its two norms 12,288.  3 dense layers
    # (moe_layer_freq 0): gate_up_proj 24,576 x 6,144 = 150,994,944, down_proj 6,144 x 12,288 =
    # 75,497,472: 333,459,712 a layer.  57 MoE layers: their indexer (sparse_attention_freq 1)
    # q_proj 512 x 6,144 = 3,145,728, k_proj 128 x 6,144 = 786,432, two norms 256; the router
    # 128 x 6,144 = 786,432; 128 experts' gate_up_proj 128 x 6,144 x 6,144 = 4,831,838,208 and
    # down_proj 128 x 6,144 x 3,072 = 2,415,919,104; the shared expert's 6,144 x 6,144 =
    # 37,748,736 and 6,144 x 3,072 = 18,874,368: 7,416,066,560 a layer; the final norm 6,144.
    # Its model card's "~428B" total and "~23B" activated (as copied at
    # https://huggingface.co/unsloth/MiniMax-M3, "Model Details") are the multimodal
    # checkpoint's: its vision tower and projector too, which this text config does not
    # describe.  Before, refused: "model_type 'minimax_m3' is not supported"
    "MiniMaxAI--MiniMax-M3.json":
        2 * 1_229_193_216 + 3 * 333_459_712 + 57 * 7_416_066_560 + 6144,
    "Qwen--Qwen3-Coder-480B-A35B-Instruct.json": 480_154_875_392,
    "Qwen--Qwen3-VL-2B-Instruct.json": 2_127_532_032,
    "Qwen--Qwen3-VL-30B-A3B-Instruct.json": 31_070_754_032,
    "Qwen--Qwen3-VL-32B-Instruct.json": 33_357_390_064,
    "Qwen--Qwen3-VL-8B-Instruct.json": 8_767_123_696,
    "Qwen--Qwen3.5-122B-A10B.json": 122_562_817_776,
    "Qwen--Qwen3.5-27B.json": 27_356_728_560,
    "Qwen--Qwen3.5-35B-A3B.json": 35_107_181_936,
    "Qwen--Qwen3.5-397B-A17B.json": 396_802_360_816,
    "XiaomiMiMo--MiMo-V2-Flash.json": 308_778_768_832,
    "deepseek-ai--DeepSeek-R1.json": 671_026_404_352,
    "deepseek-ai--DeepSeek-V4-Flash.json": 284_332_230_231,
    "google--gemma-4-26B-A4B.json": 25_805_933_872,
    # the file names its repo's class, KimiK25ForConditionalGeneration: transformers' is
    # Kimi_K25ForConditionalGeneration (before, refused: "transformers has no class")
    "moonshotai--Kimi-K2.5.json": 1_026_879_353_328,
    # model_type kimi_k2, counted as deepseek_v3 (AS_READ); the model card's "1T" total and "32B"
    # activated (https://github.com/MoonshotAI/Kimi-K2/blob/11062d119a82873f7f786cd2733c57d42ee65b79/
    # README.md, "Model Summary"): 61 layers, 1 dense, 384 experts of 2,048, 8 a token, 1 shared.
    # Before, refused: "model_type 'kimi_k2' is not supported"
    "moonshotai--Kimi-K2-Instruct.json": 1_026_408_209_408,
    "nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-BF16.json": 31_577_937_344,
    "nvidia--Nemotron-H-56B-Base-8K.json": 56_324_350_464,
    "ome--e5_mistral_7b.json": 7_110_660_096,
    "ome--exaone_7.8b.json": 7_818_448_896,
    "ome--gte_qwen2_7b.json": 7_612_620_288,
    "ome--llama3_2_11b_vision.json": 10_670_220_835,
    "ome--llama3_2_90b_vision.json": 88_593_355_323,
    "ome--qwen2.5_vl_7b.json": 8_292_166_656,
    "ome--qwen2_vl_2b.json": 2_208_985_600,
    "ome--qwen2_vl_7b.json": 8_291_375_616,
    "ome--qwen3_embedding_8b.json": 8_188_515_328,
    "ome--stablelm_3b.json": 2_795_443_200,
    "openai--gpt-oss-120b.json": 116_829_156_672,
    "zai-org--GLM-5.json": 743_911_199_232,
}

# file: the parameters its publisher's code builds (architectures.registry.Family.code), where
# transformers 5.25 has no class for its model_type; before, each was refused ("model_type
# '...' is not supported")
OWN_CODE = {
    # InternLM2-7B: 92,544 x 4,096 = 379,060,224 for tok_embeddings and as much for output;
    # a layer: wqkv (32 + 2 x 8) x 128 = 6,144 x 4,096 = 25,165,824, wo 4,096 x 4,096 =
    # 16,777,216, w1, w3 and w2 3 x 14,336 x 4,096 = 176,160,768, two norms 8,192: 218,112,000,
    # x 32 = 6,979,584,000; the final norm 4,096.  bias false: no biases.  Its model card's
    # "7B" (https://github.com/InternLM/InternLM/blob/03df728fa56324ad1b853d537e48cb37f6064dbe/
    # model_cards/internlm2_7b.md); test_internlm2_is_llama_as_internlm_converts_it checks it
    # tensor by tensor
    "ome--internlm2_7b.json": 2 * 92544 * 4096 + 32 * 218_112_000 + 4096,
    # MiMo-7B-Base: Qwen2's model, 151,680 x 4,096 = 621,281,280 for the embeddings and as much
    # for the head; a layer: q 4,096 x 4,096 + 4,096, k and v 1,024 x 4,096 + 1,024 each, o
    # 4,096 x 4,096 (41,949,184), the MLP 3 x 11,008 x 4,096 = 135,266,304, two norms 8,192:
    # 177,223,680, x 36 = 6,380,052,480; the final norm 4,096; its one MTP layer (num_nextn_
    # predict_layers 1): a layer's 177,223,680, three norms 12,288 and input_proj 4,096 x 8,192
    # = 33,554,432: 210,790,400.  test_mimo_is_qwen2_and_its_mtp_layers checks it tensor by
    # tensor; no published total was found (its model card says "7B")
    "XiaomiMiMo--MiMo-7B-Base.json": 2 * 621_281_280 + 36 * 177_223_680 + 4096 + 210_790_400,
    # Llama-3.3-Nemotron-Super-49B-v1 (nemotron-nas, as vLLM's nemotron_nas.py builds it: each
    # layer by its block_configs entry): 128,256 x 8,192 = 1,050,673,152 for the embeddings and
    # as much for the head; 49 layers attend, each q and o 8,192 x 8,192 and k and v 8 KV heads
    # (64 / n_heads_in_group 8) x 128 x 8,192 = 150,994,944, with input_layernorm 8,192; the 31
    # others (no_op) have neither; every layer's MLP 3 x width x 8,192 with
    # post_attention_layernorm 8,192, the width int(2 x ffn_mult x 8,192 / 3) rounded up to 256:
    # 49 x 28,672 (5.25), 1 x 17,920 (3.28125), 6 x 14,336 (2.625), 10 x 7,168 (1.3125), 8 x
    # 5,632 (1.0), 6 x 2,816 (0.5) = 1,642,496 wide in all; the final norm 8,192.
    # test_nemotron_nas.py checks it tensor by tensor; no published total was found (its name
    # says 49B)
    "nvidia--Llama-3_3-Nemotron-Super-49B-v1.json":
        2 * 1_050_673_152 + 49 * (150_994_944 + 8192) + 3 * 1_642_496 * 8192 + 80 * 8192 + 8192,
}

# file: the model_type transformers 5.25 reads the file's as, where it has no class of the file's
# own: Kimi_K25Config turns a kimi_k2 text_config into deepseek_v3 (configuration_kimi_k25.py,
# https://github.com/huggingface/transformers/blob/v5.25.0/src/transformers/models/kimi_k25/
# configuration_kimi_k25.py#L85-L86), and so does nnsize with a kimi_k2 config of its own;
# MiniMaxM3VLConfig reads MiniMax-M3's minimax_m3 text_config as MiniMaxM3VLTextConfig
# (test_minimax_m3_is_read_as_its_checkpoint_reads_it), and so does nnsize (fallback.READ_AS)
AS_READ = {"moonshotai--Kimi-K2-Instruct.json": "deepseek_v3",
           "MiniMaxAI--MiniMax-M3.json": "minimax_m3_vl_text"}

# file: what the one message says; each model_type is one only its repository's code defines
# (or transformers 5.25 has no class of that name), and nnsize never runs it
REFUSED = {
    "moonshotai--Kimi-K3.json": "its auto_map points at 'configuration_kimi_k3.KimiK3Config'",
    "ome--janus_1.3b.json": "model_type 'multi_modality' is a multimodal model",
    # the file's class and its flat keys are aiconfigurator's own: Step-3.7-Flash's checkpoint is
    # a step3p7 Step3p7ForConditionalGeneration whose language model is a step3p5 text_config,
    # its sliding layers 96 query heads (attention_other_setting), which this file lacks
    # (aiconfigurator's test_step3p7.py, https://github.com/ai-dynamo/aiconfigurator/blob/
    # 167a2168fd6e6a21946cf5a6988a79835f0258c5/tests/unit/sdk/models/test_step3p7.py,
    # test_step3p7_parses_the_published_checkpoint_schema); transformers' Step3p7Config reads
    # none of the keys at its top level
    "stepfun-ai--Step-3.7-Flash.json":
        "has no class 'Step3p7FlashForCausalLM' (its step3p7 is Step3p7ForConditionalGeneration "
        "and Step3p7Model, a model whose language model is its text_config (Step3p7TextConfig), "
        "which this file lacks",
}

# file: the key the planner names, not modelling it (the count stands; memory and fit exit 2)
NOT_PLANNED: dict[str, str] = {
    # its MoE layers' one shared expert, whatever n_shared_experts says (MiniMaxM3VLTextConfig
    # does not read the key; its 57 minimax_m3_sparse layers, whose indexer keeps keys of its
    # own, the planner would refuse next)
    "MiniMaxAI--MiniMax-M3.json": "n_shared_experts = 1: MiniMaxM3VLTextConfig does not read it",
    # (Llama-3.3-Nemotron-Super-49B-v1, whose layers differ in their MLP's width and 31 of 80
    # have no attention, is planned since model.Decoder's bare_layers and mlp_widths:
    # test_kv_cache_by_hand; MiniMax-M2.5, whose config names no torch_dtype, is planned as
    # MiniMax stores it since memory/quantization.py's FP8_PUBLISHED:
    # tests/memory/test_quantization.py; DeepSeek-V4-Flash as published since its
    # FP8_PUBLISHED entry)
}


def test_every_file_has_its_source_and_an_outcome() -> None:
    files = sorted(p.name for p in FOLDER.glob("*.json"))
    assert files == sorted(SOURCES) == sorted({**COUNTED, **OWN_CODE, **REFUSED})
    for name, source in SOURCES.items():
        assert (FOLDER / name).stat().st_size == source["bytes"]
        assert source["source"].startswith("https://github.com/")
        assert "/blob/" in source["source"]  # at a commit
    assert len(files) >= 30


@pytest.mark.parametrize("name", sorted(COUNTED))
def test_counted_as_transformers_builds_it(name: str) -> None:
    config = load(name)
    report = compare({**config, "model_type": AS_READ.get(name, config["model_type"])})
    assert report.total_params == COUNTED[name]
    if name in AS_READ:  # the file as published: the same tensors
        assert nnsize.count(config).rows == report.rows


@pytest.mark.parametrize("name", sorted(OWN_CODE))
def test_counted_as_its_code_builds_it(name: str) -> None:
    import transformers

    from nnsize.architectures import families

    config = load(name)
    assert config["model_type"] not in transformers.CONFIG_MAPPING
    assert families()[config["model_type"]].code
    assert nnsize.count(config).total_params == OWN_CODE[name]


def test_minimax_m3_is_read_as_its_checkpoint_reads_it() -> None:
    # the file is the text_config of MiniMax-M3's checkpoint, a minimax_m3_vl model: transformers'
    # MiniMaxM3VLConfig reads it as its MiniMaxM3VLTextConfig, whatever its model_type says, and
    # MiniMaxM3SparseForConditionalGeneration builds its language model from it (the vision
    # tower and projector beside it, of a vision_config this file lacks, left out here): the
    # tensors nnsize counts, each under model.language_model. (lm_head as it is), as that
    # composite model builds them
    name = "MiniMaxAI--MiniMax-M3.json"
    config = load(name)
    read = transformers.MiniMaxM3VLConfig(text_config=config).text_config
    assert type(read) is transformers.MiniMaxM3VLTextConfig
    whole = built({"model_type": "minimax_m3_vl",
                   "architectures": ["MiniMaxM3SparseForConditionalGeneration"],
                   "text_config": config})
    theirs = {n: shape for n, (_, shape) in whole.parameters.items()
              if n.startswith("model.language_model.") or n == "lm_head.weight"}
    ours = {n.replace("model.", "model.language_model.", 1): t.shape
            for row in nnsize.count(config).rows for t in row.tensors if not t.buffer
            for n in t.names()}
    assert ours == theirs
    # the embeddings and lm_head; 3 dense layers of 10 tensors (attention's 6, the MLP's 2, two
    # norms), 57 MoE layers of 17 (the indexer's 4, the router's, the experts' 2 and the shared
    # expert's 2 for the MLP's 2); the final norm
    assert len(ours) == 2 + 3 * 10 + 57 * 17 + 1
    assert sum(math.prod(s) for s in ours.values()) == COUNTED[name]
    # where only nnsize's own builders count (a server's), the refusal says how it was read
    with pytest.raises(SpecError, match="model_type 'minimax_m3', which transformers reads as "
                                        "'minimax_m3_vl_text', is not supported by nnsize's"):
        count_config(config, fallback=False)


# InternLM's own converter of an InternLM2 checkpoint to Llama's (tools/convert2llama.py,
# https://github.com/InternLM/InternLM/blob/2db5604288f7f3e9b6f75ab4df5549bc67b19aab/tools/
# convert2llama.py): each tensor renamed, the first of these its name holds, in this order, and
# wqkv split into q_proj, k_proj and v_proj; the config a LlamaConfig with bias as
# attention_bias
CONVERT2LLAMA = (("attention.wo", "self_attn.o_proj"), ("feed_forward.w1", "mlp.gate_proj"),
                 ("feed_forward.w2", "mlp.down_proj"), ("feed_forward.w3", "mlp.up_proj"),
                 ("attention_norm", "input_layernorm"),
                 ("ffn_norm", "post_attention_layernorm"))


# a small InternLM2 beside the published one: biases on wqkv and wo (bias, InternLM2Config's
# default, left out; the converter refuses such a model, and its biases are split as its
# weights are), one KV head a query head (num_key_value_heads left out: as many as
# num_attention_heads), the head tied to the embeddings
SMALL_INTERNLM2 = {"model_type": "internlm2", "architectures": ["InternLM2ForCausalLM"],
                   "vocab_size": 96, "hidden_size": 64, "intermediate_size": 80,
                   "num_hidden_layers": 3, "num_attention_heads": 4,
                   "tie_word_embeddings": True}


@pytest.mark.parametrize("config", [load("ome--internlm2_7b.json"), SMALL_INTERNLM2],
                         ids=["internlm2_7b", "small"])
def test_internlm2_is_llama_as_internlm_converts_it(config: dict[str, Any]) -> None:
    bias = config.get("bias", True)
    llama = {k: v for k, v in config.items() if k not in ("auto_map", "bias")}
    llama.update(model_type="llama", architectures=["LlamaForCausalLM"],
                 attention_bias=bias)
    theirs = {name: shape for name, (_, shape) in built(llama).parameters.items()}
    ours = {name: t.shape for row in nnsize.count(config).rows for t in row.tensors
            for name in t.names()}
    converted: dict[str, tuple[int, ...]] = {}
    heads, hidden = config["num_attention_heads"], config["hidden_size"]
    kv = config.get("num_key_value_heads") or heads
    for name, shape in ours.items():
        if "wqkv" in name:  # (h gs d) x dim: kv groups of heads / kv queries, a key, a value
            prefix = name.split("attention")[0] + "self_attn."
            leaf = name.rpartition(".")[2]  # weight, or bias
            q, k, v = (theirs[f"{prefix}{p}_proj.{leaf}"] for p in "qkv")
            assert q[0] + k[0] + v[0] == shape[0] and q[1:] == k[1:] == v[1:] == shape[1:]
            assert (q[0], k[0]) == (hidden, kv * hidden // heads)
            converted.update({f"{prefix}{p}_proj.{leaf}": s for p, s in zip("qkv", (q, k, v))})
            continue
        new = next((name.replace(a, b) for a, b in CONVERT2LLAMA if a in name), None)
        if new is None:
            new = "model.embed_tokens.weight" if "tok_embeddings" in name else \
                "lm_head.weight" if "output" in name else name
        converted[new] = shape
    assert converted == theirs
    if config is not SMALL_INTERNLM2:  # 227 tensors: 7 a layer, the norm, embeddings and head
        assert len(ours) == 2 + 32 * 7 + 1
    else:  # and the biases of wqkv and wo: 9 a layer
        assert len(ours) == 2 + 3 * 9 + 1
        assert any(n.endswith("attention.wqkv.bias") for n in ours)


def test_mimo_is_qwen2_and_its_mtp_layers() -> None:
    # vLLM's MiMoForCausalLM is its Qwen2ForCausalLM, the checkpoint's model.mtp_layers.* left
    # to the draft model (mimo.py, vllm-project/vllm@055e47c28003156421365af985d676fc921cb075):
    # every other tensor as transformers' Qwen2ForCausalLM builds it from the same config
    config = load("XiaomiMiMo--MiMo-7B-Base.json")
    qwen2 = {**config, "model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]}
    theirs = {name: shape for name, (_, shape) in built(qwen2).parameters.items()}
    report = nnsize.count(config)
    ours = {name: t.shape for row in report.rows for t in row.tensors for name in t.names()}
    mtp = {name: shape for name, shape in ours.items() if name.startswith("model.mtp_layers.")}
    assert {k: v for k, v in ours.items() if k not in mtp} == theirs
    # an MTP layer (mimo_mtp.py, vllm-project/vllm@0bb55d60cb667d2f4e263b55304a30b38fe2e55c,
    # MiMoMultiTokenPredictorLayer): its four tensors, and a Qwen2 decoder layer's named
    # directly under mtp_layers.{i} (map_model_name_to_mtp_param_name adds mtp_block.)
    own = {"token_layernorm.weight": (4096,), "hidden_layernorm.weight": (4096,),
           "input_proj.weight": (4096, 2 * 4096), "final_layernorm.weight": (4096,)}
    block = {k[len("model.layers.0."):]: v for k, v in theirs.items()
             if k.startswith("model.layers.0.")}
    assert mtp == {f"model.mtp_layers.0.{k}": v for k, v in {**block, **own}.items()}
    # used by the draft model alone: none of it a token of the model's own forward
    assert report.total_params - report.active_params == sum(
        math.prod(v) for v in mtp.values()) == 210_790_400


def test_mimo_without_its_mtp_layers_key_is_refused() -> None:
    # its config class (MiMoConfig, its repository's code) was not read: no default for it
    config = {k: v for k, v in load("XiaomiMiMo--MiMo-7B-Base.json").items()
              if k != "num_nextn_predict_layers"}
    with pytest.raises(SpecError, match="missing 'num_nextn_predict_layers'"):
        nnsize.count(config)
    # two MTP layers: one run of two, mtp_layers.{i}
    two = nnsize.count({**config, "num_nextn_predict_layers": 2})
    assert two.total_params == OWN_CODE["XiaomiMiMo--MiMo-7B-Base.json"] + 210_790_400


@pytest.mark.parametrize(("name", "code"), [
    ("ome--internlm2_7b.json", "InternLM/InternEvo-HFModels/blob/"),
    ("XiaomiMiMo--MiMo-7B-Base.json", "vllm/model_executor/models/mimo.py"),
    ("nvidia--Llama-3_3-Nemotron-Super-49B-v1.json", "vllm/model_executor/models/nemotron_nas.py"),
])
def test_a_model_built_from_its_publishers_code_says_whose(
        name: str, code: str, capsys: pytest.CaptureFixture[str]) -> None:
    # transformers has no class for it: the count is the publisher's model, and says so
    assert code in nnsize.count(load(name)).stored["built_from"]
    from nnsize.cli import main

    assert main([str(FOLDER / name)]) == 0
    assert "Built by nnsize as this code builds it (transformers has no class for it): " \
           "https://github.com/" in capsys.readouterr().out
    # a family transformers builds says nothing of the kind
    assert "built_from" not in nnsize.count(load("ome--e5_mistral_7b.json")).stored


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_the_reason(name: str) -> None:
    with pytest.raises(SpecError, match=".") as e:
        nnsize.count(load(name))
    assert REFUSED[name] in str(e.value)


@pytest.mark.parametrize("name", sorted({**COUNTED, **OWN_CODE}))
def test_memory_and_fit_plan_it(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    path = str(FOLDER / name)
    memory = main(["memory", path, "--context", "8192"])
    out = capsys.readouterr()
    fit = main(["fit", path, "--gpu", "h100-80gb"])
    out_fit = capsys.readouterr()
    if name in NOT_PLANNED:
        assert (memory, fit) == (2, 2)
        assert NOT_PLANNED[name] in out.err and NOT_PLANNED[name] in out_fit.err
    else:
        assert (memory, fit) == (0, 0), out.err + out_fit.err
        assert "KV cache" in out.out
        assert "Precisions:" in out_fit.out


@pytest.mark.parametrize(("name", "per_token", "at_8192"), [
    # Qwen3-VL-8B (a VLM transformers builds; its language model's cache): 36 layers x 8 kv
    # heads x 128 x 2 (keys, values) x 2 bytes = 147,456; x 8,192 = 1,207,959,552.  Before, no
    # KV cache at all: memory said 16.33 GiB at any context
    ("Qwen--Qwen3-VL-8B-Instruct.json", 36 * 8 * 128 * 2 * 2, 36 * 8192 * 8 * 128 * 2 * 2),
    # DeepSeek-R1's latent attention: 61 layers x (kv_lora_rank 512 + rope dims 64) x 2 bytes
    # = 70,272 a token; 61 x 8,192 x 576 x 2 = 575,668,224
    ("deepseek-ai--DeepSeek-R1.json", 61 * (512 + 64) * 2, 61 * 8192 * 576 * 2),
    # gpt-oss-120b: 36 layers x 8 kv heads x 64 x 2 x 2 = 73,728 a token; at 8,192, the 18
    # sliding layers keep 127 tokens (window 128): (18 x 127 + 18 x 8,192) x 1,024 x 2 =
    # 306,671,616
    ("openai--gpt-oss-120b.json", 36 * 8 * 64 * 2 * 2, (18 * 127 + 18 * 8192) * 1024 * 2),
    # Gemma 4 26B-A4B (planned from its text_config, gemma4_text, as nnsize builds it): 25
    # sliding layers x 8 kv heads x 256 x 2 = 4,096 values, 5 full layers x 2 kv heads x 512 x 2
    # = 2,048 (attention_k_eq_v: values are the keys, kept twice as transformers keeps them):
    # (25 x 4,096 + 5 x 2,048) x 2 = 225,280 a token; at 8,192, the sliding ones keep 1,023
    # (window 1,024): (25 x 1,023 x 4,096 + 5 x 8,192 x 2,048) x 2 = 377,282,560
    ("google--gemma-4-26B-A4B.json", (25 * 4096 + 5 * 2048) * 2,
     (25 * 1023 * 4096 + 5 * 8192 * 2048) * 2),
    # MiMo-V2-Flash (as nnsize builds it; before, the planner refused attention_chunk_size): 9
    # full layers x 4 KV heads x (192 + 128) x 2 B = 2,560 a token, 39 sliding layers x 8 x
    # (192 + 128) x 2 B = 5,120: 222,720; at 8,192 the sliding ones keep 128 (window 129)
    ("XiaomiMiMo--MiMo-V2-Flash.json", 9 * 2560 + 39 * 5120,
     9 * 8192 * 4 * 320 * 2 + 39 * 128 * 8 * 320 * 2),
    # GLM-5 (glm_moe_dsa: DeepSeek-V3.2's sparse attention): each of 78 layers keeps its latent
    # (kv_lora_rank 512 + rope 64) and its indexer's key (index_head_dim 128), as transformers'
    # DynamicIndexedLayer does: 78 x (512 + 64 + 128) x 2 B = 109,824 a token.  Before, the
    # planner refused kv_lora_rank (a model transformers built)
    ("zai-org--GLM-5.json", 78 * (512 + 64 + 128) * 2, 78 * 8192 * (512 + 64 + 128) * 2),
    # Kimi-K2.5's language model, DeepSeek-V3's latent attention: as DeepSeek-R1's
    ("moonshotai--Kimi-K2.5.json", 61 * 576 * 2, 61 * 8192 * 576 * 2),
    # MiMo-7B-Base: its 36 layers x 8 KV heads x 128 x 2 x 2 = 147,456 (the MTP layer's cache
    # is the draft model's)
    ("XiaomiMiMo--MiMo-7B-Base.json", 36 * 8 * 128 * 2 * 2, 36 * 8192 * 8 * 128 * 2 * 2),
    # Llama-3.3-Nemotron-Super-49B-v1 (nemotron-nas; before, the planner refused its
    # block_configs): the 49 layers that attend x 8 KV heads (64 / n_heads_in_group 8) x 128 x
    # 2 (keys, values) x 2 bytes = 200,704; the 31 no_op ones keep nothing
    ("nvidia--Llama-3_3-Nemotron-Super-49B-v1.json", 49 * 8 * 128 * 2 * 2,
     49 * 8192 * 8 * 128 * 2 * 2),
    # InternLM2-7B: 32 layers x 8 KV heads x 128 x 2 (keys, values) x 2 bytes = 131,072
    ("ome--internlm2_7b.json", 32 * 8 * 128 * 2 * 2, 32 * 8192 * 8 * 128 * 2 * 2),
    # Kimi-K2-Instruct (kimi_k2, read as deepseek_v3): the same latent, whatever its 64 KV heads
    ("moonshotai--Kimi-K2-Instruct.json", 61 * 576 * 2, 61 * 8192 * 576 * 2),
    # Qwen3.5 (planned from its text_config, qwen3_5_text / qwen3_5_moe_text, as nnsize builds
    # it; before, the planner refused linear_num_value_heads): only the full-attention layers
    # (every 4th) keep keys and values, each gated DeltaNet layer its conv window and state (a
    # sequence, not a token), as transformers keeps them (memory.state): the conv window at
    # bf16, the recurrent state in float32.  27B: 16 full layers x 4 KV heads x 256 x 2 x 2 B =
    # 65,536 a token; 48 DeltaNet layers x (conv (2 x 16 x 128 + 48 x 128) x 4 = 40,960 x 2 B
    # + state 48 x 128 x 128 = 786,432 x 4 B) = 154,927,104 B
    ("Qwen--Qwen3.5-27B.json", 16 * 4 * 256 * 2 * 2,
     16 * 8192 * 4 * 256 * 2 * 2 + 48 * (10240 * 4 * 2 + 48 * 128 * 128 * 4)),
    # 35B-A3B: 10 full layers x 2 x 256 x 2 x 2 = 20,480; 30 x (8,192 x 4 + 32 x 128 x 128)
    ("Qwen--Qwen3.5-35B-A3B.json", 10 * 2 * 256 * 2 * 2,
     10 * 8192 * 2 * 256 * 2 * 2 + 30 * (8192 * 4 * 2 + 32 * 128 * 128 * 4)),
    # 122B-A10B: 12 full layers x 2 x 256 x 2 x 2 = 24,576; 36 x ((2 x 2,048 + 8,192) x 4 +
    # 64 x 128 x 128)
    ("Qwen--Qwen3.5-122B-A10B.json", 12 * 2 * 256 * 2 * 2,
     12 * 8192 * 2 * 256 * 2 * 2 + 36 * (12288 * 4 * 2 + 64 * 128 * 128 * 4)),
    # 397B-A17B: 15 full layers x 2 x 256 x 2 x 2 = 30,720; 45 x ((2 x 2,048 + 8,192) x 4 +
    # 64 x 128 x 128)
    ("Qwen--Qwen3.5-397B-A17B.json", 15 * 2 * 256 * 2 * 2,
     15 * 8192 * 2 * 256 * 2 * 2 + 45 * (12288 * 4 * 2 + 64 * 128 * 128 * 4)),
])
def test_kv_cache_by_hand(name: str, per_token: int, at_8192: int,
                          capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main
    from nnsize.memory import kv_cache
    from nnsize.precision import find

    assert kv_cache(nnsize.count(load(name)), 1, 8192, find("bf16"))[0] == at_8192
    # at bf16 as asked (Kimi-K2.5 is published int4, compressed-tensors; the KV cache is bf16
    # either way)
    assert main(["memory", str(FOLDER / name), "--context", "8192", "--dtype", "bf16"]) == 0
    out = capsys.readouterr().out
    assert f"KV cache per token (every layer): {per_token:,} bytes at bf16" in out
    assert f"{at_8192:,}" in out


@pytest.mark.parametrize(("name", "active"), [
    # before, every expert counted as used (active = total), and speed read all 62 GB of
    # Qwen3-VL-30B-A3B's weights a token
    ("Qwen--Qwen3-VL-30B-A3B-Instruct.json", 3_891_664_112),
    ("google--gemma-4-26B-A4B.json", 4_395_322_672),  # "A4B"
    ("moonshotai--Kimi-K2.5.json", 33_332_621_808),  # "32B activated" with its vision tower
    # "A3B", "A10B", "A17B", each with its vision tower (all of it used)
    ("Qwen--Qwen3.5-35B-A3B.json", 3_901_560_176),
    ("Qwen--Qwen3.5-122B-A10B.json", 10_222_579_440),
    ("Qwen--Qwen3.5-397B-A17B.json", 17_805_051_376),
])
def test_a_vlm_s_experts_are_its_language_model_s(name: str, active: int) -> None:
    # the language model's rows are nnsize's own (its text_config's family): the parameters a
    # token uses are the VLM's, less the text model's, plus what the text model uses of them
    from nnsize.architectures import count_config
    from nnsize.architectures.fallback import available

    assert available()
    config = load(name)
    report = count_config(config)
    import transformers

    cfg = transformers.CONFIG_MAPPING[config["model_type"]].from_dict(
        {k: v for k, v in config.items() if k != "auto_map"})
    kind = cfg.get_text_config(decoder=True).model_type
    text = count_config({**config["text_config"], "model_type": kind}, base=True)
    assert report.active_params == \
        report.total_params - text.total_params + text.active_params == active
    assert report.stored["planned_as"] == f"its text_config, {kind}, as nnsize builds it"


def test_kimi_k2_active_parameters() -> None:
    # "32B activated": of each of the 60 MoE layers' 384 experts (3 x 7,168 x 2,048 =
    # 44,040,192 each) a token uses 8, so 376 x 60 x 44,040,192 = 993,546,731,520 are idle
    report = nnsize.count(load("moonshotai--Kimi-K2-Instruct.json"))
    idle = (384 - 8) * 60 * 3 * 7168 * 2048
    assert report.active_params == 1_026_408_209_408 - idle == 32_861_477_888


@pytest.mark.parametrize(("name", "attention", "state", "block"), [
    # Qwen3.5-27B under vLLM at tp 1 (bf16): a full-attention layer's token 4 KV heads x 256 x
    # 2 x 2 B = 4,096 B; a gated DeltaNet layer's state: its conv 3 x 10,240 x 2 B and its
    # recurrent state 48 x 128 x 128 at the config's mamba_ssm_dtype, float32 (vLLM's
    # Qwen3_5ForConditionalGenerationConfig; memory.vllm_kv) = 3,207,168; the attention block
    # 16 x cdiv(3,207,168, 16 x 4,096) = 16 x 49 = 784, the block vLLM logs for it
    ("Qwen--Qwen3.5-27B.json", 4 * 256 * 2 * 2, 3 * 10240 * 2 + 48 * 128 * 128 * 4, 784),
    # 35B-A3B: 2 x 256 x 2 x 2 = 2,048; 3 x 8,192 x 2 + 32 x 128 x 128 x 4 = 2,146,304;
    # 16 x cdiv(2,146,304, 16 x 2,048) = 16 x 66 = 1,056
    ("Qwen--Qwen3.5-35B-A3B.json", 2 * 256 * 2 * 2, 3 * 8192 * 2 + 32 * 128 * 128 * 4, 1056),
])
def test_vllm_groups_of_qwen3_5(name: str, attention: int, state: int, block: int,
                                capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    assert main(["fit", str(FOLDER / name), "--engine", "vllm", "--gpu", "h100-80gb",
                 "--json"]) == 0
    groups = json.loads(capsys.readouterr().out)["kv_cache"]["groups"]
    assert groups["groups"][0]["token_bytes"] == attention
    assert groups["state_bytes"] == state
    assert groups["attention_block_tokens"] == block


# DeepSeek-V4-Flash's cache as transformers keeps it (fallback_decoder.compressing_layers, checked
# to the byte against a tiny model in test_compressing_cache.py), at bf16: 43 layers, 2 sliding
# (keys and values, 2 x 512), 21 CSA (ratio 4) and 20 HCA (ratio 128), whose window keeps its keys
# once (512); each keeps the last 127 tokens (window 128): 2 x 127 x 1,024 + 41 x 127 x 512 =
# 2,926,080 values.  A CSA entry is 512 + 128 (its indexer's) = 640 values, an HCA entry 512; a
# CSA layer carries the last group's 4 x 640 values at bf16 and 4 x 640 gates in float32; at a
# multiple of 128 nothing is pending.  A token adds 21 x 640 / 4 x 2 + 20 x 512 / 128 x 2 =
# 6,720 + 160 = 6,880 bytes; the window and the carried groups are 2,926,080 x 2 + 21 x 4 x 640
# x (2 + 4) = 6,174,720 bytes whatever the context.
V4_FIXED = 2 * 127 * 1024 * 2 + 41 * 127 * 512 * 2 + 21 * 4 * 640 * (2 + 4)


@pytest.mark.parametrize(("context", "cache"), [
    # 8,192: 21 x 2,048 entries x 640 + 20 x 64 x 512 values at bf16: 62,535,680 bytes, 7,633 a
    # token (the window's share is larger at a short context)
    (8192, V4_FIXED + (21 * 2048 * 640 + 20 * 64 * 512) * 2),
    # 128k: 6,880 x 131,072 + 6,174,720 = 907,950,080 bytes, 6,927 a token
    (131072, 6880 * 131072 + V4_FIXED),
    # 1M (its max_position_embeddings, 1,048,576): 7,220,377,600 bytes, 6,885 a token
    (1048576, 6880 * 1048576 + V4_FIXED),
    # 8,195: 3 tokens past a multiple of 128 and of 4: 3 pending on the HCA layers (2 x 512 a
    # token: kv and gate) and the CSA layers (2 x (2 x 512 + 2 x 128) = 2,560 a token), 2,048
    # CSA entries, 64 HCA ones
    (8195, V4_FIXED + (21 * (2048 * 640 + 3 * 2560) + 20 * (64 * 512 + 3 * 1024)) * 2),
])
def test_deepseek_v4_flash_compressed_cache(context: int, cache: int,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main
    from nnsize.memory import kv_cache
    from nnsize.precision import find

    name = "deepseek-ai--DeepSeek-V4-Flash.json"
    assert kv_cache(nnsize.count(load(name)), 1, context, find("bf16"))[0] == cache
    assert main(["memory", str(FOLDER / name), "--context", str(context), "--dtype",
                 "bf16"]) == 0
    out = capsys.readouterr().out
    assert f"at {context:,} tokens itself, {cache // context:,} bytes a token" in out
    # the plan's line is the most the cache held on the way: one token before the last
    # multiple of 128, where the group of 128 closes (V4_PEAK)
    last = context // 128 * 128
    peak = kv_cache(nnsize.count(load(name)), 1, last, find("bf16"))[0] + V4_PEAK
    assert peak > cache
    assert f"{peak:,}" in out
    assert f"on the way to {context:,} tokens, at {last - 1:,}" in out


# at a multiple of 128 the cache holds fewer bytes than a token before: each HCA layer's 127
# pending tokens (kv and gate, 2 x 512) fold into one entry of 512, and each CSA layer's 3 (2 x
# (2 x 512 + 2 x 128) = 2,560 each) into one of 640: (20 x (127 x 1,024 - 512) + 21 x (3 x
# 2,560 - 640)) values x 2 B = (2,590,720 + 147,840) x 2 = 5,477,120 bytes a sequence
V4_PEAK = (20 * (127 * 1024 - 512) + 21 * (3 * 2560 - 640)) * 2


@pytest.mark.parametrize(("context", "peak"), [
    (126, 126), (127, 127), (128, 127), (129, 127), (131, 127), (255, 255), (256, 255),
    (259, 255), (8191, 8191), (8192, 8191), (8195, 8191), (1048576, 1048575)])
def test_deepseek_v4_flash_peak_context(context: int, peak: int) -> None:
    # past a multiple of 128, 3 tokens (3 pending on every layer, 131) hold 20 x 3 x 1,024 +
    # 21 x 3 x 2,560 = 222,720 values more than at 128, far from V4_PEAK: the peak stays a
    # token before the multiple until the next one
    from nnsize.memory import kv_cache
    from nnsize.memory.kv_cache import peak_context
    from nnsize.precision import find

    report = nnsize.count(load("deepseek-ai--DeepSeek-V4-Flash.json"))

    def cache(m: int) -> int:
        return kv_cache(report, 1, m, find("bf16"))[0]

    assert V4_PEAK == 5_477_120
    assert cache(127) - cache(128) == cache(8191) - cache(8192) == V4_PEAK
    assert cache(131) - cache(128) == 222_720 * 2
    assert peak_context([4, 128], context, cache) == peak
    most, terms, _ = kv_cache(report, 1, context, find("bf16"), peak=True)
    assert most == cache(peak) == max(cache(m) for m in range(max(context - 300, 1),
                                                              context + 1))
    assert terms is not None
    assert (terms.peak, terms.context) == ((peak, context) if peak != context else (0, 0))


def test_deepseek_v4_flash_fits_at_an_asked_dtype(capsys: pytest.CaptureFixture[str]) -> None:
    # at fp8 over 4 H200s (tp 4: a quarter of its 285 GB of weights a GPU, the one KV head on
    # every rank) its cache alone would let its longest context be its own, 1,048,576 tokens
    # (7.2 GB of cache); the tokens the rest would hold are not said: its cache has no fixed
    # bytes a token.  transformers runs it with eager attention (sdpa it refuses: its model
    # class sets _supports_sdpa = False), whose prefill holds a layer's scores, 16 heads a
    # rank x n x (n + n // 4 + 1) x 12 B, beside its own tensors whole on every rank
    # (eager.attention_terms: its 4 hyper-connection streams, block_bias and the mask widened
    # by it) and, the larger of the two steps, its experts' clamped copies split as the MLP is:
    # they bound it at 17,646
    from nnsize.cli import main

    name = "deepseek-ai--DeepSeek-V4-Flash.json"
    assert main(["fit", str(FOLDER / name), "--gpu", "h200", "--dtype", "fp8", "--tp", "4",
                 "--attention", "sdpa"]) == 2
    assert "transformers does not run deepseek_v4 with sdpa" in capsys.readouterr().err
    assert main(["fit", str(FOLDER / name), "--gpu", "h200", "--dtype", "fp8", "--tp",
                 "4"]) == 0
    out = capsys.readouterr().out
    assert "Longest context at this batch: 17,646" in out
    assert "KV cache the rest holds" not in out
    assert "Precisions:" in out
    # its training is not planned, nor another engine's cache (a serving engine's, or
    # transformers' static cache), nor its compute
    for args in (["memory", "--train", "--dtype", "bf16"],
                 ["memory", "--dtype", "bf16", "--engine", "vllm"],
                 ["memory", "--dtype", "bf16", "--engine", "transformers-compile"],
                 ["compute"]):
        assert main([args[0], str(FOLDER / name), *args[1:]]) == 2
    err = capsys.readouterr().err
    assert "training saves of its compressed attention" in err
    assert err.count("nnsize has not read how a serving engine") == 2
    assert "attention compute does not model" in err
    # transformers with eager attention keeps the same cache
    assert main(["memory", str(FOLDER / name), "--dtype", "bf16", "--engine",
                 "transformers-eager"]) == 0
    assert "KV cache: 41 of 43 layers compress it" in capsys.readouterr().out


def test_deepseek_v4_flash_fit_over_a_cache_that_dips() -> None:
    # room for everything at 256 tokens but the cache a token before it held (V4_PEAK more):
    # a sequence that reaches 256 passes through 255, so 256 does not fit; the longest context
    # is the last whose plan (the peak on the way, and the workspace, eager attention's
    # scores growing as n x (n + n // 4 + 1), its masks beside them) fits, 247.  The plans
    # grow with the context, as fit's search reads them
    from nnsize.memory import kv_cache
    from nnsize.memory.fit import fit
    from nnsize.memory.plan import plan
    from nnsize.memory.setup import Setup
    from nnsize.precision import find

    report = nnsize.count(load("deepseek-ai--DeepSeek-V4-Flash.json"))

    def total(n: int) -> int:
        return plan(report, Setup(dtype="bf16", context=n)).total

    dip = kv_cache(report, 1, 256, find("bf16"))[0]
    usable = total(256) - (kv_cache(report, 1, 255, find("bf16"))[0] - dip)
    assert usable == total(256) - V4_PEAK
    f = fit(report, Setup(dtype="bf16", context=256), usable)
    assert not f.fits
    assert f.longest_context == 247
    assert total(247) <= usable < total(248)
    assert all(total(n) <= total(n + 1) for n in range(100, 300))
