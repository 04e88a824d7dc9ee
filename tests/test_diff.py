from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from nnsize.cli import main

CONFIG = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 32,
          "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 2,
          "num_attention_heads": 2, "num_key_value_heads": 1, "tie_word_embeddings": True}


def checkpoint(tmp_path: Path, drop: str = "", reshape: str = "") -> Path:
    """The checkpoint transformers would save for CONFIG (tied head not stored)."""
    transformers = pytest.importorskip("transformers")
    model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**{
        k: v for k, v in CONFIG.items() if k not in ("model_type", "architectures")}))
    state = {k: v.contiguous() for k, v in model.state_dict().items()
             if k != "lm_head.weight" and k != drop}
    if reshape:
        state[reshape] = torch.zeros(3, 3)
    path = tmp_path / "model.safetensors"
    save_file(state, str(path))
    return path


def test_a_config_and_its_checkpoint_agree(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    path = checkpoint(tmp_path)
    assert main(["diff", str(tmp_path / "config.json"), str(path)]) == 0
    out = capsys.readouterr().out
    assert "Same tensors and shapes." in out and "lm_head.weight" in out  # tied, not stored


def test_differences_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    path = checkpoint(tmp_path, drop="model.norm.weight",
                      reshape="model.layers.0.mlp.up_proj.weight")
    assert main(["diff", str(tmp_path / "config.json"), str(path)]) == 1
    out = capsys.readouterr().out
    assert "Only in A (1):\n  model.norm.weight" in out
    assert "model.layers.0.mlp.up_proj.weight: [12, 8] vs [3, 3]" in out


@pytest.mark.parametrize(("model_type", "extra"), [
    ("qwen3_moe", {"num_local_experts": 3, "moe_intermediate_size": 6}),
    ("mixtral", {"num_local_experts": 3}),
    ("deepseek_v3", {"n_routed_experts": 4, "n_shared_experts": 1, "n_group": 1,
                     "topk_group": 1, "moe_intermediate_size": 6, "first_k_dense_replace": 1,
                     "q_lora_rank": 6, "kv_lora_rank": 4, "qk_rope_head_dim": 2,
                     "qk_nope_head_dim": 2, "v_head_dim": 2, "num_key_value_heads": 4}),
])
def test_experts_saved_one_by_one_match_the_fused_form(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], model_type: str,
        extra: dict[str, object]) -> None:
    # transformers 5 builds experts.gate_up_proj [n, 2 x inter, hidden] and saves
    # experts.{j}.gate_proj / up_proj / down_proj, one expert at a time
    transformers = pytest.importorskip("transformers")
    import nnsize

    config = transformers.CONFIG_MAPPING[model_type](
        hidden_size=16, intermediate_size=12, num_hidden_layers=2, num_attention_heads=4,
        vocab_size=32, num_experts_per_tok=1, pad_token_id=0, bos_token_id=0, eos_token_id=0,
        **extra)
    arch = transformers.models.auto.modeling_auto.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES[model_type]
    getattr(transformers, arch)(config).save_pretrained(tmp_path)
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "config.json"),
                 str(tmp_path / "model.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "Same tensors and shapes." in out and "Experts stored one by one" in out
    # DeepSeek-V3's e_score_correction_bias: a buffer in both reports, as in the model
    a = nnsize.count(str(tmp_path / "config.json"))
    b = nnsize.count(str(tmp_path / "model.safetensors"))
    assert (a.total_params, a.buffers) == (b.total_params, b.buffers)
    if model_type == "deepseek_v3":
        assert b.buffers == 4  # 4 routed experts, one layer with experts


# a config against the GGUF file llama.cpp's converter would write from its model, for every
# family importers/gguf_names.py maps: model_type -> (gguf-py's MODEL_ARCH, the config's sizes)
GGUF_CASES = {
    "llama": ("LLAMA", {"num_key_value_heads": 2, "tie_word_embeddings": False}),
    "mixtral": ("LLAMA", {"num_key_value_heads": 2, "num_local_experts": 4,
                          "num_experts_per_tok": 2}),  # the converter's LlamaModel
    "qwen3_moe": ("QWEN3MOE", {"num_experts": 4, "moe_intermediate_size": 32,
                               "num_experts_per_tok": 2, "head_dim": 8}),
    "qwen2_moe": ("QWEN2MOE", {"num_experts": 4, "moe_intermediate_size": 32,
                               "shared_expert_intermediate_size": 32, "num_experts_per_tok": 2}),
    "gemma2": ("GEMMA2", {"num_key_value_heads": 2, "head_dim": 8}),
    "gemma3_text": ("GEMMA3", {"num_key_value_heads": 2, "head_dim": 8}),
    "olmo2": ("OLMO2", {}),
    "phi3": ("PHI3", {}),
    "phi": ("PHI2", {}),
    "falcon": ("FALCON", {}),
    "gpt2": ("GPT2", {}),
    "gpt_neox": ("GPTNEOX", {}),
    "deepseek_v3": ("DEEPSEEK2", {"n_routed_experts": 4, "n_shared_experts": 1, "n_group": 1,
                                  "topk_group": 1, "moe_intermediate_size": 32,
                                  "first_k_dense_replace": 1, "q_lora_rank": 32,
                                  "kv_lora_rank": 32, "qk_rope_head_dim": 4,
                                  "qk_nope_head_dim": 4, "v_head_dim": 8,
                                  "num_key_value_heads": 4, "num_experts_per_tok": 2}),
}
# GPT-2's Conv1D weights, stored (in, out): GPT2Model.modify_tensors transposes them
CONV1D = (".attn.c_attn.weight", ".attn.c_proj.weight", ".mlp.c_fc.weight", ".mlp.c_proj.weight")


def converted(name: str, shape: tuple[int, ...],
              config: Any) -> list[tuple[str, tuple[int, ...]]]:
    """What convert_hf_to_gguf.py makes of one of transformers' tensors (still named as
    transformers names them): the fused experts.gate_up_proj (E, 2I, H) as gate_proj and
    up_proj (E, I, H) each; DeepSeek's kv_b_proj (heads x (nope + v), rank) split into k_b
    (heads, rank, nope), transposed, and v_b (heads, v, rank); GPT-2's Conv1D transposed; and,
    as its prepare_tensors does, every size-1 dimension squeezed (Qwen2-MoE's
    shared_expert_gate (1, H) is written (H,))."""
    if name.endswith(".experts.gate_up_proj"):
        half = (shape[0], shape[1] // 2, shape[2])
        base = name[:-len("gate_up_proj")]
        return [(base + "gate_proj", half), (base + "up_proj", half)]
    if name.endswith(".kv_b_proj.weight"):
        heads, nope, v = config.num_attention_heads, config.qk_nope_head_dim, config.v_head_dim
        base = name[:-len("kv_b_proj.weight")]
        return [(base + "k_b_proj.weight", (heads, shape[1], nope)),
                (base + "v_b_proj.weight", (heads, v, shape[1]))]
    if name.endswith(".e_score_correction_bias"):  # the converter's own rename first
        return [(name.replace("e_score_correction_bias", "e_score_correction.bias"), shape)]
    if name.endswith(CONV1D):
        shape = shape[::-1]
    return [(name, tuple(d for d in shape if d != 1) or shape)]


def write_gguf(path: Path, model_type: str, drop: str = "", reshape: str = "") -> Path:
    """model_type's tiny model, its tensors as the converter makes them (converted()) under
    the names gguf-py's TensorNameMap gives them, a tied head not written, 2-D weights of
    whole blocks at Q8_0; numpy's shape is torch's, GGUF stores it reversed.  Its config.json
    beside it."""
    gguf = pytest.importorskip("gguf")
    transformers = pytest.importorskip("transformers")
    arch, extra = GGUF_CASES[model_type]
    config = transformers.CONFIG_MAPPING[model_type](
        vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, pad_token_id=0, bos_token_id=0, eos_token_id=0, **extra)
    cls = transformers.models.auto.modeling_auto.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES[model_type]
    with torch.device("meta"):
        model = getattr(transformers, cls)(config)
    names = gguf.get_tensor_name_map(getattr(gguf.MODEL_ARCH, arch), 2)
    tensors = [*model.named_parameters(),  # a tied head: once, as the embedding
               *((n, b) for n, b in model.named_buffers() if n.endswith("e_score_correction_bias"))]
    w = gguf.GGUFWriter(str(path), arch.lower())
    for name, shape in (c for n, p in tensors for c in converted(n, tuple(p.shape), config)):
        gguf_name = names.get_name(name, try_suffixes=(".weight", ".bias"))
        assert gguf_name is not None, name
        if not gguf_name.endswith((".weight", ".bias")):
            gguf_name += ".weight"  # the converter's suffix for the experts
        if gguf_name == drop:
            continue
        if gguf_name == reshape:
            shape = (3, 32)
        values = np.zeros(shape, dtype=np.float32)
        if len(shape) == 2 and shape[-1] % 32 == 0 and "token_embd" not in gguf_name:
            q8 = gguf.GGMLQuantizationType.Q8_0
            w.add_tensor(gguf_name, gguf.quants.quantize(values, q8), raw_dtype=q8)
        else:
            w.add_tensor(gguf_name, values)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    (path.parent / "config.json").write_text(json.dumps(
        {**config.to_dict(), "architectures": [cls]}))
    return path


@pytest.mark.parametrize("model_type", sorted(GGUF_CASES))
def test_a_config_and_its_gguf_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     model_type: str) -> None:
    import nnsize

    path = write_gguf(tmp_path / "model.gguf", model_type)
    config = str(tmp_path / "config.json")
    assert main(["diff", config, str(path)]) == 0
    out = capsys.readouterr().out
    assert "Same tensors and shapes." in out and "A's tensors renamed" in out
    a, b = nnsize.count(config), nnsize.count(str(path))
    # DeepSeek's router bias is a buffer of the model, a tensor like any other in the file
    assert a.total_params + a.buffers == b.total_params and b.stored["quantized"] is True
    assert main(["diff", str(path), config, "--json"]) == 0  # either way round
    assert json.loads(capsys.readouterr().out)["gguf_names"] == "B"


def test_a_gguf_that_differs_is_reported(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = write_gguf(tmp_path / "model.gguf", "llama", drop="output_norm.weight",
                      reshape="blk.1.ffn_up.weight")
    assert main(["diff", str(tmp_path / "config.json"), str(path)]) == 1
    out = capsys.readouterr().out
    assert "Only in A (1):\n  output_norm.weight" in out
    assert "blk.1.ffn_up.weight: [64, 32] vs [3, 32]" in out
