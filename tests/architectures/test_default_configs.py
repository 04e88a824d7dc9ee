"""Configs as save_pretrained writes them (every key, aliases resolved): transformers' default
config of each family the issue names, counted as its base model, equals transformers' count.
(benchmarks/families.py does this for every native family; test_saved_configs.py saves random
configs of the older families.)"""

from __future__ import annotations

import warnings

import pytest
from hf import torch, transformers

from nnsize.architectures import count_config

NAMED = ["xlm-roberta", "mpnet", "electra", "albert", "deberta-v2", "modernbert", "bart", "mbart",
         "marian", "pegasus", "whisper", "vit", "clip", "siglip", "dinov2", "gpt_bigcode",
         "stablelm", "cohere", "granite", "granitemoe", "phimoe", "olmoe", "gpt_oss",
         "llama4_text", "glm4", "mamba", "mamba2", "smollm3", "gemma3", "llava", "mistral3"]
# issue 20's families (ESM's config class has no vocabulary size of its own)
ADDED = ["diffllama", "jais2", "minicpm3", "nanochat", "flex_olmo", "hy_v3", "mistral4",
         "sarvam_moe", "param2moe", "sarvam_mla", "ernie4_5_moe", "gpt-sw3", "mt5", "umt5",
         "ibert", "layoutlm", "persimmon", "qwen2_vl_text", "qwen2_5_vl_text", "deepseek_v32",
         "qwen3_vl_text", "qwen3_vl_moe_text",
         # a family added in one file (issue 25): Kolibri1Config()'s defaults, which
         # transformers documents as the Aleph-Alpha/Kolibri-1 checkpoint's
         "kolibri1",
         # issue 21: GLM-5 (GlmMoeDsaConfig()'s defaults are GLM-5's sizes)
         "glm_moe_dsa",
         # issue 21: Llama 3.2 Vision (MllamaConfig()'s defaults: the 11B's sizes but 448 px tiles)
         "mllama"]
NAMED += ADDED


@pytest.mark.parametrize("model_type", NAMED)
def test_saved_default_config(model_type: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = transformers.CONFIG_MAPPING[model_type]()
        with torch.device("meta"):
            model = transformers.AutoModel.from_config(config)
    data = config.to_dict()
    data.pop("architectures", None)
    assert count_config(data, base=True).total_params == sum(p.numel() for p in model.parameters())
