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

