"""GGUF named mixes against llama.cpp's published sizes and files written by the gguf package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nnsize
from nnsize.errors import NnsizeError
from nnsize.memory import gguf_mix

import paths

# llama.cpp's tools/quantize/README.md (ggml-org/llama.cpp, commit 311c2c9f0ebd6e08f5b20e8827c
# 654cebb7a41d6), table "meta-llama/Llama-3.1-8B": llama-bench's bits per weight, i.e. the
# tensor data x 8 / 8,030,261,312 parameters (8,030,261,248 of the model and the 64 of the
# rope_freqs.weight the converter adds for Llama 3.1's rope scaling).  The same table's GiB:
# Q4_K_M 4.58, Q5_K_M 5.33, Q6_K 6.14, Q8_0 7.95, IQ4_XS 4.17.  (Its IQ4_NL and Q4_K_S rows
# share their speed columns; their bits differ and are both matched here.)
PUBLISHED_BPW = {
    "IQ1_S": "2.0042", "IQ1_M": "2.1460", "IQ2_XXS": "2.3824", "IQ2_XS": "2.5882",
    "IQ2_S": "2.7403", "IQ2_M": "2.9294", "IQ3_XXS": "3.2548", "IQ3_XS": "3.4977",
    "IQ3_S": "3.6606", "IQ3_M": "3.7628", "IQ4_XS": "4.4597", "IQ4_NL": "4.6818",
    "Q2_K_S": "2.9697", "Q2_K": "3.1593", "Q3_K_S": "3.6429", "Q3_K_L": "4.2979",
    "Q4_K_S": "4.6672", "Q4_K_M": "4.8944", "Q5_K_S": "5.5704", "Q5_K_M": "5.7036",
    "Q6_K": "6.5633", "Q8_0": "8.5008", "F16": "16.0005",
}
# The IQ1 / IQ2 / IQ3_XXS types cannot be made without an importance matrix (llama-quant.cpp's
# tensor_requires_imatrix), so those rows were made with one; for the others it changes
# nothing but IQ4_XS / IQ4_NL's first ffn_down layers, and those rows match without one.
WITH_IMATRIX = {"IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ3_XXS"}
ROPE_FREQS = ("rope_freqs.weight", (64,))  # head_dim / 2 fp32 factors, written by the converter


def _llama_31_8b(ftype: str) -> gguf_mix.Mix:
    report = nnsize.count("llama-3.1-8b")
    tensors = gguf_mix.report_tensors(report) + [ROPE_FREQS]
    return gguf_mix.Mix(ftype, tuple(gguf_mix.assign(tensors, ftype, gguf_mix.hparams(report),
                                                     ftype in WITH_IMATRIX, "F16")))


@pytest.mark.parametrize("ftype", sorted(PUBLISHED_BPW))
def test_llama_31_8b_matches_the_published_bits_per_weight(ftype: str) -> None:
    m = _llama_31_8b(ftype)
    assert m.params == 8_030_261_312
    bpw = m.tensor_bytes * 8 / m.params
    assert f"{bpw:.4f}" == PUBLISHED_BPW[ftype]  # to the 4 decimals published (well within 1%)


def test_q4_k_m_per_tensor_choices() -> None:
    types = {t.name: t.ggml_type for t in _llama_31_8b("Q4_K_M").tensors}
    # use_more_bits over 32 layers: i < 4, i >= 28, or (i - 4) % 3 == 2 -> 6, 9, ..., 27
    more = set(range(4)) | set(range(28, 32)) | set(range(6, 28, 3))
    assert len(more) == 16  # 4 + 4 + 8
    for i in range(32):
        want = "Q6_K" if i in more else "Q4_K"
        assert types[f"blk.{i}.attn_v.weight"] == want
        assert types[f"blk.{i}.ffn_down.weight"] == want
        assert types[f"blk.{i}.attn_q.weight"] == "Q4_K"
        assert types[f"blk.{i}.attn_norm.weight"] == "F32"
    assert types["output.weight"] == "Q6_K"
    assert types["token_embd.weight"] == "Q4_K"  # not tied: the embedding takes the default
    assert types["rope_freqs.weight"] == "F32"


def test_q4_0_puts_the_head_at_q6_k_and_imatrix_the_first_ffn_down_at_q4_1() -> None:
    plain = {t.name: t.ggml_type for t in _llama_31_8b("Q4_0").tensors}
    assert plain["output.weight"] == "Q6_K" and plain["blk.0.ffn_down.weight"] == "Q4_0"
    report = nnsize.count("llama-3.1-8b")
    imat = {t.name: t.ggml_type for t in gguf_mix.assign(
        gguf_mix.report_tensors(report), "Q4_0", gguf_mix.hparams(report), imatrix=True)}
    # n_layer / 8 = 4 first layers
    assert [imat[f"blk.{i}.ffn_down.weight"] for i in (0, 3, 4)] == ["Q4_1", "Q4_1", "Q4_0"]


def test_tied_embeddings_take_the_output_type() -> None:
    report = nnsize.count("llama-3.2-1b")  # tie_word_embeddings: no output.weight in the file
    types = {t.name: t.ggml_type for t in gguf_mix.mix(report, "Q4_K_M").tensors}
    assert "output.weight" not in types and types["token_embd.weight"] == "Q6_K"


def test_70b_attn_v_gets_q5_k() -> None:
    report = nnsize.count("llama-3.1-70b")
    types = {t.name: t.ggml_type for t in gguf_mix.mix(report, "Q4_K_S").tensors}
    assert types["blk.0.attn_v.weight"] == "Q5_K"  # Q4_K_S: first 4 attn_v at Q5_K
    assert types["blk.40.attn_v.weight"] == "Q5_K"  # LLM_TYPE_70B: Q4_K -> Q5_K


def test_mixtral_experts_routers_and_attn_v() -> None:
    report = nnsize.count("mixtral-8x7b")
    m = gguf_mix.mix(report, "Q4_K_M")
    types = {t.name: t.ggml_type for t in m.tensors}
    shapes = {t.name: t.shape for t in m.tensors}
    assert shapes["blk.0.ffn_gate_exps.weight"] == (8, 14336, 4096)  # gate_up_proj split in two
    assert types["blk.0.ffn_gate_inp.weight"] == "F32"  # the router is never quantized
    assert types["blk.5.attn_v.weight"] == "Q8_0"  # 8 experts: attn_v and attn_k at Q8_0
    assert types["blk.5.attn_k.weight"] == "Q8_0"
    assert types["blk.5.attn_output.weight"] == "Q5_K"
    assert m.params == report.total_params


def test_type_sizes_are_ggufs() -> None:
    constants = pytest.importorskip("gguf.constants")
    sizes = {k.name: v for k, v in constants.GGML_QUANT_SIZES.items()}
    for name, size in gguf_mix.TYPE_SIZES.items():
        assert sizes[name] == size


def test_a_gguf_written_with_these_types_has_these_bytes(tmp_path: Path) -> None:
    """A tiny Llama written by the gguf package with the Q4_K_M types: every tensor's bytes and
    the file's size, to the byte."""
    gguf = pytest.importorskip("gguf")
    pytest.importorskip("numpy")
    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 1000,
              "hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 16,
              "num_attention_heads": 4, "num_key_value_heads": 1, "max_position_embeddings": 512,
              "rms_norm_eps": 1e-5, "tie_word_embeddings": False}
    report = nnsize.count(config)
    m = gguf_mix.mix(report, "Q4_K_M")
    path = tmp_path / "tiny-Q4_K_M.gguf"
    _write(path, "llama", m, {})
    reader = gguf.GGUFReader(str(path))
    read = {t.name: (t.tensor_type.name, int(t.n_bytes)) for t in reader.tensors}
    assert read == {t.name: (t.ggml_type, t.bytes) for t in m.tensors}
    assert path.stat().st_size == reader.data_offset + m.padded_bytes()
    # ffn_down at Q6_K in 16 layers: i < 2, i >= 14, (i - 2) % 3 == 2 -> 0, 1, 4, 7, 10, 13, 14, 15
    assert [i for i in range(16) if read[f"blk.{i}.ffn_down.weight"][0] == "Q6_K"] == \
        [0, 1, 4, 7, 10, 13, 14, 15]
    # blk.0.attn_v: (64, 256) at Q6_K = 64 rows x 1 block x 210 bytes = 13,440
    assert read["blk.0.attn_v.weight"] == ("Q6_K", 13_440)


def test_falls_back_where_rows_are_not_whole_blocks() -> None:
    hp = gguf_mix.Hparams(n_layer=1, n_head=1, n_head_kv=1)
    out = gguf_mix.assign([("blk.0.attn_q.weight", (96, 96)), ("blk.0.ffn_up.weight", (96, 40))],
                          "Q4_K_M", hp)
    types = {t.name: t.ggml_type for t in out}
    assert types == {"blk.0.attn_q.weight": "Q5_0",  # 96 % 256 != 0: Q4_K -> Q5_0 (32)
                     "blk.0.ffn_up.weight": "F16"}  # 40 % 32 != 0 as well: F16


def test_unknown_names_and_mixes_are_errors() -> None:
    with pytest.raises(NnsizeError, match="Q4_K_M"):
        gguf_mix.find_ftype("Q4_KM")
    with pytest.raises(NnsizeError, match="no GGUF name"):
        gguf_mix.gguf_names("model.layers.0.mystery.weight", (4, 4))


def test_qwen2_with_80_layers_is_a_70b_too() -> None:
    report = nnsize.count("qwen2.5-72b")  # llama.cpp: qwen2, 80 layers -> LLM_TYPE_70B
    types = {t.name: t.ggml_type for t in gguf_mix.mix(report, "Q4_K_S").tensors}
    assert types["blk.40.attn_v.weight"] == "Q5_K"
    assert types["blk.0.attn_q.bias"] == "F32"  # Qwen's biases: 1-D, F32


def test_keep_with_a_mix_is_refused_not_dropped() -> None:
    # llama.cpp picks each tensor's type in a named mix: a keep setting would be ignored
    from nnsize.memory.plan import plan
    from nnsize.memory.setup import Setup

    report = nnsize.count("llama-3.2-1b")
    with pytest.raises(NnsizeError, match="keep does not apply to the GGUF mix"):
        plan(report, Setup(dtype="q4_k_m", keep=()))


FILE_SIZES = json.loads((paths.DATA / "gguf_file_sizes.json").read_text())
PUBLISHED_FILES = [(m["model"], ftype, round(gb * 10**9), m["repo"])
                   for m in FILE_SIZES["models"] for ftype, gb in m.get("gb", {}).items()] + \
    [(m["model"], ftype, round(bpw * 8_030_261_312 / 8), m["repo"])
     for m in FILE_SIZES["models"] for ftype, bpw in m.get("bpw", {}).items()]


@pytest.mark.parametrize("model, ftype, published, repo", PUBLISHED_FILES)
def test_every_llama_quantize_name_plans_the_file_it_writes(model: str, ftype: str,
                                                            published: int, repo: str) -> None:
    # the name as llama-quantize spells it and in lower case: the same file (issue 21: --dtype
    # Q8_0 once kept the embeddings and head at bf16, 9.52 GB for bartowski's 8.54 GB file)
    from nnsize.memory.plan import plan
    from nnsize.memory.setup import Setup

    report = nnsize.count(model)
    for dtype in (ftype, ftype.lower()):
        weights = plan(report, Setup(dtype=dtype)).lines[0]
        assert weights.part == "gguf_weights" and weights.terms.ftype == ftype
        assert abs(weights.bytes - published) <= published // 100, (repo, weights.bytes)


def test_a_block_format_alone_is_asked_by_name_and_labelled() -> None:
    from nnsize.memory.plan import plan
    from nnsize.memory.setup import Setup

    report = nnsize.count("llama-3.2-1b")
    p = plan(report, Setup(dtype="q8_0-block"))
    assert p.precision.name == "q8_0-block" and p.lines[0].part == "weights"
    assert "no llama.cpp mix" in p.precision.description
    # Q8_0 blocks of 34 bytes per 32 weights on the 2-D weights, the rest kept at bf16
    terms = p.lines[0].terms
    assert p.lines[0].bytes == terms.values * 34 // 32 + terms.kept * 2
    with pytest.raises(NnsizeError, match="q8_0-block"):  # a CNN has no llama.cpp file
        plan(nnsize.count({"input_shape": [4], "layers": [{"type": "Linear",
                                                           "out_features": 32}]}),
             Setup(dtype="Q8_0"))


def test_tq_ternary_files_put_the_embeddings_at_q4_k() -> None:
    # llama-quant.cpp: token_embd of a TQ1_0 / TQ2_0 file is Q4_K; the head Q6_K
    report = nnsize.count("llama-3.1-8b")
    types = {t.name: t.ggml_type for t in gguf_mix.mix(report, "TQ1_0").tensors}
    assert types["token_embd.weight"] == "Q4_K" and types["output.weight"] == "Q6_K"
    assert types["blk.0.attn_q.weight"] == "TQ1_0"


def _write(path: Path, arch: str, m: gguf_mix.Mix, keys: dict[str, int]) -> None:
    """m's tensors at their types, written by the gguf package (zeros of each type's bytes)."""
    gguf = pytest.importorskip("gguf")
    np = pytest.importorskip("numpy")
    writer = gguf.GGUFWriter(str(path), arch)
    for key, value in keys.items():
        writer.add_uint32(f"{arch}.{key}", value)
    for t in m.tensors:
        qtype = gguf.GGMLQuantizationType[t.ggml_type]
        block, size = gguf.GGML_QUANT_SIZES[qtype]
        byte_shape = (*t.shape[:-1], t.shape[-1] // block * size)
        writer.add_tensor(t.name, np.zeros(byte_shape, dtype=np.uint8), raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_memory_and_fit_on_a_glm4_gguf_read_back_to_the_byte(tmp_path: Path) -> None:
    """A tiny GLM-4-0414 planned at Q4_K_M, written by the gguf package under llama.cpp's glm4
    keys, read back: the same tensors and bytes, the KV cache and longest context from its keys."""
    from nnsize.memory.fit import fit
    from nnsize.memory.plan import plan
    from nnsize.memory.setup import Setup

    config = {"model_type": "glm4", "architectures": ["Glm4ForCausalLM"], "vocab_size": 1024,
              "hidden_size": 256, "intermediate_size": 640, "num_hidden_layers": 8,
              "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64,
              "attention_bias": True, "tie_word_embeddings": False,
              "max_position_embeddings": 4096}
    report = nnsize.count(config)
    m = gguf_mix.mix(report, "Q4_K_M")
    names = {t.name: t.ggml_type for t in m.tensors}
    # the fused gate_up: ffn_up of 2 x 640 = 1,280 rows; the four norms a layer
    assert next(t for t in m.tensors if t.name == "blk.0.ffn_up.weight").shape == (1280, 256)
    assert {n for n in names if n.startswith("blk.0.") and "norm" in n} == {
        "blk.0.attn_norm.weight", "blk.0.post_attention_norm.weight", "blk.0.ffn_norm.weight",
        "blk.0.post_ffw_norm.weight"}
    # ffn_down's rows hold 640 values: 640 % 256 = 128, Q4_K / Q6_K fall back to Q5_0 / Q8_0
    assert {names[f"blk.{i}.ffn_down.weight"] for i in range(8)} == {"Q5_0", "Q8_0"}
    path = tmp_path / "glm4-Q4_K_M.gguf"
    _write(path, "glm4", m, {"context_length": 4096, "block_count": 8, "embedding_length": 256,
                             "feed_forward_length": 640, "attention.head_count": 4,
                             "attention.head_count_kv": 2, "attention.key_length": 64,
                             "attention.value_length": 64})
    stored = nnsize.count(str(path))
    p = plan(stored, Setup(context=100, kv_dtype="fp16"))
    assert p.lines[0].part == "stored_weights" and p.lines[0].bytes == m.tensor_bytes
    gguf = pytest.importorskip("gguf")
    reader = gguf.GGUFReader(str(path))
    assert {t.name: (t.tensor_type.name, int(t.n_bytes)) for t in reader.tensors} == \
        {t.name: (t.ggml_type, t.bytes) for t in m.tensors}
    assert path.stat().st_size == reader.data_offset + m.padded_bytes()
    # the same KV cache as the config's plan: 8 layers x 100 tokens x 2 heads x (64 + 64) x 2 B
    kv = next(line for line in p.lines if line.part == "kv_cache")
    assert kv.bytes == 8 * 100 * 2 * (64 + 64) * 2 == 409_600
    ours = plan(report, Setup(dtype="Q4_K_M", context=100, kv_dtype="fp16"))
    assert next(line for line in ours.lines if line.part == "kv_cache").bytes == kv.bytes
    f = fit(stored, Setup(), 2**30)
    assert f.longest_context == 4096 and f.positions_from == "GGUF glm4.context_length"


def test_a_gpt_oss_mxfp4_moe_gguf_read_back_to_the_byte(tmp_path: Path) -> None:
    """gpt-oss under MXFP4_MOE (llama-quant.cpp: 3-D tensors of more than one expert MXFP4, the
    rest Q8_0; 1-D sinks, biases, norms and the router F32), written and read back."""
    from nnsize.memory.plan import plan
    from nnsize.memory.setup import Setup

    config = {"model_type": "gpt_oss", "architectures": ["GptOssForCausalLM"],
              "vocab_size": 1024, "hidden_size": 256, "intermediate_size": 256,
              "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
              "head_dim": 64, "num_local_experts": 4, "num_experts_per_tok": 2,
              "layer_types": ["sliding_attention", "full_attention"], "sliding_window": 128,
              "attention_bias": True, "tie_word_embeddings": False,
              "max_position_embeddings": 4096}
    report = nnsize.count(config)
    m = gguf_mix.mix(report, "MXFP4_MOE")
    types = {t.name: t.ggml_type for t in m.tensors}
    assert types["blk.0.ffn_gate_exps.weight"] == types["blk.1.ffn_down_exps.weight"] == "MXFP4"
    assert types["blk.0.attn_q.weight"] == types["output.weight"] == \
        types["token_embd.weight"] == "Q8_0"
    assert types["blk.0.attn_sinks.weight"] == types["blk.0.ffn_gate_inp.weight"] == \
        types["blk.0.ffn_up_exps.bias"] == types["blk.0.post_attention_norm.weight"] == "F32"
    # ffn_gate_exps: 4 experts x 256 rows x 256 values in MXFP4 = 4 x 256 x 8 blocks x 17 B
    assert next(t for t in m.tensors if t.name == "blk.0.ffn_gate_exps.weight").bytes == \
        4 * 256 * 8 * 17 == 139_264
    assert m.params == report.total_params
    path = tmp_path / "gpt-oss-MXFP4_MOE.gguf"
    _write(path, "gpt-oss", m, {"context_length": 4096})
    p = plan(nnsize.count(str(path)), Setup())
    assert p.lines[0].part == "stored_weights" and p.lines[0].bytes == m.tensor_bytes
    # converting at F16 keeps the MXFP4 experts (GptOssModel.repack_mxfp4)
    f16 = {t.name: t.ggml_type for t in gguf_mix.mix(report, "F16").tensors}
    assert f16["blk.0.ffn_up_exps.weight"] == "MXFP4" and f16["blk.0.attn_q.weight"] == "F16"


def test_gpt_oss_q4_k_m_rows_of_2880_fall_back() -> None:
    """llama-quant.cpp's tensor_type_fallback: gpt-oss's rows of 2,880 values are not whole
    256-value K blocks (2,880 = 11.25 x 256): Q4_K -> Q5_0, Q6_K -> Q8_0; the head Q8_0 (nx %
    qk_k).  Published gpt-oss "Q4_K_M" files keep the experts MXFP4 by --tensor-type
    overrides instead (bartowski's README): not this mix."""
    types = {t.name: t.ggml_type for t in gguf_mix.mix(nnsize.count("gpt-oss-20b"),
                                                        "Q4_K_M").tensors}
    assert types["blk.5.ffn_gate_exps.weight"] == types["blk.5.ffn_up_exps.weight"] == "Q5_0"
    assert types["blk.0.ffn_down_exps.weight"] == "Q8_0"  # use_more_bits: Q6_K -> Q8_0
    # 24 layers: blk.4 is not among use_more_bits' (4 >= 3, 4 < 21, (4 - 3) % 3 == 1)
    assert types["blk.4.ffn_down_exps.weight"] == "Q5_0"
    assert types["output.weight"] == "Q8_0" and types["blk.0.attn_sinks.weight"] == "F32"
