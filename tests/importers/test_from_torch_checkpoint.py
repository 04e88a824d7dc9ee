"""PyTorch checkpoints read without torch, against torch.load(weights_only=True): every tensor's
name, shape, dtype and bytes, and which are tied, for both formats torch.save writes."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest

import nnsize
from nnsize.errors import NnsizeError
from nnsize.importers.from_torch_checkpoint import (
    DTYPES,
    MAX_ENTRIES,
    load_checkpoint,
    read_tensors,
)
from nnsize.importers.tensors import Stored

torch = pytest.importorskip("torch")
FORMATS = pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])


def save(obj: Any, path: Path, legacy: bool) -> Path:
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return path


def by_torch(path: Path) -> list[Stored]:
    """What the importer read with torch.load (nnsize's reader before this one): the usual
    wrapper unwrapped, tensors flattened with dotted names, ties by storage address."""
    with warnings.catch_warnings():  # complex32: "ComplexHalf support is experimental"
        warnings.simplefilter("ignore")
        obj = torch.load(path, weights_only=True, map_location="cpu")
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    found: list[tuple[str, Any]] = []

    def walk(item: Any, prefix: str) -> None:
        if isinstance(item, torch.Tensor):
            found.append((prefix, item))
        elif isinstance(item, dict):
            for k, v in item.items():
                walk(v, f"{prefix}.{k}" if prefix else str(k))
        elif isinstance(item, (list, tuple)):
            for i, v in enumerate(item):
                walk(v, f"{prefix}.{i}" if prefix else str(i))

    walk(obj, "")
    out, seen = [], {}
    for name, t in found:
        place = (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape), t.stride(),
                 t.dtype)
        earlier = seen.setdefault(place, name) if t.numel() else name
        out.append(Stored(name, tuple(t.shape), DTYPES[str(t.dtype)[6:]][0],
                          t.numel() * t.element_size(), earlier if earlier != name else ""))
    return out


def by_nnsize(path: Path) -> list[Stored]:
    with open(path, "rb") as f:
        return read_tensors(f, path.stat().st_size, str(path))


def _filled(dtype: str, shape: tuple[int, int]) -> Any:
    """Zero bytes seen as dtype (complex32 and the bits types cannot be made directly)."""
    rows, cols = shape
    return torch.zeros(rows, cols * DTYPES[dtype][1], dtype=torch.uint8).view(
        getattr(torch, dtype))


@FORMATS
def test_every_dtype(tmp_path: Path, legacy: bool) -> None:
    tensors = {dtype: _filled(dtype, (3, 5)) for dtype in DTYPES}
    if legacy:  # the legacy format has typed storages only (torch.save refuses the others)
        tensors = {k: v for k, v in tensors.items() if k in
                   ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16",
                    "int8", "uint8", "bool", "complex64", "complex128")}
    path = save(tensors, tmp_path / "dtypes.pt", legacy)
    assert by_nnsize(path) == by_torch(path)
    assert len(by_nnsize(path)) == len(tensors)
    # complex128: 3 x 5 = 15 elements of 16 bytes = 240
    assert {s.name: s.nbytes for s in by_nnsize(path)}["complex128"] == 240


@FORMATS
def test_views_offsets_and_ties(tmp_path: Path, legacy: bool) -> None:
    base = torch.arange(60, dtype=torch.float32)
    grid = base.view(6, 10)
    tensors = {"base": base, "grid": grid, "again": grid, "row": grid[2], "col": grid[:, 3],
               "t": grid.t(), "tail": base[50:], "empty": base[:0], "scalar": torch.tensor(3.0),
               "expanded": torch.ones(1).expand(4, 5)}
    path = save(tensors, tmp_path / "views.pt", legacy)
    stored = by_nnsize(path)
    assert stored == by_torch(path)
    ties = {s.name: s.shared_with for s in stored if s.shared_with}
    assert ties == {"again": "grid"}
    # expanded: 4 x 5 = 20 elements of one stored float
    assert {s.name: s.shape for s in stored}["expanded"] == (4, 5)


@FORMATS
def test_training_checkpoints_read_the_model(tmp_path: Path, legacy: bool) -> None:
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.LayerNorm(8),
                                torch.nn.Linear(8, 2))
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.ones(3, 4)).sum().backward()
    optimizer.step()
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3,
                  "rng": torch.get_rng_state(), "args": {"lr": 1e-3, "betas": (0.9, 0.99)}}
    path = save(checkpoint, tmp_path / "train.ckpt", legacy)
    assert by_nnsize(path) == by_torch(path)
    report = load_checkpoint(str(path))
    # 4 x 8 + 8 + 8 + 8 + 8 x 2 + 2 = 74
    assert report.total_params == sum(p.numel() for p in model.parameters()) == 74
    unwrapped = save({"optimizer": optimizer.state_dict()}, tmp_path / "opt.pt", legacy)
    assert by_nnsize(unwrapped) == by_torch(unwrapped)


@FORMATS
def test_parameters_and_protocols(tmp_path: Path, legacy: bool) -> None:
    obj = {"p": torch.nn.Parameter(torch.ones(2, 3)), "b": torch.nn.Buffer(torch.ones(4)),
           "list": [torch.zeros(2), (torch.zeros(3), {"deep": torch.zeros(1)})]}
    paths = {}
    for protocol in (2, 3, 4, 5):
        paths[protocol] = tmp_path / f"p{protocol}.pt"
        torch.save(obj, paths[protocol], pickle_protocol=protocol,
                   _use_new_zipfile_serialization=not legacy)
    assert by_nnsize(paths[2]) == by_torch(paths[2])
    assert by_nnsize(paths[3]) == by_torch(paths[3])
    # torch.load(weights_only=True) refuses protocol 4's FRAME; nnsize reads them the same
    assert by_nnsize(paths[4]) == by_nnsize(paths[5]) == by_nnsize(paths[2])


def test_a_transformers_state_dict(tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers")
    config = transformers.LlamaConfig(hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2,
                                      vocab_size=64, tie_word_embeddings=True)
    model = transformers.LlamaForCausalLM(config)
    path = save(model.state_dict(), tmp_path / "pytorch_model.bin", False)
    assert by_nnsize(path) == by_torch(path)
    report = nnsize.count(str(path))
    assert report.total_params == sum(p.numel() for p in model.parameters())
    assert report.stored["tied"] == 1  # lm_head.weight is embed_tokens.weight


class Evil:
    def __reduce__(self) -> Any:
        return (print, ("this must never run",))


def _zip_with(path: Path, pickled: bytes, numel: int = 2) -> Path:
    """A checkpoint of {"w": numel zeros} whose data.pkl is pickled instead."""
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(numel)}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            out.writestr(info, pickled if info.filename.endswith("data.pkl") else
                         src.read(info))
    return path


@pytest.mark.parametrize("make, message", [
    (lambda p: save({"w": torch.zeros(2), "x": Evil()}, p, False),
     r"holds more than tensors \(the global builtins.print\), and nnsize never unpickles code"),
    (lambda p: save({"w": torch.zeros(2), "x": Evil()}, p, True),
     r"the global builtins.print"),
    (lambda p: save(torch.nn.Linear(2, 2), p, False),
     r"the global torch.nn.modules.linear.Linear"),
    (lambda p: save({"s": torch.eye(3).to_sparse()}, p, False),
     r"a tensor rebuilt by torch._utils._rebuild_sparse_tensor .*, which nnsize does not read"),
    (lambda p: save({"m": torch.zeros(3, device="meta")}, p, False),
     r"torch._utils._rebuild_meta_tensor_no_storage"),
    (lambda p: _zip_with(p, b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueR."),
     r"the global os.system"),
    (lambda p: _zip_with(p, b"\x80\x02X\x01\x00\x00\x00xX\x01\x00\x00\x00y\x85R."),
     r"a call of 'x'"),
    (lambda p: _zip_with(p, b"\x80\x02r\xff\xff\xff\xff."), r"memoizes from an empty stack"),
    (lambda p: _zip_with(p, b"\x80\x02j\xff\xff\xff\x7f."), r"never wrote"),
    (lambda p: _zip_with(p, b"\x80\x02]\x94(h\x00e."), r"contains itself"),
    (lambda p: _zip_with(p, b"\x80\x02\x8b\x00\x00\x00\x10" + b"\0" * 16), r"an integer of"),
    (lambda p: _zip_with(p, b"\x80\x02X\xff\xff\xff\x00abc"), r"ends early"),
    (lambda p: p.write_bytes(pickle.dumps({"a": 1})), r"not a PyTorch checkpoint"),
    (lambda p: p.write_bytes(b"hello"), r"not a PyTorch checkpoint"),
    (lambda p: p.write_bytes(save({"w": torch.ones(100)}, p, True).read_bytes()[:-8]),
     r"truncated"),
    (lambda p: p.write_bytes(save({"w": torch.ones(100)}, p, False).read_bytes()[:-30]),
     r"not a zip|truncated"),
])
def test_hostile_checkpoints_are_one_error(tmp_path: Path, make: Any, message: str) -> None:
    path = tmp_path / "x.pt"
    make(path)
    with pytest.raises(NnsizeError, match=message):
        load_checkpoint(str(path))


def test_a_view_past_its_storage_is_refused(tmp_path: Path) -> None:
    path = save({"w": torch.zeros(4)}, tmp_path / "w.pt", False)
    with zipfile.ZipFile(path) as z:
        pickled = z.read("w/data.pkl")
    # the shape (4,) -> (9,): 9 floats need 36 bytes of a 16-byte storage
    bad = pickled.replace(b"K\x04\x85", b"K\x09\x85", 1)
    assert bad != pickled
    with pytest.raises(NnsizeError, match="reaches past the 16 bytes"):
        load_checkpoint(str(_zip_with(tmp_path / "bad.pt", bad, 4)))


def test_reading_needs_no_torch(tmp_path: Path) -> None:
    path = save({"w": torch.zeros(3, 4)}, tmp_path / "w.pt", False)
    legacy = save({"w": torch.zeros(3, 4)}, tmp_path / "l.pt", True)
    code = ("import sys; sys.modules['torch'] = None; import nnsize; "
            f"print(nnsize.count({str(path)!r}).total_params, "
            f"nnsize.count({str(legacy)!r}).total_params, 'torch' in sys.modules and "
            "sys.modules['torch'] is not None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(Path(nnsize.__file__).parents[1])})
    assert out.stdout.split() == ["12", "12", "False"]  # 3 x 4 = 12


def test_a_sharded_checkpoint_through_its_index(tmp_path: Path) -> None:
    # as save_pretrained(safe_serialization=False) shards: pytorch_model-0000i-of-00002.bin
    import json

    shards = {"pytorch_model-00001-of-00002.bin": {"a.weight": torch.zeros(4, 5)},
              "pytorch_model-00002-of-00002.bin": {"b.weight": torch.zeros(6),
                                                   "b.bias": torch.zeros(2)}}
    weight_map = {}
    for file, tensors in shards.items():
        torch.save(tensors, tmp_path / file)
        weight_map.update(dict.fromkeys(tensors, file))
    index = tmp_path / "pytorch_model.bin.index.json"
    index.write_text(json.dumps({"metadata": {"total_size": 112}, "weight_map": weight_map}))
    report = nnsize.count(str(index))
    assert report.total_params == 4 * 5 + 6 + 2 == 28
    assert report.stored["shards"] == 2 and report.stored["bytes"] == 28 * 4
    index.write_text(json.dumps({"weight_map": {**weight_map, "c.weight": file}}))
    with pytest.raises(NnsizeError, match="1 tensors of the index are in no shard"):
        nnsize.count(str(index))
    index.write_text(json.dumps({"weight_map": {"a": "model.safetensors"}}))
    with pytest.raises(NnsizeError, match="not a .bin file beside the index"):
        nnsize.count(str(index))


def _shared(levels: int, pair: Any) -> Any:
    """levels of pair(x) around None: pair = lambda x: [x, x] stands for 2^levels leaves in
    levels containers."""
    x: Any = None
    for _ in range(levels):
        x = pair(x)
    return x


def _deep_twice() -> Any:
    """A chain 30 deep, then 30 new levels around it: each new container shallow when first
    seen, 61 deep in all."""
    x = _shared(30, lambda x: [x])
    wrapped = x
    for _ in range(30):
        wrapped = [wrapped]
    return [x, wrapped]


def _call(module_name: str, args: tuple[Any, ...]) -> bytes:
    """GLOBAL module_name, args, REDUCE: pickle.dumps's body for args, framed by hand."""
    module, name = module_name.rsplit(".", 1)
    return b"\x80\x02c" + f"{module}\n{name}\n".encode() + pickle.dumps(args, 2)[2:-1] + b"R."


TUPLES = _shared(40, lambda x: (x, x))  # hashed as a key: 2^40 steps (never hashed here)
PICKLED_TUPLES = pickle.dumps(TUPLES, 2)[2:-1]  # its pickle without PROTO and STOP


@pytest.mark.parametrize("pickled, message", [
    (pickle.dumps(_shared(25, lambda x: [x, x]), 2), f"more than {MAX_ENTRIES:,} entries"),
    (pickle.dumps(_deep_twice(), 2), "nests containers too deeply"),
    (b"\x80\x02}(" + PICKLED_TUPLES + b"K\x01u.", "keys a dict or fills a set with"),
    (b"\x80\x04\x8f(" + PICKLED_TUPLES + b"\x90.", "keys a dict or fills a set with"),
    (_call("torch.device", (TUPLES,)), "a device is named by"),
    (pickle.dumps({"a" * 4096: {"b": 1}}, 2), "longer than 4,096 characters"),
])
def test_pickles_that_cost_more_than_their_size(tmp_path: Path, pickled: bytes,
                                                message: str) -> None:
    path = _zip_with(tmp_path / "x.pt", pickled)
    with pytest.raises(NnsizeError, match=message):
        load_checkpoint(str(path))


def test_legacy_pickles_longer_than_the_first_read(tmp_path: Path) -> None:
    # 3,000 tensors: about 200 kB of pickle, read in slices of 64 kB, then 256 kB
    tensors = {f"layers.{i}.weight": torch.zeros(2, i % 5) for i in range(3000)}
    path = save(tensors, tmp_path / "long.pt", True)
    assert by_nnsize(path) == by_torch(path)
