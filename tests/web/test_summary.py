"""A checkpoint's summary (importers.summary): what /api/checkpoint answers besides the count,
and what the page plans a dropped file with afterwards instead of its header (issue 24, point
6).  A summary plans exactly as its header; a hostile one is refused as a header would be."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from nnsize.importers.summary import fold, report, summarize  # noqa: E402
from nnsize.importers.tensors import Stored  # noqa: E402
from nnsize.render.json import report_dict  # noqa: E402
from nnsize.web.app import create_app  # noqa: E402

client = TestClient(create_app(hub=False), raise_server_exceptions=False)


def safetensors_header(layers: int = 12) -> tuple[bytes, int]:
    """A header in the order writers sort names (layers 0, 1, 10, 11, 2...); the file's size."""
    header: dict[str, Any] = {"model.embed_tokens.weight": {"dtype": "BF16", "shape": [100, 8],
                                                            "data_offsets": [0, 1_600]}}
    at = 1_600  # 100 x 8 x 2 B
    for i in range(layers):
        for t in ("k_proj", "q_proj"):
            header[f"model.layers.{i}.self_attn.{t}.weight"] = {
                "dtype": "F32", "shape": [8, 8], "data_offsets": [at, at + 256]}  # 8 x 8 x 4 B
            at += 256
    header["lm_head.bias"] = {"dtype": "F32", "shape": [3], "data_offsets": [at, at + 12]}
    at += 12
    raw = json.dumps(dict(sorted(header.items()))).encode()
    data = struct.pack("<Q", len(raw)) + raw
    return data, len(data) + at


def gguf_header(tmp_path: Any, layers: int = 4) -> bytes:
    gguf = pytest.importorskip("gguf")
    np = pytest.importorskip("numpy")
    path = tmp_path / "m.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(layers)
    w.add_embedding_length(256)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_context_length(4096)
    q8, q4 = gguf.GGMLQuantizationType.Q8_0, gguf.GGMLQuantizationType.Q4_0
    names = [("token_embd.weight", q8)] + [
        (f"blk.{i}.{t}.weight", q4 if i % 2 and t == "ffn_down" else q8)  # a mix, as Q4_K_M
        for i in range(layers) for t in ("attn_q", "ffn_down")] + [("output.weight", q8)]
    for name, kind in names:
        block, size = gguf.GGML_QUANT_SIZES[kind]
        raw = np.zeros((256, 256 // block * size), dtype=np.uint8)
        w.add_tensor(name, raw, raw_dtype=kind)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path.read_bytes()


def test_a_summary_folds_the_layers_and_counts_as_its_header(tmp_path: Any) -> None:
    data, size = safetensors_header()
    s = summarize("safetensors", data, size, "m.safetensors")
    assert s is not None
    runs = [e for e in s["tensors"] if isinstance(e, dict)]
    # 12 layers of 2 tensors: one entry, the layers in the file's order
    assert len(runs) == 1 and runs[0]["at"] == [0, 1, 10, 11, 2, 3, 4, 5, 6, 7, 8, 9]
    from nnsize.web.app import _checkpoint

    assert report_dict(report(json.loads(json.dumps(s)), size, "m.safetensors")) == \
        report_dict(_checkpoint("safetensors", data, size, "m.safetensors"))
    g = gguf_header(tmp_path)
    s = summarize("gguf", g, len(g), "m.gguf")
    assert s is not None and s["metadata"]["llama.block_count"] == 4
    # odd layers keep ffn_down at Q4_0: layers 0, 2 and 1, 3 are two entries each... in order
    assert [e["at"] for e in s["tensors"] if isinstance(e, dict)] == [[0], [1], [2], [3]]
    assert report_dict(report(json.loads(json.dumps(s)), len(g), "m.gguf")) == \
        report_dict(_checkpoint("gguf", g, len(g), "m.gguf"))


def test_the_planner_answers_a_summary_as_its_header(tmp_path: Any) -> None:
    g = gguf_header(tmp_path, layers=8)
    counted = client.post(f"/api/checkpoint?format=gguf&file_size={len(g)}&name=m.gguf",
                          content=g).json()
    summary = counted["summary"]
    setup = {"gpu": "rtx-4090", "batch": 4, "context": 8192}
    by_header = client.post("/api/memory", json={**setup, "checkpoint": {
        "format": "gguf", "file_size": len(g), "name": "m.gguf",
        "header": base64.b64encode(g).decode()}})
    by_summary = client.post("/api/memory", json={**setup, "checkpoint": {
        "format": "gguf", "file_size": len(g), "name": "m.gguf", "summary": summary}})
    assert by_header.status_code == by_summary.status_code == 200, by_summary.text
    assert by_header.json() == by_summary.json()
    assert len(summary) < len(g) // 2, (len(summary), len(g))


@pytest.mark.parametrize(("summary", "says"), [
    ("{", "not JSON"),
    ('{"format": "gguf", "metadata": {}, "tensors": []}', "summary of a safetensors"),
    ('{"format": "safetensors", "metadata": {}, "tensors": [["w", [2, 2], "F33"]]}',
     "unknown dtype 'F33'"),
    ('{"format": "safetensors", "metadata": {}, "tensors": [["w", [2, -2], "F32"]]}',
     "invalid shape"),
    # 4 x 4 x 4 B = 64 bytes in a file of 50
    ('{"format": "safetensors", "metadata": {}, "tensors": [["w", [4, 4], "F32"]]}',
     "64 bytes, more than the file's 50"),
    (json.dumps({"format": "safetensors", "metadata": {}, "tensors": [
        {"at": list(range(60_000)),
         "tensors": [["l.{i}.w", [1], "F32"], ["l.{i}.b", [1], "F32"]]}]}),
     "more than 100,000 tensors"),
    ('{"format": "safetensors", "metadata": {}, "tensors": [{"at": [1], "tensors": '
     '[["l.w", [1], "F32"]]}]}', "needs one {i}"),
    ('{"format": "safetensors", "metadata": {"a": 1}, "tensors": []}', "GGUF only"),
    ('{"format": "safetensors", "metadata": {}, "tensors": [], "more": 1}', "format, metadata"),
    ('{"format": "safetensors", "metadata": {}, "tensors": [{"at": [1, 1], "tensors": '
     '[["l.{i}.w", [1], "F32"]]}]}', "'l.1.w' is listed twice"),
])
def test_a_hostile_summary_is_refused_in_words(summary: str, says: str) -> None:
    r = client.post("/api/memory", json={"checkpoint": {
        "format": "safetensors", "file_size": 50, "name": "m.safetensors", "summary": summary}})
    assert r.status_code == 400, r.text
    assert says in r.json()["detail"], r.json()["detail"]


def test_header_or_summary_not_both() -> None:
    data, size = safetensors_header(1)
    s = json.dumps(summarize("safetensors", data, size, "m"))
    for checkpoint in ({}, {"header": base64.b64encode(data).decode(), "summary": s}):
        r = client.post("/api/memory", json={"checkpoint": {
            "format": "safetensors", "file_size": size, "name": "m", **checkpoint}})
        assert r.status_code == 400 and "exactly one of header, summary" in r.text, r.text


def test_names_that_do_not_fold_stay_whole() -> None:
    # a layer number with a leading zero, or a name with braces, does not print back as itself
    stored = [Stored("a.007.w", (2,), "F32", 8), Stored("b.{i}.1.w", (2,), "F32", 8),
              Stored("c.1.w", (2,), "F32", 8)]
    s = fold("safetensors", {}, stored)
    assert s["tensors"][:2] == [["a.007.w", [2], "F32"], ["b.{i}.1.w", [2], "F32"]]
    assert [t.name for t in _stored(report(s, 100, "m"))] == ["a.007.w", "b.{i}.1.w", "c.1.w"]


def _stored(r: Any) -> list[Any]:
    return [t for row in r.rows for t in row.tensors]


def _json_values() -> Any:
    from hypothesis import strategies as st

    leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                     st.text(max_size=20), st.sampled_from(["F32", "Q8_0", "l.{i}.w", "gguf"]))
    return st.recursive(leaf, lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
        max_leaves=20)


def test_any_summary_is_a_report_or_one_message() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from nnsize.errors import NnsizeError

    metadata = st.dictionaries(st.sampled_from([
        "general.architecture", "llama.block_count", "llama.embedding_length",
        "llama.attention.head_count", "llama.attention.head_count_kv", "llama.context_length"]),
        st.one_of(st.just("llama"), st.integers(-5, 2**64), st.floats(allow_nan=False),
                  st.lists(st.integers(0, 9), max_size=3), st.text(max_size=5)))
    tensor = st.tuples(st.sampled_from(["token_embd.weight", "blk.{i}.attn_q.weight", "w"]),
                       st.lists(st.integers(-1, 2**63), max_size=4),
                       st.sampled_from(["F32", "Q8_0", "BF16", "X"])).map(list)
    entry = st.one_of(tensor, st.fixed_dictionaries(
        {"at": st.lists(st.integers(-1, 40), max_size=4), "tensors": st.lists(tensor, max_size=3)}),
        _json_values())
    summary = st.one_of(_json_values(), st.fixed_dictionaries({
        "format": st.sampled_from(["gguf", "safetensors", "onnx"]), "metadata": metadata,
        "tensors": st.lists(entry, max_size=6)}))

    @settings(max_examples=300, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(summary, st.integers(0, 2**40))
    def check(s: Any, size: int) -> None:
        try:
            report(s, size, "m")
        except NnsizeError:
            pass

    check()
