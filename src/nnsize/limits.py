"""A language model's own longest context, read from its config as vLLM reads it.

vLLM's limit, the ``max_model_len`` it defaults to (``derive_max_model_len_and_key`` in
vllm/transformers_utils/model_arch_config_convertor.py at vllm-project/vllm@ee92a6f, and the rope
scaling in ``_get_and_verify_max_len``, vllm/config/model.py at @18ec662), is:

* the smallest of the length keys the (text) config has, read on the config object transformers
  builds, so a key the file leaves out has its config class's default (FalconConfig's
  max_position_embeddings is 2,048; Gemma 3's text config's 131,072);
* a ``model_max_length`` in the config wins over them (Command-R's file names 8,192 positions
  and a model_max_length of 131,072);
* the rope scaling's ``factor`` multiplies it, for every rope type but ``su``, ``longrope`` and
  ``llama3`` (whose max_position_embeddings is already the stretched length), and a YaRN scaling
  starts from its ``original_max_position_embeddings``; never for Gemma 3, whose 128K is
  already scaled.

transformers sizes rotary tables and masks by the same ``max_position_embeddings``.  A config
whose family nnsize does not know the defaults of, and that names no length, gives no limit.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeGuard


# vLLM's possible_keys, in its order
LENGTH_KEYS = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length",
               "model_max_length", "max_target_positions", "max_sequence_length",
               "max_seq_length", "seq_len")
UNSCALED = ("su", "longrope", "llama3")  # rope types whose positions are already stretched

# The length keys' defaults of each family's config class (its text config's, for a model of
# several), as transformers 5.25 builds them: a number is max_position_embeddings.  Generated
# from AutoConfig.for_model(model_type).get_text_config() for every family nnsize builds, and
# checked against it by tests/test_limits.py.
CLASS_LENGTHS: dict[str, int | dict[str, int]] = {
    "albert": 512, "apertus": 65536, "arcee": 4096, "bamba": 262144, "bart": 1024, "bert": 512,
    "biogpt": 1024, "bitnet": 2048, "blenderbot": 128, "blenderbot-small": 512, "camembert": 512,
    "clip": 77, "clip_text_model": 77,
    "codegen": {"max_position_embeddings": 2048, "n_positions": 2048}, "cohere": 8192,
    "cohere2": 8192, "cwm": 131072, "data2vec-text": 512, "deberta-v2": 512, "deepseek_v2": 2048,
    "deepseek_v3": 4096, "deepseek_v32": 163840, "diffllama": 2048, "distilbert": 512,
    "dots1": 2048, "electra": 512, "ernie": 512, "ernie4_5": 131072, "ernie4_5_moe": 131072,
    "esm": 1026, "exaone": 4096, "exaone4": 2048, "exaone_moe": 2048, "falcon": 2048,
    "falcon_h1": 8192, "flex_olmo": 4096, "gemma": 8192, "gemma2": 8192, "gemma3": 131072,
    "gemma3_text": 131072, "gemma3n_text": 32768, "gemma4_text": 131072, "glm": 131072,
    "glm4": 131072, "glm4_moe": 131072, "glm4_moe_lite": 202752, "glm4v": 32768,
    "glm4v_text": 32768, "glm_moe_dsa": 202752,
    "gpt-sw3": {"max_position_embeddings": 1024, "n_positions": 1024},
    "gpt2": {"max_position_embeddings": 1024, "n_positions": 1024},
    "gpt_bigcode": {"max_position_embeddings": 1024, "n_positions": 1024}, "gpt_neo": 2048,
    "gpt_neox": 2048, "gpt_oss": 131072,
    "gptj": {"max_position_embeddings": 2048, "n_positions": 2048}, "granite": 2048,
    "granite_swa": 8192, "granitemoe": 2048, "granitemoe_swa": 2048, "granitemoehybrid": 2048,
    "granitemoeshared": 2048, "helium": 4096, "hunyuan_v1_dense": 2048, "hunyuan_v1_moe": 2048,
    "hy_v3": 131072, "hyperclovax": 2048, "ibert": 512, "idefics3": 2048, "internlm3": 32768,
    "internvl": 32768, "iquestcoder": 131072, "jais2": 8192, "jamba": 262144, "kolibri1": 262144,
    "layoutlm": 512, "lfm2": 128000, "lfm2_moe": 128000, "llama": 2048, "llama4": 131072,
    "llama4_text": 131072, "llava": 2048, "m2m_100": 1024, "marian": 1024, "mbart": 1024,
    "megatron-bert": 512, "mellum": 131072, "mimo_v2_flash": 131072, "minicpm3": 32768,
    "minimax_m2": 196608,
    "ministral": 131072, "ministral3": 262144, "mistral": 131072, "mistral3": 131072,
    "mistral4": 1048576, "mixtral": 131072, "mllama": 131072, "modernbert": 8192, "mpnet": 512,
    "mpt": {"max_seq_len": 2048}, "nanochat": 2048, "nemotron": 4096, "nemotron_h": 4096,
    "olmo": 2048, "olmo2": 2048, "olmo3": 2048, "olmoe": 4096,
    "openai-gpt": {"max_position_embeddings": 512, "n_positions": 512}, "opt": 2048,
    "paligemma": 8192, "param2moe": 32768, "pegasus": 1024, "persimmon": 16384, "phi": 2048,
    "phi3": 4096, "phimoe": 131072, "plbart": 1024, "qwen2": 32768, "qwen2_5_vl": 32768,
    "qwen2_5_vl_text": 32768, "qwen2_moe": 32768, "qwen2_vl": 32768, "qwen2_vl_text": 32768,
    "qwen3": 32768, "qwen3_5_moe_text": 32768, "qwen3_5_text": 32768, "qwen3_moe": 32768,
    "qwen3_next": 32768, "qwen3_vl_moe_text": 128000,
    "qwen3_vl_text": 128000, "roberta": 512, "roberta-prelayernorm": 512, "sarvam_mla": 4096,
    "sarvam_moe": 131072, "seamless_m4t": 1024, "seamless_m4t_v2": 4096, "seed_oss": 524288,
    "siglip": 64, "siglip_text_model": 64, "smollm3": 32768, "smolvlm": 2048,
    "solar_open": 131072, "stablelm": 4096, "starcoder2": 4096, "vaultgemma": 8192,
    "whisper": {"max_target_positions": 448}, "xglm": 2048, "xlm-roberta": 512,
    "xlm-roberta-xl": 514, "youtu": 131072, "zamba": 4096, "zamba2": 4096,
    # a family transformers has no class for (Family.code): its publisher's config class's
    # default, InternLM2Config's max_position_embeddings (architectures/decoder_families.py)
    "internlm2": 2048,
}


def _class_lengths(model_type: object) -> dict[str, int]:
    found = CLASS_LENGTHS.get(model_type) if isinstance(model_type, str) else None
    return {"max_position_embeddings": found} if isinstance(found, int) else found or {}


def _length(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def context_limit(config: dict[str, Any]) -> tuple[int, str] | None:
    """(tokens, how it was read) for a config dict; None where it names no length and its
    family's class gives none."""
    model_type = config.get("model_type")
    text = config.get("text_config")
    if isinstance(text, dict) and not any(k in config for k in LENGTH_KEYS):
        config = text  # an image-text model: its language model's length
    defaults = _class_lengths(model_type)
    found: dict[str, int] = {}
    for k in LENGTH_KEYS:
        value = config[k] if k in config else defaults.get(k)
        if _length(value):
            found[k] = value
    if not found:
        return None
    key = min(found, key=lambda k: found[k])  # the smallest; the first of equal ones
    if _length(config.get("model_max_length")):
        key = "model_max_length"
    tokens = found[key]
    how = key if key in config else f"{key}, its config class's default"
    rope = config.get("rope_parameters") or config.get("rope_scaling")
    if not isinstance(rope, dict) or "gemma3" in str(model_type):
        return tokens, how
    kinds = rope.values() if rope and all(isinstance(v, dict) for v in rope.values()) else [rope]
    factor: float = 1.0
    yarn = False  # the length is YaRN's original one, which the factor stretches
    for kind in kinds:  # each layer type's rope (transformers 5 nests them by layer type)
        rope_type = kind.get("rope_type") or kind.get("type") or "default"
        if rope_type in UNSCALED:
            continue
        factor = kind.get("factor", factor)
        original = kind.get("original_max_position_embeddings")
        if rope_type == "yarn" and _length(original):
            yarn = True
            tokens, how = original, f"rope_scaling yarn: factor {factor} x " \
                "original_max_position_embeddings"
    if not isinstance(factor, (int, float)) or isinstance(factor, bool) or factor <= 1:
        return tokens, how
    if yarn:
        return int(tokens * factor), how
    return int(tokens * factor), f"{how} x rope_scaling {rope_type} factor {factor}"


# the families whose config class declares n_positions (a learned position table's rows): in
# transformers 5.25 only configuration_{clvp,codegen,ctrl,decision_transformer,gpt2,gpt_bigcode,
# gptj,imagegpt,openai}.py do.  Elsewhere the key is a leftover the model never reads: T5's
# published config.json says "n_positions": 512, but T5Config takes no such argument and T5
# attends through relative position buckets, with no table to run out of
N_POSITIONS = ("clvp", "codegen", "ctrl", "decision_transformer", "gpt2", "gpt_bigcode", "gptj",
               "imagegpt", "openai-gpt")


def reads_n_positions(model_type: object) -> bool:
    """Whether a config's n_positions bounds the tokens its model reads (N_POSITIONS)."""
    return model_type in N_POSITIONS


# families whose position ids start after the padding index (fairseq's make_positions):
# transformers' create_position_ids_from_input_ids returns cumsum + padding_idx, so a table of
# max_position_embeddings rows holds max_position_embeddings - pad_token_id - 1 tokens
# (RoBERTa: 514 - 1 - 1 = 512), https://github.com/huggingface/transformers/blob/v5.25.0/src/
# transformers/models/roberta/modeling_roberta.py (create_position_ids_from_input_ids)
PADDED_POSITIONS = ("roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "data2vec-text",
                    "roberta-prelayernorm", "xmod", "ibert", "longformer", "luke", "mpnet")


def padded_positions(data: dict[str, Any]) -> int:
    """The rows of a position table before a family's first position (pad_token_id + 1; 0 for
    the families that start at 0).  A config without pad_token_id is built with its class's
    default, 1 in every family above (transformers 5.25's RobertaConfig() and the others)."""
    pad = data.get("pad_token_id", 1)
    if data.get("model_type") in PADDED_POSITIONS and isinstance(pad, int) and pad >= 0:
        return pad + 1
    return 0
