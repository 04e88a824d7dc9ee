"""Models built from Hugging Face config.json files, family by family (model_type), and presets.

A new family is a builder registered with @register(model_type, defaults) in one of the modules
listed in MODULES; it returns an Assembly of rows named as transformers names the tensors.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import SpecError, shown, suggest
from ..model import Report
from .config import Config
from .registry import FAMILIES, Family

MODULES = ("decoder", "decoder_families", "gpt", "gpt_more", "encoder", "bert_like", "t5",
           "seq2seq", "whisper", "audio", "vision", "mamba", "jamba", "hybrid", "zamba",
           "lfm2", "qwen3_next", "gemma3n", "gemma4", "multimodal", "qwen_vl")
_loaded = False


def families() -> dict[str, Family]:
    global _loaded
    if not _loaded:
        for module in MODULES:
            importlib.import_module(f"{__name__}.{module}")
        _loaded = True
    return FAMILIES


TASK_HEADS = ("ForCausalLM", "LMHeadModel", "ForMaskedLM", "ForConditionalGeneration",
              "MTModel")


# Class-name prefixes of the "architectures" entry, for configs without a model_type, and the
# model_type names older configs used.
CLASS_PREFIXES = {
    "Llama": "llama", "Mistral": "mistral", "Mixtral": "mixtral", "Qwen2Moe": "qwen2_moe",
    "Qwen2": "qwen2", "Qwen3Moe": "qwen3_moe", "Qwen3": "qwen3", "Gemma3": "gemma3_text",
    "Gemma2": "gemma2", "Gemma": "gemma", "Phi3": "phi3", "Phi": "phi", "GPT2": "gpt2",
    "GPTNeoX": "gpt_neox", "GPTJ": "gptj", "OPT": "opt", "Bloom": "bloom", "Falcon": "falcon",
    "RW": "falcon", "Bert": "bert", "Roberta": "roberta", "DistilBert": "distilbert", "T5": "t5",
    "Olmo2": "olmo2", "Olmo": "olmo", "Starcoder2": "starcoder2", "DeepseekV2": "deepseek_v2",
    "DeepseekV3": "deepseek_v3",
}
LEGACY_TYPES = {"RefinedWeb": "falcon", "RefinedWebModel": "falcon", "gemma3": "gemma3_text"}
# The base model class of each family (AutoModel's), the one '...Model' class counted as it
BASE_CLASSES = {
    "llama": "LlamaModel", "mistral": "MistralModel", "mixtral": "MixtralModel",
    "qwen2": "Qwen2Model", "qwen2_moe": "Qwen2MoeModel", "qwen3": "Qwen3Model",
    "qwen3_moe": "Qwen3MoeModel", "gemma": "GemmaModel", "gemma2": "Gemma2Model",
    "gemma3_text": "Gemma3TextModel", "olmo": "OlmoModel", "olmo2": "Olmo2Model",
    "starcoder2": "Starcoder2Model", "phi": "PhiModel", "phi3": "Phi3Model",
    "deepseek_v2": "DeepseekV2Model", "deepseek_v3": "DeepseekV3Model", "gpt2": "GPT2Model",
    "gpt_neox": "GPTNeoXModel", "gptj": "GPTJModel", "opt": "OPTModel", "bloom": "BloomModel",
    "falcon": "FalconModel", "bert": "BertModel", "roberta": "RobertaModel",
    "distilbert": "DistilBertModel", "t5": "T5Model",
}
# the families traits and their peers added (AutoModel's class of each; checked in the tests)
BASE_CLASSES.update({
    "albert": "AlbertModel", "apertus": "ApertusModel", "arcee": "ArceeModel", "bart": "BartModel",
    "biogpt": "BioGptModel", "bitnet": "BitNetModel", "blenderbot": "BlenderbotModel",
    "blenderbot-small": "BlenderbotSmallModel", "camembert": "CamembertModel", "clip": "CLIPModel",
    "clip_text_model": "CLIPTextModel", "clip_vision_model": "CLIPVisionModel",
    "codegen": "CodeGenModel", "cohere": "CohereModel", "cohere2": "Cohere2Model",
    "cwm": "CwmModel", "data2vec-text": "Data2VecTextModel", "deberta-v2": "DebertaV2Model",
    "dinov2": "Dinov2Model", "dots1": "Dots1Model", "electra": "ElectraModel",
    "ernie": "ErnieModel", "ernie4_5": "Ernie4_5Model", "exaone": "LlamaModel",
    "exaone4": "Exaone4Model", "exaone_moe": "ExaoneMoeModel", "falcon_mamba": "FalconMambaModel",
    "gemma3": "Gemma3Model", "glm": "GlmModel", "glm4": "Glm4Model", "glm4_moe": "Glm4MoeModel",
    "glm4_moe_lite": "Glm4MoeLiteModel", "gpt_bigcode": "GPTBigCodeModel", "gpt_neo": "GPTNeoModel",
    "gpt_oss": "GptOssModel", "granite": "GraniteModel", "granite_swa": "GraniteSWAModel",
    "granitemoe": "GraniteMoeModel", "granitemoe_swa": "GraniteMoeSWAModel",
    "granitemoeshared": "GraniteMoeSharedModel", "helium": "HeliumModel", "hubert": "HubertModel",
    "hunyuan_v1_dense": "HunYuanDenseV1Model", "hunyuan_v1_moe": "HunYuanMoEV1Model",
    "hyperclovax": "HyperCLOVAXModel", "internlm3": "LlamaModel", "iquestcoder": "LlamaModel",
    "jamba": "JambaModel", "llama4_text": "Llama4TextModel", "llava": "LlavaModel",
    "m2m_100": "M2M100Model", "mamba": "MambaModel", "mamba2": "Mamba2Model",
    "marian": "MarianModel", "mbart": "MBartModel", "megatron-bert": "MegatronBertModel",
    "mellum": "MellumModel", "minimax_m2": "MiniMaxM2Model", "ministral": "MinistralModel",
    "ministral3": "Ministral3Model", "mistral3": "Mistral3Model", "modernbert": "ModernBertModel",
    "mpnet": "MPNetModel", "mpt": "MptModel", "nemotron": "NemotronModel", "olmo3": "Olmo3Model",
    "olmoe": "OlmoeModel", "openai-gpt": "OpenAIGPTModel", "pegasus": "PegasusModel",
    "phimoe": "PhimoeModel", "plbart": "PLBartModel", "qwen2_5_vl": "Qwen2_5_VLModel",
    "qwen2_vl": "Qwen2VLModel", "roberta-prelayernorm": "RobertaPreLayerNormModel",
    "seed_oss": "SeedOssModel", "siglip": "SiglipModel", "siglip_text_model": "SiglipTextModel",
    "siglip_vision_model": "SiglipVisionModel", "smollm3": "SmolLM3Model",
    "solar_open": "SolarOpenModel", "stablelm": "StableLmModel", "vaultgemma": "VaultGemmaModel",
    "vit": "ViTModel", "wav2vec2": "Wav2Vec2Model", "whisper": "WhisperModel", "xglm": "XGLMModel",
    "xlm-roberta": "XLMRobertaModel", "xlm-roberta-xl": "XLMRobertaXLModel", "youtu": "YoutuModel",
})
MULTIMODAL_KEYS = ("text_config", "vision_config", "audio_config")


def base_class(model_type: str) -> str | None:
    """AutoModel's class for a native family: its registration's, else the table's."""
    family = families().get(model_type)
    return (family.base_class if family else None) or BASE_CLASSES.get(model_type)


def _model_type(data: dict[str, Any], arch: str | None, where: str) -> str:
    model_type = data.get("model_type")
    if isinstance(model_type, str):
        if any(isinstance(data.get(k), dict) for k in MULTIMODAL_KEYS):
            return model_type  # gemma3 with a text_config is the multimodal model, not its text
        return LEGACY_TYPES.get(model_type, model_type)
    if arch:
        for prefix in sorted(CLASS_PREFIXES, key=len, reverse=True):
            if arch.startswith(prefix) and arch[len(prefix):len(prefix) + 1].isupper():
                return CLASS_PREFIXES[prefix]
    raise SpecError(f"{where}: missing 'model_type' (such as 'llama'), and no architecture "
                    f"class to tell it from; supported: {', '.join(sorted(families()))}")


def looks_like_config(data: Any) -> bool:
    """A Hugging Face config.json rather than a layer spec."""
    return isinstance(data, dict) and "layers" not in data and (
        "model_type" in data or "architectures" in data)


def count_config(data: Any, where: str = "config.json", base: bool = False,
                 fallback: bool = True) -> Report:
    """The report of the model transformers would build from this config dict: the class named
    first in "architectures", or the base model (AutoModel) without one or with base=True.

    fallback: count what nnsize has no builder for by building it with transformers on the meta
    device (False: refuse it, as a server that must answer quickly does)."""
    if not isinstance(data, dict):
        raise SpecError(f"{where}: a config.json is a JSON object, got {type(data).__name__}")
    archs = data.get("architectures")
    arch = archs[0] if isinstance(archs, list) and archs and isinstance(archs[0], str) else None
    if arch == "RWForCausalLM":  # Falcon's first, remote-code class name
        arch = "FalconForCausalLM"
    model_type = _model_type(data, arch, where)
    family = families().get(model_type)
    multimodal = [k for k in MULTIMODAL_KEYS if isinstance(data.get(k), dict)]
    if family is None:
        why = (f"model_type {shown(model_type)} is a multimodal model "
               f"({', '.join(multimodal)}), which nnsize has no builder for" if multimodal else
               f"model_type {shown(model_type)} is not supported"
               f"{suggest(model_type, list(families()))} by nnsize's builders (they build "
               f"{', '.join(sorted(families()))})")
        return _fallback(data, model_type, arch, where, base, why, fallback)
    name = str(data.get("_name_or_path") or arch or model_type)
    config = Config(data, model_type, family.defaults, family.aliases, where)
    if arch is None:
        base = True  # no class named: the base model of the model_type, as AutoModel builds
    elif not base and not arch.endswith(TASK_HEADS) and arch != base_class(model_type):
        from .heads import build_head, head_of, labels

        if head_of(model_type, arch) is None:
            return _fallback(data, model_type, arch, where, base,
                             f"{arch} is not a class nnsize builds for {model_type} (it builds "
                             f"the base model, the language-model classes and the task heads "
                             f"of the classes transformers has; --base counts the base model)",
                             fallback)
        lm = family.build(model_type, config, name, False) \
            if arch.endswith("DoubleHeadsModel") else None
        return build_head(model_type, config, family.build(model_type, config, name, True),
                          arch, labels(data, where), lm).report()
    elif arch == base_class(model_type):
        base = True
    return family.build(model_type, config, name, base).report()


def _fallback(data: dict[str, Any], model_type: str, arch: str | None, where: str, base: bool,
              why: str, allowed: bool) -> Report:
    from .fallback import count_with_transformers

    if not allowed:
        raise SpecError(f"{where}: {why}; here only those are counted (the command line and "
                        f"the library count others by building them with transformers)")
    return count_with_transformers(data, model_type, arch, where, base, why)
