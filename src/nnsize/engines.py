"""Inference engines, one registry: how each allocates memory and how fast it runs.

An entry carries two sides, each where something published backs it:

allocation  the memory planner's profile (memory.engines builds it for a GPU): how the prompt
            goes through (whole or in chunks), the share of the GPU the engine takes, its KV
            cache blocks, the fp32 logits rows it samples, its own KV cache type
efficiency  the speed estimate's figures (speed.engines): the share of peak bandwidth and of
            peak FLOP/s the engine reaches, its fixed cost per layer per step and, in prefill,
            per token and layer, fitted per class of card and weights to the training part of
            published measurements (tests/data/speed_measurements.json; speed.fitting)

Where an engine has no published figure for a side, the side is None and the output says what
was used instead: the roofline's peaks for speed, one forward pass over the whole prompt
(transformers' allocation) for memory.  No number is invented for it.

`--engine` takes the same names in memory, fit and speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .errors import NnsizeError, suggest


@dataclass(frozen=True)
class Allocation:
    """How an engine takes memory for inference (the engine's defaults)."""

    chunk: int | None  # prompt tokens per forward pass; None: the whole prompt at once
    memory_fraction: Fraction  # of the GPU the engine may take
    block_tokens: int  # the KV cache is allocated in blocks of this many tokens
    logits_rows: int | None  # rows of fp32 logits per step; None: one per sequence
    kv_default: str | None  # the engine's own KV cache type, where it has one
    gpu_defaults: bool = False  # chunk and logits rows follow `vllm serve`'s per-GPU defaults
    source: str = ""
    flash_attention: bool = True  # False: the attention's probabilities are materialised (eager)
    defaults: str = ""  # whose defaults these are, where they change by version: "vLLM 0.28..."
    # vLLM: how a hybrid model's states are cached by default (memory.vllm_kv.STATE_BLOCKS)
    mamba_cache_mode: str = "none"


@dataclass(frozen=True)
class Efficiency:
    """What share of the hardware's peaks an engine reaches, and its fixed cost."""

    bandwidth_share: float  # of peak memory bandwidth, reading weights and cache
    compute_share: float  # of peak FLOP/s, in prefill; 0: no prefill measured
    layer_overhead_s: float  # seconds per layer per step: kernel launches, synchronisation
    source: str  # where the figures come from
    token_overhead_s: float = 0.0  # prefill: seconds per token per layer beyond the matmuls
    # the same figures fitted per GPU class ("apple", "geforce", "datacenter": decode) and per
    # class and weights ("apple/float", "geforce/quantized"...: decode and prefill), where the
    # measurements have training points; the figures above are the fit over all cards
    classes: tuple[tuple[str, Efficiency], ...] = ()
    # over all cards, where the engine's measurements identify them: prefill's fixed cost per
    # call (one forward pass: the host's setup, sampling the first token), from one model's
    # prefill at two prompt lengths on one card; decode's cost per layer for each sequence
    # beyond the first in a step (its attention kernels, sampling), from batch > 1 points
    call_overhead_s: float = 0.0
    sequence_overhead_s: float = 0.0


@dataclass(frozen=True)
class EngineProfile:
    name: str
    allocation: Allocation | None  # None: no published allocation profile
    efficiency: Efficiency | None  # None: no published speed measurement fitted
    about: str = ""  # one line: what the engine is


ENGINES: dict[str, EngineProfile] = {}


def register(profile: EngineProfile) -> EngineProfile:
    if profile.name in ENGINES:
        raise ValueError(f"engine {profile.name!r} is registered twice")
    ENGINES[profile.name] = profile
    return profile


def find_engine(name: str) -> EngineProfile:
    key = name.strip().lower()
    if key in ENGINES:
        return ENGINES[key]
    raise NnsizeError(f"unknown engine {name!r}{suggest(key, list(ENGINES))}; one of "
                      f"{', '.join(ENGINES)}")


MEASURED = "fitted to the {} measurements in tests/data/speed_measurements.json"


def fitted(engine: str, decode: int, prefill: int, where: str = "") -> str:
    """Where a fitted figure comes from: the training points (the held-out 5th of each
    engine's measurements left out) and the command that fitted it."""
    cards = {"": "all cards", "apple": "Apple cards", "geforce": "GeForce cards",
             "datacenter": "datacenter and workstation cards"}[where.split("/")[0]]
    weights = {"": "", "float": ", float weights", "quantized": ", quantized weights"}[
        where.split("/")[1] if "/" in where else ""]
    return (f"fitted to {decode} decode and {prefill} prefill {engine} training points on "
            f"{cards}{weights} (tests/data/speed_measurements.json, every 5th held out; "
            f"python benchmarks/speed_vs_measurements.py --fit)")


# Fitted by `python benchmarks/speed_vs_measurements.py --fit` (speed.fitting;
# tests/speed/test_speed.py checks these figures are the fit): decode by a share of peak
# bandwidth and a cost per layer, prefill by a share of peak FLOP/s and a cost per token and
# layer, per GPU class.
# BEGIN FITTED
LLAMA_CPP = Efficiency(
    0.835, 0.718, 78.295e-6, fitted("llama.cpp", 98, 90), 1.755e-6, classes=(
    ("apple/float", Efficiency(
        0.913, 0.753, 209.456e-6, fitted("llama.cpp", 48, 17, "apple/float"), 1.2e-6)),
    ("apple/quantized", Efficiency(
        0.913, 0.653, 209.456e-6, fitted("llama.cpp", 48, 26, "apple/quantized"), 0.799e-6)),
    ("apple", Efficiency(
        0.913, 0, 209.456e-6, fitted("llama.cpp", 48, 0, "apple"))),
    ("datacenter/float", Efficiency(
        1, 0.548, 150.756e-6, fitted("llama.cpp", 22, 9, "datacenter/float"), 3.194e-6)),
    ("datacenter/quantized", Efficiency(
        1, 0.402, 150.756e-6, fitted("llama.cpp", 22, 13, "datacenter/quantized"), 5.17e-6)),
    ("datacenter", Efficiency(
        1, 0, 150.756e-6, fitted("llama.cpp", 22, 0, "datacenter"))),
    ("geforce/float", Efficiency(
        0.867, 0.486, 66.427e-6, fitted("llama.cpp", 28, 7, "geforce/float"), 0.993e-6)),
    ("geforce/quantized", Efficiency(
        0.867, 0.725, 66.427e-6, fitted("llama.cpp", 28, 18, "geforce/quantized"), 0.166e-6)),
    ("geforce", Efficiency(
        0.867, 0, 66.427e-6, fitted("llama.cpp", 28, 0, "geforce"))),))
MLC = Efficiency(
    1, 0, 43.966e-6, fitted("mlc", 5, 0), classes=(
    ("geforce", Efficiency(
        1, 0, 43.966e-6, fitted("mlc", 5, 0, "geforce"))),))
EXLLAMA = Efficiency(
    0.915, 0, 77.629e-6, fitted("exllama", 8, 0), classes=(
    ("geforce", Efficiency(
        0.915, 0, 77.629e-6, fitted("exllama", 8, 0, "geforce"))),))
EXLLAMAV2 = Efficiency(
    0.998, 0, 45.001e-6, fitted("exllamav2", 10, 0), classes=(
    ("geforce", Efficiency(
        0.998, 0, 45.001e-6, fitted("exllamav2", 10, 0, "geforce"))),))
MLX = Efficiency(
    0.894, 1, 30.221e-6, fitted("mlx", 5, 3), 57.917e-6, classes=(
    ("apple/float", Efficiency(
        0.894, 0.143, 30.221e-6, fitted("mlx", 5, 1, "apple/float"))),
    ("apple/quantized", Efficiency(
        0.894, 1, 30.221e-6, fitted("mlx", 5, 2, "apple/quantized"), 36.873e-6)),
    ("apple", Efficiency(
        0.894, 0, 30.221e-6, fitted("mlx", 5, 0, "apple"))),))
GPT_FAST = Efficiency(
    0.762, 0, 58.19e-6, fitted("gpt-fast", 3, 0), classes=(
    ("datacenter", Efficiency(
        0.762, 0, 58.19e-6, fitted("gpt-fast", 3, 0, "datacenter"))),))
VLLM = Efficiency(
    1, 0, 135.242e-6, fitted("vllm", 20, 0),
    sequence_overhead_s=2.349e-6, classes=(
    ("datacenter", Efficiency(
        0.957, 0, 133.137e-6, fitted("vllm", 19, 0, "datacenter"))),
    ("geforce", Efficiency(
        0.886, 0, 0.0, fitted("vllm", 1, 0, "geforce"))),))
TRANSFORMERS = Efficiency(
    1, 0, 506.572e-6, fitted("transformers", 12, 0), classes=(
    ("datacenter", Efficiency(
        1, 0, 506.572e-6, fitted("transformers", 12, 0, "datacenter"))),))
SGLANG = Efficiency(
    0.378, 0, 63.019e-6, fitted("sglang", 15, 0), classes=(
    ("datacenter", Efficiency(
        0.378, 0, 63.019e-6, fitted("sglang", 15, 0, "datacenter"))),))
TENSORRT_LLM = Efficiency(
    0.809, 0.661, 52.56e-6, fitted("tensorrt-llm", 6, 4), 0.152e-6,
    call_overhead_s=3502e-6, classes=(
    ("datacenter/float", Efficiency(
        0.758, 0.707, 55.959e-6, fitted("tensorrt-llm", 4, 1, "datacenter/float"))),
    ("datacenter/quantized", Efficiency(
        0.758, 0.436, 55.959e-6, fitted("tensorrt-llm", 4, 3, "datacenter/quantized"))),
    ("datacenter", Efficiency(
        0.758, 0, 55.959e-6, fitted("tensorrt-llm", 4, 0, "datacenter"))),
    ("geforce", Efficiency(
        0.679, 0, 0.0, fitted("tensorrt-llm", 2, 0, "geforce"))),))
TRANSFORMERS_EAGER = Efficiency(
    1, 0, 486.272e-6, fitted("transformers-eager", 4, 0),
    sequence_overhead_s=14.402e-6, classes=(
    ("datacenter", Efficiency(
        1, 0, 486.272e-6, fitted("transformers-eager", 4, 0, "datacenter"))),))
TRANSFORMERS_COMPILE = Efficiency(
    0.901, 0, 105.623e-6, fitted("transformers-compile", 4, 0), classes=(
    ("datacenter", Efficiency(
        0.78, 0, 88.977e-6, fitted("transformers-compile", 2, 0, "datacenter"))),
    ("geforce", Efficiency(
        0.91, 0, 85.233e-6, fitted("transformers-compile", 2, 0, "geforce"))),))
# END FITTED

# transformers as it runs three ways, one entry each: the attention it picks by default (SDPA,
# attn_implementation="sdpa"; FlashAttention-2 where asked, fitted with it), eager attention
# (attn_implementation="eager": the probabilities materialised, one kernel per op), and a static
# KV cache with torch.compile (cache_implementation="static", mode="reduce-overhead": CUDA graphs)
register(EngineProfile(
    "transformers",
    # generate(): the whole prompt in one forward pass; the last position's logits, fp32
    Allocation(None, Fraction(1), 1, None, None,
               source="transformers generate(): the whole prompt in one pass"),
    TRANSFORMERS, "Hugging Face transformers' generate() with the attention transformers picks, "
    "SDPA (eager for the families it cannot run: Gemma 2, gpt-oss...), and no torch.compile "
    "(--engine transformers-eager, transformers-compile: the others)"))
register(EngineProfile(
    "transformers-eager",
    Allocation(None, Fraction(1), 1, None, None, flash_attention=False,
               source="transformers generate() with attn_implementation='eager': the whole prompt "
                      "in one pass, one layer's attention probabilities materialised"),
    TRANSFORMERS_EAGER, "Hugging Face transformers' generate() with attn_implementation='eager'"))
register(EngineProfile(
    "transformers-compile",
    Allocation(None, Fraction(1), 1, None, None,
               source="transformers generate() with cache_implementation='static' and "
                      "torch.compile: the whole prompt in one pass"),
    TRANSFORMERS_COMPILE, "Hugging Face transformers' generate() with "
    "cache_implementation='static' and torch.compile, mode reduce-overhead (CUDA graphs), SDPA"))
VLLM_VERSION = "0.28"  # the `vllm serve` whose defaults the vllm profile takes
# the vLLM source the profile's defaults are read from: a main commit after
# vllm-project/vllm#50991 ("[Mamba] enable prefix cache by default", opened 2026-08-04, merged; in
# vLLM 0.28.0, vllm-project/vllm-metal#645 "Bump vLLM to 0.28.0")
VLLM_SOURCE = "vllm-project/vllm@002f10e0cfa1373a19a0d2756598a34b700d20e5"
# one source for vLLM's defaults: the memory planner, fit and the serving layouts
# (parallel.serving) read this allocation
VLLM_ALLOCATION = (
    # gpu_memory_utilization 0.92 (vllm/config/cache.py CacheConfig: Field(default=0.92);
    # 0.9 before: an older vllm-project/vllm@c1d86421174a87056edc90a41dc9942391509e84 has
    # Field(default=0.9), and docs.vllm.ai v0.6.4 "default value of 0.9"); chunks of
    # max_num_batched_tokens and max_num_seqs logits rows by GPU (vllm/engine/arg_utils.py
    # get_batch_defaults, OPENAI_API_SERVER: memory.engines.vllm_batch_defaults); blocks of 16
    # tokens (CacheConfig.DEFAULT_BLOCK_SIZE); a hybrid (state-space or linear-attention)
    # model with prefix caching on, mamba_cache_mode "align" (arg_utils
    # _set_default_chunked_prefill_and_prefix_caching_args: is_prefix_caching_supported, hybrid
    # or not; CacheConfig.mamba_cache_mode: "align" is the default when prefix caching is
    # enabled; memory.vllm_kv)
    Allocation(2048, Fraction(92, 100), 16, 256, None, gpu_defaults=True,
               source=f"vllm serve's defaults in vLLM {VLLM_VERSION} ({VLLM_SOURCE} "
                      "vllm/config/cache.py, vllm/engine/arg_utils.py); hybrid models with "
                      "prefix caching (mamba_cache_mode align)",
               defaults=f"vLLM {VLLM_VERSION} defaults, vllm serve", mamba_cache_mode="align"))
register(EngineProfile("vllm", VLLM_ALLOCATION, VLLM, "vLLM"))
register(EngineProfile(
    "sglang",
    # mem_fraction_static and chunked_prefill_size by the GPU's memory (ServerArgs,
    # python/sglang/srt/server_args.py; memory.engines.sglang_defaults); a token per page
    Allocation(8192, Fraction(88, 100), 1, None, None, gpu_defaults=True,
               source="SGLang's ServerArgs defaults (python/sglang/srt/server_args.py)"),
    SGLANG, "SGLang"))
register(EngineProfile(
    "llama.cpp",
    # n_ubatch 512 (common/common.h, ggml-org/llama.cpp 001d906); an f16 cache by default
    Allocation(512, Fraction(1), 1, None, "f16",
               source="llama.cpp's defaults (common/common.h)"),
    LLAMA_CPP, "llama.cpp (llama-cli, llama-server, Ollama, LM Studio)"))
register(EngineProfile("mlc", None, MLC, "MLC LLM"))
register(EngineProfile("exllama", None, EXLLAMA, "ExLlama (v1; turboderp/exllama)"))
register(EngineProfile("exllamav2", None, EXLLAMAV2, "ExLlamaV2 (turboderp/exllamav2)"))
register(EngineProfile("mlx", None, MLX, "Apple's MLX (mlx-lm)"))
register(EngineProfile("gpt-fast", None, GPT_FAST,
                       "PyTorch's gpt-fast (torch.compile, CUDA graphs; pytorch-labs/gpt-fast)"))
register(EngineProfile("tensorrt-llm", None, TENSORRT_LLM, "NVIDIA TensorRT-LLM"))
register(EngineProfile(
    "roofline", None,
    Efficiency(1.0, 1.0, 0.0, "the hardware's peaks: no engine does better"),
    "no engine: the hardware's peaks"))

NO_ALLOCATION = ("no published memory profile for {}: planned as one forward pass over the "
                 "whole prompt (transformers' allocation)")
NO_EFFICIENCY = ("no published speed measurement fitted for {}: the expected value is the "
                 "roofline (the hardware's peaks, no cost per layer)")

