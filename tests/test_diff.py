from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from nnsize.cli import main

CONFIG = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 32,
          "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 2,
          "num_attention_heads": 2, "num_key_value_heads": 1, "tie_word_embeddings": True}


def checkpoint(tmp_path: Path, drop: str = "", reshape: str = "") -> Path:
    """The checkpoint transformers would save for CONFIG (tied head not stored)."""
    transformers = pytest.importorskip("transformers")
    model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**{
        k: v for k, v in CONFIG.items() if k not in ("model_type", "architectures")}))
    state = {k: v.contiguous() for k, v in model.state_dict().items()
             if k != "lm_head.weight" and k != drop}
    if reshape:
        state[reshape] = torch.zeros(3, 3)
    path = tmp_path / "model.safetensors"
    save_file(state, str(path))
    return path


def test_a_config_and_its_checkpoint_agree(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    path = checkpoint(tmp_path)
    assert main(["diff", str(tmp_path / "config.json"), str(path)]) == 0
    out = capsys.readouterr().out
    assert "Same tensors and shapes." in out and "lm_head.weight" in out  # tied, not stored


def test_differences_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    path = checkpoint(tmp_path, drop="model.norm.weight",
                      reshape="model.layers.0.mlp.up_proj.weight")
    assert main(["diff", str(tmp_path / "config.json"), str(path)]) == 1
    out = capsys.readouterr().out
    assert "Only in A (1):\n  model.norm.weight" in out
    assert "model.layers.0.mlp.up_proj.weight: [12, 8] vs [3, 3]" in out
