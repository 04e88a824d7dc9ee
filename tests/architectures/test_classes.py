"""Every class of every native family, as transformers 5 names them in its auto mappings
(AutoModel, AutoModelForCausalLM, ...ForSequenceClassification, ...ForPreTraining...): nnsize
counts it natively, exactly (tensor by tensor against transformers building it on the meta
device from a small config of the family), or refuses it by name when it may not fall back on
transformers.  And the classes a registration claims are transformers' own."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from hf import StrictDataclassError, built, compare, field_defaults, transformers

from nnsize.architectures import count_config, families, model_type_of
from nnsize.errors import NnsizeError

# the families transformers has a class for: not those built from their publisher's code
# (Family.code), which test_real_configs.py checks against that code's checkpoints
TRANSFORMERS_FAMILIES = sorted(f for f, family in families().items() if family.code is None)

AUTO = transformers.models.auto.modeling_auto
MAPPINGS = [getattr(AUTO, n) for n in dir(AUTO)
            if n.endswith("_MAPPING_NAMES") and n != "CONFIG_MAPPING_NAMES"]
LAYER_KEYS = ("num_hidden_layers", "num_layers", "encoder_layers", "decoder_layers", "n_layer",
              "n_layers", "num_decoder_layers")
# keys whose transformers default is None and which its model classes need all the same
NEEDED = {"ministral": {"head_dim": 128}, "hunyuan_v1_dense": {"head_dim": 128},
          "hunyuan_v1_moe": {"head_dim": 128}, "nemotron": {"num_key_value_heads": 8},
          "dots1": {"n_routed_experts": 4, "num_experts_per_tok": 2, "n_shared_experts": 1},
          "esm": {"vocab_size": 33},  # ESM-2's
          # LFM2-MoE's layer_types (the model indexes it; 3 layers given here, so the 2 layers
          # small_config tries clash and are left), one dense layer before the experts
          "lfm2_moe": {"num_hidden_layers": 3, "layer_types": ["conv", "full_attention", "conv"],
                       "num_dense_layers": 1},
          # Gemma 3n's 15 KV-sharing layers of 35: at 2 layers, the last one shares the first's
          "gemma3n_text": {"num_kv_shared_layers": 1}}


def mapped_classes(model_type: str) -> set[str]:
    """The classes transformers' auto mappings name for model_type."""
    names: set[str] = set()
    for table in MAPPINGS:
        value = table.get(model_type)
        names.update([value] if isinstance(value, str) else value or ())
    return {n for n in names if not n.endswith("Config")}


def small_config(model_type: str) -> dict[str, Any]:
    """transformers' default config of the family, with 2 layers where the layer count alone
    may change (GPT-Neo's attention_types are per layer), as save_pretrained writes it."""
    cls = transformers.CONFIG_MAPPING[model_type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = cls(**NEEDED.get(model_type, {})).to_dict()
        layers = {k: 2 for k in LAYER_KEYS if isinstance(data.get(k), int)}
        try:
            data = cls(**{**layers, **NEEDED.get(model_type, {})}).to_dict()
        except StrictDataclassError:  # transformers' validation (GPT-Neo's attention_types,
            pass  # Zamba's layer layout sized for the default count): keep the defaults
    data.pop("architectures", None)
    return {**data, "model_type": model_type}


def builds(config: dict[str, Any], arch: str) -> bool:
    """Whether transformers builds arch from this config (Llama4ForCausalLM does not from a
    llama4 config: it wants llama4_text's); compare then finds the model built."""
    try:
        built({**config, "architectures": [arch]})
    except (ValueError, AttributeError):  # no class to compare with: the model reads a key
        return False  # the config lacks (Llama4Config's pad_token_id) or refuses its values
    return True


def lean(config: dict[str, Any]) -> dict[str, Any]:
    """config without the keys whose value is both transformers' default and the one nnsize
    registered for the family: nnsize must fill them in (a head's gate, bias, tie...) as
    transformers does."""
    family = families()[config["model_type"]]
    theirs = field_defaults(transformers.CONFIG_MAPPING[config["model_type"]])
    return {k: v for k, v in config.items()
            if not (k in family.defaults and k in theirs and theirs[k] == v)}


@pytest.mark.parametrize("model_type", TRANSFORMERS_FAMILIES)
def test_every_class_is_counted_exactly_or_refused_by_name(model_type: str) -> None:
    family = families()[model_type]
    config = small_config(model_type)
    native = []
    for arch in sorted(mapped_classes(model_type) | set(family.classes())):
        if not hasattr(transformers, arch) or not builds(config, arch):
            continue
        try:
            compare({**config, "architectures": [arch]}, fallback=False)
        except NnsizeError as e:
            assert arch in str(e), f"{arch} refused without its name: {e}"
        else:
            native.append(arch)
            compare({**lean(config), "architectures": [arch]}, fallback=False)
    assert native, f"nnsize counts no class of {model_type} natively"


@pytest.mark.parametrize("model_type", TRANSFORMERS_FAMILIES)
def test_the_classes_a_registration_claims_are_transformers_own(model_type: str) -> None:
    family = families()[model_type]
    mapped = mapped_classes(model_type)
    if family.base_class and model_type in AUTO.MODEL_MAPPING_NAMES:
        assert family.base_class == AUTO.MODEL_MAPPING_NAMES[model_type]
    for arch in family.classes():
        assert arch in mapped or hasattr(transformers, arch), arch
        # and a config without a model_type finds the family from the class's name
        if arch != family.base_class or arch.startswith(family.class_prefix or "-"):
            assert model_type_of(arch) == model_type, arch


def test_every_family_names_its_base_class_or_prefix() -> None:
    # one registration holds a family's classes: none is left to a second table
    for model_type, family in families().items():
        assert family.class_prefix, model_type
    prefixes = [f.class_prefix for f in families().values()]
    assert len(prefixes) == len(set(prefixes)), "two families claim one class-name prefix"


BART_LARGE = {"model_type": "bart", "d_model": 1024, "encoder_layers": 12, "decoder_layers": 12,
              "encoder_attention_heads": 16, "decoder_attention_heads": 16,
              "encoder_ffn_dim": 4096, "decoder_ffn_dim": 4096, "vocab_size": 50265,
              "max_position_embeddings": 1024}


def test_the_causal_lm_of_an_encoder_decoder_is_its_decoder() -> None:
    # BartForCausalLM (facebook/bart-large): model.decoder and lm_head, tied to its embed_tokens:
    # embed_tokens 50,265 x 1,024 = 51,471,360, positions 1,026 x 1,024 = 1,050,624,
    # layernorm_embedding 2,048, and 12 layers of 16,796,672 (self- and cross-attention
    # 4 x (1,024 x 1,024 + 1,024) each, fc1 4,198,400, fc2 4,195,328, 3 norms 6,144) = 254,084,096
    # (the whole encoder-decoder is 406,291,456)
    report = compare({**BART_LARGE, "architectures": ["BartForCausalLM"]}, fallback=False)
    assert report.total_params == 51_471_360 + 1_050_624 + 2_048 + 12 * 16_796_672 \
        == 254_084_096
    for family in ("mbart", "marian", "pegasus", "plbart", "blenderbot", "blenderbot-small",
                   "whisper"):
        config = small_config(family)
        for tie in (True, False):
            arch = f"{families()[family].class_prefix}ForCausalLM"
            compare({**config, "tie_word_embeddings": tie, "architectures": [arch]},
                    fallback=False)


def test_t5_reads_is_gated_act_as_t5config_does() -> None:
    # google/flan-t5-xxl at revision 18f1ad8 (https://huggingface.co/google/flan-t5-xxl/blob/
    # 18f1ad8/config.json): feed_forward_proj "gelu" and is_gated_act true, which T5Config keeps:
    # wi_0 and wi_1, 4,096 x 10,240 each, in each of 48 blocks: 2,013,265,920 more than with
    # one wi (8,990,470,144)
    flan = {"model_type": "t5", "architectures": ["T5ForConditionalGeneration"], "d_model": 4096,
            "d_ff": 10240, "d_kv": 64, "num_heads": 64, "num_layers": 24, "vocab_size": 32128,
            "feed_forward_proj": "gelu", "is_gated_act": True, "tie_word_embeddings": False}
    assert compare(flan).total_params == 8_990_470_144 + 48 * 4096 * 10240 == 11_003_736_064
    # and false, though the name says gated, one wi
    small = {"model_type": "t5", "d_model": 8, "d_ff": 12, "d_kv": 4, "num_heads": 2,
             "num_layers": 1, "vocab_size": 20, "feed_forward_proj": "gated-gelu",
             "is_gated_act": False, "architectures": ["T5ForConditionalGeneration"]}
    compare(small, fallback=False)


def test_labels_default_to_the_config_classes() -> None:
    # BartForSequenceClassification without num_labels or id2label: BartConfig's 3 labels;
    # facebook/bart-large's BartModel 406,291,456, classification_head.dense 1,024 x 1,024 +
    # 1,024 = 1,049,600 and out_proj 3 x 1,024 + 3 = 3,075
    bart = {**BART_LARGE, "architectures": ["BartForSequenceClassification"]}
    assert compare(bart, fallback=False).total_params == 406_291_456 + 1_049_600 + 3_075
    # the other families' config classes: 2 (mBART's too)
    mbart = {**bart, "model_type": "mbart", "architectures": ["MBartForSequenceClassification"]}
    assert compare(mbart, fallback=False).total_params == \
        count_config({**mbart, "architectures": ["MBartModel"]}).total_params + 1_049_600 + 2_050


def test_pretraining_classes() -> None:
    # BertForPreTraining (bert-base-uncased): BertModel 109,482,240 with its pooler, the
    # masked-LM head (transform 768 x 768 + 768 = 590,592, its norm 1,536, the decoder tied and
    # a bias of 30,522) and cls.seq_relationship 2 x 768 + 2 = 1,538
    bert = {"model_type": "bert", "architectures": ["BertForPreTraining"], "hidden_size": 768,
            "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072}
    assert compare(bert, fallback=False).total_params == \
        109_482_240 + 590_592 + 1_536 + 30_522 + 1_538 == 110_106_428
    # ElectraForPreTraining (google/electra-base-discriminator): ElectraModel 108,891,648 (no
    # pooler) and the discriminator: dense 768 x 768 + 768 = 590,592, then 1 x 768 + 1 = 769
    electra = {"model_type": "electra", "architectures": ["ElectraForPreTraining"],
               "embedding_size": 768, "hidden_size": 768, "num_hidden_layers": 12,
               "num_attention_heads": 12, "intermediate_size": 3072, "vocab_size": 30522}
    assert compare(electra, fallback=False).total_params == 108_891_648 + 590_592 + 769


def test_the_model_type_comes_from_the_class() -> None:
    # albert-base-v2 at revision 216e2f2: AlbertForMaskedLM, no model_type
    # (https://huggingface.co/albert/albert-base-v2/blob/216e2f2/config.json)
    albert = {"architectures": ["AlbertForMaskedLM"], "embedding_size": 128, "hidden_size": 768,
              "intermediate_size": 3072, "num_attention_heads": 12, "num_hidden_layers": 12,
              "vocab_size": 30000, "max_position_embeddings": 512, "type_vocab_size": 2}
    # AlbertModel 11,683,584 without its pooler (768 x 768 + 768 = 590,592), and the masked-LM
    # head: dense 768 -> 128 (98,432), its norm 256, a bias of 30,000 (the decoder tied)
    report = count_config(albert, fallback=False)
    assert report.total_params == compare({**albert, "model_type": "albert"}).total_params \
        == 11_683_584 - 590_592 + 98_432 + 256 + 30_000
    # every class of every native family tells its family (the registrations' prefixes)
    assert model_type_of("Gemma3ForCausalLM") == "gemma3_text"
    assert model_type_of("Gemma3ForConditionalGeneration") == "gemma3"
    assert model_type_of("XLMRobertaXLForMaskedLM") == "xlm-roberta-xl"
    with pytest.raises(NnsizeError, match="MysteryForCausalLM is no native family's"):
        count_config({"architectures": ["MysteryForCausalLM"], "hidden_size": 8})


def test_a_class_of_another_family_says_what_to_do() -> None:
    # DINOv2's class under model_type vit: which was meant cannot be told; the message says how
    vit = {**small_config("vit"), "architectures": ["Dinov2Model"]}
    for fallback in (False, True):  # transformers cannot build it from a ViTConfig either
        with pytest.raises(NnsizeError, match="Dinov2Model is a dinov2 class.*set model_type "
                                              "to 'dinov2'"):
            count_config(vit, fallback=fallback)


def test_a_family_registered_with_its_base_class_alone_is_whole() -> None:
    # a Llama-shaped family added by the recipe, with only its base class: its base model and
    # its causal LM are counted, its task heads refused by name, its configs without a
    # model_type found from its classes
    from nnsize.architectures.decoder import DEFAULTS, TRAITS, register_traits
    from nnsize.architectures.registry import FAMILIES

    register_traits("toy_llama", TRAITS["llama"], DEFAULTS["llama"], base_class="ToyModel")
    try:
        config = {"hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 12,
                  "num_hidden_layers": 1, "vocab_size": 20}
        llama = count_config({**config, "model_type": "llama", "architectures": ["LlamaModel"]})
        assert count_config({**config, "architectures": ["ToyModel"]}).total_params == \
            llama.total_params
        lm = count_config({**config, "architectures": ["ToyForCausalLM"]}, fallback=False)
        assert lm.total_params == llama.total_params + 20 * 8  # its untied lm_head
        with pytest.raises(NnsizeError, match="ToyForSequenceClassification is not a class"):
            count_config({**config, "model_type": "toy_llama",
                          "architectures": ["ToyForSequenceClassification"]}, fallback=False)
    finally:
        del FAMILIES["toy_llama"]


def test_a_token_classifier_reads_its_bias_flag() -> None:
    # transformers' generic ...ForTokenClassification: score biased unless the config says
    # token_classification_bias false (read with getattr, True by default): 3 x 8, no bias
    llama = {"model_type": "llama", "architectures": ["LlamaForTokenClassification"],
             "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 12,
             "num_hidden_layers": 1, "vocab_size": 20, "num_labels": 3}
    biased = compare(llama, fallback=False).total_params
    plain = compare({**llama, "token_classification_bias": False}, fallback=False).total_params
    assert biased - plain == 3
