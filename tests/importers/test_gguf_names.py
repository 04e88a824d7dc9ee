"""GGUF names for more families, each against gguf-py's own TensorNameMap (the names llama.cpp's
convert_hf_to_gguf.py writes), and the tensors its converter splits or transposes."""

from __future__ import annotations

import math

import pytest

import nnsize
from nnsize.errors import NnsizeError
from nnsize.importers.gguf_names import gguf_names, layout, mmproj_tensors, report_tensors
from nnsize.memory import gguf_mix

# preset -> gguf-py's MODEL_ARCH member (the converter's model_arch for that config)
# (language models only: gemma-3-4b is the published image-text model, gemma-3-1b its text-only kin)
ARCHS = {
    "llama-3.1-8b": "LLAMA", "qwen3-30b-a3b": "QWEN3MOE", "qwen1.5-moe-a2.7b": "QWEN2MOE",
    "gemma-2b": "GEMMA", "gemma-2-9b": "GEMMA2", "gemma-3-1b": "GEMMA3", "phi-3-mini": "PHI3",
    "phi-4": "PHI3", "olmo-2-7b": "OLMO2", "deepseek-v2-lite": "DEEPSEEK2",
    "deepseek-v3": "DEEPSEEK2", "falcon-7b": "FALCON", "falcon-40b": "FALCON", "gpt2": "GPT2",
    "gpt-neox-20b": "GPTNEOX", "phi-2": "PHI2",
    "gpt-oss-20b": "GPT_OSS", "glm-4-9b": "GLM4", "phi-3.5-moe": "PHIMOE",
    "stablelm-2-1.6b": "STABLELM", "gemma-3-4b": "GEMMA3", "gemma-3-12b": "GEMMA3",
    "gemma-3-27b": "GEMMA3",
}
# where nnsize's name is not the checkpoint's: GPT-NeoX calls its head embed_out; Phi-3.5-MoE's
# checkpoint calls its router block_sparse_moe.gate (transformers: mlp.router); gpt-oss's
# checkpoint has self_attn.sinks, which its converter writes as "sinks.weight"
CHECKPOINT_NAME = {"gpt-neox-20b": {"lm_head.weight": "embed_out.weight"}}
CHECKPOINT_REST = {"phi-3.5-moe": {"mlp.router.weight": "block_sparse_moe.gate.weight"}}
# what the converter makes of a tensor besides renaming it (checked by shape below)
SPLIT = ("mlp.experts.gate_up_proj", "mlp.experts.down_proj", "self_attn.kv_b_proj.weight",
         "mlp.experts.gate_up_proj_bias", "mlp.experts.down_proj_bias")
MMPROJ = ("model.vision_tower.", "model.multi_modal_projector.")  # the mmproj file's


def _checkpoint(preset: str, name: str) -> str:
    """The checkpoint's name of nnsize's tensor, as convert_hf_to_gguf.py reads it (Gemma 3's
    "language_model." dropped, as ModelBase.filter_tensors does)."""
    name = CHECKPOINT_NAME.get(preset, {}).get(name, name).replace("language_model.", "", 1)
    for rest, theirs in CHECKPOINT_REST.get(preset, {}).items():
        if name.endswith("." + rest):
            return name[: -len(rest)] + theirs
    return name


@pytest.mark.parametrize("preset", sorted(ARCHS))
def test_names_are_gguf_pys(preset: str) -> None:
    gguf = pytest.importorskip("gguf")
    report = nnsize.count(preset)
    d = report.decoder
    assert d is not None
    arch = getattr(gguf.MODEL_ARCH, ARCHS[preset])
    names = gguf.get_tensor_name_map(arch, len(d.layers))
    how = layout(report)
    checked = 0
    for name, t in report.named_tensors():
        if t.buffer or t.shared_with or name.endswith(SPLIT) or name.startswith(MMPROJ):
            continue
        source = _checkpoint(preset, name)
        expected = names.get_name(source, try_suffixes=(".weight", ".bias"))
        assert expected is not None, f"gguf-py has no name for {source}"
        if name.endswith(".self_attn.sinks"):  # GptOssModel appends ".weight"
            expected += ".weight"
        ours = gguf_names(name, t.shape, how)
        assert [n for n, _ in ours] == [expected], name
        checked += 1
    assert checked > len(d.layers)


def test_what_the_converter_splits_and_transposes() -> None:
    # DeepSeek-V3's kv_b_proj: 128 heads x (128 nope + 128 v) = 32,768 rows of rank 512, split
    # for MLA's absorption: k_b (128, 512, 128) transposed, v_b (128, 128, 512)
    v3 = nnsize.count("deepseek-v3")
    tensors = dict(report_tensors(v3))
    assert tensors["blk.0.attn_k_b.weight"] == (128, 512, 128)
    assert tensors["blk.0.attn_v_b.weight"] == (128, 128, 512)
    assert "blk.0.attn_kv_b.weight" not in tensors
    assert tensors["blk.3.exp_probs_b.bias"] == (256,)
    # Phi-3's fused gate_up_proj stays fused as ffn_up: 2 x 8,192 rows
    assert dict(report_tensors(nnsize.count("phi-3-mini")))["blk.0.ffn_up.weight"] == \
        (16_384, 3072)
    # GPT-2's Conv1D c_attn (768, 2304) is written (2304, 768)
    assert dict(report_tensors(nnsize.count("gpt2")))["blk.0.attn_qkv.weight"] == (2304, 768)
    # Gemma 2: post_attention_layernorm follows attention, pre_feedforward_layernorm feeds it
    g2 = dict(report_tensors(nnsize.count("gemma-2-9b")))
    assert {"blk.0.post_attention_norm.weight", "blk.0.ffn_norm.weight",
            "blk.0.post_ffw_norm.weight"} <= set(g2)
    assert gguf_mix.hparams(nnsize.count("falcon-7b")).arch == "falcon"


def test_the_experts_as_each_converter_splits_them() -> None:
    """Expert names against gguf-py's map under the checkpoint's own names, and shapes against
    llama.cpp's loaders (src/models/openai-moe.cpp, phimoe.cpp, glm4.cpp, as vendored in
    llama-cpp-python 0.3.36: ffn_gate_exps / ffn_up_exps {n_embd, n_ff_exp, n_expert}, torch's
    (E, I, H); ffn_down_exps {n_ff_exp, n_embd, n_expert}, (E, H, I); their biases {n_ff_exp,
    n_expert} and {n_embd, n_expert}; attn_sinks {n_head}; glm4's ffn_up {n_embd, n_ff * 2})."""
    gguf = pytest.importorskip("gguf")
    # gpt-oss-20b: experts stored (E, in, out): gate_up_proj (32, 2,880, 5,760), transposed and
    # split into gate and up (32, 2,880, 2,880) each; down_proj (32, 2,880 in, 2,880 out)
    oss = nnsize.count("gpt-oss-20b")
    t = dict(report_tensors(oss))
    m = gguf.get_tensor_name_map(gguf.MODEL_ARCH.GPT_OSS, 24)
    for ours, theirs in (("ffn_gate_exps.weight", "mlp.experts.gate_proj.weight"),
                         ("ffn_up_exps.weight", "mlp.experts.up_proj.weight"),
                         ("ffn_down_exps.weight", "mlp.experts.down_proj.weight"),
                         ("ffn_gate_exps.bias", "mlp.experts.gate_proj.bias"),
                         ("ffn_up_exps.bias", "mlp.experts.up_proj.bias"),
                         ("ffn_down_exps.bias", "mlp.experts.down_proj.bias")):
        assert m.get_name("model.layers.0." + theirs, try_suffixes=(".weight", ".bias")) == \
            "blk.0." + ours
        assert "blk.0." + ours in t
    assert t["blk.0.ffn_gate_exps.weight"] == t["blk.0.ffn_up_exps.weight"] == (32, 2880, 2880)
    assert t["blk.0.ffn_down_exps.weight"] == (32, 2880, 2880)
    assert t["blk.0.ffn_gate_exps.bias"] == t["blk.0.ffn_up_exps.bias"] == (32, 2880)
    assert t["blk.0.attn_sinks.weight"] == (64,) and t["blk.0.ffn_gate_inp.bias"] == (32,)
    assert "blk.0.post_attention_norm.weight" in t and "blk.0.ffn_norm.weight" not in t
    # every parameter once: 20,914,757,184
    assert sum(math.prod(s) for s in t.values()) == oss.total_params == 20_914_757_184
    # Phi-3.5-MoE: the checkpoint's w1 / w3 / w2 stacked: (16, 6,400, 4,096) x 2, (16, 4,096, 6,400)
    phi = dict(report_tensors(nnsize.count("phi-3.5-moe")))
    m = gguf.get_tensor_name_map(gguf.MODEL_ARCH.PHIMOE, 32)
    for ours, w in (("ffn_gate_exps", "w1"), ("ffn_down_exps", "w2"), ("ffn_up_exps", "w3")):
        assert m.get_name(f"model.layers.0.block_sparse_moe.experts.{w}.weight",
                          try_suffixes=(".weight",)) == f"blk.0.{ours}.weight"
    assert phi["blk.0.ffn_gate_exps.weight"] == phi["blk.0.ffn_up_exps.weight"] == \
        (16, 6400, 4096)
    assert phi["blk.0.ffn_down_exps.weight"] == (16, 4096, 6400)
    assert phi["output.bias"] == (32064,) and phi["output_norm.bias"] == (4096,)
    # GLM-4-0414: gate_up_proj stays fused as ffn_up: 2 x 13,696 = 27,392 rows (llama.cpp's glm4
    # loads ffn_up {n_embd, n_ff * 2})
    glm = dict(report_tensors(nnsize.count("glm-4-9b")))
    assert glm["blk.0.ffn_up.weight"] == (27_392, 4096) and "blk.0.ffn_gate.weight" not in glm
    assert {"blk.0.post_attention_norm.weight", "blk.0.ffn_norm.weight",
            "blk.0.post_ffw_norm.weight"} <= set(glm)
    assert gguf_mix.hparams(oss).arch == "gpt-oss"


def test_gemma_3_image_text_is_the_text_gguf_and_says_where_the_vision_tower_goes() -> None:
    """convert_hf_to_gguf.py's text model leaves the vision tower and projector out
    (TextModel.filter_tensors); --mmproj writes them to a file of their own."""
    from nnsize.memory.plan import plan
    from nnsize.memory.setup import Setup
    from nnsize.render.plan import note_words

    report = nnsize.count("gemma-3-12b")
    tensors = report_tensors(report)
    assert not [n for n, _ in tensors if "vision" in n or "mm_" in n]
    text = sum(math.prod(s) for _, s in tensors)
    vision = sum(math.prod(t.shape) for n, t in report.named_tensors()
                 if n.startswith(MMPROJ))
    # the tied head once: the text GGUF's values + the mmproj's = every parameter
    assert text + vision == report.total_params
    m = gguf_mix.mix(report, "Q4_K_M")
    assert m.mmproj == (len(mmproj_tensors(report)), vision) and m.params == text
    p = plan(report, Setup(dtype="Q4_K_M"))
    assert p.lines[0].bytes == m.tensor_bytes
    words = [note_words(n.terms) for n in p.notes if n.terms.KEY == "gguf_file"][0]
    assert f"{vision:,} values" in words and "separate mmproj GGUF" in words
    # a text-only model says nothing of it
    p = plan(nnsize.count("gemma-3-1b"), Setup(dtype="Q4_K_M"))
    assert "mmproj" not in [note_words(n.terms) for n in p.notes
                            if n.terms.KEY == "gguf_file"][0]


@pytest.mark.parametrize("preset, published", [
    # bartowski/gemma-2-9b-it-GGUF gemma-2-9b-it-Q4_K_M.gguf: 5.76 GB
    ("gemma-2-9b", 5.76e9),
    # bartowski/phi-4-GGUF phi-4-Q4_K_M.gguf: 9.05 GB
    ("phi-4", 9.05e9),
])
def test_q4_k_m_of_more_families_near_the_published_files(preset: str, published: float) -> None:
    """The file adds its header and tokenizer (a few MB) to the tensor data: within 1%."""
    data = gguf_mix.mix(nnsize.count(preset), "Q4_K_M").tensor_bytes
    assert abs(data / published - 1) < 0.01, data


def test_an_unmapped_name_is_an_error() -> None:
    with pytest.raises(NnsizeError, match="Gemma"):
        gguf_names("model.layers.0.mystery.weight", (4, 4))
