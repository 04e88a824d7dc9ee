"""GGUF names for more families, each against gguf-py's own TensorNameMap (the names llama.cpp's
convert_hf_to_gguf.py writes), and the tensors its converter splits or transposes."""

from __future__ import annotations

import pytest

import nnsize
from nnsize.errors import NnsizeError
from nnsize.importers.gguf_names import gguf_names, layout, report_tensors
from nnsize.memory import gguf_mix

# preset -> gguf-py's MODEL_ARCH member (the converter's model_arch for that config)
# (language models only: gemma-3-4b is the published image-text model, gemma-3-1b its text-only kin)
ARCHS = {
    "llama-3.1-8b": "LLAMA", "qwen3-30b-a3b": "QWEN3MOE", "qwen1.5-moe-a2.7b": "QWEN2MOE",
    "gemma-2b": "GEMMA", "gemma-2-9b": "GEMMA2", "gemma-3-1b": "GEMMA3", "phi-3-mini": "PHI3",
    "phi-4": "PHI3", "olmo-2-7b": "OLMO2", "deepseek-v2-lite": "DEEPSEEK2",
    "deepseek-v3": "DEEPSEEK2", "falcon-7b": "FALCON", "falcon-40b": "FALCON", "gpt2": "GPT2",
    "gpt-neox-20b": "GPTNEOX", "phi-2": "PHI2",
}
# where nnsize's name is not the checkpoint's: GPT-NeoX calls its head embed_out
CHECKPOINT_NAME = {"gpt-neox-20b": {"lm_head.weight": "embed_out.weight"}}
# what the converter makes of a tensor besides renaming it (checked by shape below)
SPLIT = ("mlp.experts.gate_up_proj", "mlp.experts.down_proj", "self_attn.kv_b_proj.weight")


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
        if t.buffer or t.shared_with or name.endswith(SPLIT):
            continue
        source = CHECKPOINT_NAME.get(preset, {}).get(name, name)
        expected = names.get_name(source, try_suffixes=(".weight", ".bias"))
        assert expected is not None, f"gguf-py has no name for {source}"
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
