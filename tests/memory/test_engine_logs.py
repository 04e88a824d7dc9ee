"""Serving engines' start-up figures against their own logs (tests/data/engine_logs.json).

vLLM / SGLang: the KV cache capacity within 3% of the log (issue 23); an entry whose every
input is known (GPU, model, flags) is predicted from the setup alone (end_to_end), the others
check the exact part: tokens from the logged KV memory.  llama.cpp: the KV cache to the byte,
the compute buffer within 15%.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

import nnsize
from nnsize.memory.lines import KvPerTokenNote, Line
from nnsize.memory.plan import plan
from nnsize.memory.serving import capacity
from nnsize.memory.setup import Setup

import paths

DATA = json.loads((paths.DATA / "engine_logs.json").read_text())
GiB, MiB = 2**30, 2**20


def _id(e: dict[str, Any]) -> str:
    return f"{e['model']}@{e['url'].rsplit('/', 1)[-1]}"


def test_the_file_cites_every_log() -> None:
    entries = [e for key in ("vllm", "sglang", "llama.cpp", "llama_cpp_parallel")
               for e in DATA[key]]
    assert all(e["url"].startswith("https://github.com/") for e in entries)
    assert len(DATA["vllm"]) + len(DATA["sglang"]) >= 11 and len(DATA["llama.cpp"]) >= 20
    assert len(DATA["ngl_splits"]) >= 3
    # issue 23: at least 10 vLLM / SGLang logs predicted from the setup alone
    assert sum(e["end_to_end"] for e in DATA["vllm"] + DATA["sglang"]) >= 10


@pytest.mark.parametrize("e", [e for e in DATA["vllm"] if e["end_to_end"]], ids=_id)
def test_vllm_kv_capacity_from_the_setup(e: dict[str, Any]) -> None:
    f, log = e["flags"], e["logged"]
    s = Setup(engine="vllm", context=f["max_model_len"], chunk=f["max_num_batched_tokens"],
              gpu_memory_utilization=str(f["gpu_memory_utilization"]), dtype=e.get("dtype", ""),
              tp=f.get("tensor_parallel_size", 0))
    total = int(log["total_gpu_memory_gib"] * GiB)
    # vLLM before 0.7 counts more outside torch (memory.serving.non_torch): the entry says which
    version = tuple(int(x) for x in e["vllm_version"].split(".")[:2]) if "vllm_version" in e \
        else None
    c = capacity(nnsize.count(e["model"]), s, total, e["gpu"], f["max_num_seqs"], e["sampler"],
                 version)
    assert c is not None
    # the weights within 0.5% of what vLLM measured (its figure holds the rotary caches too:
    # Llama-3.1-8B 14.96 GiB of parameters against a logged 14.9888); a rank's at tensor
    # parallel 2 (Qwen2.5-32B: 32,763,876,352 x 2 B / 2 = 30.51 GiB against 30.71) within 1%
    assert c.weights / GiB == pytest.approx(log["weights_gib"], rel=e.get("weights_rel", 0.005))
    if e.get("no_room"):  # vLLM finds no memory left for the cache: nnsize agrees
        assert c.kv_bytes < 0 and c.kv_cache_tokens == 0
        return
    assert c.kv_bytes / GiB == pytest.approx(log["kv_cache_gib"], rel=0.03)
    if "kv_cache_tokens" in log:
        assert c.kv_cache_tokens == pytest.approx(log["kv_cache_tokens"], rel=0.03)
    if "max_concurrency" in log:
        assert c.max_concurrency == pytest.approx(log["max_concurrency"], rel=0.03)


@pytest.mark.parametrize("e", [e for e in DATA["vllm"] if "kv_cache_tokens" in e["logged"]],
                         ids=_id)
def test_vllm_tokens_from_the_logged_kv_memory(e: dict[str, Any]) -> None:
    # GPU KV cache size = whole blocks of 16 tokens in the memory left for the cache; the
    # log's GiB has 2 decimals, so the bytes are known to +-0.005 GiB
    f, log = e["flags"], e["logged"]
    tp = f.get("tensor_parallel_size", 1)
    p = plan(nnsize.count(e["model"]), Setup(engine="vllm", context=1, kv_dtype="bf16"))
    per_token = next(n.terms.bytes for n in p.notes if isinstance(n.terms, KvPerTokenNote)) // tp
    tokens = int(log["kv_cache_gib"] * GiB) // (per_token * 16) * 16
    assert tokens == pytest.approx(log["kv_cache_tokens"], rel=0.03)
    if "max_concurrency" in log:
        assert tokens / f["max_model_len"] == pytest.approx(log["max_concurrency"], rel=0.03)


@pytest.mark.parametrize("e", DATA["sglang"], ids=_id)
def test_sglang_tokens_and_their_bytes(e: dict[str, Any]) -> None:
    # "KV Cache is allocated. #tokens: N, K size: X GB": X = N x layers x K heads per GPU x
    # head_dim x 2 bytes (SGLang's "GB" is GiB)
    log, tp = e["logged"], e["flags"]["tensor_parallel_size"]
    p = plan(nnsize.count(e["model"]), Setup(context=1, kv_dtype="bf16"))
    per_token = next(n.terms.bytes for n in p.notes if isinstance(n.terms, KvPerTokenNote)) // tp
    k_bytes = log["max_total_num_tokens"] * per_token // 2
    assert k_bytes / GiB == pytest.approx(log["k_size_gb"], abs=0.005)


@pytest.mark.parametrize("e", [e for e in DATA["sglang"] if "free_after_distributed_gib" in
                               e["logged"]], ids=_id)
def test_sglang_share_is_of_the_memory_free_after_its_distributed_start(e: dict[str, Any]) \
        -> None:
    # profile_max_num_token: (free after loading - total x (1 - mem_fraction_static)) //
    # cell_size, its total init_torch_distributed's min_per_gpu_memory: QwQ-32B on 4 x L4,
    # (6.09 - 21.63 x 0.15) GiB // 65,536 B = 46,620 tokens against the log's 46,611
    from fractions import Fraction

    from nnsize.memory.serving import sglang_tokens

    log, tp = e["logged"], e["flags"]["tensor_parallel_size"]
    p = plan(nnsize.count(e["model"]), Setup(context=1, kv_dtype="bf16"))
    per_token = next(n.terms.bytes for n in p.notes if isinstance(n.terms, KvPerTokenNote)) // tp
    assert per_token == 64 * 2 * 128 * 2 * 2 == 65_536
    free = int(log["free_after_distributed_gib"] * GiB)
    fraction = Fraction(str(e["flags"]["mem_fraction_static"]))
    tokens = sglang_tokens(free, fraction, int(log["load_gib"] * GiB), per_token)
    assert tokens == pytest.approx(log["max_total_num_tokens"], rel=0.001)
    # the free memory after loading, as logged: 21.63 - 15.54 = 6.09 GiB
    assert log["free_after_distributed_gib"] - log["load_gib"] == \
        pytest.approx(log["free_after_load_gib"], abs=0.006)


def _cpp_setup(e: dict[str, Any], dtype: str = "Q4_K_M") -> Setup:
    # the file's type changes neither the cache nor the compute buffer; an entry whose model
    # has no llama-quantize mapping (gpt-oss's sinks) names the dtype it is planned at
    # every log here predates ggml-org/llama.cpp#23764 (May 2026): its flash attention kept an
    # f32 KQ mask beside the f16 cast (kq_mask "f32+f16"); a later log says "kq_mask": "f16"
    f = e["flags"]
    cache = f.get("cache_type", "f16")
    return Setup(engine="llama.cpp", context=f["n_ctx"], dtype=dtype,
                 attention="sdpa" if f.get("flash_attn", True) else "eager",
                 chunk=f.get("n_ubatch", 0), kv_dtype=None if cache == "f16" else cache,
                 latent=f.get("mla", "latent") == "latent",
                 kq_mask=f.get("kq_mask", "f32+f16"))


def _cpp_lines(e: dict[str, Any]) -> dict[str, Line]:
    p = plan(nnsize.count(e["model"]), _cpp_setup(e, e.get("dtype", "Q4_K_M")))
    return {line.part: line for line in p.lines}


def _cpp_plan(e: dict[str, Any]) -> dict[str, int]:
    return {part: line.bytes for part, line in _cpp_lines(e).items()}


@pytest.mark.parametrize("e", DATA["llama.cpp"], ids=_id)
def test_llama_cpp_kv_cache_to_the_byte(e: dict[str, Any]) -> None:
    # f16 K and V for every layer and every cell of n_ctx: Qwen2.5-3B at 4,096 cells is
    # 36 layers x 4,096 x 2 KV heads x 128 x 2 (K, V) x 2 bytes = 150,994,944 = 144.00 MiB;
    # q8_0 rows of 34 B a block of 32: Qwen2.5-32B at 32,768 cells 64 x 32,768 x 8 x 128 x
    # 2 x 34/32 B = 4,352.00 MiB. The byte count is exact; the log prints it in MiB to 2
    # places (DeepSeek-V3's q8_0 latent, 1,223,294,976 B = 1,166.625 MiB, printed 1166.62)
    log, line = e["logged"], _cpp_lines(e)["kv_cache"]
    if "kv_mib" in log:
        assert abs(line.bytes / MiB - log["kv_mib"]) <= 0.005 + 1e-9  # half the last place
    if "kv_swa_mib" in log:
        # llama.cpp's SWA cache alone (its own log line): gpt-oss-20b's 12 windowed layers
        # at GGML_PAD(min(4,096, 128 + 512), 256) = 768 cells x 8 x 64 x 2 x 2 B = 18.00 MiB
        f = e["flags"]
        swa = sum(n * tokens * per for n, tokens, per in line.terms.groups
                  if tokens != f["n_ctx"])
        assert swa * 2 == int(log["kv_swa_mib"] * MiB)


def test_llama_cpp_swa_cache_cells() -> None:
    # llama_kv_cache_iswa: GGML_PAD(min(n_ctx, n_swa + n_ubatch), 256) cells on the windowed
    # layers (src/llama-kv-cache-iswa.cpp), every cell of n_ctx on the others. Gemma-3-27B at
    # 8,192: 52 windowed layers x 1,536 cells x 16 KV heads x 128 x 2 x 2 B = 624 MiB + 10
    # global layers x 8,192 cells x 8,192 B = 640 MiB; Gemma-3-1B's window of 512: 1,024
    # cells; gpt-oss-20b at 640 cells: min(640, 128 + 512) = 640, padded to 768, more than
    # the context (llama.cpp pads after the min)
    from nnsize.memory.kv_cache import llama_cpp_swa_cells

    assert llama_cpp_swa_cells(1024, 8192, 512) == 1536
    assert llama_cpp_swa_cells(512, 4096, 512) == 1024
    assert llama_cpp_swa_cells(128, 640, 512) == 768
    assert llama_cpp_swa_cells(1024, 1000, 512) == 1024
    e = {"model": "gemma-3-27b", "flags": {"n_ctx": 8192, "n_ubatch": 512}, "dtype": "bf16"}
    kv = _cpp_lines(e)["kv_cache"]
    assert sorted(kv.terms.groups) == [(10, 8192, 4096), (52, 1536, 4096)]
    assert kv.bytes == (52 * 1536 + 10 * 8192) * 4096 * 2 == 1264 * MiB


def test_llama_cpp_swa_full_keeps_a_full_size_swa_cache() -> None:
    # --swa-full (llama_context_params.swa_full): llama_kv_cache_iswa sets size_swa =
    # size_base, the stream's cells unpadded (src/llama-kv-cache-iswa.cpp, ggml-org/llama.cpp
    # 02c28f5), so Gemma-3-27B at 8,192 cells keeps 8,192 on its 52 windowed layers too:
    # 62 x 8,192 x 4,096 x 2 B = 3,968 MiB, where it keeps 52 x 1,536 + 10 x 8,192 without
    from nnsize.memory.kv_cache import llama_cpp_layer_bytes, llama_cpp_swa_cells
    from nnsize.precision import find

    assert llama_cpp_swa_cells(1024, 8192, 512, full=True) == 8192
    assert llama_cpp_swa_cells(128, 1000, 512, full=True) == 1000  # not padded to 256
    assert llama_cpp_swa_cells(1024, 4 * 8192, 512, 4, full=True) == 4 * 8192  # unified
    report = nnsize.count("gemma-3-27b")
    s = Setup(engine="llama.cpp", context=8192, chunk=512, dtype="Q4_K_M", swa_full=True)
    lines = {line.part: line for line in plan(report, s).lines}
    kv, work = lines["kv_cache"], lines["decoder_workspace"]
    assert sorted(kv.terms.groups) == [(62, 8192, 4096)]
    assert kv.bytes == 62 * 8192 * 4096 * 2 == 3968 * MiB
    # the windowed layers' KQ mask is as wide as the cache they read: 8,192 keys, not 1,536
    assert work.terms.swa_keys == 8192
    assert work.terms.swa_mask == work.terms.mask == 8192 * 512 * 2
    # split streams: each of 4 sequences a full stream of 8,192 cells on every layer
    split = {line.part: line for line in plan(report, replace(
        s, batch=4, kv_unified=False)).lines}["kv_cache"]
    assert split.bytes == 4 * 62 * 8192 * 4096 * 2
    # -ngl's per-layer caches read the same sizes
    caches = llama_cpp_layer_bytes(report, 1, 8192, find("fp16"), 512, swa_full=True)
    assert set(caches) == {8192 * 4096 * 2} and sum(caches) == kv.bytes
    # a model without windowed layers is unchanged by it
    llama = nnsize.count("llama-3.1-8b")
    base = Setup(engine="llama.cpp", context=8192, dtype="Q4_K_M")
    assert plan(llama, base).total == plan(llama, replace(base, swa_full=True)).total


# A Gemma-3 shape small enough that the KQ masks outweigh the logits (vocabulary 1,024, 5 of
# 6 layers a window of 512, 1 KV head of 64), as nnsize counts it from this config and as
# llama.cpp 0c1e570 (Oct 2026, after ggml-org/llama.cpp#23764; the tree llama-cpp-python 0.3.36
# vendors) reserved it on the CPU from a GGUF of that shape with zero weights, through
# llama_init_from_model (flash attention on or off, swa_full, n_seq_max, kv_unified as given).
# This run was made for nnsize, not copied from a thread: no later public log was found.
TINY_GEMMA3 = {
    "model_type": "gemma3_text", "architectures": ["Gemma3ForCausalLM"], "vocab_size": 1024,
    "hidden_size": 256, "intermediate_size": 1024, "num_hidden_layers": 6,
    "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 64,
    "sliding_window": 512, "max_position_embeddings": 32768, "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0, "hidden_activation": "gelu_pytorch_tanh",
    "tie_word_embeddings": True,
    "layer_types": ["sliding_attention"] * 5 + ["full_attention"]}
# (sequences, cells a sequence, n_ubatch, kv_unified, flash attention, swa_full):
# (non-SWA KV MiB, SWA KV MiB, CPU compute buffer MiB), as 0c1e570 printed them
TINY_GEMMA3_RUNS = {
    (1, 32768, 512, False, True, False): (8.00, 1.25, 41.02),
    (1, 32768, 512, False, True, True): (8.00, 40.00, 72.02),
    (1, 32768, 512, False, False, False): (8.00, 1.25, 323.01),
    (1, 32768, 512, False, False, True): (8.00, 40.00, 387.01),
    (1, 32768, 100, False, True, False): (8.00, 0.94, 7.96),
    (1, 32768, 100, False, True, True): (8.00, 40.00, 14.07),
    (4, 8192, 512, True, True, False): (8.00, 3.12, 42.52),
    (4, 8192, 512, False, True, False): (8.00, 5.00, 17.02),
    (4, 8192, 512, False, True, True): (8.00, 40.00, 24.02),
}


@pytest.mark.parametrize("run", TINY_GEMMA3_RUNS, ids=lambda r: "-".join(map(str, r)))
def test_a_build_after_23764_keeps_an_f16_mask(run: tuple[int, int, int, bool, bool, bool],
                                               tmp_path: Any) -> None:
    # KV to the byte (the log's 2 decimals), the compute buffer within 15%: under flash
    # attention the masks are f16 alone, 32,768 x 512 x 2 B = 32 MiB, and at n_ubatch 100
    # not padded to 64 rows; the f32 mask beside them that builds before #23764 held
    # (--kq-mask f32+f16) would put 41.02 MiB at 107. nnsize is within 0.3% on every run
    from nnsize.memory.kv_cache import llama_cpp_layer_bytes
    from nnsize.precision import find

    sequences, cells, ubatch, unified, flash, full = run
    base, swa, compute = TINY_GEMMA3_RUNS[run]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(TINY_GEMMA3))
    report = nnsize.count(str(path))
    s = Setup(engine="llama.cpp", context=cells, batch=sequences, kv_unified=unified,
              chunk=ubatch, dtype="f32", attention="sdpa" if flash else "eager",
              swa_full=full)
    lines = {line.part: line for line in plan(report, s).lines}
    assert abs(lines["kv_cache"].bytes / MiB - (base + swa)) <= 0.01 + 1e-9
    # the SWA cache alone, its own log line: the five windowed layers' caches (-ngl's split)
    layers = llama_cpp_layer_bytes(report, sequences, cells, find("fp16"), ubatch,
                                   unified=unified, swa_full=full)
    assert abs(sum(layers[:5]) / MiB - swa) <= 0.005 + 1e-9
    got = lines["decoder_workspace"].bytes / MiB
    assert got == pytest.approx(compute, rel=0.15)
    if flash and not full and sequences == 1 and ubatch == 512:
        older = plan(report, replace(s, kq_mask="f32+f16"))
        work = next(line for line in older.lines if line.part == "decoder_workspace")
        assert work.bytes / MiB == 107 != pytest.approx(compute, rel=0.15)


def test_swa_full_is_llama_cpps_alone() -> None:
    # a setting no other engine has is refused by name, never dropped
    from nnsize.errors import NnsizeError
    from nnsize.render.plan import note_text

    report = nnsize.count("gemma-3-27b")
    for name in ("vllm", "sglang", "transformers"):
        with pytest.raises(NnsizeError, match="--swa-full"):
            plan(report, Setup(engine=name, context=8192, swa_full=True))
    s = Setup(engine="llama.cpp", context=8192, dtype="Q4_K_M", swa_full=True)
    words = " ".join(note_text(n) for n in plan(report, s).notes)
    assert "--swa-full" in words and "8,192 cells a stream" in words


def _parallel_model(e: dict[str, Any], tmp_path: Any) -> Any:
    # a model nnsize has no preset of: its published config (llama_cpp_parallel_configs)
    config = DATA["llama_cpp_parallel_configs"].get(e["model"])
    if config is None:
        return nnsize.count(e["model"])
    path = tmp_path / "config.json"
    path.write_text(json.dumps({k: v for k, v in config.items() if not k.startswith("_")}))
    return nnsize.count(str(path))


@pytest.mark.parametrize("e", DATA["llama_cpp_parallel"], ids=lambda e: (
    f"{e['model']}-c{e['flags']['n_ctx']}-np{e['flags']['parallel']}"))
def test_llama_cpp_parallel_slots_kv_cache_to_the_byte(e: dict[str, Any], tmp_path: Any) -> None:
    # llama-server -c n_ctx --parallel N: N sequences of n_ctx / N tokens. Gemma-3-270m (3
    # global layers, 15 windowed of 512, 1 KV head of 256: 1,024 B a token a layer in f16),
    # split (an explicit --parallel), a stream a slot: at -c 4096 --parallel 4 each stream
    # holds 1,024 cells of the global layers and GGML_PAD(min(1,024, 512 + 512), 256) =
    # 1,024 of the windowed ones: 4 x 18 x 1,024 x 1,024 B = 72 MiB; at --parallel 8 a
    # stream of 512 cells caps the window's: 8 x 18 x 512 x 1,024 B = 72 MiB too
    # nnsize's context is a sequence's, the cache holds parallel x context cells: split,
    # llama.cpp gives a slot n_ctx_seq = GGML_PAD(n_ctx / n_seq_max, 256) cells
    # (src/llama-context.cpp, ggml-org/llama.cpp 02c28f5), so -c 1024 over 3 slots is 3 x 512
    # cells: 3 x 18 x 512 x 1,024 B = 27 MiB; unified, the slots share n_ctx
    f = e["flags"]
    per_slot = f["n_ctx"] // f["parallel"]
    if not f["kv_unified"]:
        per_slot = -(-per_slot // 256) * 256
    s = Setup(engine="llama.cpp", context=per_slot, batch=f["parallel"],
              kv_unified=f["kv_unified"], chunk=f["n_ubatch"], dtype=e.get("dtype", "Q8_0"))
    kv = {line.part: line for line in plan(_parallel_model(e, tmp_path), s).lines}["kv_cache"]
    assert abs(kv.bytes / MiB - e["logged"]["kv_mib"]) <= 0.005 + 1e-9


def test_llama_cpp_swa_mask_between_two_logs() -> None:
    # gpt-oss-20b on the same Apple M5 (llama.cpp 8164 and 8198), flash attention, 131,072
    # cells of the global layers either way: one sequence keeps 768 SWA cells, llama-server's
    # 4 unified slots GGML_PAD(128 x 4 + 512, 256) = 1,024. nnsize is 1.13x either way (the
    # layer phase with the masks), and the two differ by the SWA layers' mask alone:
    # 420.83 - 420.08 = 0.75 MiB on the device = 256 cells x 512 x (4 + 2) B, f32 and f16,
    # and 269.27 - 268.77 = 0.50 MiB on the host = 256 x 512 x 4 B, the f32 input (both builds
    # before ggml-org/llama.cpp#23764, which keeps the f16 mask alone: kq_mask "f32+f16")
    one = next(e for e in DATA["llama.cpp"] if e["url"].endswith("gpt-oss-20b-GGUF-curl.md"))
    four = next(e for e in DATA["llama_cpp_parallel"] if e["model"] == "gpt-oss-20b")
    report = nnsize.count("gpt-oss-20b")

    def workspace(batch: int) -> Any:
        s = Setup(engine="llama.cpp", context=131072 // batch, batch=batch, kv_unified=True,
                  chunk=512, dtype="mxfp4", kq_mask="f32+f16")
        return next(line for line in plan(report, s).lines if line.part == "decoder_workspace")

    single, shared = workspace(1), workspace(4)
    assert (single.terms.swa_keys, shared.terms.swa_keys) == (768, 1024)
    assert single.terms.keys == shared.terms.keys == 131072
    logged = four["logged"]["compute_buffer_mib"] - one["logged"]["compute_buffer_mib"]
    assert (shared.bytes - single.bytes) / MiB == 0.75 == pytest.approx(logged, abs=0.005)
    host = four["logged"]["host_compute_buffer_mib"] - one["logged"]["host_compute_buffer_mib"]
    assert 256 * 512 * 4 / MiB == pytest.approx(host, abs=0.005)


def test_llama_cpp_streams_unified_or_split() -> None:
    # llama_kv_cache: n_stream = unified ? 1 : n_seq_max, a stream of n_ctx_seq cells
    # (unified: n_ctx; split: n_ctx / n_seq_max); the SWA cache of a stream
    # GGML_PAD(min(n_ctx_seq, n_swa x (unified ? n_seq_max : 1) + n_ubatch), 256)
    from nnsize.memory.kv_cache import llama_cpp_streams, llama_cpp_swa_cells

    assert llama_cpp_streams(4, 8192, True) == (1, 4 * 8192, 4)  # -c 32768, 4 slots shared
    assert llama_cpp_streams(4, 8192, False) == (4, 8192, 1)  # -c 32768 -np 4: 8,192 each
    assert llama_cpp_streams(1, 8192, True) == llama_cpp_streams(1, 8192, False) == (1, 8192, 1)
    # gpt-oss (a window of 128) shared by 4 sequences: 4 x 128 + 512 = 1,024 cells, where
    # 4 streams hold 4 x GGML_PAD(128 + 512, 256) = 4 x 768 = 3,072
    assert llama_cpp_swa_cells(128, 4 * 32768, 512, 4) == 4 * 128 + 512 == 1024
    assert 4 * llama_cpp_swa_cells(128, 32768, 512) == 4 * 768
    # Gemma 3 (1,024): 4 x 1,024 + 512 = 4,608 shared, 4 x 1,536 = 6,144 split; Gemma-3-270m
    # (512) at -c 4096 -np 4 -kvu: GGML_PAD(4 x 512 + 512, 256) = 2,560
    assert llama_cpp_swa_cells(1024, 4 * 8192, 512, 4) == 4 * 1024 + 512 == 4608
    assert llama_cpp_swa_cells(512, 4096, 512, 4) == 2560
    # a shared stream smaller than the windows: every cell of it (-c 1024 -np 4 -kvu)
    assert llama_cpp_swa_cells(512, 1024, 512, 4) == 1024


def _gemma_3_27b(batch: int, unified: bool, attention: str = "sdpa") -> dict[str, Line]:
    s = Setup(engine="llama.cpp", context=8192, batch=batch, kv_unified=unified, chunk=512,
              dtype="Q4_K_M", attention=attention)
    return {line.part: line for line in plan(nnsize.count("gemma-3-27b"), s).lines}


def test_llama_server_unified_cache_by_default() -> None:
    # Gemma-3-27B (52 windowed layers of 1,024, 10 global; 16 KV heads of 128: 4,096 values
    # a token a layer, 2 B each in f16), 4 sequences of 8,192 tokens: llama-server's default
    # (4 slots, kv_unified) shares -c 32768: 52 x 4,608 + 10 x 32,768 cells; split (-c 32768
    # -np 4) each of 4 streams holds 52 x 1,536 + 10 x 8,192; the global layers the same
    assert Setup().kv_unified
    unified, split = _gemma_3_27b(4, True)["kv_cache"], _gemma_3_27b(4, False)["kv_cache"]
    assert unified.bytes == (52 * 4608 + 10 * 32768) * 4096 * 2 == 4_647_288_832
    assert split.bytes == 4 * (52 * 1536 + 10 * 8192) * 4096 * 2 == 5_301_600_256
    assert unified.terms.shared == 4 and unified.terms.batch == 1
    assert split.terms.shared == 0 and split.terms.batch == 4
    # one sequence: one stream either way, as llama-cli keeps it
    one = _gemma_3_27b(1, True)["kv_cache"]
    assert one == _gemma_3_27b(1, False)["kv_cache"]
    assert one.bytes == (52 * 1536 + 10 * 8192) * 4096 * 2


def test_llama_cpp_compute_buffer_reads_a_streams_cells() -> None:
    # the KQ mask [n_kv, GGML_PAD(n_ubatch / n_stream, 64), 1, n_stream] (f16 alone under
    # flash attention): unified 32,768 cells x 512 tokens x 2 B = 32 MiB; split 8,192 cells x
    # 128 tokens x 4 streams x 2 B = 8 MiB; the windowed layers' own mask
    # (build_attn_inp_kv_iswa's self_kq_mask_swa) over a stream's SWA cells, unified
    # 4 x 1,024 + 512 = 4,608 cells x 512 tokens x 2 B, split 1,536 x 128 x 4 streams x 2 B;
    # the rest of the buffer alike
    unified = _gemma_3_27b(4, True)["decoder_workspace"]
    split = _gemma_3_27b(4, False)["decoder_workspace"]
    assert unified.terms.mask == 32768 * 512 * 2 == 32 * MiB
    assert split.terms.mask == 8192 * 128 * 4 * 2 == 8 * MiB
    assert unified.terms.swa_mask == 4608 * 512 * 2 == 4.5 * MiB
    assert split.terms.swa_mask == 1536 * 128 * 4 * 2 == 1.5 * MiB
    assert unified.terms.swa_keys == 4608 and split.terms.swa_keys == 1536
    # under flash attention the output phase is the larger either way, and the same: the
    # masks are the layers', dead beside the logits
    assert unified.terms.phase == split.terms.phase == "output"
    assert unified.bytes == split.bytes
    # without flash attention a layer's scores: 512 tokens x 32 heads x the stream's cells x
    # 4 B, 32,768 keys shared against 8,192 in each of 4 streams (128 tokens each)
    assert _gemma_3_27b(4, True, "eager")["decoder_workspace"].terms.scores == \
        512 * 32 * 32768 * 4
    assert _gemma_3_27b(4, False, "eager")["decoder_workspace"].terms.scores == \
        128 * 4 * 32 * 8192 * 4


def test_the_plan_says_which_cache_llama_cpp_keeps() -> None:
    from nnsize.render.plan import note_text

    def notes(unified: bool) -> str:
        s = Setup(engine="llama.cpp", context=8192, batch=4, kv_unified=unified,
                  dtype="Q4_K_M")
        return " ".join(note_text(n) for n in plan(nnsize.count("gemma-3-27b"), s).notes)

    assert "llama-server's unified cache (its default" in notes(True)
    assert "-c 32768 -np 4 -kvu" in notes(True)
    assert "split: -c 32768 -np 4" in notes(False)
    one = Setup(engine="llama.cpp", context=8192, dtype="Q4_K_M")
    assert "unified" not in " ".join(note_text(n) for n in
                                     plan(nnsize.count("gemma-3-27b"), one).notes)


def test_ngl_split_layers_hold_the_shared_cache() -> None:
    # -ngl's per-layer caches add up to the plan's unified cache: a windowed layer 4,608
    # shared cells, a global one 32,768
    from nnsize.memory.kv_cache import llama_cpp_layer_bytes
    from nnsize.precision import find

    report = nnsize.count("gemma-3-27b")
    caches = llama_cpp_layer_bytes(report, 4, 8192, find("fp16"), 512, unified=True)
    assert sorted(set(caches)) == [4608 * 4096 * 2, 32768 * 4096 * 2]
    assert sum(caches) == _gemma_3_27b(4, True)["kv_cache"].bytes


def test_fit_answers_with_the_shared_cache() -> None:
    # fit's longest context and -ngl read the same plan: Gemma-3-27B Q4_K_M, 4 sequences in
    # 20 GiB; the unified cache's windowed layers hold 4 x 1,024 + 512 cells, not 4 x 1,536,
    # so its longest context is longer, and each answer is the largest that fits

    from nnsize.memory.fit import fit
    from nnsize.memory.serving import offload

    report, usable = nnsize.count("gemma-3-27b"), 20 * GiB
    s = Setup(engine="llama.cpp", context=8192, batch=4, chunk=512, dtype="Q4_K_M")
    longest = {u: fit(report, replace(s, kv_unified=u), usable).longest_context
               for u in (True, False)}
    assert longest[True] > longest[False] > 0
    for u, n in longest.items():
        assert plan(report, replace(s, kv_unified=u, context=n)).total <= usable
        assert plan(report, replace(s, kv_unified=u, context=n + 1)).total > usable
    split = offload(report, replace(s, kv_unified=False), usable)
    shared = offload(report, s, usable)
    assert split is not None and shared is not None
    assert sum(shared.layer_sizes) < sum(split.layer_sizes)
    assert shared.gpu_layers >= split.gpu_layers


CPP_COMPUTE = [pytest.param(e, marks=pytest.mark.xfail(strict=True,
                                                      reason=e["compute_known_miss"]))
               if "compute_known_miss" in e else e
               for e in DATA["llama.cpp"] if "compute_buffer_mib" in e["logged"]]


@pytest.mark.parametrize("e", CPP_COMPUTE, ids=_id)
def test_llama_cpp_compute_buffer(e: dict[str, Any]) -> None:
    # a full n_ubatch of fp32 logits: Qwen2.5-3B 512 x 151,936 x 4 + 512 x 2,048 x 4 =
    # 315,359,232 bytes = 300.75 MiB, the log's figure (the KQ mask, 4,096 x 512 x 4 = 8 MiB,
    # is the layers' input, dead beside the logits); Gemma-3-4B at 131,072 cells with flash
    # attention: 512 x 262,208 x 4 + 512 x 2,560 x 4 = 517.13 MiB, the log's 517, where the
    # masks beside the logits would make it 905.63
    got = _cpp_plan(e)["decoder_workspace"] / MiB
    assert got == pytest.approx(e["logged"]["compute_buffer_mib"], rel=0.15)


@pytest.mark.parametrize("e", DATA["ngl_splits"], ids=_id)
def test_ngl_split_buffers_to_the_byte(e: dict[str, Any]) -> None:
    # -ngl N puts the last N layers on the GPU, each at its own types: the CUDA buffer is their
    # weights to the byte (the log's 2 decimals), e.g. Qwen2.5-32B Q4_K_M's layers 19-63, 21 of
    # them with Q6_K ffn_down and attn_v; a q4_0 Llama-3-70B layer is 855,638,016 weights x
    # 4.5 bits / 8 + 2 x 8,192 x 4 B of f32 norms = 481,361,920 B, x 30 = 13,771.88 MiB
    from nnsize.memory.serving import offload

    log = e["logged"]
    report = nnsize.count(e["model"])
    o = offload(report, _cpp_setup(e, e["dtype"]), 2**50)
    assert o is not None
    assert o.layers + 1 == log["layers"]  # llama.cpp counts the output layer as one more
    # one layer's f16 K and V at n_ctx: Llama-3-70B 2,048 x 8 KV heads x 128 x 2 x 2 B =
    # 8,388,608 B; Qwen2.5-32B at 4,096 cells 16,777,216 B; Qwen3-30B-A3B 4,096 x 4 x 128 x
    # 2 x 2 B = 8,388,608 B
    kv_layer = _cpp_plan(e)["kv_cache"] // o.layers
    n = log["offloaded"]
    weights = o.gpu_side(n) - n * kv_layer
    assert weights / MiB == pytest.approx(log["cuda_model_buffer_mib"], abs=0.005)
    if e["gpu"] is None:
        # the CPU buffer is the rest of the file: Qwen3-30B-A3B Q4_K_M is 17,691.34 MiB of
        # tensors, 10,750.86 of them on the GPU at -ngl 30 and 6,940.48 in RAM
        total = _cpp_plan(e)["gguf_weights"]
        assert (total - weights) / MiB == pytest.approx(log["cpu_model_buffer_mib"], abs=0.01)


def test_ngl_split_takes_each_layers_own_cache() -> None:
    # -ngl N moves the last N layers' own caches: gpt-oss-20b alternates windowed and global
    # layers (layer 0 windowed), so at 4,096 cells a global layer holds 4,096 x 8 x 64 x 2 x
    # 2 B = 8 MiB and a windowed one its 768 SWA cells, 1.5 MiB (the mean was 4.75 MiB each)
    from nnsize.memory.serving import offload

    e = {"model": "gpt-oss-20b", "flags": {"n_ctx": 4096, "n_ubatch": 512}}
    o = offload(nnsize.count("gpt-oss-20b"), _cpp_setup(e, "mxfp4"), 2**50)
    assert o is not None
    assert o.layer_sizes[1] - o.layer_sizes[0] == (4096 - 768) * 8 * 64 * 2 * 2
    assert o.gpu_side(24) - o.gpu_side(22) == o.layer_sizes[0] + o.layer_sizes[1]
    assert sum(o.layer_sizes) - sum(o.layer_sizes[:1]) * 24 == 12 * (4096 - 768) * 2048


@pytest.mark.parametrize("e", [e for e in DATA["ngl_splits"] if e["gpu"]], ids=_id)
def test_ngl_split_layers_fit_answers(e: dict[str, Any]) -> None:
    from nnsize.cli import run as cli

    f, log = e["flags"], e["logged"]
    attention = "sdpa" if f.get("flash_attn", True) else "eager"
    data = json.loads(cli(["fit", e["model"], "--gpu", e["gpu"], "--dtype", e["dtype"],
                           "--context", str(f["n_ctx"]), "--engine", "llama.cpp",
                           "--attention", attention, "--json"]))
    off = data["offload"]
    assert off["layers"] + 1 == log["layers"]  # llama.cpp counts the output layer as one more
    kv_layer = _cpp_plan(e)["kv_cache"] // off["layers"]
    assert kv_layer == f["n_ctx"] * 8 * 128 * 2 * 2
    # The logged split fits in nnsize's usable memory, and nnsize's -ngl is the entry's stated
    # figure: Ollama's own estimate reserves more beside the layers, the gap the entry states
    assert log["offloaded"] <= data["gpu_layers"] == e["nnsize_gpu_layers"]
    assert data["gpu_layers"] - log["offloaded"] <= e.get("max_gap", 2)
