"""A config's quantization_config planned at the bytes its publisher stores (memory/
quantization.py): the tally by hand, against a published index, and differentially: a
checkpoint written from nnsize's tensor list loads into transformers' own quantized model."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from nnsize.architectures import count_config
from nnsize.architectures.presets import config, find
from nnsize.errors import NnsizeError
from nnsize.memory.fit import fit
from nnsize.memory.plan import plan
from nnsize.memory.quantization import Checkpoint, published
from nnsize.memory.setup import Setup

PUBLISHED = Path(__file__).parent.parent / "data" / "published_configs"


def _checkpoint(name: str) -> Checkpoint:
    c = published(find(name).count())
    assert c is not None
    return c


def test_gpt_oss_20b_is_its_index_total_size() -> None:
    d = _checkpoint("gpt-oss-20b").dtypes()
    # each layer's experts, 32 of them, hidden 2,880, intermediate 2,880, blocks of 32 values
    # (16 bytes) and a U8 scale a block: gate_up 32 x 5,760 x 90 x (16 + 1), down 32 x 2,880 x 90
    # x (16 + 1)
    assert d["U8"]["bytes"] == 24 * (32 * 5_760 * 90 * 17 + 32 * 2_880 * 90 * 17)
    # the rest, bf16: every parameter but the experts' two weights (24 x 32 x 2,880 x 5,760 and
    # 24 x 32 x 2,880 x 2,880), of 20,914,757,184
    assert d["BF16"]["elements"] == 20_914_757_184 - 24 * 32 * 2_880 * (5_760 + 2_880)
    # the published index's metadata.total_size (the bytes of its tensors):
    # https://huggingface.co/openai/gpt-oss-20b/blob/main/model.safetensors.index.json
    # {"metadata": {"total_size": 13761264768}, ...}, read in two public copies of that file
    # (its whole text quoted in a question on gpt-oss, and in a guide to model files)
    assert sum(x["bytes"] for x in d.values()) == 13_761_264_768
    # 96 = 24 layers x (gate_up, down) x (blocks, scales)
    assert d["U8"]["tensors"] == 96


def test_gpt_oss_120b_is_its_tensor_bytes() -> None:
    data = json.loads((PUBLISHED / "openai--gpt-oss-120b.json").read_text())
    c = published(count_config(data, "gpt-oss-120b"))
    assert c is not None
    d = c.dtypes()
    # 36 layers of 128 experts, hidden 2,880, intermediate 2,880: (5,760 + 2,880) x 90 blocks
    # x 17 B a row of each expert
    assert d["U8"]["bytes"] == 36 * 128 * (5_760 + 2_880) * 90 * 17
    # the bytes of the tensors of openai/gpt-oss-120b's 15 safetensors files
    # (https://huggingface.co/openai/gpt-oss-120b), as two public projects that check a
    # download against it write it: tensor_bytes 65248815744 (its 15 files 65,248,893,184 B
    # with their headers)
    assert sum(x["bytes"] for x in d.values()) == 65_248_815_744


def test_gpt_oss_names_are_the_published_ones() -> None:
    """The weight_map of openai/gpt-oss-20b's index names each layer's experts so."""
    names = {t.name for t in _checkpoint("gpt-oss-20b").tensors if ".experts." in t.name}
    assert names == {f"model.layers.{{i}}.mlp.experts.{p}_{k}" for p in ("gate_up_proj",
                     "down_proj") for k in ("blocks", "scales", "bias")}


def test_deepseek_v3_by_hand() -> None:
    d = _checkpoint("deepseek-v3").dtypes()
    # fp8: every Linear of 61 layers' attention (q_a 1,536 x 7,168, q_b 24,576 x 1,536,
    # kv_a 576 x 7,168, kv_b 32,768 x 512, o 7,168 x 16,384), 3 dense MLPs (3 x 18,432 x 7,168),
    # 58 MoE layers' shared expert (3 x 2,048 x 7,168) and 256 experts (256 x 3 x 2,048 x 7,168)
    attention = 1_536 * 7_168 + 24_576 * 1_536 + 576 * 7_168 + 32_768 * 512 + 7_168 * 16_384
    assert d["F8_E4M3"]["elements"] == 61 * attention + 3 * 3 * 18_432 * 7_168 + \
        58 * (3 * 2_048 * 7_168 + 256 * 3 * 2_048 * 7_168)
    # fp32: a scale per 128 x 128 block of each (cdiv(576, 128) = 5), and each MoE layer's
    # e_score_correction_bias, 256 values
    scales = 12 * 56 + 192 * 12 + 5 * 56 + 256 * 4 + 56 * 128
    assert d["F32"]["elements"] == 61 * scales + 3 * 3 * 144 * 56 + \
        58 * (3 * 16 * 56 + 256 * 3 * 16 * 56) + 58 * 256
    # bf16: embeddings and head (2 x 129,280 x 7,168), the routers (58 x 256 x 7,168), norms
    # (61 x (2 x 7,168 + 1,536 + 512) + 7,168)
    assert d["BF16"]["elements"] == 2 * 129_280 * 7_168 + 58 * 256 * 7_168 + \
        61 * (2 * 7_168 + 1_536 + 512) + 7_168


def test_minimax_m2_5_by_hand() -> None:
    """MiniMax-M2.5's config names no torch_dtype; it is planned as MiniMax's minimax_m2
    checkpoints store it (FP8_PUBLISHED), which is MiniMax-M2's headers to the byte."""
    data = json.loads((PUBLISHED / "MiniMaxAI--MiniMax-M2.5.json").read_text())
    assert "torch_dtype" not in data and "dtype" not in data
    c = published(count_config(data, "MiniMax-M2.5"))
    assert c is not None
    d = c.dtypes()
    # fp8: 62 layers' attention (q 6,144 x 3,072, k and v 1,024 x 3,072, o 3,072 x 6,144) and
    # 256 experts (w1, w3 1,536 x 3,072, w2 3,072 x 1,536)
    attention = 6_144 * 3_072 + 2 * 1_024 * 3_072 + 3_072 * 6_144
    assert d["F8_E4M3"]["elements"] == 62 * (attention + 256 * 3 * 1_536 * 3_072)
    assert d["F8_E4M3"]["tensors"] == 62 * (4 + 256 * 3) == 47_864
    # fp32: a scale per 128 x 128 block (q 48 x 24, k and v 8 x 24, o 24 x 48; w1, w3 12 x 24,
    # w2 24 x 12), each layer's router gate 256 x 3,072 and e_score_correction_bias, 256
    scales = 48 * 24 + 2 * 8 * 24 + 24 * 48 + 256 * 3 * 12 * 24
    assert d["F32"]["elements"] == 62 * (scales + 256 * 3_072 + 256)
    # bf16: embeddings and head (2 x 200,064 x 3,072), norms (62 x (2 x 3,072 + 6,144 + 1,024)
    # + 3,072)
    assert d["BF16"]["elements"] == 2 * 200_064 * 3_072 + 62 * (2 * 3_072 + 6_144 + 1_024) + \
        3_072
    # MiniMax-M2's safetensors as dumped (FP8_PUBLISHED's source): 251 BF16, 47,988 F32 and
    # 47,864 F8_E4M3 tensors, 96,103 in all (M2.5's and M2.7's too: huggingface.co/Ex0bit/
    # MiniMax-SLURPY, a tensor-by-tensor merge of the two)
    assert (d["BF16"]["tensors"], d["F32"]["tensors"]) == (251, 47_988)
    # hf-mem's reading of MiniMaxAI/MiniMax-M2's headers: memory=230121630720
    # (https://github.com/alvarobartt/hf-mem/blob/e9946791d7798498a1775bfc826f02a0958cbd3d/
    # README.md#L49-L51): 227,410,968,576 + 62,654,720 x 4 + 1,230,021,632 x 2
    assert sum(x["bytes"] for x in d.values()) == 230_121_630_720
    assert c.how.endswith("embedding, head and norms bf16, router f32 (the config names no "
                          "torch_dtype: as minimax_m2's published files store them)")


def test_fp8_published_defaults_only_what_the_config_leaves_unsaid() -> None:
    """A torch_dtype the config names is taken for the rest; MiniMax's gate stays f32, and a
    model_type without an entry still needs torch_dtype."""
    data = json.loads((PUBLISHED / "MiniMaxAI--MiniMax-M2.5.json").read_text())
    c = published(count_config({**data, "torch_dtype": "float16"}, "MiniMax-M2.5"))
    assert c is not None
    assert set(c.dtypes()) == {"F16", "F32", "F8_E4M3"}
    assert c.how.endswith("embedding, head and norms f16, router f32")
    v3 = copy.deepcopy(config("deepseek-v3"))
    del v3["torch_dtype"]
    with pytest.raises(NnsizeError, match="a quantized config needs torch_dtype"):
        published(count_config(v3, "deepseek-v3"))


def test_plan_takes_the_published_bytes() -> None:
    report = find("deepseek-v3").count()
    p = plan(report, Setup())
    weights = p.lines[0]
    assert weights.part == "stored_weights" and p.mode == "its published fp8"
    stored = sum(x["bytes"] for x in _checkpoint("deepseek-v3").dtypes().values())
    # vLLM holds the tensors as stored; transformers casts the router's bf16 gate.weight to
    # fp32 on load (memory.fp32_modules): 58 MoE layers x 256 x 7,168 x 2 B more
    assert plan(report, Setup(engine="vllm")).lines[0].bytes == stored
    assert weights.bytes == stored + 58 * 256 * 7_168 * 2
    assert p.precision.name == "bf16"  # the KV cache and compute stay bf16
    # --dtype re-prices it, and says so
    asked = plan(report, Setup(dtype="bf16"))
    assert asked.lines[0].part == "weights"
    assert any(n.key == "repriced" for n in asked.notes)
    assert not any(n.key == "repriced" for n in p.notes)
    # training is at a float dtype, and says it is not the published form
    trained = plan(report, Setup(train=True))
    assert any(n.key == "repriced" for n in trained.notes)
    # what stays unquantized is the publisher's: keep is not taken and dropped
    with pytest.raises(NnsizeError, match="keep does not apply to deepseek-v3 as published"):
        plan(report, Setup(keep=("embeddings",)))


def test_fit_gpt_oss_20b_on_a_4090() -> None:
    """gpt-oss-20b fits a 24 GiB card as published (13.76 GB of weights), not at bf16."""
    usable = 24 * 2**30 - 2**30  # a 24 GiB card less 1 GiB for the CUDA context
    f = fit(find("gpt-oss-20b").count(), Setup(), usable)
    assert f.fits
    name, total, fits = f.precisions[0]
    assert name == "as published (mxfp4)" and fits and total == f.plan.total
    assert {n: ok for n, _, ok in f.precisions}["bf16"] is False


def test_an_unknown_method_is_refused_by_name() -> None:
    data = copy.deepcopy(config("deepseek-v3"))
    data["quantization_config"]["quant_method"] = "awq"
    with pytest.raises(NnsizeError, match="quantization_config.quant_method 'awq'"):
        plan(count_config(data, "deepseek-v3"), Setup())
    # asked at a dtype, it is planned at that dtype, and said
    assert plan(count_config(data, "deepseek-v3"), Setup(dtype="bf16")).lines[0].part == \
        "weights"


@pytest.mark.parametrize(("change", "match"), [
    ({"scale_fmt": "ue8m0"}, "scale_fmt 'ue8m0'"),
    ({"expert_dtype": "fp4"}, "expert_dtype 'fp4'"),
    ({"activation_scheme": "static"}, "activation_scheme 'static'"),
])
def test_fp8_forms_not_planned_are_refused(change: dict[str, Any], match: str) -> None:
    data = copy.deepcopy(config("deepseek-v3"))
    data["quantization_config"].update(change)
    with pytest.raises(NnsizeError, match=match):
        published(count_config(data, "deepseek-v3"))


@pytest.mark.parametrize("scale_fmt", [None, "float", "ue8m0"])
def test_fp8_a_config_s_own_expert_dtype_is_refused_by_name(scale_fmt: str | None) -> None:
    # DeepSeek-V4-Flash names expert_dtype "fp4" beside its quantization_config, not in it
    # (transformers' DeepseekV4Config folds it in): its experts are never priced as fp8,
    # whatever scale_fmt says
    data = copy.deepcopy(config("deepseek-v3"))
    data["expert_dtype"] = "fp4"
    data["quantization_config"].pop("scale_fmt", None)
    if scale_fmt is not None:
        data["quantization_config"]["scale_fmt"] = scale_fmt
    with pytest.raises(NnsizeError, match="fp8 with expert_dtype 'fp4'") as e:
        published(count_config(data, "deepseek-v3"))
    assert ("scale_fmt 'ue8m0'" in str(e.value)) == (scale_fmt == "ue8m0")
    # the quantization_config's own names it first, as transformers reads it
    data["quantization_config"]["expert_dtype"] = "fp8"
    if scale_fmt != "ue8m0":
        assert published(count_config(data, "deepseek-v3")) is not None


def _v4() -> dict[str, Any]:
    return json.loads((PUBLISHED / "deepseek-ai--DeepSeek-V4-Flash.json").read_text())


def test_deepseek_v4_flash_by_hand() -> None:
    """DeepSeek-V4-Flash as published (memory/quantization.py FP8_PUBLISHED): 43 layers, 2 with
    no compressor, 21 CSA (a compressor of ratio 4 and an indexer), 20 HCA (ratio 128)."""
    c = published(count_config(_v4(), "DeepSeek-V4-Flash"))
    assert c is not None and c.method == "fp8"
    d = c.dtypes()
    # fp4 experts, two values a byte: 43 layers x 256 experts x (w1, w3: 2,048 x 4,096; w2:
    # 4,096 x 2,048) / 2
    assert d["I8"]["elements"] == 43 * 256 * 3 * 2_048 * 4_096 // 2
    assert d["I8"]["tensors"] == 43 * 256 * 3
    # fp8: each layer's wq_a 1,024 x 4,096, wq_b 32,768 x 1,024, wkv 512 x 4,096, wo_a 8,192 x
    # 4,096, wo_b 4,096 x 8,192 and shared expert (3 x 2,048 x 4,096); each CSA layer's indexer
    # wq_b 8,192 x 1,024
    attention = 1_024 * 4_096 + 32_768 * 1_024 + 512 * 4_096 + 8_192 * 4_096 + 4_096 * 8_192
    assert d["F8_E4M3"]["elements"] == 43 * (attention + 3 * 2_048 * 4_096) + 21 * 8_192 * 1_024
    # ue8m0 scales, a byte each: one per 128 x 128 block of those (wo_a [64, 32], as published),
    # one per 32 values of an expert's row
    blocks = 8 * 32 + 256 * 8 + 4 * 32 + 64 * 32 + 32 * 64 + 3 * 16 * 32
    assert d["F8_E8M0"]["elements"] == 43 * (blocks + 256 * 3 * 2_048 * 4_096 // 32) + \
        21 * 64 * 8
    # bf16: embeddings and head (2 x 129,280 x 4,096), the routers (43 x 256 x 4,096), the norms
    # (43 x (1,024 + 512 + 2 x 4,096) + 4,096), a CSA layer's compressor (wkv, wgate 1,024 x
    # 4,096, its norm 512) and indexer (wkv, wgate 256 x 4,096, its norm 128, weights_proj 64 x
    # 4,096), an HCA layer's compressor (512 x 4,096 twice, norm 512)
    csa = 2 * 1_024 * 4_096 + 512 + 2 * 256 * 4_096 + 128 + 64 * 4_096
    hca = 2 * 512 * 4_096 + 512
    assert d["BF16"]["elements"] == 2 * 129_280 * 4_096 + 43 * 256 * 4_096 + \
        43 * (1_024 + 512 + 2 * 4_096) + 4_096 + 21 * csa + 20 * hca
    # fp32: the hyper-connections (43 x 2 x (24 x 16,384 + 24 + 3), the head's 4 x 16,384 + 4 +
    # 1), the sinks (43 x 64), the compressors' ape (CSA 4 x 1,024 + 4 x 256, HCA 128 x 512), the
    # routers' bias (40 x 256); I64: the 3 hash layers' tid2eid (129,280 x 6)
    assert d["F32"]["elements"] == 43 * 2 * (24 * 16_384 + 27) + 4 * 16_384 + 5 + 43 * 64 + \
        21 * (4 * 1_024 + 4 * 256) + 20 * 128 * 512 + 40 * 256
    assert d["I64"] == {"tensors": 3, "elements": 3 * 129_280 * 6, "bytes": 3 * 129_280 * 48}
    assert sum(x["bytes"] for x in d.values()) == 156_015_698_140
    names = {t.name for t in c.tensors}
    assert {"layers.{i}.ffn.experts.{e}.w1.weight", "layers.{i}.ffn.experts.{e}.w1.scale",
            "layers.2.attn.compressor.wkv.weight", "layers.2.attn.indexer.wq_b.scale",
            "embed.weight", "head.weight", "hc_head_fn"} <= names
    assert "layers.2.attn.compressor.wkv.scale" not in names


def test_deepseek_v4_flash_plan_and_cli() -> None:
    from nnsize.cli import main

    report = count_config(_v4(), "DeepSeek-V4-Flash")
    # (its compressing cache is planned for transformers only, so no vLLM plan, which would hold
    # the tensors as stored); transformers keeps the norms (bf16 as stored) in fp32: 43 x (1,024
    # + 512 + 2 x 4,096) + 4,096 + 21 x (512 + 128) + 20 x 512 values, 2 B more each
    loaded = plan(report, Setup()).lines[0]
    assert loaded.part == "stored_weights"
    norms = 43 * (1_024 + 512 + 2 * 4_096) + 4_096 + 21 * (512 + 128) + 20 * 512
    assert loaded.bytes == 156_015_698_140 + 2 * norms
    assert main(["memory", str(PUBLISHED / "deepseek-ai--DeepSeek-V4-Flash.json")]) == 0


def test_deepseek_v4_flash_is_transformers_quantized_model() -> None:
    """The published config built as from_pretrained builds it for this checkpoint, on the meta
    device: its nn.Linears swapped by replace_with_fp8_linear (fp8 weights and F8_E8M0 block
    scales; FP8Experts' int8 fp4 experts and F8_E8M0 scales a 32), skipping lm_head and the
    model's _keep_in_fp32_modules (HfQuantizer.get_modules_to_not_convert).  Its quantized
    tensors come to nnsize's bytes per dtype; the rest, to nnsize's values."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from transformers.integrations.finegrained_fp8 import replace_with_fp8_linear
    from transformers.quantizers.base import HfQuantizer

    data = _v4()
    config = transformers.AutoConfig.for_model(**{k: v for k, v in data.items()
                                                  if k != "architectures"})
    q = transformers.FineGrainedFP8Config(**{k: v for k, v in config.quantization_config.items()
                                             if k != "quant_method"})
    assert (q.scale_fmt, q.expert_dtype) == ("ue8m0", "fp4")
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device("meta"):
            model = transformers.DeepseekV4ForCausalLM(config)
    finally:
        torch.set_default_dtype(default)
    skip = HfQuantizer.get_modules_to_not_convert(model, None, model._keep_in_fp32_modules)
    replace_with_fp8_linear(model, modules_to_not_convert=skip, quantization_config=q,
                            pre_quantized=True)
    theirs: dict[str, int] = {}
    for t in model.state_dict().values():
        key = {torch.float8_e4m3fn: "F8_E4M3", torch.float8_e8m0fnu: "F8_E8M0",
               torch.int8: "I8"}.get(t.dtype, "values")
        theirs[key] = theirs.get(key, 0) + t.numel()
    c = published(count_config(data, "DeepSeek-V4-Flash"))
    assert c is not None
    d = c.dtypes()
    assert theirs == {"F8_E4M3": d["F8_E4M3"]["elements"], "F8_E8M0": d["F8_E8M0"]["elements"],
                      "I8": d["I8"]["elements"],
                      "values": sum(d[k]["elements"] for k in ("BF16", "F32", "I64"))}


@pytest.mark.parametrize(("change", "match"), [
    # DeepSeek-V4-Flash-Base's form: ue8m0 with fp8 experts, whose scales are stored F32 there
    ({"expert_dtype": "fp8"}, "scale_fmt 'ue8m0' stores tensors nnsize does not plan"),
    ({"scale_fmt": "float"}, "expert_dtype 'fp4' stores tensors nnsize does not plan"),
    ({"weight_block_size": [64, 64]}, "blocks of 128 x 128, not \\[64, 64\\]"),
])
def test_deepseek_v4_other_forms_are_refused(change: dict[str, Any], match: str) -> None:
    data = _v4()
    if "expert_dtype" in change:
        data["expert_dtype"] = change["expert_dtype"]
    else:
        data["quantization_config"].update(change)
    with pytest.raises(NnsizeError, match=match):
        published(count_config(data, "DeepSeek-V4-Flash"))


def _write(checkpoint: Checkpoint, layers: int, experts: int, path: Path) -> None:
    """A safetensors file with every tensor of checkpoint, zeros, its names expanded."""
    from safetensors.torch import save_file

    save_file(_zeros(checkpoint, layers, experts), str(path / "model.safetensors"),
              metadata={"format": "pt"})


def _zeros(checkpoint: Checkpoint, layers: int, experts: int) -> dict[str, Any]:
    """Every tensor of checkpoint as zeros of its dtype, its {i} and {e} names expanded."""
    import torch

    dtypes = {"F8_E4M3": torch.float8_e4m3fn, "F8_E8M0": torch.float8_e8m0fnu,
              "F32": torch.float32, "BF16": torch.bfloat16, "U8": torch.uint8,
              "I8": torch.int8, "I32": torch.int32, "I64": torch.int64}
    tensors = {}
    for t in checkpoint.tensors:
        # {i}: the layers it stands for, from the first
        count = t.count // (experts if "{e}" in t.name else 1)
        for i in range(t.start, t.start + count) if "{i}" in t.name else [0]:
            for e in range(experts) if "{e}" in t.name else [0]:
                name = t.name.replace("{i}", str(i)).replace("{e}", str(e))
                tensors[name] = torch.zeros(t.shape, dtype=dtypes[t.dtype])
    assert len(tensors) == sum(x["tensors"] for x in checkpoint.dtypes().values())
    return tensors


def _load(path: Path, data: dict[str, Any], quantization: Any) -> dict[str, Any]:
    from transformers import AutoModelForCausalLM

    (path / "config.json").write_text(json.dumps(data))
    # None: the config's own quantization_config as it is
    asked = {"quantization_config": quantization} if quantization is not None else {}
    _, info = AutoModelForCausalLM.from_pretrained(str(path), output_loading_info=True,
                                                   **asked)
    return {k: v for k, v in info.items() if v}


# a tiny DeepSeek-V3: the fp8 check loads it, and quantized as Kimi's text_config says
TINY_DEEPSEEK = {"architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",
                 "hidden_size": 256, "intermediate_size": 384, "moe_intermediate_size": 128,
                 "num_hidden_layers": 2, "first_k_dense_replace": 1, "n_routed_experts": 4,
                 "n_shared_experts": 1, "num_experts_per_tok": 2, "n_group": 1, "topk_group": 1,
                 "num_attention_heads": 4, "num_key_value_heads": 4, "q_lora_rank": 128,
                 "kv_lora_rank": 128, "qk_rope_head_dim": 64, "qk_nope_head_dim": 64,
                 "v_head_dim": 64, "vocab_size": 512, "max_position_embeddings": 256,
                 "tie_word_embeddings": False, "torch_dtype": "bfloat16"}


def test_fp8_checkpoint_loads_into_transformers(tmp_path: Path) -> None:
    """A tiny DeepSeek-V3 written tensor by tensor from nnsize's list (fp8 e4m3 weights, fp32
    128 x 128 block scales, each expert's gate, up and down apart) loads into transformers'
    FineGrainedFP8 model with no key missing, unexpected or mismatched."""
    pytest.importorskip("transformers")
    from transformers import FineGrainedFP8Config

    data = {**TINY_DEEPSEEK,
            "quantization_config": {"quant_method": "fp8", "fmt": "e4m3",
                                    "activation_scheme": "dynamic",
                                    "weight_block_size": [128, 128]}}
    c = published(count_config(data))
    assert c is not None
    _write(c, 2, 4, tmp_path)
    # on a CPU transformers dequantizes a pre-quantized fp8 checkpoint as it loads it
    assert _load(tmp_path, data, FineGrainedFP8Config(dequantize=True)) == {}


def test_minimax_m2_fp8_checkpoint_loads_into_transformers(tmp_path: Path) -> None:
    """A tiny MiniMax-M2 as its publisher's config says it (fp8, modules_to_not_convert gate,
    e_score_correction_bias and lm_head, no torch_dtype), written from nnsize's list with the
    gate f32, loads into transformers with no key missing, unexpected or mismatched."""
    pytest.importorskip("transformers")
    from transformers import FineGrainedFP8Config

    published_config = json.loads((PUBLISHED / "MiniMaxAI--MiniMax-M2.5.json").read_text())
    data = {**published_config, "hidden_size": 256, "intermediate_size": 128,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
            "head_dim": 64, "rotary_dim": 32, "num_local_experts": 4, "num_experts_per_tok": 2,
            "vocab_size": 512, "max_position_embeddings": 256}
    del data["auto_map"]  # transformers' own minimax_m2, not the repository's code
    c = published(count_config(data))
    assert c is not None
    assert {t.name: t.dtype for t in c.tensors}["model.layers.{i}.mlp.gate.weight"] == "F32"
    # under the names MiniMax publishes (block_sparse_moe.gate, experts.0.w1, w3 and w2), which
    # transformers' conversion mapping (minimax_m2 as mixtral) renames and fuses as it loads
    from safetensors.torch import save_file

    published_names = (("mlp.experts.", "block_sparse_moe.experts."), ("gate_proj", "w1"),
                       ("up_proj", "w3"), ("down_proj", "w2"), ("mlp.", "block_sparse_moe."))
    tensors = {}
    for name, tensor in _zeros(c, 2, 4).items():
        for old, new in published_names:
            name = name.replace(old, new)
        tensors[name] = tensor
    assert "model.layers.1.block_sparse_moe.experts.3.w2.weight_scale_inv" in tensors
    save_file(tensors, str(tmp_path / "model.safetensors"), metadata={"format": "pt"})
    assert _load(tmp_path, data, FineGrainedFP8Config(dequantize=True)) == {}


def test_mxfp4_checkpoint_loads_into_transformers(tmp_path: Path) -> None:
    """A tiny gpt-oss written from nnsize's list (each projection's _blocks and _scales, U8)
    loads into transformers' Mxfp4 gpt-oss with no key missing, unexpected or mismatched."""
    pytest.importorskip("transformers")
    from transformers import Mxfp4Config

    data = {"architectures": ["GptOssForCausalLM"], "model_type": "gpt_oss", "hidden_size": 64,
            "intermediate_size": 64, "num_hidden_layers": 2, "num_local_experts": 4,
            "num_experts_per_tok": 2, "experts_per_token": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 128,
            "max_position_embeddings": 4096, "sliding_window": 8,
            "layer_types": ["sliding_attention", "full_attention"],
            "tie_word_embeddings": False,
            "quantization_config": config("gpt-oss-20b")["quantization_config"]}
    c = published(count_config(data))
    assert c is not None
    # 2 layers x 4 experts x (gate_up 128 x 64 + down 64 x 64) values, 4 bits each, and a U8
    # scale per 32: (4 / 8 + 1 / 32) bytes a value
    assert c.dtypes()["U8"]["bytes"] == 2 * 4 * (128 * 64 + 64 * 64) * 17 // 32
    _write(c, 2, 1, tmp_path)
    assert _load(tmp_path, data, Mxfp4Config(dequantize=True)) == {}


def test_mxfp4_is_gpt_oss_only() -> None:
    data = copy.deepcopy(config("deepseek-v3"))
    data["quantization_config"] = {"quant_method": "mxfp4"}
    with pytest.raises(NnsizeError, match="model_type 'deepseek_v3'"):
        published(count_config(data, "deepseek-v3"))


def test_a_quantization_config_that_is_no_object_is_refused() -> None:
    # a value nnsize cannot read must not leave the model planned at bf16 without a word
    report = count_config({**config("llama-3.2-1b"), "quantization_config": "abc"})
    with pytest.raises(NnsizeError, match="quantization_config is an object naming its "
                                          "quant_method, got 'abc'"):
        plan(report, Setup())


# --- compressed-tensors -------------------------------------------------------------------------

def _kimi() -> dict[str, Any]:
    return json.loads((PUBLISHED / "moonshotai--Kimi-K2.5.json").read_text())


def test_kimi_k2_5_by_hand() -> None:
    c = published(count_config(_kimi(), "Kimi-K2.5"))
    assert c is not None and c.method == "compressed-tensors"
    d = c.dtypes()
    # int4 experts only (ignore names attention, the shared experts, layer 0's dense MLP and the
    # head): 60 MoE layers x 384 experts x (gate and up, 2,048 x 7,168 each, and down, 7,168 x
    # 2,048), 8 values an I32 word, and each projection's weight_shape, two I32
    experts = 60 * 384
    assert d["I32"]["elements"] == experts * (2 * 2_048 * 7_168 + 7_168 * 2_048) // 8 + \
        experts * 3 * 2
    assert d["I32"]["tensors"] == experts * 3 * 2
    # a bf16 scale per 32 values
    scales = experts * 3 * 2_048 * 7_168 // 32
    # the rest bf16: every parameter but the experts' weights, of the 1,026,879,353,328 the
    # count reads (the fp32 biases are buffers, no parameters)
    total = count_config(_kimi(), "Kimi-K2.5").total_params
    assert total == 1_026_879_353_328
    rest = total - experts * 3 * 2_048 * 7_168
    assert d["BF16"]["elements"] == scales + rest
    # e_score_correction_bias fp32, 384 a layer
    assert d["F32"] == {"tensors": 60, "elements": 60 * 384, "bytes": 60 * 384 * 4}
    assert sum(x["bytes"] for x in d.values()) == 595_148_192_736
    names = {t.name for t in c.tensors if t.dtype == "I32"}
    assert "model.language_model.layers.{i}.mlp.experts.{e}.down_proj.weight_packed" in names


def test_kimi_k2_5_plan_and_fit() -> None:
    report = count_config(_kimi(), "Kimi-K2.5")
    # as stored (vLLM holds the tensors so); transformers casts the 60 MoE layers' bf16 router
    # weights to fp32 (memory.fp32_modules: kimi_k2 is deepseek_v3 to it), 60 x 384 x 7,168 x
    # 2 B = 330,301,440 B more
    stored = plan(report, Setup(engine="vllm")).lines[0]
    assert stored.part == "stored_weights" and stored.bytes == 595_148_192_736
    p = plan(report, Setup())
    assert p.lines[0].part == "stored_weights"
    assert p.lines[0].bytes == 595_148_192_736 + 60 * 384 * 7_168 * 2
    f = fit(report, Setup(), 8 * 80 * 10**9)
    assert f.precisions[0][0] == "as published (compressed-tensors)"


def _ct(**change: Any) -> dict[str, Any]:
    data = _kimi()
    q = data["text_config"]["quantization_config"]
    for key, value in change.items():
        target = q["config_groups"]["group_0"] if key in ("targets", "input_activations",
                                                             "format") else q
        if key.startswith("w_"):
            target, key = q["config_groups"]["group_0"]["weights"], key[2:]
        target[key] = value
    return data


@pytest.mark.parametrize(("change", "match"), [
    ({"format": "float-quantized"}, "format 'float-quantized'"),
    ({"format": "nvfp4-pack-quantized"}, "format 'nvfp4-pack-quantized'"),
    ({"w_symmetric": False}, "weights.symmetric False"),
    ({"w_type": "float"}, "weights.type 'float'"),
    ({"w_actorder": "group"}, "weights.actorder 'group'"),
    ({"w_num_bits": 3}, "weights.num_bits 3"),
    ({"w_strategy": "block"}, "weights.strategy 'block'"),
    ({"w_scale_dtype": "torch.float32"}, "scale_dtype 'torch.float32'"),
    ({"w_group_size": None}, "group_size None"),
    ({"w_mystery": 1}, "weights.mystery 1"),
    ({"input_activations": {"num_bits": 8}}, "input_activations"),
    ({"targets": ["Linear", "Embedding"]}, "targets"),
    ({"kv_cache_scheme": {"num_bits": 8}}, "kv_cache_scheme"),
    ({"sparsity_config": {"format": "sparse-24"}}, "sparsity_config"),
    ({"quantization_status": "frozen"}, "quantization_status 'frozen'"),
    ({"ignore": ["re:.*experts\\.1\\..*"]}, "ignore names some of"),
    # a name the checkpoint has and nnsize does not (language_model.lm_head): not a guess
    ({"ignore": ["language_model.lm_head", "lm_head"]}, "'language_model.lm_head'] name no"),
])
def test_compressed_tensors_forms_not_planned_are_refused(change: dict[str, Any],
                                                          match: str) -> None:
    with pytest.raises(NnsizeError, match=match):
        published(count_config(_ct(**change), "Kimi-K2.5"))


def test_compressed_tensors_two_groups_are_refused() -> None:
    data = _kimi()
    groups = data["text_config"]["quantization_config"]["config_groups"]
    groups["group_1"] = copy.deepcopy(groups["group_0"])
    with pytest.raises(NnsizeError, match="config_groups"):
        published(count_config(data, "Kimi-K2.5"))




def _ct_tensors(checkpoint: Checkpoint, layers: int, experts: int) -> dict[str, Any]:
    """Every tensor of checkpoint, zeros, but each weight_shape its Linear's [out, in] (read
    back from the packed rows and the scales' groups of 32), as the loader unpacks by it."""
    tensors = _zeros(checkpoint, layers, experts)
    for name, value in tensors.items():
        if name.endswith(".weight_shape"):
            base = name.removesuffix("weight_shape")
            value[0] = tensors[base + "weight_packed"].shape[0]
            value[1] = tensors[base + "weight_scale"].shape[1] * 32
    return tensors


def test_compressed_tensors_checkpoint_loads_into_transformers(tmp_path: Path) -> None:
    """A tiny DeepSeek-V3 quantized as Kimi-K2.5 is, written tensor by tensor from nnsize's
    list (each expert's weight_packed, weight_scale, weight_shape), loads into transformers'
    compressed-tensors model with no key missing, unexpected or mismatched."""
    pytest.importorskip("transformers")
    pytest.importorskip("compressed_tensors")
    from safetensors.torch import save_file

    data = {**TINY_DEEPSEEK, "quantization_config": _kimi()["text_config"][
        "quantization_config"]}
    c = published(count_config(data))
    assert c is not None
    # 4 experts x (gate, up: 128 x 256; down: 256 x 128) int4, 8 a word
    assert c.dtypes()["I32"]["elements"] == 4 * 3 * 128 * 256 // 8 + 4 * 3 * 2
    save_file(_ct_tensors(c, 2, 4), str(tmp_path / "model.safetensors"),
              metadata={"format": "pt"})
    assert _load(tmp_path, data, None) == {}


def test_compressed_tensors_is_what_the_library_writes() -> None:
    """The names, shapes and dtypes of every tensor nnsize lists for a tiny Llama whose Linears
    are int4 groups of 32 (the head ignored) are those compressed-tensors' own ModelCompressor
    leaves in the model it compresses; a config it writes names its version, and its
    weight_shape is int64."""
    pytest.importorskip("transformers")
    pytest.importorskip("compressed_tensors")
    import torch
    from compressed_tensors.compressors import ModelCompressor
    from compressed_tensors.quantization import QuantizationConfig, apply_quantization_config
    from transformers import AutoModelForCausalLM, LlamaConfig

    q = copy.deepcopy(_kimi()["text_config"]["quantization_config"])
    q.update(ignore=["lm_head"], version="0.20.0")
    data = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 128,
            "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "vocab_size": 512, "tie_word_embeddings": False,
            "torch_dtype": "bfloat16", "quantization_config": q}
    c = published(count_config(data))
    assert c is not None
    mine = {n: (tuple(v.shape), v.dtype) for n, v in _ct_tensors(c, 2, 1).items()}

    model = AutoModelForCausalLM.from_config(
        LlamaConfig(**{k: v for k, v in data.items() if k not in ("architectures",
                       "model_type", "quantization_config")}), dtype=torch.bfloat16)
    config = QuantizationConfig.model_validate({**q, "quantization_status": "initialized"})
    apply_quantization_config(model, config)
    for module in model.modules():
        if hasattr(module, "weight_scale"):
            module.weight_scale.data.fill_(0.01)
    ModelCompressor(quantization_config=config).compress_model(model)
    theirs = {n: (tuple(v.shape), v.dtype) for n, v in model.state_dict().items()}
    assert mine == theirs
    assert c.dtypes()["I64"]["tensors"] == 2 * 7  # one weight_shape a Linear


def test_compressed_tensors_a_tied_head_ignored() -> None:
    """llm-compressor's w4a16 configs ignore lm_head, which a tied model stores once, as its
    embedding: the entry names a module nnsize has, and the embedding stays bf16."""
    q = copy.deepcopy(_kimi()["text_config"]["quantization_config"])
    q.update(ignore=["lm_head"], version="0.10.2")
    data = {**config("llama-3.2-1b"), "quantization_config": q}
    c = published(count_config(data))
    assert c is not None
    d = c.dtypes()
    # 16 layers x 7 Linears, each a weight_shape of two I64
    assert d["I64"] == {"tensors": 16 * 7, "elements": 16 * 7 * 2, "bytes": 16 * 7 * 16}
    # the embedding (128,256 x 2,048) and the norms (33 x 2,048), bf16, beside the scales
    linears = 16 * (2 * 2_048 * 2_048 + 2 * 512 * 2_048 + 3 * 8_192 * 2_048)
    assert d["BF16"]["elements"] == 128_256 * 2_048 + 33 * 2_048 + linears // 32


def test_compressed_tensors_a_router_not_known_to_be_no_linear(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A router of a model type whose router class nnsize does not know (Llama4Router is an
    nn.Linear, which "Linear" targets) is refused unless ignore names it."""
    from nnsize.memory import quantization

    monkeypatch.setattr(quantization, "CT_ROUTERS", ())
    with pytest.raises(NnsizeError, match="mlp.gate.weight's module is an nn.Linear"):
        published(count_config(_kimi(), "Kimi-K2.5"))
    data = _kimi()
    data["text_config"]["quantization_config"]["ignore"].append("re:.*mlp\\.gate$")
    c = published(count_config(data, "Kimi-K2.5"))
    assert c is not None and sum(x["bytes"] for x in c.dtypes().values()) == 595_148_192_736


def test_compressed_tensors_an_ignore_entry_no_regex() -> None:
    with pytest.raises(NnsizeError, match="an ignore entry is no regex"):
        published(count_config(_ct(ignore=["re:(", "lm_head"]), "Kimi-K2.5"))


# a tiny DeepSeek-V4-Flash: the published config's keys and quantization_config, at small sizes
# (a sliding layer, a CSA and an HCA layer, a sliding one again; one hash layer)
TINY_V4 = {"hidden_size": 128, "num_attention_heads": 4, "head_dim": 64, "qk_rope_head_dim": 16,
           "q_lora_rank": 128, "o_groups": 2, "o_lora_rank": 64, "moe_intermediate_size": 64,
           "n_routed_experts": 4, "num_experts_per_tok": 2, "index_n_heads": 2,
           "index_head_dim": 32, "index_topk": 4, "vocab_size": 256, "num_hidden_layers": 4,
           "num_hash_layers": 1, "compress_ratios": [0, 4, 128, 0],
           "max_position_embeddings": 1024, "sliding_window": 8}


def test_deepseek_v4_checkpoint_loads_into_transformers(tmp_path: Path) -> None:
    """A tiny DeepSeek-V4-Flash written tensor by tensor from nnsize's list, under the published
    files' names (layers.0.attn.wq_a.weight and .scale, F8_E4M3 and F8_E8M0; each expert's
    w1, w2, w3 I8 with an F8_E8M0 scale a 32; the compressors' wkv and wgate bf16 with no scale)
    loads into transformers' DeepseekV4ForCausalLM through its conversion mapping with no key
    missing, unexpected or mismatched."""
    pytest.importorskip("transformers")
    from transformers import FineGrainedFP8Config

    data = {**_v4(), **TINY_V4}
    data["rope_scaling"] = {**data["rope_scaling"], "original_max_position_embeddings": 64}
    c = published(count_config(data))
    assert c is not None
    # 4 layers x 4 experts x (w1, w3: 64 x 128; w2: 128 x 64), two a byte, a scale per 32
    assert c.dtypes()["I8"]["elements"] == 4 * 4 * 3 * 64 * 128 // 2
    assert c.dtypes()["F8_E8M0"]["elements"] > 4 * 4 * 3 * 64 * 128 // 32
    _write(c, 4, 4, tmp_path)
    q = {k: v for k, v in data["quantization_config"].items() if k != "quant_method"}
    # on a CPU transformers dequantizes a pre-quantized fp8 checkpoint as it loads it
    assert _load(tmp_path, data, FineGrainedFP8Config(**q, expert_dtype="fp4",
                                                      dequantize=True)) == {}
