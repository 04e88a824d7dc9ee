"""Inference engines, one registry: how each allocates memory and how fast it runs.

An entry carries two sides, each where something published backs it:

allocation  the memory planner's profile (memory.engines builds it for a GPU): how the prompt
            goes through (whole or in chunks), the share of the GPU the engine takes, its KV
            cache blocks, the fp32 logits rows it samples, its own KV cache type
efficiency  the speed estimate's figures (speed.engines): the share of peak bandwidth and of
            peak FLOP/s the engine reaches, and its fixed cost per layer per step, fitted to
            published measurements (tests/data/speed_measurements.json)

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


@dataclass(frozen=True)
class Efficiency:
    """What share of the hardware's peaks an engine reaches, and its fixed cost."""

    bandwidth_share: float  # of peak memory bandwidth, reading weights and cache
    compute_share: float  # of peak FLOP/s, in prefill
    layer_overhead_s: float  # seconds per layer per step: kernel launches, synchronisation
    source: str  # where the figures come from


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

register(EngineProfile(
    "transformers",
    # generate(): the whole prompt in one forward pass; the last position's logits, fp32
    Allocation(None, Fraction(1), 1, None, None,
               source="transformers generate(): the whole prompt in one pass"),
    None, "Hugging Face transformers' generate()"))
register(EngineProfile(
    "vllm",
    # gpu_memory_utilization 0.9 (docs.vllm.ai "Optimization and Tuning"); chunks of
    # max_num_batched_tokens and max_num_seqs logits rows by GPU (vllm/engine/arg_utils.py
    # get_batch_defaults for `vllm serve`); blocks of 16 tokens
    Allocation(2048, Fraction(9, 10), 16, 256, None, gpu_defaults=True,
               source="vllm serve's defaults (vllm/engine/arg_utils.py)"),
    None, "vLLM"))
register(EngineProfile(
    "sglang",
    # mem_fraction_static and chunked_prefill_size by the GPU's memory (ServerArgs,
    # python/sglang/srt/server_args.py; memory.engines.sglang_defaults); a token per page
    Allocation(8192, Fraction(88, 100), 1, None, None, gpu_defaults=True,
               source="SGLang's ServerArgs defaults (python/sglang/srt/server_args.py)"),
    None, "SGLang"))
register(EngineProfile(
    "llama.cpp",
    # n_ubatch 512 (common/common.h, ggml-org/llama.cpp 001d906); an f16 cache by default
    Allocation(512, Fraction(1), 1, None, "f16",
               source="llama.cpp's defaults (common/common.h)"),
    # least squares of the measured decode step times on bytes / bandwidth and the layer
    # count, and the median share of peak FLOP/s in prefill (benchmarks/speed_vs_measurements.py
    # --fit; tests/test_speed.py checks these figures are the fit)
    Efficiency(0.843, 0.597, 144.1e-6, MEASURED.format("127 decode and 107 prefill llama.cpp")),
    "llama.cpp (llama-cli, llama-server, Ollama, LM Studio)"))
register(EngineProfile(
    "mlc", None,
    Efficiency(0.987, 0.597, 40.3e-6, MEASURED.format("6 MLC LLM decode") + "; prefill share "
               "taken from llama.cpp, MLC's posts give decode only"), "MLC LLM"))
register(EngineProfile(
    "exllama", None,
    Efficiency(1.0, 0.597, 88.2e-6, MEASURED.format("8 ExLlama and ExLlamaV2 decode") +
               " (the least-squares share, 1.10, held at the peak's 1); prefill share taken "
               "from llama.cpp, ExLlama's posts give decode only"), "ExLlamaV2"))
register(EngineProfile(
    "roofline", None,
    Efficiency(1.0, 1.0, 0.0, "the hardware's peaks: no engine does better"),
    "no engine: the hardware's peaks"))

NO_ALLOCATION = ("no published memory profile for {}: planned as one forward pass over the "
                 "whole prompt (transformers' allocation)")
NO_EFFICIENCY = ("no published speed measurement fitted for {}: the expected value is the "
                 "roofline (the hardware's peaks, no cost per layer)")

