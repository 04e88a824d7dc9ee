"""Popular model types without a native builder, each from its config class's to_dict() (what
save_pretrained writes, the class in "architectures" included), counted by nnsize through the
transformers fallback and compared tensor by tensor with the model transformers builds.

A type that gets a native builder (the issue "Native model families") is skipped here: the
families' own differential tests cover it.  Tiny sizes: the whole file runs in seconds."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from hf import torch, transformers

from nnsize.architectures import count_config, families

LAYERS = {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
          "intermediate_size": 8}
TOKENS = {"vocab_size": 64, "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
SEQ2SEQ = {"d_model": 16, "encoder_layers": 2, "decoder_layers": 1, "encoder_attention_heads": 2,
           "decoder_attention_heads": 2, "encoder_ffn_dim": 8, "decoder_ffn_dim": 8,
           "max_position_embeddings": 32, "decoder_start_token_id": 0, **TOKENS}
IMAGE = {"image_size": 16, "patch_size": 4, "num_channels": 3}
SPEECH = {**LAYERS, "conv_dim": (8, 8), "conv_stride": (2, 2), "conv_kernel": (3, 3),
          "num_conv_pos_embeddings": 4, "num_conv_pos_embedding_groups": 2, "vocab_size": 32,
          "pad_token_id": 0}
TEXT = {**LAYERS, **TOKENS, "max_position_embeddings": 32}
DECODER = {**TOKENS, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
           "num_key_value_heads": 1, "intermediate_size": 8}

# model_type -> (the config class's arguments, the class save_pretrained would name)
TYPES: dict[str, tuple[dict[str, Any], str | None]] = {
    "whisper": ({**SEQ2SEQ, "num_mel_bins": 8, "max_source_positions": 8,
                 "max_target_positions": 8}, "WhisperForConditionalGeneration"),
    "vit": ({**LAYERS, **IMAGE}, "ViTForImageClassification"),
    "deit": ({**LAYERS, **IMAGE}, "DeiTForImageClassificationWithTeacher"),
    "beit": ({**LAYERS, **IMAGE, "vocab_size": 32}, "BeitForMaskedImageModeling"),
    "dinov2": ({**LAYERS, "image_size": 16, "patch_size": 4}, "Dinov2Model"),
    "swin": ({"embed_dim": 8, "depths": [1, 1], "num_heads": [1, 2], "image_size": 16,
              "patch_size": 2, "window_size": 2}, "SwinForImageClassification"),
    "resnet": ({"embedding_size": 8, "hidden_sizes": [8, 16], "depths": [1, 1]},
               "ResNetForImageClassification"),
    "segformer": ({"num_encoder_blocks": 2, "depths": [1, 1], "sr_ratios": [2, 1],
                   "hidden_sizes": [8, 16], "patch_sizes": [3, 3], "strides": [2, 2],
                   "num_attention_heads": [1, 2], "mlp_ratios": [2, 2],
                   "decoder_hidden_size": 16}, "SegformerForSemanticSegmentation"),
    "wav2vec2": (SPEECH, "Wav2Vec2ForCTC"),
    "hubert": (SPEECH, "HubertForCTC"),
    "wavlm": ({**SPEECH, "num_buckets": 8, "max_bucket_distance": 16}, "WavLMForCTC"),
    "clip": ({"text_config": {**LAYERS, "vocab_size": 64, "max_position_embeddings": 16},
              "vision_config": {**LAYERS, **IMAGE}, "projection_dim": 8}, "CLIPModel"),
    "siglip": ({"text_config": {**LAYERS, "vocab_size": 64, "max_position_embeddings": 16},
                "vision_config": {**LAYERS, **IMAGE}}, "SiglipModel"),
    "mamba": ({"hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 32, "state_size": 4},
              "MambaForCausalLM"),
    "mamba2": ({"hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 32, "state_size": 4,
                "num_heads": 4, "head_dim": 8, "n_groups": 1, "expand": 2},
               "Mamba2ForCausalLM"),
    "bart": ({**SEQ2SEQ, "forced_eos_token_id": 0}, "BartForConditionalGeneration"),
    "mbart": ({**SEQ2SEQ, "forced_eos_token_id": 0}, "MBartForConditionalGeneration"),
    "pegasus": ({**SEQ2SEQ, "forced_eos_token_id": 0}, "PegasusForConditionalGeneration"),
    "marian": ({**SEQ2SEQ, "forced_eos_token_id": 0}, "MarianMTModel"),
    "m2m_100": (SEQ2SEQ, "M2M100ForConditionalGeneration"),
    "deberta-v2": (TEXT, "DebertaV2ForMaskedLM"),
    "deberta": (TEXT, "DebertaForSequenceClassification"),
    "electra": ({**TEXT, "embedding_size": 8}, "ElectraForPreTraining"),
    "xlm-roberta": (TEXT, "XLMRobertaForMaskedLM"),
    "camembert": (TEXT, "CamembertForTokenClassification"),
    "albert": ({**LAYERS, **TOKENS, "embedding_size": 8}, "AlbertForMaskedLM"),
    "mpnet": ({**LAYERS, **TOKENS}, "MPNetForMaskedLM"),
    "longformer": ({**TEXT, "max_position_embeddings": 40, "attention_window": 4},
                   "LongformerForMaskedLM"),
    "mobilebert": ({**LAYERS, **TOKENS, "embedding_size": 8, "intra_bottleneck_size": 8,
                    "num_feedforward_networks": 1, "true_hidden_size": 8},
                   "MobileBertForPreTraining"),
    "funnel": ({"d_model": 16, "n_head": 2, "d_head": 8, "d_inner": 8, "block_sizes": [1, 1],
                "num_decoder_layers": 1, **TOKENS}, "FunnelForMaskedLM"),
    "gpt_neo": ({"hidden_size": 16, "num_layers": 2, "num_heads": 2, "window_size": 4,
                 "attention_types": [[["global", "local"], 1]], "max_position_embeddings": 32,
                 **TOKENS}, "GPTNeoForCausalLM"),
    "codegen": ({"n_embd": 16, "n_layer": 2, "n_head": 2, "rotary_dim": 4, "n_positions": 32,
                 **TOKENS}, "CodeGenForCausalLM"),
    "stablelm": ({**TEXT, "num_key_value_heads": 1}, "StableLmForCausalLM"),
    "xlnet": ({"d_model": 16, "n_layer": 2, "n_head": 2, "d_inner": 8, **TOKENS},
              "XLNetLMHeadModel"),
    # None: the class a task mapping of transformers names for the type (named_class)
    "convnext": ({"hidden_sizes": [8, 16], "depths": [1, 1], "num_stages": 2}, None),
    "convnextv2": ({"hidden_sizes": [8, 16], "depths": [1, 1], "num_stages": 2}, None),
    "regnet": ({"embedding_size": 8, "hidden_sizes": [8, 16], "depths": [1, 1],
                "groups_width": 8}, None),
    "mobilevit": ({"image_size": 32, "patch_size": 2, "hidden_sizes": [16, 16, 16],
                   "neck_hidden_sizes": [8, 8, 8, 8, 8, 8, 16], "num_attention_heads": 2}, None),
    "poolformer": ({"hidden_sizes": [8, 16], "depths": [1, 1], "num_encoder_blocks": 2,
                    "patch_sizes": [7, 3], "strides": [4, 2], "padding": [2, 1],
                    "mlp_ratio": 2.0}, None),
    "levit": ({"image_size": 32, "hidden_sizes": [16, 16, 16], "num_attention_heads": [1, 1, 1],
               "depths": [1, 1, 1], "key_dim": [8, 8, 8]}, None),
    "yolos": ({**LAYERS, "image_size": [16, 16], "patch_size": 4, "num_detection_tokens": 2},
              None),
    "data2vec-audio": ({**SPEECH, "num_conv_pos_embeddings": 5}, None),
    "unispeech": (SPEECH, None),
    "sew": ({**SPEECH, "squeeze_factor": 1}, None),
    "speech_to_text": ({"d_model": 16, "encoder_layers": 1, "decoder_layers": 1,
                        "encoder_attention_heads": 2, "decoder_attention_heads": 2,
                        "encoder_ffn_dim": 8, "decoder_ffn_dim": 8, "num_conv_layers": 1,
                        "conv_channels": 8, "input_feat_per_channel": 8,
                        "conv_kernel_sizes": [5], "max_source_positions": 16,
                        "max_target_positions": 16, "decoder_start_token_id": 0, **TOKENS},
                       None),
    "led": ({"d_model": 16, "encoder_layers": 1, "decoder_layers": 1,
             "encoder_attention_heads": 2, "decoder_attention_heads": 2, "encoder_ffn_dim": 8,
             "decoder_ffn_dim": 8, "max_encoder_position_embeddings": 32,
             "max_decoder_position_embeddings": 32, "attention_window": 4,
             "decoder_start_token_id": 0, **TOKENS}, None),
    "fsmt": ({"d_model": 16, "encoder_layers": 1, "decoder_layers": 1,
              "encoder_attention_heads": 2, "decoder_attention_heads": 2, "encoder_ffn_dim": 8,
              "decoder_ffn_dim": 8, "src_vocab_size": 32, "tgt_vocab_size": 40,
              "max_position_embeddings": 32, "decoder_start_token_id": 0,
              "langs": ["en", "de"], **TOKENS}, None),
    "canine": ({**LAYERS, "downsampling_rate": 2, "num_hash_buckets": 16,
                "num_hash_functions": 2, "local_transformer_stride": 4}, None),
    "squeezebert": ({**TEXT, "embedding_size": 16, "q_groups": 2, "k_groups": 2, "v_groups": 2,
                     "post_attention_groups": 2, "intermediate_groups": 2,
                     "output_groups": 2}, None),
    "layoutlm": ({**TEXT, "max_2d_position_embeddings": 32}, None),
    "roformer": ({**TEXT, "embedding_size": 16}, None),
    "rembert": ({**TEXT, "input_embedding_size": 8, "output_embedding_size": 8}, None),
    "big_bird": ({**TEXT, "attention_type": "original_full", "max_position_embeddings": 64},
                 None),
    "ctrl": ({"n_embd": 16, "n_layer": 2, "n_head": 2, "dff": 8, "n_positions": 32,
              "vocab_size": 64}, None),
    "rwkv": ({"hidden_size": 16, "num_hidden_layers": 2, "attention_hidden_size": 16,
              "intermediate_size": 8, "vocab_size": 64, "context_length": 32}, None),
    "persimmon": (DECODER, None),
    "xlstm": ({"hidden_size": 16, "num_hidden_layers": 2, "num_heads": 2, "vocab_size": 64},
              None),
    "recurrent_gemma": ({"hidden_size": 16, "num_hidden_layers": 3, "num_attention_heads": 2,
                         "num_key_value_heads": 1, "intermediate_size": 8, "lru_width": 16,
                         "attention_window_size": 8, "vocab_size": 64, "head_dim": 8,
                         **TOKENS}, None),
    "lfm2": ({**DECODER, "layer_types": ["conv", "full_attention"]}, None),
    "diffllama": ({**DECODER, "num_key_value_heads": 2}, None),
    "nanochat": (DECODER, None),
    "jais2": (DECODER, None),
    "xmod": ({**TEXT, "languages": ["en_XX", "de_DE"]}, None),
    "ibert": (TEXT, None),
    "esm": ({**TEXT, "mask_token_id": 1}, None),
    "luke": ({**TEXT, "entity_vocab_size": 16, "entity_emb_size": 8}, None),
    "bert-generation": (TEXT, None),
}
TASKS = ("MODEL_FOR_CAUSAL_LM_MAPPING_NAMES", "MODEL_FOR_MASKED_LM_MAPPING_NAMES",
         "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES", "MODEL_FOR_CTC_MAPPING_NAMES",
         "MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES", "MODEL_FOR_OBJECT_DETECTION_MAPPING_NAMES",
         "MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES")


def named_class(model_type: str) -> str:
    """The class TYPES names, else the first task class transformers maps the type to."""
    given = TYPES[model_type][1]
    if given:
        return given
    for table in TASKS:
        name = getattr(transformers.models.auto.modeling_auto, table).get(model_type)
        if isinstance(name, str):
            return name
    return base_class(model_type)


def saved(model_type: str, arch: str | None) -> tuple[Any, dict[str, Any]]:
    """The config object, and its dict as save_pretrained writes it (through JSON)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[model_type](**TYPES[model_type][0])
    if arch:
        cfg.architectures = [arch]
    return cfg, json.loads(json.dumps(cfg.to_dict()))


def base_class(model_type: str) -> str:
    """AutoModel's class (the first, where it has two: FunnelModel, FunnelBaseModel)."""
    name = transformers.models.auto.modeling_auto.MODEL_MAPPING_NAMES[model_type]
    return str(name[0] if isinstance(name, (tuple, list)) else name)


# the types without a native builder (a native one is compared by its own tests)
FALLBACK_ONLY = sorted(t for t in TYPES if t not in families())


@pytest.mark.parametrize("model_type", FALLBACK_ONLY)
@pytest.mark.parametrize("named", [True, False], ids=["class", "base"])
def test_a_fallback_type_tensor_by_tensor(model_type: str, named: bool) -> None:
    arch = named_class(model_type) if named else None
    cfg, data = saved(model_type, arch)
    assert data["model_type"] == model_type
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.device("meta"):
            model = getattr(transformers, arch or base_class(model_type))(cfg)
    report = count_config(data)
    assert report.stored["counted_with"].startswith(type(model).__name__)
    ours = {name: t.shape for row in report.rows for t in row.tensors
            if not t.buffer and not t.shared_with for name in t.names()}
    theirs = {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert ours == theirs, (sorted(set(ours) ^ set(theirs))[:5])
    assert report.total_params == sum(p.numel() for p in model.parameters())
    buffers = {name for row in report.rows for t in row.tensors if t.buffer for name in t.names()}
    assert buffers == set(model.state_dict()) - set(dict(model.named_parameters(
        remove_duplicate=False)))


def test_the_types_are_many() -> None:
    # 67 types, of which 44 had no native builder when this was written (fewer as builders
    # are added: those are skipped above)
    assert len(TYPES) >= 67
