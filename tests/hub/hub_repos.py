"""Tiny repos for the loopback Hub: written by transformers' save_pretrained (sharded
safetensors) and by the gguf package."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

TINY_LLAMA = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 16,
              "intermediate_size": 24, "num_hidden_layers": 3, "num_attention_heads": 4,
              "num_key_value_heads": 2, "vocab_size": 64, "max_position_embeddings": 32}


def save_pretrained(config: dict[str, Any], folder: Path, max_shard_size: str | None = None,
                    arch: str | None = None) -> Path:
    """A tiny transformers model, saved as the library saves it (meta weights made real)."""
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    data = dict(config)
    model_type = data.pop("model_type")
    arch = arch or data.pop("architectures", [None])[0]
    data.pop("architectures", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[model_type](**data)
        torch.manual_seed(0)
        model = getattr(transformers, arch)(cfg) if arch else \
            transformers.AutoModel.from_config(cfg)
        kwargs = {"max_shard_size": max_shard_size} if max_shard_size else {}
        model.save_pretrained(folder, **kwargs)
    return folder


def write_gguf(path: Path, name: str = "tiny") -> Path:
    gguf = pytest.importorskip("gguf")
    import numpy as np

    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name(name)
    w.add_tensor("token_embd.weight", np.zeros((10, 64), dtype=np.float32))
    # Q4_0: blocks of 32 values in 18 bytes; 64 x 64 = 4,096 values = 128 blocks = 2,304 bytes
    block, size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType.Q4_0]
    w.add_tensor("blk.0.attn_q.weight", np.zeros((64, 64 // block * size), dtype=np.uint8),
                 raw_dtype=gguf.GGMLQuantizationType.Q4_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
