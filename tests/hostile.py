"""Hostile inputs, written fresh for each run: small files that used to cost seconds or
gigabytes, special files, lying headers, malformed archives, overflowing numbers.

Each Case says how to write its file (or none), the CLI arguments that read it ({path} stands
for the file), and optionally the API request that sends the same thing.  test_hostile.py runs
them all against the CLI and against a real server.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

BIG = 10**400  # json.dumps writes it out in full: 401 digits


@dataclass(frozen=True)
class Case:
    name: str
    filename: str = ""
    content: bytes | str | None = None  # None: write() below makes the file, or there is none
    write: Callable[[str], None] | None = None
    argv: tuple[str, ...] = ("{path}",)  # () for a case of the API only
    # (method, path with query, JSON body or raw bytes) for the API, where it takes this input
    api: tuple[str, str, Any] | None = None
    torch: bool = False  # needs torch to write (a .pt file): skipped where torch is missing
    tags: tuple[str, ...] = field(default=())


def _json(obj: Any) -> str:
    return json.dumps(obj)


def _spec(layers: list[Any], shape: Any = (8, 16), **extra: Any) -> dict[str, Any]:
    return {"input_shape": list(shape) if isinstance(shape, tuple) else shape,
            "layers": layers, **extra}


def _spec_case(name: str, spec: Any, yaml: bool = False) -> list[Case]:
    body = _json(spec)
    cases = [Case(name, f"{name}.json", body, api=("POST", "/api/count", {"spec": spec}))]
    if yaml:  # JSON is YAML too
        cases.append(Case(f"{name}-yaml", f"{name}.yaml", body))
    return cases


def _config(model_type: str, layers: int, **extra: Any) -> dict[str, Any]:
    base = {"model_type": model_type, "hidden_size": 64, "intermediate_size": 128,
            "num_attention_heads": 4, "num_hidden_layers": layers, "vocab_size": 100}
    return {**base, **extra}


def _config_case(name: str, config: dict[str, Any], compute: bool = False) -> list[Case]:
    cases = [Case(name, f"{name}.json", _json(config),
                  api=("POST", "/api/config", {"config": config})),
             Case(f"{name}-memory", f"{name}-memory.json", _json(config),
                  argv=("memory", "{path}", "--context", "4096"),
                  api=("POST", "/api/memory", {"config": config, "context": 4096}))]
    if compute:
        cases.append(Case(f"{name}-compute", f"{name}-compute.json", _json(config),
                          argv=("compute", "{path}")))
    return cases


# --- counts that used to grow with the numbers in the input -------------------------------

def unbounded_work() -> list[Case]:
    cases: list[Case] = []
    for layers in (10**6, 10**7, 10**15):
        cases += _config_case(f"llama-{layers}", _config("llama", layers), layers == 10**15)
    cases += _config_case("t5-10e7", {"model_type": "t5", "d_model": 64, "d_ff": 128,
                                      "num_heads": 4, "num_layers": 10**7,
                                      "num_decoder_layers": 10**7})
    cases += _config_case("gemma2-alternating-10e6", _config(
        "gemma2", 10**6, sliding_window=512, num_key_value_heads=2, head_dim=16))
    cases += _config_case("gemma3-long-pattern", _config(
        "gemma3_text", 10**15, sliding_window=512, sliding_window_pattern=10**9,
        num_key_value_heads=2, head_dim=16))
    cases += _config_case("qwen-moe-every-other-layer", _config(
        "qwen2_moe", 10**6, decoder_sparse_step=2, num_experts=4, num_experts_per_tok=2,
        moe_intermediate_size=32, shared_expert_intermediate_size=32))
    cases += _config_case("deepseek-dense-until-10e12", _config(
        "deepseek_v3", 10**15, first_k_dense_replace=10**12, n_routed_experts=4,
        num_experts_per_tok=2, moe_intermediate_size=32, q_lora_rank=32, kv_lora_rank=32,
        qk_rope_head_dim=8, qk_nope_head_dim=8, v_head_dim=8, num_key_value_heads=4))
    for name, config in (("llama", _config("llama", 10**15)), ("deepseek", _config(
            "deepseek_v3", 10**15, first_k_dense_replace=10**12, n_routed_experts=4,
            num_experts_per_tok=2, moe_intermediate_size=32, q_lora_rank=32, kv_lora_rank=32,
            qk_rope_head_dim=8, qk_nope_head_dim=8, v_head_dim=8, num_key_value_heads=4))):
        cases.append(Case(f"{name}-10e15-training", f"{name}-train.json", _json(config),
                          argv=("memory", "{path}", "--train"),
                          api=("POST", "/api/memory", {"config": config, "train": True})))
    cases += _config_case("qwen-window-long-context", _config(
        "qwen2", 10**6, use_sliding_window=True, sliding_window=7, max_window_layers=3))
    for kind, n in (("LSTM", 10**6), ("GRU", 10**7), ("RNN", 10**15)):
        cases += _spec_case(f"{kind}-{n}", _spec([{"type": kind, "hidden_size": 32,
                                                   "num_layers": n, "bidirectional": True}]))
    cases += _spec_case("keras-lstm-10e6", _spec([{"type": "LSTM", "units": 8,
                                                   "num_layers": 10**6}]))
    pad = {"type": "ConstantPad1d", "padding": 1, "value": 0}
    cases += _spec_case("nested-changing-repeats", _spec(
        [{"repeat": 10**4, "layers": [{"repeat": 10**4, "layers": [pad]}]}], (1, 4)), yaml=True)
    cases += _spec_case("deep-changing-repeats", _spec(
        [{"repeat": 50, "layers": [{"repeat": 50, "layers": [{"repeat": 50,
                                                              "layers": [pad]}]}]}], (1, 4)))
    cases += _spec_case("growing-linear-10e15", _spec(
        [{"type": "Linear", "out_features": 4}, {"repeat": 10**15, "layers": [
            {"type": "Linear", "out_features": 4}, {"type": "ReLU"}]}], (4,)))
    cases += _spec_case("many-distinct-layers", _spec(
        [{"type": "Linear", "out_features": 2 + i % 7} for i in range(200_000)], (4,)))
    deep = '{"input_shape": [4], "layers": ' + '[{"layers": ' * 5000 + '[{"type": "ReLU"}]' + \
        '}]' * 5000 + "}"
    cases.append(Case("groups-nested-deeply", "deep.json", deep,
                      api=("POST", "/api/count", '{"spec": ' + deep + "}")))
    cases.append(Case("shorthand-10e15-hidden", argv=("4-8x1000000000000000-2",),
                      api=("POST", "/api/count", {"network": "4-8x1000000000000000-2"})))
    cases.append(Case("calculator-huge", argv=("--inputs", "4", "--hidden-layers", str(10**30),
                                               "--neurons", "3", "--outputs", "2"),
                      api=("POST", "/api/count", {"inputs": 4, "hidden_layers": 10**30,
                                                  "neurons": 3, "outputs": 2})))
    return cases


# --- YAML aliases ----------------------------------------------------------------------------

def _laughs(levels: int, width: int, leaf: str, use: str) -> str:
    lines = [f"a0: &a0 {leaf}"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines + [use.format(top=f"*a{levels}")]) + "\n"


def yaml_bombs() -> list[Case]:
    return [
        Case("yaml-laughs-layers", "laughs.yaml",
             _laughs(9, 9, "{type: ReLU}", "input_shape: [3]\nlayers: {top}")),
        Case("yaml-laughs-name", "name.yaml",
             _laughs(9, 9, "lol", "input_shape: [3]\nlayers: [{{type: ReLU}}]\nname: {top}")),
        Case("yaml-laughs-in-error", "error.yaml",
             _laughs(9, 9, "lol", "input_shape: {top}\nlayers: [{{type: ReLU}}]")),
        Case("yaml-laughs-argument", "argument.yaml",
             _laughs(8, 12, "x", "input_shape: [3]\nlayers: [{{type: Linear, out_features: "
                                 "{top}}}]")),
        Case("yaml-laughs-mapping", "mapping.yaml",
             "a0: &a0 {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x}\n" +
             "\n".join(f"a{i}: &a{i} {{" + ", ".join(f"k{j}: *a{i - 1}" for j in range(8)) + "}"
                       for i in range(1, 10)) + "\ninput_shape: [3]\nlayers: [*a9]\n"),
        Case("yaml-self-reference", "cycle.yaml", "input_shape: [3]\nlayers: &l [*l]\n"),
        Case("yaml-config-laughs", "config.yaml",
             _laughs(9, 9, "x", "model_type: llama\narchitectures: {top}")),
        Case("yaml-not-utf8", "latin.yaml", b"input_shape: [3]\nname: caf\xe9\n"),
        Case("yaml-python-tag", "tag.yaml", "!!python/object/apply:os.system ['true']\n"),
    ]


# --- overflow and type errors ---------------------------------------------------------------

def overflow() -> list[Case]:
    up = {"type": "Upsample"}
    cases: list[Case] = []
    for name, scale in (("1e308", 1e308), ("huge-int", 10**300), ("tiny", 1e-308)):
        cases += _spec_case(f"upsample-{name}", _spec([{**up, "scale_factor": scale}], (3, 8, 8)))
    cases += [Case("upsample-infinity", "inf.json",
                   '{"input_shape": [3, 8], "layers": [{"type": "Upsample", "scale_factor": '
                   'Infinity}]}'),
              Case("upsample-nan", "nan.json",
                   '{"input_shape": [3, 8], "layers": [{"type": "Upsample", "scale_factor": '
                   'NaN}]}')]
    cases += _spec_case("input-dim-10e400", _spec([{"type": "Linear", "out_features": 2}],
                                                  [BIG]))
    cases += _spec_case("upsample-dim-10e400", _spec([{**up, "scale_factor": 2}], [3, BIG]))
    cases += _spec_case("width-10e400", _spec([{"type": "Linear", "out_features": BIG}], (4,)))
    cases += _spec_case("repeat-10e400", _spec([{"type": "ReLU", "repeat": BIG}], (4,)))
    cases += _spec_case("flatten-to-10e1000", _spec(
        [{"type": "Flatten"}, {"type": "Linear", "out_features": 10**99}], [10**99] * 11))
    cases += [Case("digits-5000", "digits.json",
                   '{"input_shape": [1' + "0" * 5000 + '], "layers": [{"type": "ReLU"}]}')]
    cases += _spec_case("softmax-dim-2-on-1d", _spec([{"type": "Softmax", "dim": 2}], (5,)))
    cases += _spec_case("logsoftmax-dim-minus-3", _spec([{"type": "LogSoftmax", "dim": -3}],
                                                        (5,)))
    cases += _spec_case("name-as-list", _spec([{"type": "ReLU"}], (4,), name=[1, 2, 3]))
    cases += _spec_case("type-as-object", _spec([{"type": {"a": [1] * 1000}}], (4,)))
    cases += _config_case("config-layers-10e400", _config("llama", BIG))
    cases += _config_case("config-window-float", _config("mistral", 4, sliding_window=1e308))
    cases += _config_case("config-layer-types-wrong", _config(
        "gemma2", 3, sliding_window=4, layer_types=[{"a": 1}, [], None]))
    cases.append(Case("search-width-10e30", argv=("search", "mlp", "--max-params", "1M",
                                                  "--width", f"1:{10**30}")))
    cases.append(Case("search-depth-10e12", argv=("search", "mlp", "--max-params", "1M",
                                                  "--depth", f"1:{10**12}")))
    cases.append(Case("search-width-reversed", argv=("search", "mlp", "--max-params", "1M",
                                                     "--width", "100:1")))
    cases.append(Case("serve-port-99999", argv=("serve", "--port", "99999")))
    cases.append(Case("serve-port-negative", argv=("serve", "--port", "-5")))
    cases.append(Case("speed-context-10e400", argv=(
        "speed", "llama-3.1-8b", "--gpu", "h100-80gb", "--context", str(BIG)),
        api=("POST", "/api/speed", {"preset": "llama-3.1-8b", "gpu": "h100-80gb",
                                    "context": BIG})))
    cases.append(Case("train-time-gpus-10e29", argv=(
        "train-time", "llama-3.1-8b", "--gpu", "h100-80gb", "--gpus", str(10**29),
        "--tokens", "15T"),
        api=("POST", "/api/train-time", {"preset": "llama-3.1-8b", "gpu": "h100-80gb",
                                         "gpus": 10**29, "tokens": "15T"})))
    cases.append(Case("speed-config-10e15-layers", "speed.json",
                      _json(_config("llama", 10**15)),
                      argv=("speed", "{path}", "--gpu", "h100-80gb"),
                      api=("POST", "/api/speed", {"config": _config("llama", 10**15),
                                                  "gpu": "h100-80gb"})))
    cases.append(Case("memory-context-10e30", "ctx.json", _json(_config("llama", 2)),
                      argv=("memory", "{path}", "--context", str(10**30))))
    cases.append(Case("compute-context-10e15-window", "ctxw.json",
                      _json(_config("mistral", 2, sliding_window=4096)),
                      argv=("compute", "{path}", "--context", str(10**15))))
    return cases


# --- checkpoints: safetensors and GGUF headers -----------------------------------------------

def _safetensors(header: Any, data: int = 0, length: int | None = None) -> bytes:
    raw = (header if isinstance(header, bytes) else json.dumps(header).encode())
    n = len(raw) if length is None else length
    return struct.pack("<Q", n) + raw + b"\0" * data


def _st_case(name: str, header: Any, data: int = 0, length: int | None = None) -> Case:
    body = _safetensors(header, data, length)
    return Case(name, f"{name}.safetensors", body,
                api=("POST", f"/api/checkpoint?format=safetensors&file_size={len(body)}",
                     body))


def _st_many(n: int) -> bytes:
    header = {f"model.layers.{i // 8}.p{i % 8}.weight":
              {"dtype": "F16", "shape": [2], "data_offsets": [4 * i, 4 * i + 4]}
              for i in range(n)}
    return _safetensors(header, 4 * n)


def safetensors() -> list[Case]:
    ok = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    cases = [_st_case(f"st-dtype-{kind}", {"w": {**ok, "dtype": value}}, 8)
             for kind, value in (("object", {"a": 1}), ("list", ["F32"]), ("number", 32),
                                 ("null", None), ("bool", True))]
    cases += [_st_case("st-shape-strings", {"w": {**ok, "shape": ["2"]}}, 8),
              _st_case("st-shape-object", {"w": {**ok, "shape": {"0": 2}}}, 8),
              _st_case("st-shape-float", {"w": {**ok, "shape": [2.0]}}, 8),
              _st_case("st-shape-huge", {"w": {**ok, "shape": [BIG]}}, 8),
              _st_case("st-offsets-string", {"w": {**ok, "data_offsets": "08"}}, 8),
              _st_case("st-offsets-three", {"w": {**ok, "data_offsets": [0, 4, 8]}}, 8),
              _st_case("st-offsets-outside", {"w": {**ok, "data_offsets": [0, 2**70]}}, 8),
              _st_case("st-entry-list", {"w": [1, 2]}, 8),
              _st_case("st-header-list", [1, 2, 3]),
              _st_case("st-header-not-json", b"{not json"),
              _st_case("st-header-nested", b"[" * 100_000 + b"]" * 100_000),
              _st_case("st-length-lies", {"w": ok}, 8, length=2**63),
              _st_case("st-length-past-end", {"w": ok}, 0, length=10**6),
              _st_case("st-metadata-huge", {"__metadata__": {"k": "x" * 5_000_000}})]
    many = _st_many(100_000)
    cases.append(Case("st-100k-tensors", "many.safetensors", many,
                      api=("POST", f"/api/checkpoint?format=safetensors&file_size={len(many)}",
                           many)))
    return cases


def _gguf(tensors: int, kvs: int, body: bytes, version: int = 3) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, tensors, kvs) + body


def _gguf_tensor(name: bytes, dims: list[int], kind: int = 0, offset: int = 0) -> bytes:
    return struct.pack("<Q", len(name)) + name + struct.pack("<I", len(dims)) + \
        b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", kind, offset)


def _gguf_case(name: str, body: bytes) -> Case:
    return Case(name, f"{name}.gguf", body,
                api=("POST", f"/api/checkpoint?format=gguf&file_size={len(body)}", body))


def gguf() -> list[Case]:
    many = b"".join(_gguf_tensor(f"blk.{i}.w".encode(), [2, 2], 0, 16 * i)
                    for i in range(100_000))
    return [
        _gguf_case("gguf-claims-2e60-tensors", _gguf(2**60, 0, b"")),
        _gguf_case("gguf-claims-2e60-metadata", _gguf(0, 2**60, b"")),
        _gguf_case("gguf-string-2e60", _gguf(0, 1, struct.pack("<Q", 2**60))),
        _gguf_case("gguf-array-2e60", _gguf(0, 1, struct.pack("<Q", 1) + b"k" +
                                            struct.pack("<IIQ", 9, 0, 2**60))),
        _gguf_case("gguf-array-of-strings", _gguf(0, 1, struct.pack("<Q", 1) + b"k" +
                                                  struct.pack("<IIQ", 9, 8, 3) +
                                                  struct.pack("<Q", 2**40))),
        _gguf_case("gguf-dims-99", _gguf(1, 0, _gguf_tensor(b"w", [1] * 99) + b"\0" * 1024)),
        _gguf_case("gguf-dims-overflow", _gguf(1, 0, _gguf_tensor(b"w", [2**63] * 4))),
        _gguf_case("gguf-unknown-type", _gguf(1, 0, _gguf_tensor(b"w", [2], 9999))),
        _gguf_case("gguf-truncated", _gguf(2, 0, _gguf_tensor(b"w", [2])[:-3])),
        _gguf_case("gguf-version-99", _gguf(0, 0, b"", version=99)),
        _gguf_case("gguf-200k-metadata", _gguf(0, 200_000, (
            struct.pack("<Q", 1) + b"k" + struct.pack("<IB", 0, 1)) * 200_000)),
        _gguf_case("gguf-100k-tensors", _gguf(100_000, 0, many) + b"\0" * (16 * 100_000)),
    ]


# --- PyTorch checkpoints ---------------------------------------------------------------------

def _torch_save(obj_factory: Callable[[Any], Any]) -> Callable[[str], None]:
    def write(path: str) -> None:
        import torch

        torch.save(obj_factory(torch), path)
    return write


def _memo_bomb(torch: Any) -> Any:
    leaf: Any = [torch.zeros(1)]
    for _ in range(10):
        leaf = [leaf] * 10  # 10^10 tensors, one list object per level
    return leaf


def _dict_bomb(torch: Any) -> Any:
    d: Any = {"w": torch.zeros(1)}
    for _ in range(12):
        d = {str(j): d for j in range(8)}  # 8^12 = 68,719,476,736 paths
    return d


def _tuple_bomb(torch: Any) -> Any:
    t: Any = (torch.zeros(1), 1, "x")
    for _ in range(30):
        t = (t, t)  # 2^30 leaves
    return {"state_dict": t}


def _deflate_bomb(path: str) -> None:
    import torch

    buf = io.BytesIO()
    torch.save({"w": torch.zeros(4)}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                out.writestr(info.filename, data + b"\0" * (400 * 1024 * 1024),
                             compress_type=zipfile.ZIP_DEFLATED)
            else:
                out.writestr(info, data)


def _deflated_storage_bomb(path: str) -> None:
    import torch

    buf = io.BytesIO()
    torch.save({"w": torch.zeros(4)}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/data/0"):
                data += b"\0" * (300 * 1024 * 1024)
            out.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)


class _Evil:
    def __reduce__(self) -> Any:
        return (os.system, ("echo pwned > /dev/null",))


def _code_pickle(path: str) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(_Evil()))
        z.writestr("archive/version", "3\n")


def _legacy_save(obj_factory: Callable[[Any], Any]) -> Callable[[str], None]:
    def write(path: str) -> None:
        import torch

        torch.save(obj_factory(torch), path, _use_new_zipfile_serialization=False)
    return write


def _memo_index(path: str) -> None:
    # an empty list memoized at index 2^32 - 1 (a memo kept as a list would be 32 GiB)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02]r\xff\xff\xff\xff.")
        z.writestr("archive/version", "3\n")


def torch_files() -> list[Case]:
    return [Case("pt-memo-bomb", "memo.pt", write=_torch_save(_memo_bomb), torch=True),
            Case("pt-dict-bomb", "dict.pt", write=_torch_save(_dict_bomb), torch=True),
            Case("pt-tuple-bomb", "tuple.pth", write=_torch_save(_tuple_bomb), torch=True),
            Case("pt-deflate-bomb", "deflate.pt", write=_deflate_bomb, torch=True),
            Case("pt-deflated-storage", "storage.bin", write=_deflated_storage_bomb,
                 torch=True),
            Case("pt-code", "code.pt", write=_code_pickle, torch=True),
            Case("pt-not-zip", "legacy.pt", b"\x80\x02" + b"\0" * 100, torch=True),
            Case("pt-legacy-dict-bomb", "legacy-dict.pt", write=_legacy_save(_dict_bomb),
                 torch=True),
            Case("pt-memo-index", "memo-index.pt", write=_memo_index),
            Case("pt-zip-garbage", "garbage.ckpt", _zip({"x/data.pkl": b"\x80\x05garbage"}),
                 torch=True)]


# --- .keras archives -------------------------------------------------------------------------

def _zip(members: dict[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _keras(config: Any) -> bytes:
    return _zip({"config.json": json.dumps(config), "metadata.json": "{}"})


def keras_files() -> list[Case]:
    dense = {"class_name": "Dense", "config": {"units": 4}}
    inp = {"class_name": "InputLayer", "config": {"batch_shape": [None, 8]}}
    bad = {
        "top-list": [1, 2],
        "config-string": {"config": "layers"},
        "layers-object": {"config": {"layers": {"a": 1}}},
        "layer-list": {"config": {"layers": [[1, 2]]}},
        "class-name-int": {"config": {"layers": [inp, {"class_name": 7, "config": {}}]}},
        "layer-config-string": {"config": {"layers": [inp, {"class_name": "Dense",
                                                            "config": "units=4"}]}},
        "shape-string": {"config": {"layers": [{"class_name": "InputLayer",
                                                "config": {"batch_shape": "None, 8"}},
                                               dense]}},
        "shape-strings": {"config": {"layers": [{"class_name": "InputLayer",
                                                 "config": {"batch_shape": [None, "8"]}},
                                                dense]}},
        "shape-int": {"config": {"layers": [{"class_name": "InputLayer",
                                             "config": {"batch_shape": 8}}, dense]}},
        "units-string": {"config": {"layers": [inp, {"class_name": "Dense",
                                                     "config": {"units": "4"}}]}},
        "build-config-list": {"config": {"layers": [{**dense, "build_config": [8]}]}},
        "name-list": {"config": {"name": ["x"] * 100, "layers": [inp, dense]}},
        "units-10e400": {"config": {"layers": [inp, {"class_name": "Dense",
                                                     "config": {"units": BIG}}]}},
    }
    cases = [Case(f"keras-{name}", f"{name}.keras", _keras(config))
             for name, config in bad.items()]
    cases += [Case("keras-not-zip", "plain.keras", b"PK\x03\x04 not really"),
              Case("keras-config-not-json", "nojson.keras", _zip({"config.json": "{"})),
              Case("keras-no-config", "noconfig.keras", _zip({"x": "y"})),
              Case("keras-deflate-bomb", "bomb.keras", _deflated({"config.json": b" " * 10**8})),
              Case("keras-config-lies", "lies.keras", _lying_zip())]
    return cases


def _deflated(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _lying_zip() -> bytes:
    """config.json's directory entry says 10 bytes; it inflates to 50 MB."""
    data = bytearray(_deflated({"config.json": b"{" + b" " * 50_000_000 + b"}"}))
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)  # uncompressed size in the directory
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 10)
    return bytes(data)


# --- ONNX ------------------------------------------------------------------------------------

def onnx_files() -> list[Case]:
    return [Case("onnx-garbage", "garbage.onnx", b"\x08\x07" + b"\xff" * 100,
                 api=("POST", "/api/checkpoint?format=onnx&file_size=102",
                      b"\x08\x07" + b"\xff" * 100)),
            Case("onnx-empty", "empty.onnx", b"",
                 api=("POST", "/api/checkpoint?format=onnx&file_size=0", b"")),
            Case("onnx-deep-nesting", "deep.onnx", b"\x3a\x02" * 10_000),
            # a million nodes in 14 MB (the stated limit: 100,000)
            Case("onnx-million-nodes", "nodes.onnx", write=_write_many_nodes(1_000_000)),
            # 400,000 in 5.6 MB, within the API's 16 MiB
            Case("onnx-many-nodes-api", argv=(), api=(
                "POST", f"/api/checkpoint?format=onnx&file_size={len(many_nodes(400_000))}",
                many_nodes(400_000)))]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append(n & 0x7F | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def many_nodes(count: int) -> bytes:
    """An ONNX model of count Relu nodes, written field by field (onnx.helper would take
    seconds): the wire format lets a repeated field repeat."""
    node = b"\x0a\x01x\x12\x01y\x22\x04Relu"  # input 'x', output 'y', op_type 'Relu'
    nodes = (b"\x0a" + _varint(len(node)) + node) * count
    graph = nodes + b"\x12\x01g"  # its name
    return b"\x08\x08" + b"\x3a" + _varint(len(graph)) + graph  # ir_version 8, the graph


def _write_many_nodes(count: int) -> Callable[[str], None]:
    def write(path: str) -> None:
        with open(path, "wb") as f:
            f.write(many_nodes(count))
    return write


# --- special files ---------------------------------------------------------------------------

SUFFIXES = (".safetensors", ".gguf", ".json", ".yaml", ".onnx", ".pt", ".keras",
            ".safetensors.index.json")


def _fifo(path: str) -> None:
    os.mkfifo(path)


def _dev_zero(path: str) -> None:
    os.symlink("/dev/zero", path)


def _directory(path: str) -> None:
    os.mkdir(path)


def special_files() -> list[Case]:
    cases: list[Case] = []
    for suffix in SUFFIXES:
        slug = suffix.strip(".").replace(".", "-")
        torch = suffix == ".pt"
        cases += [Case(f"fifo-{slug}", f"fifo{suffix}", write=_fifo, torch=torch),
                  Case(f"dev-zero-{slug}", f"zero{suffix}", write=_dev_zero, torch=torch)]
        if suffix in (".json", ".pt", ".gguf"):
            cases.append(Case(f"directory-{slug}", f"dir{suffix}", write=_directory,
                              torch=torch))
    cases.append(Case("missing-file", "absent.safetensors"))
    cases.append(Case("index-shard-fifo", "model.safetensors.index.json",
                      write=_index_with_fifo_shard))
    cases.append(Case("index-shard-outside", "outside.safetensors.index.json",
                      _json({"weight_map": {"w": "../../etc/passwd"}})))
    return cases


def _index_with_fifo_shard(path: str) -> None:
    folder = os.path.dirname(path)
    os.mkfifo(os.path.join(folder, "shard-fifo.safetensors"))
    with open(path, "w") as f:
        json.dump({"weight_map": {"w": "shard-fifo.safetensors"}}, f)


# --- issue 26: what the server answered 500, what builds without bound, folders --------------

ENDPOINTS = ("/api/count", "/api/config", "/api/preset", "/api/growth", "/api/memory",
             "/api/speed", "/api/train-time")


def not_json() -> list[Case]:
    """Bodies json.loads takes but JSON has no room for: each used to be a 500 (its 422 could
    not be written out)."""
    cases = []
    for path in ENDPOINTS:
        slug = path.rsplit("/", 1)[1]
        for name, text in (("nan", '{"network": NaN, "config": NaN, "name": NaN}'),
                           ("infinity", '{"network": -Infinity, "name": 1e999}'),
                           ("surrogate", '{"network": "\\ud800", "name": "\\udfff"}'),
                           ("digits", '{"network": 1' + "0" * 5000 + "}")):
            cases.append(Case(f"json-{name}-{slug}", argv=(), api=("POST", path, text)))
    named = _spec([{"type": "Linear", "out_features": 2, "name": "\ud800x"}], (4,))
    cases.append(Case("json-surrogate-layer-name", "surrogate.json", json.dumps(named),
                      api=("POST", "/api/count", '{"spec": ' + json.dumps(named) + "}")))
    cases.append(Case("json-header-not-ascii", argv=(), api=(
        "POST", "/api/memory", {"checkpoint": {"format": "safetensors", "file_size": 10,
                                               "header": "café"}})))
    cases.append(Case("speed-tflops-5e-324", argv=(
        "speed", "llama-3.1-8b", "--bandwidth", "1TB/s", "--tflops", "5e-324"),
        api=("POST", "/api/speed", {"preset": "llama-3.1-8b", "bandwidth": "1TB/s",
                                    "tflops": 5e-324})))
    cases += _config_case("config-top-k-past-experts", _config(
        "mixtral", 2, num_local_experts=2, num_experts_per_tok=5))
    return cases


def unbounded_builds() -> list[Case]:
    """Configs transformers builds module by module, under keys no name check catches; specs
    and YAML whose size is in their values, not their length."""
    cases = [Case(f"fallback-{name}", f"fallback-{name}.json", _json(config))
             for name, config in (
                 ("swinv2-depths", {"model_type": "swinv2", "depths": [4000, 4000],
                                    "num_heads": [2, 4], "embed_dim": 32, "image_size": 32,
                                    "window_size": 4, "patch_size": 4}),
                 ("reformer-attn-layers", {"model_type": "reformer",
                                           "attn_layers": ["local", "lsh"] * 4000}),
                 ("xlnet-n-layer", {"model_type": "xlnet", "n_layer": 4000, "d_model": 64,
                                    "n_head": 4, "d_inner": 128}),
                 ("funnel-block-sizes", {"model_type": "funnel", "block_sizes": [4000] * 3}))]
    cases += _config_case("config-mlp-only-800k", _config(
        "qwen3_moe", 10**6, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
        decoder_sparse_step=1, mlp_only_layers=list(range(0, 1_600_000, 2))))
    cases += _spec_case("spec-100k-dims", _spec([{"type": "ReLU"}] * 4, [2] * 100_000))
    cases += _spec_case("spec-50-dims-1e99", _spec([{"type": "Linear", "out_features": 2}],
                                                   [10**99] * 50))
    cases.append(Case("spec-50-dims-1e99-explain", "explain.json",
                      _json(_spec([{"type": "Linear", "out_features": 2}], [10**99] * 50)),
                      argv=("{path}", "--explain")))
    lines = ["a: &a " + "x" * 100_000]
    lines += [f"b{i}: &b{i} [" + ", ".join(["*a" if i == 0 else f"*b{i - 1}"] * 6) + "]"
              for i in range(5)]
    cases.append(Case("yaml-long-scalar-aliases", "scalars.yaml", "\n".join(lines) +
                      "\ninput_shape: [3]\nlayers: [{type: ReLU}]\nname: *b4\n"))
    return cases


def _folder(config: Callable[[str], None]) -> Callable[[str], None]:
    """A model folder whose config.json config() makes."""
    def write(path: str) -> None:
        os.mkdir(path)
        config(os.path.join(path, "config.json"))
    return write


def _loop(path: str) -> None:
    os.symlink(os.path.basename(path), path)  # config.json -> config.json


def _folder_index_fifo(path: str) -> None:
    os.mkdir(path)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(_config("llama", 2), f)
    os.mkfifo(os.path.join(path, "model.safetensors.index.json"))


def folders() -> list[Case]:
    return [Case("folder-config-fifo", "fifo-model", write=_folder(_fifo)),
            Case("folder-config-dev-zero", "zero-model", write=_folder(_dev_zero)),
            Case("folder-config-loop", "loop-model", write=_folder(_loop)),
            Case("folder-index-fifo", "index-model", write=_folder_index_fifo)]


def at_the_maxima() -> list[Case]:
    """Inputs at the stated limits: they must be cheap too (gguf-100k-tensors is GGUF's)."""
    from nnsize.importers.from_onnx import MAX_NODES
    from nnsize.importers.from_safetensors import MAX_TENSORS

    st = _st_many(MAX_TENSORS)
    nodes = many_nodes(MAX_NODES)
    return [Case("st-at-max-tensors", "max.safetensors", st,
                 api=("POST", f"/api/checkpoint?format=safetensors&file_size={len(st)}", st)),
            Case("onnx-at-max-nodes", "max.onnx", nodes,
                 api=("POST", f"/api/checkpoint?format=onnx&file_size={len(nodes)}", nodes))]


def all_cases() -> list[Case]:
    cases = [*unbounded_work(), *yaml_bombs(), *overflow(), *safetensors(), *gguf(),
             *torch_files(), *keras_files(), *onnx_files(), *special_files(), *not_json(),
             *unbounded_builds(), *folders(), *at_the_maxima()]
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    files = [c.filename for c in cases if c.filename]
    assert len(files) == len(set(files)), "file names must be unique"
    return cases


def write_case(case: Case, folder: str) -> str:
    """Write the case's file into folder; its path ('' for a case without one)."""
    if not case.filename:
        return ""
    path = os.path.join(folder, case.filename)
    if case.write is not None:
        case.write(path)
    elif case.content is not None:
        data = case.content.encode() if isinstance(case.content, str) else case.content
        with open(path, "wb") as f:
            f.write(data)
    return path
