"""Model types nnsize has no builder for, counted by building them with transformers on the meta
device: every tensor against transformers' own, how long it took, and the refusals (no
transformers, a repo's own code)."""

from __future__ import annotations

from typing import Any

import pytest
from hf import compare, transformers

from nnsize.architectures import count_config
from nnsize.errors import SpecError

# model types nnsize has no builder for (issue 14 made mamba, vit, whisper, mpnet, gemma3,
# albert and bart native; their peers here are still counted through transformers)
TINY: dict[str, dict[str, Any]] = {
    "rwkv": {"hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 32,
             "attention_hidden_size": 16, "intermediate_size": 32, "context_length": 16},
    "deit": {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
             "intermediate_size": 8, "image_size": 8, "patch_size": 4},
    "roformer": {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
                 "intermediate_size": 8, "vocab_size": 32, "max_position_embeddings": 16,
                 "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0},
    "paligemma": {"text_config": {"model_type": "gemma", "hidden_size": 16,
                                  "num_hidden_layers": 2, "num_attention_heads": 2,
                                  "num_key_value_heads": 1, "head_dim": 8,
                                  "intermediate_size": 8, "vocab_size": 300},
                  "vision_config": {"hidden_size": 16, "num_hidden_layers": 1,
                                    "num_attention_heads": 2, "intermediate_size": 8,
                                    "image_size": 16, "patch_size": 4, "projection_dim": 16},
                  "projection_dim": 16, "image_token_index": 5},
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
           "mvp": "MvpForConditionalGeneration", "deit": "DeiTForImageClassification",
           "roformer": "RoFormerForMaskedLM", "paligemma": "PaliGemmaForConditionalGeneration"}


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
    # LlamaForCausalLM is native; Llama's ForQuestionAnswering too, and T5's task heads; BERT's
    # next-sentence classifier is built by transformers: BertModel and its 2 x hidden scorer
    config = {"model_type": "bert", "architectures": ["BertForNextSentencePrediction"],
              "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
              "intermediate_size": 8, "vocab_size": 32}
    report = compare(config)
    assert report.stored["counted_with"].startswith("BertForNextSentencePrediction")


def test_without_transformers_one_line_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from nnsize.architectures import fallback

    monkeypatch.setattr(fallback, "available", lambda: False)
    with pytest.raises(SpecError, match=r"'rwkv' is not supported.* by nnsize's builders .*"
                                        r"pip install 'nnsize\[transformers\]'"):
        count_config({"model_type": "rwkv"})
    with pytest.raises(SpecError, match=r"'paligemma' is a multimodal model \(text_config, "
                                        r"vision_config\)"):
        count_config({"model_type": "paligemma", "text_config": {}, "vision_config": {}})


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
        count_config({"model_type": "paligemma", "text_config": {"num_hidden_layers": 10**6},
                      "vision_config": {}})


def test_the_web_api_counts_only_native_families() -> None:
    with pytest.raises(SpecError, match="here only those are counted"):
        count_config({"model_type": "rwkv"}, fallback=False)
