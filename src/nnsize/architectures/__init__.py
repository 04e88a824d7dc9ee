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
           "seq2seq", "whisper", "vision", "mamba", "multimodal", "qwen_vl", "audio", "jamba")
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
LEGACY_TYPES = {"RefinedWeb": "falcon", "RefinedWebModel": "falcon"}


def _model_type(data: dict[str, Any], arch: str | None, where: str) -> str:
    model_type = data.get("model_type")
    if isinstance(model_type, str):
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


def count_config(data: Any, where: str = "config.json", base: bool = False) -> Report:
    """The report of the model transformers would build from this config dict: the class named
    first in "architectures", or the base model (AutoModel) without one or with base=True."""
    if not isinstance(data, dict):
        raise SpecError(f"{where}: a config.json is a JSON object, got {type(data).__name__}")
    archs = data.get("architectures")
    arch = archs[0] if isinstance(archs, list) and archs and isinstance(archs[0], str) else None
    if arch == "RWForCausalLM":  # Falcon's first, remote-code class name
        arch = "FalconForCausalLM"
    model_type = _model_type(data, arch, where)
    family = families().get(model_type)
    if family is None:
        raise SpecError(f"{where}: model_type {shown(model_type)} is not supported"
                        f"{suggest(model_type, list(families()))}; supported: "
                        f"{', '.join(sorted(families()))}")
    if arch is None:
        base = True  # no class named: the base model of the model_type, as AutoModel builds
    elif not base:
        if arch.endswith(TASK_HEADS):
            base = False
        elif arch.endswith("Model"):
            base = True
        else:
            raise SpecError(f"{where}: {arch} is not a model nnsize builds: it builds the "
                            f"language-model classes (...{', ...'.join(TASK_HEADS)}) and the "
                            f"base models; --base counts the base model")
    name = str(data.get("_name_or_path") or arch or model_type)
    config = Config(data, model_type, family.defaults, family.aliases, where)
    report = family.build(model_type, config, name, base).report()
    return report
