"""A file planned as it is stored: its own bytes per stored dtype, its own limits, and no
invented lines where the file holds no architecture."""

from __future__ import annotations

from pathlib import Path

import pytest

import nnsize
from nnsize.memory import Setup, plan
from nnsize.memory.fit import fit


def _gguf(path: Path) -> int:
    """A GGUF the gguf package writes: a Q8_0 matrix, an F32 norm, an F16 embedding."""
    gguf = pytest.importorskip("gguf")
    import numpy as np

    w = gguf.GGUFWriter(str(path), "llama")
    w.add_context_length(2048)
    block, size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType.Q8_0]
    # Q8_0: 64 x 128 values = 256 blocks of 32 x 34 bytes = 8,704 bytes
    w.add_tensor("blk.0.attn_q.weight", np.zeros((64, 128 // block * size), dtype=np.uint8),
                 raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    w.add_tensor("blk.0.attn_norm.weight", np.zeros(128, dtype=np.float32))  # 512 bytes
    w.add_tensor("token_embd.weight", np.zeros((100, 128), dtype=np.float16))  # 25,600 bytes
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return 8_704 + 512 + 25_600


def test_a_gguf_is_planned_at_its_stored_bytes(tmp_path: Path) -> None:
    path = tmp_path / "tiny-Q8_0.gguf"
    stored = _gguf(path)
    report = nnsize.count(str(path))
    p = plan(report, Setup())
    assert p.lines[0].part == "stored_weights" and p.total == stored  # to the byte
    # no KV cache or workspace from a file without the architecture: said, not made up
    assert [line.part for line in p.lines] == ["stored_weights"]
    assert any(n.key == "not_planned" for n in p.notes)
    f = fit(report, Setup(), 2**30)
    assert f.largest_batch is None and f.longest_context is None  # no 536,870,912
    assert plan(report, Setup(dtype="bf16")).lines[0].part == "weights"  # re-priced if asked


def test_save_pretrained_beside_its_config(tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers")
    import torch

    config = transformers.LlamaConfig(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)
    model = transformers.LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(tmp_path)
    params = sum(p.numel() for p in model.parameters())
    report = nnsize.count(str(tmp_path))
    p = plan(report, Setup(context=100))
    weights = p.lines[0]
    assert weights.part == "stored_weights"
    # every parameter at BF16, 2 bytes (no tied tensor: tie_word_embeddings is False)
    assert weights.bytes == params * 2 == report.stored["bytes"]
    # the KV cache from the config beside it: 2 layers x 100 tokens x 2 (k, v) x 2 heads x 16
    # head dim x 2 bytes (bf16) = 25,600
    kv = next(line for line in p.lines if line.part == "kv_cache")
    assert kv.bytes == 2 * 100 * 2 * 2 * 16 * 2 == 25_600
    f = fit(report, Setup(), 2**30)
    assert f.longest_context == 512  # max_position_embeddings


def test_integer_tensors_are_not_trainable(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    path = tmp_path / "m.safetensors"
    save_file({"embeddings.position_ids": torch.arange(512).reshape(1, 512),
               "embeddings.word_embeddings.weight": torch.zeros(10, 8)}, str(path))
    report = nnsize.count(str(path))
    assert report.trainable_params == 80 and report.buffers == 512  # 10 x 8; 1 x 512 int64


def test_a_gguf_with_its_keys_gives_its_kv_cache(tmp_path: Path) -> None:
    gguf = pytest.importorskip("gguf")
    import numpy as np

    path = tmp_path / "llama-F16.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_context_length(4096)
    w.add_block_count(2)  # llama.block_count
    w.add_embedding_length(64)
    w.add_feed_forward_length(128)
    w.add_head_count(4)
    w.add_head_count_kv(2)  # head dim 64 / 4 = 16
    w.add_tensor("token_embd.weight", np.zeros((100, 64), dtype=np.float16))  # 12,800 B
    w.add_tensor("blk.0.attn_q.weight", np.zeros((64, 64), dtype=np.float16))  # 8,192 B
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    report = nnsize.count(str(path))
    p = plan(report, Setup(context=100, kv_dtype="fp16"))
    assert p.lines[0].part == "stored_weights" and p.lines[0].bytes == 12_800 + 8_192
    kv = next(line for line in p.lines if line.part == "kv_cache")
    # 2 layers x 100 tokens x 2 kv heads x (16 + 16) x 2 bytes = 25,600
    assert kv.bytes == 2 * 100 * 2 * (16 + 16) * 2 == 25_600
    f = fit(report, Setup(), 2**30)
    assert f.longest_context == 4096 and f.positions_from == "GGUF llama.context_length"
    assert f.largest_batch is not None and f.largest_batch > 1
