"""Tiny repos for the loopback Hub: written by transformers' save_pretrained (sharded
safetensors), as it wrote PyTorch .bin files, as diffusers lays out a pipeline, and by the gguf
package."""

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


def save_pretrained_bin(config: dict[str, Any], folder: Path,
                        max_shard_size: int | None = None) -> Path:
    """What save_pretrained(safe_serialization=False) wrote before transformers 5 (which writes
    safetensors only): config.json and torch.save(state_dict) as pytorch_model.bin, or shards
    pytorch_model-0000i-of-0000n.bin of at most max_shard_size bytes each and
    pytorch_model.bin.index.json ({"metadata": {"total_size"}, "weight_map"})."""
    import json

    torch = pytest.importorskip("torch")
    save_pretrained(config, folder)
    from safetensors.torch import load_file

    state = load_file(str(folder / "model.safetensors"))
    (folder / "model.safetensors").unlink()
    if config.get("tie_word_embeddings", True) is not False and "lm_head.weight" not in state:
        state["lm_head.weight"] = state["model.embed_tokens.weight"]  # tied: one storage
    if max_shard_size is None:
        torch.save(state, folder / "pytorch_model.bin")
        return folder
    shards: list[dict[str, Any]] = [{}]
    size = 0
    for name, t in state.items():
        nbytes = t.numel() * t.element_size()
        if shards[-1] and size + nbytes > max_shard_size:
            shards.append({})
            size = 0
        shards[-1][name] = t
        size += nbytes
    weight_map = {}
    for i, shard in enumerate(shards, 1):
        file = f"pytorch_model-{i:05d}-of-{len(shards):05d}.bin"
        torch.save(shard, folder / file)
        weight_map.update(dict.fromkeys(shard, file))
    total = sum(t.numel() * t.element_size() for t in state.values())
    (folder / "pytorch_model.bin.index.json").write_text(json.dumps(
        {"metadata": {"total_size": total}, "weight_map": weight_map}))
    return folder


def write_pipeline(folder: Path) -> dict[str, int]:
    """A diffusers pipeline's layout, written with safetensors and torch (diffusers is not
    needed): model_index.json; unet/ in safetensors, vae/ as a PyTorch .bin, text_encoder/
    by transformers, scheduler/ and tokenizer/ without weights.  Returns each component's
    parameters."""
    import json

    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model_index.json").write_text(json.dumps({
        "_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.30.0",
        "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "scheduler": ["diffusers", "PNDMScheduler"], "tokenizer": ["transformers", "CLIPTokenizer"],
        "safety_checker": [None, None]}))
    for sub in ("unet", "vae", "scheduler", "tokenizer"):
        (folder / sub).mkdir()
        (folder / sub / "config.json").write_text("{}")
    # unet: conv_in 4 -> 8, 3 x 3: 8 x 4 x 3 x 3 = 288 + 8; time embedding 8 x 32 = 256 + 8
    unet = {"conv_in.weight": torch.zeros(8, 4, 3, 3), "conv_in.bias": torch.zeros(8),
            "time_embedding.linear_1.weight": torch.zeros(8, 32, dtype=torch.float16),
            "time_embedding.linear_1.bias": torch.zeros(8, dtype=torch.float16)}
    save_file(unet, str(folder / "unet" / "diffusion_pytorch_model.safetensors"))
    # vae: encoder conv_in 3 -> 4: 4 x 3 x 3 x 3 = 108 + 4; decoder conv_out 4 -> 3: 108 + 3
    vae = {"encoder.conv_in.weight": torch.zeros(4, 3, 3, 3), "encoder.conv_in.bias": torch.ones(4),
           "decoder.conv_out.weight": torch.zeros(3, 4, 3, 3),
           "decoder.conv_out.bias": torch.ones(3)}
    torch.save(vae, folder / "vae" / "diffusion_pytorch_model.bin")
    text = save_pretrained({"model_type": "clip_text_model", "architectures": ["CLIPTextModel"],
                            "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
                            "num_attention_heads": 2, "vocab_size": 20,
                            "max_position_embeddings": 8}, folder / "text_encoder")
    from safetensors import safe_open

    with safe_open(str(text / "model.safetensors"), "pt") as f:
        text_params = sum(_numel(f.get_slice(k).get_shape()) for k in f.keys())
    return {"unet": 288 + 8 + 256 + 8, "vae": 108 + 4 + 108 + 3, "text_encoder": text_params}


def _numel(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
