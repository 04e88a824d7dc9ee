"""Engine profiles: chunked prefill, vLLM's share of the GPU and its paged cache, llama.cpp."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest

import nnsize
from nnsize.errors import NnsizeError
from nnsize.memory import Setup, plan
from nnsize.memory.engines import (
    engine,
    paged,
    prefill_tokens,
    vllm_batch_defaults,
    workspace_bytes,
)

GiB = 2**30


def test_defaults() -> None:
    assert vllm_batch_defaults(24 * GiB) == (2048, 256)
    assert vllm_batch_defaults(80 * GiB, "h100-80gb") == (8192, 1024)
    assert vllm_batch_defaults(80 * GiB, "a100-80gb") == (2048, 256)  # the A100 is excepted
    # vLLM 0.28's tier for 160 GiB or more (a B200's 179 GiB); the A100 check is below it
    assert vllm_batch_defaults(179 * GiB, "b200") == (16384, 1024)
    assert vllm_batch_defaults(160 * GiB - 1, "h200") == (8192, 1024)
    v = engine("vllm", gpu_bytes=24 * GiB)
    # gpu_memory_utilization 0.92, vLLM 0.28's; hybrid models' prefix caching on ("align")
    assert (v.chunk, v.memory_fraction, v.block_tokens) == (2048, Fraction(92, 100), 16)
    assert v.mamba_cache_mode == "align" and v.defaults == "vLLM 0.28 defaults, vllm serve"
    assert engine("vllm", mamba_cache_mode="none").mamba_cache_mode == "none"
    assert engine("llama.cpp").chunk == 512 and engine("llama.cpp").kv_default == "f16"
    assert engine("transformers").chunk is None


def test_chunked_prefill_bounds_the_workspace() -> None:
    t, v = engine("transformers"), engine("vllm", gpu_bytes=24 * GiB)
    assert prefill_tokens(t, 2, 8192) == 16_384 and prefill_tokens(v, 2, 8192) == 2048
    # Llama-3.1-8B shapes, bf16: 2,048 x (3 x 14,336 + 4 x 4,096) x 2 = 243,269,632
    # + min(256 sampled rows, 2,048) x 128,256 x 4 = 131,334,144
    total, _ = workspace_bytes(v, 2, 8192, 4096, 14_336, 32, 128_256, 2)
    assert total == 243_269_632 + 131_334_144
    # without flash attention llama.cpp also holds one layer's scores: 512 x 32 x 8,192 x 4
    cpp = engine("llama.cpp", flash_attention=False)
    total, how = workspace_bytes(cpp, 1, 8192, 4096, 14_336, 32, 128_256, 2)
    # the layer phase is the larger of the MLP step, 512 x (3 x 14,336 + 4 x 4,096) x 4 =
    # 121,634,816, and the attention step, 512 x 32 x 8,192 x 4 + 4 x 512 x 4,096 x 4 =
    # 570,425,344; it is larger than the output phase: 512 logits rows x 128,256 x 4 + 512 x
    # 4,096 x 4 = 271,056,896 (llama_context reserves a full n_ubatch of logits); beside it
    # the KQ mask, a layer input, 8,192 x 512 x 4 = 16,777,216 (f32; under flash attention
    # f16 alone since ggml-org/llama.cpp#23764, an f32 mask and its f16 copy before it)
    assert total == 512 * 32 * 8192 * 4 + 4 * 512 * 4096 * 4 + 8192 * 512 * 4 == 587_202_560
    flash, fa = workspace_bytes(engine("llama.cpp"), 1, 8192, 4096, 14_336, 32, 128_256, 2)
    # with flash attention the output phase is the larger, and the masks, dead after the
    # last layer, are not beside it: the logits and the last hidden states alone
    assert flash == 512 * 128_256 * 4 + 512 * 4096 * 4
    assert fa.phase == "output" and fa.mask == 8192 * 512 * 2 and fa.mask_tokens == 512
    _, old = workspace_bytes(engine("llama.cpp", kq_mask_type="f32+f16"), 1, 8192, 4096,
                             14_336, 32, 128_256, 2)
    assert old.mask == 8192 * 512 * (4 + 2) and old.mask_value_bytes == 6
    # builds before #23764 padded the micro-batch to GGML_KQ_MASK_PAD (64) in the mask: 100
    # tokens held 128 rows; the newest keep 100
    odd, terms = workspace_bytes(engine("llama.cpp", chunk=100), 1, 8192, 4096, 14_336, 32,
                                 128_256, 2)
    assert terms.mask == 8192 * 100 * 2 and terms.mask_tokens == 100
    _, padded = workspace_bytes(engine("llama.cpp", chunk=100, kq_mask_type="f32+f16"), 1,
                                8192, 4096, 14_336, 32, 128_256, 2)
    assert padded.mask == 8192 * 128 * 6 and padded.mask_tokens == 128
    assert how.scores
    # an iSWA model's windowed layers read a second mask over the SWA cache's cells, padded
    # and copied as the first, beside the layer phase: 768 cells x 512 tokens x (4 + 2) B for
    # gpt-oss-20b; without flash attention the layer phase is the larger here
    swa, both = workspace_bytes(cpp, 1, 8192, 4096, 14_336, 32, 128_256, 2, swa_keys=768)
    assert both.swa_mask == 768 * 512 * 4 and both.swa_keys == 768
    assert swa - total == both.swa_mask


def _cpp_workspace(model: str, context: int, attention: str = "sdpa",
                   kq_mask: str = "f16") -> Any:
    p = plan(nnsize.count(model), Setup(engine="llama.cpp", context=context, dtype="Q4_K_M",
                                        attention=attention, kq_mask=kq_mask))
    return next(line for line in p.lines if line.part == "decoder_workspace")


def test_llama_cpp_second_kq_mask_for_sliding_window_layers() -> None:
    # llama_kv_cache_iswa: build_attn_inp_kv_iswa makes self_kq_mask over the base cache's
    # cells and self_kq_mask_swa over the SWA cache's, GGML_PAD(min(n_ctx, n_swa + n_ubatch),
    # 256) cells (src/llama-graph.cpp, ggml-org/llama.cpp 434f71a and 0c1e570, the same
    # helper for both since). Gemma-3-27B (a window of 1,024) at 8,192 cells: 1,536 x 512 x
    # 2 B under flash attention (f16 alone, ggml-org/llama.cpp#23764; x (4 + 2) B before it);
    # Gemma-2-9B (4,096) without it, f32 only: 4,608 x 512 x 4 B
    from nnsize.render.plan import line_how

    gemma3 = _cpp_workspace("gemma-3-27b", 8192)
    assert (gemma3.terms.swa_keys, gemma3.terms.swa_mask) == (1536, 1536 * 512 * 2)
    assert gemma3.terms.mask == 8192 * 512 * 2
    older = _cpp_workspace("gemma-3-27b", 8192, kq_mask="f32+f16")
    assert (older.terms.mask, older.terms.swa_mask) == (8192 * 512 * 6, 1536 * 512 * 6)
    gemma2 = _cpp_workspace("gemma-2-9b", 8192, "eager")
    assert (gemma2.terms.swa_keys, gemma2.terms.swa_mask) == (4608, 4608 * 512 * 4)
    assert _cpp_workspace("gemma-2-9b", 8192, "eager", "f32+f16").terms == gemma2.terms
    # the How column names both masks
    how = line_how(gemma3)
    assert "KQ mask 8,192 keys x 512 tokens x 2 B" in how
    assert "SWA layers' KQ mask 1,536 keys x 512 tokens x 2 B" in how
    assert "KQ mask 8,192 keys x 512 tokens x (4 + 2) B" in line_how(older)
    # a model without windows, or with one on every layer (llama.cpp runs Mistral-7B v0.1
    # as "llama", without it), has the one mask
    for model in ("llama-3.1-8b", "mistral-7b"):
        line = _cpp_workspace(model, 8192)
        assert line.terms.swa_mask == line.terms.swa_keys == 0
        assert "SWA" not in line_how(line)


def test_kq_mask_by_build_is_llama_cpps_alone() -> None:
    # ggml-org/llama.cpp#23764 (May 2026): build_attn_inp_kq_mask reserves the mask in f16 under
    # flash attention; the builds before held an f32 mask and its f16 cast ("f32+f16"); without
    # flash attention f32 either way. A setting of llama.cpp's builds only: refused elsewhere
    from nnsize.errors import NnsizeError
    from nnsize.memory.engines import kq_mask

    assert kq_mask(512, True) == (512, 2) and kq_mask(512, True, "f32+f16") == (512, 6)
    assert kq_mask(512, False) == kq_mask(512, False, "f32+f16") == (512, 4)
    assert kq_mask(100, True) == (100, 2) and kq_mask(100, False, "f32+f16") == (128, 4)
    for name in ("vllm", "transformers"):
        with pytest.raises(NnsizeError, match="kq mask f32\\+f16 is llama.cpp's"):
            engine(name, kq_mask_type="f32+f16")
    with pytest.raises(NnsizeError, match="not modelled"):
        engine("llama.cpp", kq_mask_type="f32")
    assert engine("vllm").kq_mask == "f16"  # the default is no setting taken


def test_paged_blocks() -> None:
    assert paged(1000, 16) == 1008 and paged(1024, 16) == 1024 and paged(7, 1) == 7


def test_llama_cpp_keeps_an_f16_cache_and_vllm_whole_blocks() -> None:
    report = nnsize.count("llama-3.1-8b")
    lines = {line.part: line.bytes for line in plan(report, Setup(
        dtype="q4_k_m", context=1000, engine="llama.cpp")).lines}
    # 32 layers x 1,000 tokens x 8 kv heads x (128 + 128) x 2 bytes
    assert lines["kv_cache"] == 32 * 1000 * 8 * 256 * 2  # fp16, llama.cpp's default
    # llama.cpp: 4.8944 bits a weight with the 256 bytes of rope_freqs
    # (tests/memory/test_gguf_mix.py)
    assert lines["gguf_weights"] == 4_912_898_048
    lines = {line.part: line.bytes for line in plan(report, Setup(
        context=1000, engine="vllm")).lines}
    assert lines["kv_cache"] == 32 * 1008 * 8 * 256 * 2  # 63 blocks of 16 tokens


def test_longest_context_with_chunked_prefill(capsys: pytest.CaptureFixture[str]) -> None:
    """Llama-3.1-8B bf16 on a 24 GiB card: the whole prompt at once leaves room for ~39k
    tokens; llama.cpp's 512-token micro-batches for ~65k; vLLM, with 0.9 of the card, ~52k."""
    import json

    from nnsize.cli import main

    got = {}
    for name in ("transformers", "vllm", "llama.cpp"):
        assert main(["fit", "llama-3.1-8b", "--gpu", "24GiB", "--engine", name,
                     "--json"]) == 0
        got[name] = json.loads(capsys.readouterr().out)["longest_context"]
    assert got["transformers"] < 40_000 < got["vllm"] < 60_000 < got["llama.cpp"]
    assert got["vllm"] % 16 == 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "tgi"}, "unknown engine"),
    ({"name": "vllm", "chunk": 0}, "prefill chunk"),
    ({"name": "vllm", "memory_fraction": Fraction(3, 2)}, "GPU memory utilization"),
])
def test_bad_profiles(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(NnsizeError, match=message):
        engine(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_transformers_prefill_workspace_against_a_real_forward(dtype: str) -> None:
    """The peak of live storages during a prefill (no_grad, logits of the last position), less
    the KV cache it fills, against the workspace line: within 10%."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from measure import _Live

    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 1000,
              "hidden_size": 128, "intermediate_size": 344, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
              "tie_word_embeddings": False}
    hf = transformers.LlamaConfig(**{k: v for k, v in config.items()
                                     if k not in ("model_type", "architectures")})
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(hf).to(getattr(torch, {"fp32": "float32",
                                                                  "bf16": "bfloat16"}[dtype]))
    model.eval()
    live = _Live(list(model.parameters()))
    with torch.no_grad(), live:
        model(input_ids=torch.randint(0, 1000, (2, 256)), use_cache=True, logits_to_keep=1)
    lines = {line.part: line.bytes for line in plan(nnsize.count(config), Setup(
        dtype=dtype, batch=2, context=256)).lines}
    assert lines["decoder_workspace"] + lines["kv_cache"] == \
        pytest.approx(live.peak, rel=0.10)


def test_transformers_variants_are_one_table() -> None:
    """transformers three ways, each an entry of the one registry: the default (SDPA, as
    transformers picks it), eager attention and a static cache with torch.compile.  Eager plans
    one layer's attention probabilities in memory, as --attention eager does with transformers;
    the compiled variant is fitted to its own 3 cited decode measurements
    (tests/data/speed_measurements.json), not the roofline."""
    from nnsize.engines import ENGINES as PROFILES
    from nnsize.speed import ENGINES as SPEED

    assert engine("transformers").flash_attention
    assert not engine("transformers-eager").flash_attention
    assert engine("transformers-eager") == replace(engine("transformers", flash_attention=False),
                                                   name="transformers-eager")
    assert engine("transformers-compile").flash_attention
    assert "SDPA" in PROFILES["transformers"].about and "SDPA" in SPEED["transformers"].about
    assert SPEED["transformers-eager"].measured and SPEED["transformers-compile"].measured
    # 32 layers x 4,096 hidden: llama-2-7b's eager workspace holds heads x context fp32 scores
    # per token, 32 x 2,048 x 4 = 262,144 bytes, in place of the MLP's intermediates (freed
    # before the attention's), 3 x 11,008 x 2 = 66,048 bytes: 196,096 bytes a token more than
    # SDPA's
    args = (1, 2048, 4096, 11008, 32, 32000, 2)
    eager, _ = workspace_bytes(engine("transformers-eager"), *args)
    sdpa, _ = workspace_bytes(engine("transformers"), *args)
    assert eager - sdpa == 2048 * (32 * 2048 * 4 - 3 * 11008 * 2)


def test_one_registry_for_memory_fit_and_speed() -> None:
    """nnsize.engines: one name list; each side where something published backs it."""
    from nnsize.engines import ENGINES as PROFILES
    from nnsize.memory.setup import setup_fields
    from nnsize.speed import ENGINES as SPEED
    from nnsize.speed.setup import speed_fields

    names = tuple(PROFILES)
    assert {"transformers", "transformers-eager", "transformers-compile", "vllm", "sglang",
            "llama.cpp", "mlc", "exllama", "exllamav2", "mlx", "gpt-fast", "tensorrt-llm",
            "roofline"} == set(names)
    memory_choices = next(f for f in setup_fields() if f.name == "engine").metadata["choices"]
    speed_choices = next(f for f in speed_fields() if f.name == "engine").metadata["choices"]
    assert memory_choices == speed_choices == names == tuple(SPEED)
    # the memory side of llama.cpp and its speed side are one entry
    cpp = PROFILES["llama.cpp"]
    assert cpp.allocation is not None and cpp.allocation.chunk == 512
    assert cpp.efficiency is not None and SPEED["llama.cpp"].bandwidth_share == \
        cpp.efficiency.bandwidth_share
    # SGLang and transformers are fitted (Qwen's speed benchmark on an H20, decode only)
    assert PROFILES["sglang"].efficiency is not None and SPEED["sglang"].measured
    assert PROFILES["transformers"].efficiency is not None and SPEED["transformers"].measured
    assert PROFILES["mlc"].allocation is None and not engine("mlc").profiled


def test_an_engine_without_figures_gets_the_roofline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No published figure: no number invented, the source says what stands in (every engine
    nnsize registers is fitted today, so a stand-in engine is registered for the test)."""
    from nnsize import engines as registry
    from nnsize.speed.engines import find_engine

    monkeypatch.setitem(registry.ENGINES, "unfitted",
                        registry.EngineProfile("unfitted", None, None, "an engine"))
    e = find_engine("unfitted", "datacenter", "float")
    assert not e.measured and (e.bandwidth_share, e.layer_overhead_s) == (1.0, 0.0)
    assert "no published speed measurement fitted for unfitted" in e.source


def test_engines_without_a_side_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    # SGLang's sources give decode only: its prefill is said to be the roofline's
    assert main(["speed", "llama-3.1-8b", "--gpu", "h20", "--engine", "sglang"]) == 0
    assert "prefill at the roofline's peak FLOP/s (sglang's sources give decode only)" in \
        capsys.readouterr().out
    # vLLM's sources give decode only: its prefill is said to be the roofline's
    assert main(["speed", "llama-3.1-8b", "--gpu", "rtx-4090", "--engine", "vllm"]) == 0
    assert "prefill at the roofline's peak FLOP/s (vllm's sources give decode only)" in \
        capsys.readouterr().out
    assert main(["memory", "llama-3.1-8b", "--engine", "exllama"]) == 0
    assert "no published memory profile for exllama" in capsys.readouterr().out
    assert main(["fit", "llama-3.1-8b", "--gpu", "rtx-4090", "--engine", "mlc"]) == 0
    assert main(["memory", "llama-3.1-8b", "--engine", "vlm"]) == 2
    assert "invalid choice: 'vlm'" in capsys.readouterr().err


@pytest.mark.parametrize("dtype, stored, engine", [
    ("", "", "transformers"), ("bf16", "", "transformers"), ("fp8", "", "transformers"),
    ("Q4_K_M", "", "llama.cpp"), ("q8_0", "", "llama.cpp"), ("gguf:q4_k_m", "", "llama.cpp"),
    ("q4_0-block", "", "llama.cpp"), ("", "gguf", "llama.cpp"), ("nf4", "", "transformers"),
])
def test_one_default_engine_chosen_by_what_was_given(dtype: str, stored: str,
                                                     engine: str) -> None:
    from nnsize.memory.engines import default_engine

    assert default_engine(dtype, stored) == engine


def test_memory_fit_and_speed_use_the_same_default(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from nnsize.cli import main

    # a llama.cpp type: every surface plans, fits and times llama.cpp
    assert main(["memory", "llama-3.1-8b", "--dtype", "q4_k_m"]) == 0
    assert "llama.cpp" in capsys.readouterr().out.splitlines()[0]
    assert main(["fit", "llama-3.1-8b", "--dtype", "q4_k_m", "--gpu", "rtx-4090", "--json"]) == 0
    assert "gpu_layers" in json.loads(capsys.readouterr().out)
    assert main(["speed", "llama-3.1-8b", "--dtype", "q4_k_m", "--gpu", "rtx-4090",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["engine"]["name"] == "llama.cpp"
    # bf16: transformers on every surface, and speed says so
    assert main(["speed", "llama-3.1-8b", "--gpu", "rtx-4090", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["engine"]["name"] == "transformers" and out["planner"]["fits"] is True


def test_speed_flags_what_its_planner_says_does_not_fit(
        capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    # Llama-3.1-70B in bf16 is 131 GiB of weights: no 24 GiB card holds it
    assert main(["speed", "llama-3.1-70b", "--gpu", "rtx-4090"]) == 0
    assert "Does not fit: the memory planner needs" in capsys.readouterr().out


def test_fit_answers_the_engines_question(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from nnsize.cli import main

    # vLLM on an H100 (79.22 GiB as CUDA reports it, x 0.92 = 72.88 GiB): Llama-3.1-8B's
    # 131,072 bytes a token (32 layers x 8 KV heads x 128 x 2 x 2) in whole blocks of 16
    assert main(["fit", "llama-3.1-8b", "--gpu", "h100", "--engine", "vllm", "--context",
                 "8192", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    kv = out["kv_cache"]
    assert kv["kv_bytes_per_token"] == 32 * 8 * 128 * 2 * 2
    assert out["kv_cache_tokens"] == kv["kv_bytes"] // (131_072 * 16) * 16
    assert out["max_concurrency"] == round(out["kv_cache_tokens"] / 8192, 2)
    assert kv["budget_bytes"] == int(79.22 * 2**30) * 92 // 100
    # llama.cpp at 128k tokens of context on a 12 GiB card: only some layers fit
    assert main(["fit", "llama-3.1-8b", "--gpu", "rtx-3060", "--dtype", "q4_k_m", "--context",
                 "131072", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert 0 < out["gpu_layers"] < 32 and not out["fits"]
    assert out["offload"]["gpu_bytes"] <= out["usable_bytes"]


@pytest.mark.parametrize("tp", [1, 4])
def test_sglang_fit_verdict_is_its_kv_lines_budget(tp: int,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """SGLang's mem_fraction_static is a share of the memory free after its CUDA context and
    distributed start (profile_max_num_token), so fit's usable bytes and verdict sentence are
    its KV line's budget, from the same numbers: on an H100 (79.22 GiB as CUDA reports it)
    one GPU: (79.22 GiB - 512 MiB) x 0.874 = 68.80 GiB, not 79.22 GiB x 0.874 = 69.24 GiB."""
    import json

    from nnsize.cli import main

    args = ["fit", "llama-3.1-8b", "--gpu", "h100", "--engine", "sglang", "--context", "8192"]
    if tp > 1:
        args += ["--tp", str(tp)]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    kv = out["kv_cache"]
    assert out["usable_bytes"] == kv["budget_bytes"]
    if tp == 1:
        reported = int(79.22 * 2**30)
        assert out["usable_bytes"] == (reported - 512 * 2**20) * 437 // 500  # 0.874
        assert "usable 68.80 GiB = 0.874, SGLang's mem_fraction_static, of the memory free " \
            "after its start: 79.22 GiB as CUDA reports it - CUDA context 512.00 MiB " \
            "(estimates) = 78.72 GiB" in out["verdict"]
    else:
        assert "- distributed start" in out["verdict"]
