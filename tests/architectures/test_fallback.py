"""Model types nnsize has no builder for, counted by building them with transformers on the meta
device: every tensor against transformers' own, how long it took, and the refusals (no
transformers, a repo's own code)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from hf import compare, torch, transformers

import nnsize
from nnsize.architectures import count_config
from nnsize.architectures.config import Config
from nnsize.errors import SpecError

PUBLISHED = Path(__file__).parent.parent / "data" / "published_configs"

# model types nnsize has no builder for (issue 14 made mamba, vit, whisper, mpnet, gemma3,
# albert and bart native, issue 20 deit and paligemma; their peers here are still counted
# through transformers)
TINY: dict[str, dict[str, Any]] = {
    "rwkv": {"hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 32,
             "attention_hidden_size": 16, "intermediate_size": 32, "context_length": 16},
    "vit_msn": {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
             "intermediate_size": 8, "image_size": 8, "patch_size": 4},
    "roformer": {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
                 "intermediate_size": 8, "vocab_size": 32, "max_position_embeddings": 16,
                 "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0},
    "llava_next": {"text_config": {"model_type": "llama", "hidden_size": 16,
                                   "num_hidden_layers": 2, "num_attention_heads": 2,
                                   "num_key_value_heads": 1, "intermediate_size": 8,
                                   "vocab_size": 300},
                   "vision_config": {"model_type": "clip_vision_model", "hidden_size": 16,
                                     "num_hidden_layers": 1, "num_attention_heads": 2,
                                     "intermediate_size": 8, "image_size": 16, "patch_size": 4},
                   "image_token_index": 5},
    # DeBERTa (v1) keeps one fused in_proj; MVP ties three embeddings as BART does
    "deberta": {"hidden_size": 16, "num_hidden_layers": 3, "num_attention_heads": 2,
                "intermediate_size": 8, "vocab_size": 32, "pad_token_id": 0,
                "bos_token_id": 0, "eos_token_id": 0},
    "mvp": {"d_model": 16, "encoder_layers": 2, "decoder_layers": 2, "vocab_size": 32,
            "encoder_attention_heads": 2, "decoder_attention_heads": 2, "encoder_ffn_dim": 8,
            "decoder_ffn_dim": 8, "max_position_embeddings": 16, "pad_token_id": 0,
            "bos_token_id": 0, "eos_token_id": 0, "decoder_start_token_id": 0,
            "forced_eos_token_id": 0},
}
CLASSES = {"rwkv": "RwkvForCausalLM", "deberta": "DebertaForMaskedLM",
           "mvp": "MvpForConditionalGeneration", "vit_msn": "ViTMSNForImageClassification",
           "roformer": "RoFormerForMaskedLM", "llava_next": "LlavaNextForConditionalGeneration"}


@pytest.mark.parametrize("model_type", sorted(TINY))
@pytest.mark.parametrize("with_class", [True, False])
def test_model_types_without_a_builder_match_transformers(model_type: str,
                                                          with_class: bool) -> None:
    config = {"model_type": model_type, **TINY[model_type]}
    if with_class:
        config["architectures"] = [CLASSES[model_type]]
    report = compare(config)
    name = CLASSES[model_type] if with_class else \
        transformers.models.auto.modeling_auto.MODEL_MAPPING_NAMES[model_type]
    assert report.stored["counted_with"] == f"{name} with transformers {transformers.__version__}"
    assert isinstance(report.stored["build_ms"], int)
    assert "Counted by building" in str(report)


def test_a_class_nnsize_does_not_build_for_a_native_family_goes_to_transformers() -> None:
    # LlamaForCausalLM is native; Llama's ForQuestionAnswering too, T5's task heads and BERT's
    # pre-training classes; ViT's masked-image model is built by transformers
    config = {"model_type": "vit", "architectures": ["ViTForMaskedImageModeling"],
              "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
              "intermediate_size": 8, "image_size": 32, "patch_size": 8}
    report = compare(config)
    assert report.stored["counted_with"].startswith("ViTForMaskedImageModeling")


def test_without_transformers_one_line_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from nnsize.architectures import fallback

    monkeypatch.setattr(fallback, "available", lambda: False)
    with pytest.raises(SpecError, match=r"'rwkv' is not supported.* by nnsize's builders .*"
                                        r"pip install 'nnsize\[transformers\]'"):
        count_config({"model_type": "rwkv"})
    with pytest.raises(SpecError, match=r"'llava_next' is a multimodal model \(text_config, "
                                        r"vision_config\)"):
        count_config({"model_type": "llava_next", "text_config": {}, "vision_config": {}})


def test_a_repo_s_own_code_is_never_run() -> None:
    config = {"model_type": "my_model", "architectures": ["MyModelForCausalLM"],
              "auto_map": {"AutoModelForCausalLM": "modeling_my.MyModelForCausalLM"}}
    with pytest.raises(SpecError, match="needs trust_remote_code, its repo's own code .*"
                                        "modeling_my.MyModelForCausalLM.* never runs it"):
        count_config(config)


def test_huge_layer_counts_are_refused_before_building() -> None:
    # a billion layers would be a billion modules in transformers: refused at once
    with pytest.raises(SpecError, match="num_hidden_layers = 1,000,000,000: transformers would "
                                        "build that many modules"):
        count_config({"model_type": "rwkv", "num_hidden_layers": 10**9})
    with pytest.raises(SpecError, match="text_config.num_hidden_layers"):
        count_config({"model_type": "llava_next", "text_config": {"num_hidden_layers": 10**6},
                      "vision_config": {}})


def test_the_web_api_counts_only_native_families() -> None:
    with pytest.raises(SpecError, match="here only those are counted"):
        count_config({"model_type": "rwkv"}, fallback=False)


HYBRID = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
          "num_key_value_heads": 2, "intermediate_size": 48, "vocab_size": 64, "mamba_n_heads": 4,
          "mamba_d_head": 16, "mamba_d_state": 8, "mamba_n_groups": 1, "mamba_expand": 2,
          "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
# transformers 5 saves time_step_limit = (0.0, inf) as [0.0, {"__float__": "Infinity"}]
SAVED = {"bamba": ({**HYBRID, "attn_layer_indices": [1]}, "BambaForCausalLM"),
         "falcon_h1": ({**HYBRID, "head_dim": 8, "mamba_d_ssm": 64, "mamba_chunk_size": 16},
                       "FalconH1ForCausalLM"),
         # all three native (Bamba and Falcon-H1 since architectures/hybrid.py): nnsize reads
         # the decoded number where it builds the model itself
         "mamba2": ({"hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 32,
                     "state_size": 4, "num_heads": 4, "head_dim": 8, "n_groups": 1,
                     "expand": 2}, "Mamba2ForCausalLM")}


@pytest.mark.parametrize("model_type", sorted(SAVED))
def test_a_config_saved_with_special_floats_is_read_as_transformers_reads_it(
        tmp_path: Path, model_type: str) -> None:
    kwargs, arch = SAVED[model_type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[model_type](**kwargs, architectures=[arch])
        cfg.save_pretrained(tmp_path)
        with torch.device("meta"):
            model = getattr(transformers, arch)(cfg)
    text = (tmp_path / "config.json").read_text()
    assert '"__float__": "Infinity"' in text
    theirs = sum(p.numel() for p in model.parameters())
    from_file = nnsize.count(str(tmp_path / "config.json"))  # the JSON decoded on reading
    from_dict = count_config(json.loads(text))  # as the hub and the API pass it
    assert from_file.total_params == from_dict.total_params == theirs
    assert "counted_with" not in from_file.stored


def test_special_floats_decode_as_transformers_decodes_them() -> None:
    from nnsize.spec import parse_json, special_floats

    saved = {"a": [0.0, {"__float__": "Infinity"}], "b": {"c": {"__float__": "-Infinity"}},
             "d": {"__float__": "NaN"}, "e": {"__float__": "other"},
             "f": {"__float__": "Infinity", "g": 1}}
    theirs = transformers.PreTrainedConfig._decode_special_floats(saved)
    for ours in (special_floats(saved), parse_json(json.dumps(saved), "x.json")):
        assert repr(ours) == repr(theirs)  # NaN != NaN: compared as written
    # a native family reads them as floats too
    c = Config({"model_type": "mamba2", "time_step_limit": [0.0, {"__float__": "Infinity"}]},
               "mamba2", {})
    assert c.value("time_step_limit") == [0.0, float("inf")]


@pytest.mark.parametrize("value, encoded", [
    (float("inf"), "Infinity"),  # > 0: the model has masked_spec_embed
    (float("nan"), "NaN"),  # not > 0: it has none, in transformers as in nnsize
])
def test_a_native_family_reads_a_special_float_as_the_number(value: float, encoded: str) -> None:
    from hf import build

    tiny = {"model_type": "wav2vec2", "architectures": ["Wav2Vec2ForCTC"], "hidden_size": 16,
            "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 8,
            "conv_dim": [8, 8], "conv_stride": [2, 2], "conv_kernel": [3, 3],
            "num_conv_pos_embeddings": 4, "num_conv_pos_embedding_groups": 2,
            "vocab_size": 32, "pad_token_id": 0, "mask_feature_prob": 0.0}
    model = build({**tiny, "mask_time_prob": value})
    ours = count_config({**tiny, "mask_time_prob": {"__float__": encoded}})
    assert "counted_with" not in ours.stored  # native
    assert ours.total_params == sum(p.numel() for p in model.parameters())
    assert any(n.endswith("masked_spec_embed") for n, _ in ours.named_tensors()) is (value > 0)


@pytest.mark.parametrize("key", ["moe_shared_expert_intermediate_size", "block_size",
                                 "hidden_size_per_layer_input", "expert_ffn_hidden_size"])
def test_widths_are_not_counts_of_modules(key: str) -> None:
    from nnsize.architectures.fallback import _check_sizes

    _check_sizes({key: 7_688, "text_config": {key: 10**6}}, "config.json")  # no error


@pytest.mark.parametrize("key", ["num_hidden_layers", "n_layer", "decoder_layers",
                                 "num_local_experts", "n_routed_experts", "num_experts",
                                 "moe_num_experts", "num_blocks", "num_experts_per_tok"])
def test_counts_of_modules_past_the_bound_are_refused_by_name(key: str) -> None:
    from nnsize.architectures.fallback import _check_sizes

    with pytest.raises(SpecError, match=f"text_config.{key} = 4,097: transformers would build"):
        _check_sizes({"text_config": {key: 4_097}}, "config.json")


def test_nemotron_h_s_shared_expert_width_is_counted() -> None:
    # moe_shared_expert_intermediate_size = 7,688 (its 12B and 30B configs) is a width: the
    # model is built, not refused as if it were 7,688 modules.  nemotron_h is native now
    # (architectures/hybrid.py); the fallback's guard on this key is test_widths_are_not_...
    config = {"model_type": "nemotron_h", "architectures": ["NemotronHForCausalLM"],
              "hidden_size": 16, "num_hidden_layers": 2, "layers_block_type": ["mamba", "moe"],
              "vocab_size": 32, "num_attention_heads": 2, "num_key_value_heads": 1,
              "head_dim": 8, "intermediate_size": 24, "mamba_num_heads": 4, "mamba_head_dim": 8,
              "ssm_state_size": 4, "n_groups": 1, "expand": 2, "n_routed_experts": 4,
              "num_experts_per_tok": 2, "moe_intermediate_size": 8,
              "moe_shared_expert_intermediate_size": 7_688, "pad_token_id": 0,
              "bos_token_id": 0, "eos_token_id": 0}
    report = compare(config)
    assert "counted_with" not in report.stored


def test_a_language_model_nnsize_refuses_says_why_the_plan_cannot_be_made() -> None:
    # Qwen3.5-27B's image-text wrapper is built by transformers and planned through its
    # text_config, which nnsize builds; a text_config nnsize refuses (a mamba_ssm_dtype vLLM
    # does not know) leaves the count standing and the plan refused for that key, not for the
    # fallback planner's first unmodelled key (linear_num_value_heads)
    pytest.importorskip("transformers")
    import paths

    data = json.loads((paths.DATA / "published_configs" / "Qwen--Qwen3.5-27B.json").read_text())
    data["text_config"]["mamba_ssm_dtype"] = "float8"
    report = count_config(data)
    assert report.decoder is None
    assert "mamba_ssm_dtype = 'float8'" in report.stored["planner_refused"]


# a tiny Qwen3-VL (no builder of nnsize's: counted through transformers): 2 text layers of
# 64 wide, 4 query heads and 2 KV heads of 16, an MLP of 96, 320 tokens, an untied head; a
# vision tower of 2 blocks of 32 whose merger (and one deepstack merger) projects into the text
QWEN3_VL = {"model_type": "qwen3_vl", "architectures": ["Qwen3VLForConditionalGeneration"],
            "tie_word_embeddings": False,
            "text_config": {"vocab_size": 320, "hidden_size": 64, "intermediate_size": 96,
                            "num_hidden_layers": 2, "num_attention_heads": 4,
                            "num_key_value_heads": 2, "head_dim": 16,
                            "tie_word_embeddings": False,
                            "rope_scaling": {"rope_type": "default", "mrope_section": [2, 3, 3],
                                             "mrope_interleaved": True}},
            "vision_config": {"depth": 2, "hidden_size": 32, "intermediate_size": 48,
                              "num_heads": 2, "out_hidden_size": 64, "patch_size": 4,
                              "spatial_merge_size": 2, "temporal_patch_size": 2,
                              "num_position_embeddings": 16, "deepstack_visual_indexes": [0]}}


def test_an_image_text_model_s_vision_rows_run_once_an_image() -> None:
    """The rows transformers' get_encoder(modality="image") holds, and the projector beside it,
    are of the component "vision", as nnsize's own image-text builders type them; compute a
    token leaves them out, as a text-only forward never runs them (its multiplies, counted by
    torch's FlopCounterMode on real tensors, are the language model's linear layers only)."""
    from torch.utils.flop_counter import FlopCounterMode

    from nnsize.compute import compute
    from nnsize.speed.weights import weights_read

    report = nnsize.count(QWEN3_VL)
    vision = {r.name for r in report.rows if r.type == "vision"}
    assert vision == {r.name for r in report.rows if r.name.startswith("model.visual.")}
    assert not any(r.type == "vision" for r in report.rows if "language_model" in r.name)
    # per token: each layer's q 64 x 64, k and v 64 x 32, o 64 x 64, gate, up, down 64 x 96;
    # the head 320 x 64
    layer = 64 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 96
    c = compute(report, 5)
    assert c.linear_macs == 2 * layer + 320 * 64  # 81,920

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = transformers.Qwen3VLConfig.from_dict(QWEN3_VL)
        config._attn_implementation = "sdpa"  # attention is its own op, not an mm
        model = transformers.Qwen3VLForConditionalGeneration(config).eval()
    assert sum(p.numel() for p in model.model.visual.parameters()) == \
        sum(r.params for r in report.rows if r.type == "vision")
    torch.manual_seed(0)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(input_ids=torch.randint(0, 300, (1, 5)))  # 5 text tokens, no image
    # FlopCounterMode counts 2 FLOPs a multiply-accumulate: 2 x 5 tokens x 81,920 = 819,200
    assert counter.get_flop_counts()["Global"][torch.ops.aten.mm] == 2 * 5 * c.linear_macs
    # the decode step reads the language model and its head, not the vision tower
    read = weights_read(report, "fp32").all
    assert read == 4 * sum(r.params for r in report.rows if r.type not in ("vision", "embedding"))


def test_qwen3_vl_8b_computes_its_language_model_only() -> None:
    """Qwen3-VL-8B: 36 layers of 4,096 wide, 32 query heads and 8 KV heads of 128, an MLP of
    12,288, 151,936 tokens, an untied head; its vision tower (model.visual, 576,388,336
    parameters as transformers builds it) runs once an image."""
    from nnsize.compute import compute

    report = nnsize.count(str(PUBLISHED / "Qwen--Qwen3-VL-8B-Instruct.json"))
    layer = 4096 * 4096 + 2 * 4096 * 8 * 128 + 4096 * 4096 + 3 * 4096 * 12288
    assert compute(report, 1).linear_macs == 36 * layer + 151936 * 4096  # 7,568,097,280
    vision = [r for r in report.rows if r.type == "vision"]
    assert {r.name for r in vision} == {r.name for r in report.rows
                                        if r.name.startswith("model.visual.")}
    assert sum(r.params for r in vision) == 576_388_336
