"""Checkpoints read from their headers: safetensors (single and sharded), GGUF, PyTorch; and
hostile or broken files, each refused with one clear error."""

from __future__ import annotations

import json
import pickle
import struct
import time
from pathlib import Path
from typing import Any

import pytest
import torch

import nnsize
from nnsize.errors import NnsizeError


def write_safetensors(path: Path, entries: dict[str, tuple[str, list[int]]],
                      data: bool = True) -> None:
    """A safetensors file by hand: header entries name -> (dtype, shape); zero data."""
    width = {"F32": 4, "F16": 2, "BF16": 2, "I32": 4, "U8": 1, "I8": 1, "I64": 8, "F8_E4M3": 1}
    header: dict[str, Any] = {}
    offset = 0
    for name, (dtype, shape) in entries.items():
        n = width[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + (b"\0" * offset if data else b""))


def test_safetensors_against_the_library(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    tensors = {"model.embed_tokens.weight": torch.zeros(100, 16),
               "model.layers.0.self_attn.q_proj.weight": torch.zeros(16, 16, dtype=torch.bfloat16),
               "model.layers.0.mlp.up_proj.bias": torch.zeros(32, dtype=torch.float16)}
    path = tmp_path / "model.safetensors"
    save_file(tensors, str(path))
    report = nnsize.count(str(path))
    # 1,600 + 256 + 32 elements; 6,400 + 512 + 64 bytes
    assert report.total_params == 1888
    assert report.stored["bytes"] == 6976
    assert report.stored["dtypes"]["BF16"] == {"tensors": 1, "elements": 256, "bytes": 512}


def test_sharded_safetensors(tmp_path: Path) -> None:
    write_safetensors(tmp_path / "a.safetensors", {"x.weight": ("F32", [4, 4])})
    write_safetensors(tmp_path / "b.safetensors", {"y.weight": ("F16", [2, 8])})
    index = {"metadata": {"total_size": 96},
             "weight_map": {"x.weight": "a.safetensors", "y.weight": "b.safetensors"}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    report = nnsize.count(str(tmp_path / "model.safetensors.index.json"))
    assert report.total_params == 32 and report.stored["shards"] == 2
    index["weight_map"]["z.weight"] = "b.safetensors"
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(NnsizeError, match="in no shard"):
        nnsize.count(str(tmp_path / "model.safetensors.index.json"))


def test_quantized_checkpoints_count_the_unquantized_model(tmp_path: Path) -> None:
    # A 4-bit GPTQ layer of 256 inputs and 64 outputs, group size 128:
    # qweight 256 x 4 / 32 = 32 rows of int32, scales 2 x 64, qzeros 2 x 8, g_idx 256.
    # An AWQ layer: qweight 256 x 8 (int32, 8 outputs per int), scales 2 x 64, qzeros 2 x 8.
    # A bitsandbytes NF4 layer of 64 x 32 = 2,048 values: 1,024 bytes + its absmax and state.
    # An MXFP4 expert block of 1,024 values: 512 bytes + 32 scales.
    path = tmp_path / "quantized.safetensors"
    write_safetensors(path, {
        "gptq.qweight": ("I32", [32, 64]), "gptq.scales": ("F16", [2, 64]),
        "gptq.qzeros": ("I32", [2, 8]), "gptq.g_idx": ("I32", [256]),
        "awq.qweight": ("I32", [256, 8]), "awq.scales": ("F16", [2, 64]),
        "awq.qzeros": ("I32", [2, 8]),
        "bnb.weight": ("U8", [1024, 1]), "bnb.weight.absmax": ("F32", [32]),
        "bnb.weight.quant_map": ("F32", [16]),
        "bnb.weight.quant_state.bitsandbytes__nf4": ("U8", [100]),
        "mx.experts.down_blocks": ("U8", [32, 16]), "mx.experts.down_scales": ("U8", [32]),
        "norm.weight": ("F32", [64]),
    })
    report = nnsize.count(str(path))
    assert report.total_params == 256 * 64 + 256 * 64 + 2048 + 1024 + 64
    assert report.stored["quantized"] is True


def test_fp8_scales_are_bookkeeping(tmp_path: Path) -> None:
    # DeepSeek-V3's FP8 checkpoint: a 256 x 256 weight in F8_E4M3 and its 2 x 2 block scales
    # (128 x 128 blocks) in F32: 65,536 parameters, 4 values of quantization bookkeeping
    path = tmp_path / "fp8.safetensors"
    write_safetensors(path, {"q_proj.weight": ("F8_E4M3", [256, 256]),
                             "q_proj.weight_scale_inv": ("F32", [2, 2])})
    report = nnsize.count(str(path))
    assert report.total_params == 65536 and report.buffers == 4
    assert report.stored["quantized"] is True


def test_gguf(tmp_path: Path) -> None:
    gguf = pytest.importorskip("gguf")
    import numpy as np

    path = tmp_path / "tiny.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("tiny")
    w.add_tensor("token_embd.weight", np.zeros((10, 64), dtype=np.float32))
    # Q4_0: blocks of 32 values in 18 bytes; 64 x 64 = 4,096 values = 128 blocks = 2,304 bytes
    block, size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType.Q4_0]
    w.add_tensor("blk.0.attn_q.weight", np.zeros((64, 64 // block * size), dtype=np.uint8),
                 raw_dtype=gguf.GGMLQuantizationType.Q4_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    report = nnsize.count(str(path))
    assert report.total_params == 640 + 4096
    assert report.stored["dtypes"]["Q4_0"] == {"tensors": 1, "elements": 4096, "bytes": 2304}
    assert report.stored["metadata"]["general.name"] == "tiny"


@pytest.mark.parametrize("kind", ["F32", "F16", "BF16", "Q8_0", "Q4_K", "IQ2_XS", "MXFP4"])
def test_a_gguf_of_quantized_types_says_it_is_quantized(tmp_path: Path, kind: str) -> None:
    # GGUF keeps a quantized weight under its own name, its GGML type saying so (no scales
    # beside it): every type but the plain F32 / F16 / BF16 (and integers) is quantized
    gguf = pytest.importorskip("gguf")
    import numpy as np

    path = tmp_path / "one.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_tensor("token_embd.weight", np.zeros((4, 256), dtype=np.float32))
    t = gguf.GGMLQuantizationType[kind]
    block, size = gguf.GGML_QUANT_SIZES[t]
    # 256 values a row: one Q4_K / IQ2_XS super-block, 8 Q8_0 blocks of 32 (34 bytes each)
    w.add_tensor("blk.0.attn_q.weight", np.zeros((8, 256 // block * size), dtype=np.uint8),
                 raw_dtype=t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    report = nnsize.count(str(path))
    assert report.total_params == 4 * 256 + 8 * 256
    assert report.stored["quantized"] is (kind not in ("F32", "F16", "BF16"))


def test_tied_weights_in_a_torch_checkpoint_are_one_parameter(tmp_path: Path) -> None:
    # torch.save(state_dict) of a model whose head shares the embedding's storage:
    # 10 x 4 = 40 parameters stored once, not 80
    model = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Linear(4, 10, bias=False))
    model[1].weight = model[0].weight
    path = tmp_path / "tied.pt"
    torch.save(model.state_dict(), path)
    report = nnsize.count(str(path))
    assert report.total_params == sum(p.numel() for p in model.parameters()) == 40
    assert report.stored["bytes"] == 160 and report.stored["tied"] == 1


def test_pytorch_checkpoints_without_unpickling_code(tmp_path: Path) -> None:
    model = torch.nn.Sequential(torch.nn.Linear(10, 20), torch.nn.BatchNorm1d(20))
    path = tmp_path / "model.pt"
    torch.save({"state_dict": model.state_dict(), "epoch": 3}, path)
    report = nnsize.count(str(path))
    # BatchNorm's running statistics are buffers there, as in the model: 220 + 40 parameters,
    # 20 + 20 + 1 buffers
    assert report.total_params == sum(p.numel() for p in model.parameters()) == 260
    assert report.buffers == sum(b.numel() for b in model.buffers()) == 41

    class Evil:
        def __reduce__(self) -> Any:
            return (print, ("this must never run",))

    evil = tmp_path / "evil.pt"
    torch.save({"weights": torch.zeros(2), "payload": Evil()}, evil)
    with pytest.raises(NnsizeError, match="never unpickles code"):
        nnsize.count(str(evil))
    legacy = tmp_path / "legacy.bin"
    legacy.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(NnsizeError, match="not a PyTorch checkpoint"):
        nnsize.count(str(legacy))


@pytest.mark.parametrize("content, message", [
    (struct.pack("<Q", 2**62) + b"{}", "the header claims"),
    (struct.pack("<Q", 2), "the header claims"),
    (b"\x01\x02", "too short"),
    (struct.pack("<Q", 4) + b"[1]x", "not a JSON object|not valid JSON"),
    (struct.pack("<Q", 2_000_000) + b"[" * 1_000_000 + b"]" * 1_000_000, "nested too deeply"),
])
def test_hostile_safetensors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(NnsizeError, match=message):
        nnsize.count(str(path))


def test_truncated_and_inconsistent_safetensors(tmp_path: Path) -> None:
    path = tmp_path / "truncated.safetensors"
    write_safetensors(path, {"w": ("F32", [1000, 1000])}, data=False)
    with pytest.raises(NnsizeError, match="truncated"):
        nnsize.count(str(path))
    raw = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * 8)
    with pytest.raises(NnsizeError, match="which needs 16"):
        nnsize.count(str(path))


def gguf_header(tensors: int, kvs: int, body: bytes = b"") -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, tensors, kvs) + body


@pytest.mark.parametrize("content, message", [
    (gguf_header(2**60, 0), "more than a"),
    (gguf_header(0, 2**60), "more than a"),
    (gguf_header(1, 0, struct.pack("<Q", 1) + b"w" + struct.pack("<I", 9) + b"\0" * 40),
     "claims 9 dimensions"),
    (gguf_header(1, 0, struct.pack("<Q", 1) + b"w" + struct.pack("<I", 2) +
                 struct.pack("<QQ", 2**40, 2**40) + struct.pack("<IQ", 0, 0)),
     "elements"),
    (gguf_header(0, 1, struct.pack("<Q", 1) + b"k" + struct.pack("<IIQ", 9, 4, 2**59)),
     "claims"),
    (gguf_header(0, 1, struct.pack("<Q", 2**50) + b"\0" * 32), "claims a string"),
    (b"GGML" + b"\0" * 40, "not a GGUF file"),
    (gguf_header(0, 0)[:10], "truncated"),
])
def test_hostile_gguf(tmp_path: Path, content: bytes, message: str) -> None:
    pytest.importorskip("gguf")
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    start = time.perf_counter()
    with pytest.raises(NnsizeError, match=message):
        nnsize.count(str(path))
    assert time.perf_counter() - start < 5  # bounded, not a timing claim: no hang


def test_a_big_sparse_safetensors_file_is_read_from_its_header(tmp_path: Path) -> None:
    # 4 GiB of (sparse, unwritten) data: counted from the header alone
    path = tmp_path / "big.safetensors"
    header = json.dumps({"w": {"dtype": "F32", "shape": [2**30],
                               "data_offsets": [0, 2**32]}}).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header)
        f.truncate(8 + len(header) + 2**32)
    assert nnsize.count(str(path)).total_params == 2**30


def test_tensor_names_group_as_the_first_numbered_part_says() -> None:
    """_group's fast path (a regular expression for ASCII names) answers what splitting on
    dots and taking the parts up to the first all-digit one answers, for every kind of name."""
    import random

    from nnsize.importers.tensors import _group

    def split(name: str) -> str:
        parts = name.split(".")
        for i, part in enumerate(parts):
            if part.isdigit():
                return ".".join(parts[:i + 1])
        return ".".join(parts[:-1]) or name

    names = ["", ".", "..", "a", "a.", ".a", "1", "1.", ".1", "a.1.b", "a..b", "model.3\n",
             "x.12a.3.y", "a.\u00b2", "a.\u00b2b.3", "3.4", "model.layers.31.mlp.up_proj.weight",
             "lm_head.weight"]
    rng = random.Random(0)
    names += ["".join(rng.choice("ab.019\n\u00b2") for _ in range(rng.randint(0, 9)))
              for _ in range(20_000)]
    assert [_group(n) for n in names] == [split(n) for n in names]


def test_reading_a_file_pauses_the_collector_and_restores_it() -> None:
    """paused_gc: off while any reader in the process reads, back as it was after the last."""
    import gc
    import threading

    from nnsize.importers.tensors import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # another reader (a thread of the server's Hub pool)
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # a caller who turned it off keeps it off
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    inside = threading.Barrier(2)

    def read() -> None:
        with paused_gc():
            inside.wait()
            inside.wait()

    other = threading.Thread(target=read)
    other.start()
    with paused_gc():
        inside.wait()
    assert not gc.isenabled()  # the other reader is still reading
    inside.wait()
    other.join()
    assert gc.isenabled()
