"""Hub repos whose weights are PyTorch .bin files (pytorch_model.bin, sharded through
pytorch_model.bin.index.json) or a diffusers pipeline (model_index.json, a folder a component),
read by ranges from the loopback Hub: each zip's end and directory, then data.pkl, never a byte
of tensor data."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from hub_repos import TINY_LLAMA, save_pretrained_bin, write_pipeline
from loopback_hub import Hub

import nnsize

pytest.importorskip("huggingface_hub")


def data_spans(path: str, data: bytes) -> list[tuple[int, int]]:
    """Where a file keeps its tensor data: a safetensors file after its header, a PyTorch zip in
    its data/KEY records (after each local header and its extra field)."""
    if path.endswith(".safetensors"):
        return [(8 + struct.unpack("<Q", data[:8])[0], len(data))]
    if path.endswith(".bin"):
        spans = []
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                if "/data/" in info.filename:
                    at = info.header_offset
                    n, m = struct.unpack("<26xHH", data[at:at + 30])
                    spans.append((at + 30 + n + m, at + 30 + n + m + info.compress_size))
        return spans
    return []


def assert_no_tensor_data(hub: Hub) -> None:
    read = 0
    for file, start, end in hub.served:
        org, name, path = file.split("/", 2)
        data = hub.repos[f"{org}/{name}"].files[path]
        for a, b in data_spans(path, data):
            assert end <= a or start >= b, f"{file}: bytes {start}-{end} hold tensor data {a}-{b}"
        read += path.endswith(".bin")
    assert read, "no .bin file was read"


@pytest.mark.parametrize("shard_bytes", [None, 3000], ids=["single", "sharded"])
def test_a_bin_only_repo(hub: Hub, tmp_path: Path, shard_bytes: int | None,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    folder = save_pretrained_bin(TINY_LLAMA, tmp_path / "tiny", shard_bytes)
    hub.add("org/tiny-bin", str(folder))
    report = nnsize.count("org/tiny-bin")
    # as the safetensors repo of test_hub.py: 1,024 + 1,024 + 5,856 + 16
    assert report.total_params == 7920
    stored = report.stored
    assert stored["format"] == "pytorch" and stored["differences"]["same"]
    assert stored["tensors"] == 2 + 3 * 9 + 1
    assert ("shards" in stored) == (shard_bytes is not None)
    if shard_bytes:
        assert stored["shards"] > 3
    assert_no_tensor_data(hub)
    sent = sum(b for _, p, b in hub.log if p.startswith("/lfs/"))
    assert sent == stored["header_bytes"] < stored["file_bytes"]
    # a second run, offline: from what the first kept
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    before = len(hub.log)
    assert nnsize.count("org/tiny-bin").total_params == 7920 and len(hub.log) == before
    # and the folder itself, on disk
    assert nnsize.count(str(folder)).stored["differences"]["same"]


def test_a_diffusers_pipeline(hub: Hub, tmp_path: Path) -> None:
    params = write_pipeline(tmp_path / "pipe")
    hub.add("org/tiny-pipe", str(tmp_path / "pipe"))
    report = nnsize.count("org/tiny-pipe")
    assert report.total_params == sum(params.values())
    assert report.stored["components"] == {
        "unet": "unet/diffusion_pytorch_model.safetensors",
        "vae": "vae/diffusion_pytorch_model.bin", "text_encoder": "text_encoder/model.safetensors",
        "scheduler": None, "tokenizer": None}
    names = {n for n, _ in report.named_tensors()}
    assert "unet.conv_in.weight" in names and "vae.decoder.conv_out.bias" in names
    assert report.stored["format"] == "pytorch, safetensors"
    assert_no_tensor_data(hub)
    assert nnsize.count(str(tmp_path / "pipe")).total_params == sum(params.values())
    with pytest.raises(nnsize.NnsizeError, match="a diffusers pipeline"):
        nnsize.count("org/tiny-pipe", part="config")


class Evil:
    def __reduce__(self) -> object:
        return (print, ("this must never run",))


@pytest.mark.parametrize(("make", "message"), [
    (lambda torch, p: torch.save({"w": torch.zeros(2), "x": Evil()}, p),
     r"holds more than tensors \(the global builtins.print\)"),
    (lambda torch, p: p.write_bytes(b"PK\x03\x04" + b"\0" * 100), "not a zip"),
    (lambda torch, p: p.write_bytes(b"\x80\x02" + b"\0" * 100), "not a pickle operation"),
])
def test_hostile_bin_files_are_one_line(hub: Hub, tmp_path: Path, make: object,
                                        message: str) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "pytorch_model.bin"
    make(torch, path)  # type: ignore[operator]
    hub.add("org/bad-bin", {"pytorch_model.bin": path.read_bytes()})
    with pytest.raises(nnsize.NnsizeError, match=message) as e:
        nnsize.count("org/bad-bin")
    assert "\n" not in str(e.value) and "org/bad-bin/pytorch_model.bin" in str(e.value)


@pytest.mark.parametrize(("limit", "message"), [
    ("MAX_TENSORS", "lists more than {:,} tensors over all its files"),
    ("MAX_PICKLE_BYTES", "headers hold more than {:,} bytes over all its files"),
])
def test_bin_shards_are_held_to_the_limits_of_one_file(hub: Hub, tmp_path: Path, limit: str,
                                                       message: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """As safetensors shards (test_session.py): each shard is within a limit that all of them
    together are not; the bytes are those each zip's directory and data.pkl took."""
    from nnsize.importers import from_torch_checkpoint

    folder = save_pretrained_bin(TINY_LLAMA, tmp_path / "tiny", 3000)
    hub.add("org/tiny-bin", str(folder))
    per_shard = [from_torch_checkpoint.read_tensors(io.BytesIO(data), len(data), p.name)
                 for p in sorted(folder.glob("*.bin")) for data in [p.read_bytes()]]
    report = nnsize.count("org/tiny-bin")
    assert report.stored["shards"] == len(per_shard) > 3
    # the most one shard needs, below what they need together
    if limit == "MAX_TENSORS":
        value, total = max(len(t) for t in per_shard), report.stored["tensors"]
    else:
        value, total = report.stored["header_bytes"] // 2, report.stored["header_bytes"]
    assert value < total
    monkeypatch.setattr(from_torch_checkpoint, limit, value)
    hub.add("org/tiny-bin-2", str(folder))  # not from the first one's cache
    with pytest.raises(nnsize.NnsizeError, match=message.format(value)):
        nnsize.count("org/tiny-bin-2")
