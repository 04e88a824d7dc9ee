"""What speed and train-time are asked, described once: the CLI's options and the web API's
request models are both derived from these fields and their metadata (as memory.setup)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from ..errors import NnsizeError
from ..memory import KEEP
from ..memory.setup import GRAD_DTYPE_HELP, GRAD_DTYPES, option
from .engines import ENGINES
from .inference import MAX_BATCH, MAX_TOKENS

if TYPE_CHECKING:
    from ..model import Report
    from .hardware import Hardware
    from .inference import Speed
    from .training import Training

GPU_HELP = ("a card of the catalogue: rtx-4090, h100-80gb, m2-ultra, mi300x... "
            "(nnsize speed --list-gpus)")
TFLOPS_HELP = ("dense peak TFLOP/s of one card at the compute precision, for a card not in the "
               "catalogue or to override it")


@dataclass(frozen=True)
class SpeedSetup:
    """Decode and prefill of one model: the card, the precisions, the batch, the engine."""

    gpu: str | None = field(default=None, metadata=option(GPU_HELP, max_length=40))
    gpus: int = field(default=1, metadata=option("cards, tensor parallel (1)", low=1,
                                                 high=1_000_000))
    bandwidth: str | None = field(default=None, metadata=option(
        "memory bandwidth of one card, e.g. 1008GB/s or 3.35TB/s", max_length=40))
    tflops: float | None = field(default=None, metadata=option(TFLOPS_HELP, high=10**9))
    dtype: str = field(default="", metadata=option(
        "the weights' precision (default: as a config's quantization_config stores them, as "
        "memory plans them; else bf16): fp32, bf16, fp16, fp8, int8, gptq-int4, nf4, the GGUF "
        "types (q4_0, q8_0...)", max_length=40))
    kv_dtype: str | None = field(default=None, metadata=option(
        "the KV cache's precision (default: the compute one)", max_length=40))
    compute_dtype: str | None = field(default=None, metadata=option(
        "the precision the matmuls run at (default: the weights' for floats, fp8 for fp8 on "
        "cards that have it, else bf16)", max_length=40))
    context: int = field(default=0, metadata=option(
        "tokens in the cache while decoding (default: 2048, or the model's own longest "
        "context where it is shorter, as memory plans it)", low=0, high=MAX_TOKENS))
    batch: int = field(default=1, metadata=option("sequences decoded together (1)", low=1,
                                                  high=MAX_BATCH))
    prompt: int = field(default=512, metadata=option(
        "prompt tokens for the time to first token (512)", low=1, high=MAX_TOKENS))
    engine: str = field(default="", metadata=option(
        "whose measured efficiency the expected values use (default: llama.cpp for a GGUF "
        "file or type, transformers otherwise, as memory and fit); engines with none "
        "published give the roofline as their expected value (the output says so)",
        choices=tuple(ENGINES)))
    latent: bool = field(default=True, metadata=option(
        "DeepSeek's latent attention cache: compressed or expanded", flag="--mla",
        choices=("latent", "expanded")))
    keep: tuple[str, ...] = field(default=KEEP, metadata=option(
        "what a weight-only format leaves at 16 bits: norms, biases, embeddings, head, or none "
        "(GGUF files: none)", listed=KEEP))
    interconnect: str = field(default="", metadata=option(
        "the link tensor parallelism crosses, if not the card's own: nvlink3, nvlink4, pcie4, "
        "pcie5... (nnsize layout --list-interconnects)", max_length=40))
    ngl: int | None = field(default=None, metadata=option(
        "llama.cpp's -ngl: layers on the GPU, the rest in the CPU's RAM (the layer count + 1: "
        "the output layer too); decode at that split", low=0, high=1_000_000))
    cpu_bandwidth: str | None = field(default=None, metadata=option(
        "the CPU's RAM bandwidth for --ngl, e.g. 89.6GB/s (default: dual-channel DDR5-5600, "
        "89.6 GB/s)", max_length=40))
    swa_full: bool = field(default=False, metadata=option(
        "llama.cpp's --swa-full, as memory and fit take it: the sliding-window layers (Gemma 2 "
        "and 3, gpt-oss) keep a full-size cache, and a decode step on CUDA reads every cell of "
        "it, as a global layer's (Metal skips the cells the window hides either way)"))


@dataclass(frozen=True)
class TrainingSetup:
    """Training time: the tokens, the cards, the precision, the MFU."""

    tokens: str | None = field(default=None, metadata=option(
        "training tokens, e.g. 15T, 300B (default: Chinchilla-optimal, 20 per parameter)",
        max_length=40))
    gpu: str | None = field(default=None, metadata=option(GPU_HELP, max_length=40))
    gpus: int = field(default=1, metadata=option("cards, data parallel (1)", low=1,
                                                 high=10**9))
    tflops: float | None = field(default=None, metadata=option(TFLOPS_HELP, high=10**9))
    dtype: str = field(default="bf16", metadata=option(
        "the precision the matmuls run at (bf16)", max_length=40))
    mfu: float = field(default=0.4, metadata=option(
        "model-FLOPs utilisation, the share of peak reached (0.4)", high=1))
    context: int = field(default=4096, metadata=option("tokens per sequence (4096)", low=1,
                                                       high=MAX_TOKENS))
    batch: int | None = field(default=None, metadata=option(
        "sequences per step, all cards together (default: one per card)", low=1, high=10**9))
    # a parallel layout (parallel/): with any of these the step is timed term by term
    nodes: int = field(default=0, metadata=option("nodes (0: 8 GPUs a node)", low=0,
                                                  high=10**6))
    tp: int = field(default=0, metadata=option("tensor-parallel ranks", low=0, high=10**6))
    pp: int = field(default=0, metadata=option("pipeline stages", low=0, high=10**6))
    vp: int = field(default=0, metadata=option("virtual stages (interleaved)", low=0,
                                               high=10**6))
    dp: int = field(default=0, metadata=option("data-parallel ranks (0: the rest)", low=0,
                                               high=10**9))
    ep: int = field(default=0, metadata=option("expert-parallel ranks", low=0, high=10**6))
    cp: int = field(default=0, metadata=option("context-parallel ranks", low=0, high=10**6))
    sp: bool = field(default=False, metadata=option("sequence parallelism"))
    zero: int = field(default=-1, metadata=option("ZeRO stage 0-3", low=-1, high=3))
    fsdp: str = field(default="", metadata=option("FSDP: full or hybrid",
                                                  choices=("", "full", "hybrid")))
    grad_dtype: str = field(default="", metadata=option(GRAD_DTYPE_HELP, choices=GRAD_DTYPES))
    micro_batch: int = field(default=0, metadata=option("sequences a rank computes at once",
                                                        low=0, high=10**9))
    global_batch: int = field(default=0, metadata=option("sequences a step (like --batch)",
                                                         low=0, high=10**9))
    recompute: str = field(default="", metadata=option(
        "none, selective, selective-op or full",
        choices=("", "none", "selective", "selective-op", "full")))
    attention: str = field(default="default", metadata=option(
        "with a layout: the attention kernel, flash (default; sdpa the same) or eager "
        "(unfused: the s x s scores kept, and their softmax and dropout passes timed)",
        choices=("default", "sdpa", "flash", "eager")))
    interconnect: str = field(default="", metadata=option(
        "the link between nodes (ib-ndr, roce-400g...) or inside one (nvlink4, pcie5)",
        max_length=40))
    efficiency: float = field(default=0.6, metadata=option(
        "with a layout: the share of peak the kernels reach (0.6)", high=1))
    price: float | None = field(default=None, metadata=option("price of a GPU-hour",
                                                              high=10**9))


def speed_fields() -> list[Any]:
    return list(fields(SpeedSetup))


def training_fields() -> list[Any]:
    return list(fields(TrainingSetup))


def _card(gpu: str | None, bandwidth: str | None, tflops: float | None) -> Any:
    from ..gpus import GPU, find_gpu

    if gpu:
        return find_gpu(gpu)
    if bandwidth is None and tflops is None:
        raise NnsizeError("give --gpu (a card of the catalogue), or --bandwidth and --tflops")
    return GPU("the card given", 0, "--bandwidth and --tflops")


def speed_hardware(s: SpeedSetup, dtype: str | None = None) -> Hardware:
    """The card, its matmuls at the precision dtype (default: the setup's, else bf16) runs at."""
    from .hardware import hardware, parse_bandwidth

    band = parse_bandwidth(s.bandwidth) if s.bandwidth else None
    hw = hardware(_card(s.gpu, s.bandwidth, s.tflops), dtype or s.dtype or "bf16", s.gpus,
                  band, s.tflops, s.compute_dtype)
    if s.interconnect and s.gpus > 1:  # the link named, its bandwidth and its latency
        from dataclasses import replace

        from ..gpus import Link
        from ..parallel.interconnect import find_interconnect

        given = find_interconnect(s.interconnect)
        hw = replace(hw, link=Link(given.name, given.bandwidth, given.source),
                     interconnect=given.name)
    return hw


def estimate(report: Report, s: SpeedSetup) -> Speed:
    """inference.speed() for the setup: the card it names, its options."""
    from .inference import speed
    from .weights import weights_dtype

    for role in s.keep:
        if role not in KEEP:
            raise NnsizeError(f"--keep {role!r}: choose from {', '.join(KEEP)} (or none)")
    from ..memory.engines import default_engine

    engine = s.engine or default_engine(s.dtype, str(report.stored.get("format", "")))
    dtype, published = weights_dtype(report, s.dtype)
    result = speed(report, speed_hardware(s, dtype), dtype, s.kv_dtype, s.batch,
                   context(report, s), s.prompt, engine, s.latent, s.keep, published,
                   s.swa_full)
    if s.cpu_bandwidth is not None and s.ngl is None:
        raise NnsizeError("--cpu-bandwidth is the CPU side of --ngl: give --ngl too")
    if s.ngl is None:
        return result
    from dataclasses import replace

    from .hardware import parse_bandwidth
    from .offload import split

    band = parse_bandwidth(s.cpu_bandwidth, "--cpu-bandwidth") if s.cpu_bandwidth else None
    return replace(result, offload=split(result, s.ngl, band))


def context(report: Report, s: SpeedSetup) -> int:
    """The context asked, else the memory planner's default: 2,048 at most the model's own
    longest (memory.plan.settle: GPT-2's 1,024)."""
    if s.context:
        return s.context
    from ..memory.plan import settle
    from ..memory.setup import Setup

    return settle(report, Setup()).context


def train(report: Report, t: TrainingSetup) -> Training:
    """training.training() for the setup; tokens default to Chinchilla-optimal."""
    from ..units import parse_count
    from .hardware import hardware
    from .training import CHINCHILLA_TOKENS_PER_PARAM, training

    hw = hardware(_card(t.gpu, None, t.tflops), t.dtype, t.gpus, None, t.tflops,
                  need_bandwidth=False)
    tokens = parse_count(t.tokens, "--tokens") if t.tokens else \
        CHINCHILLA_TOKENS_PER_PARAM * report.total_params
    return training(report, hw, tokens, t.mfu, t.context, t.batch)


def layout_flags(t: TrainingSetup) -> dict[str, Any] | None:
    """The layout flags given (None: none, the MFU model)."""
    given = {k: getattr(t, k) for k in ("tp", "pp", "vp", "dp", "ep", "cp", "micro_batch",
                                        "global_batch", "nodes") if getattr(t, k)}
    if t.sp:
        given["sp"] = True
    if t.zero >= 0:
        given["zero"] = t.zero
    if t.fsdp:
        given["fsdp"] = t.fsdp
    if t.recompute:
        given["recompute"] = t.recompute
    if t.grad_dtype:
        given["grad_dtype"] = t.grad_dtype
    return given or None


def laid_out(t: TrainingSetup) -> bool:
    """Whether train-time times a parallel layout (parallel/: per-rank memory, each collective
    over its link, a price) rather than the MFU model: a layout flag, a link or a price given."""
    return layout_flags(t) is not None or bool(t.interconnect) or t.price is not None


def train_layout(report: Report, t: TrainingSetup) -> Any:
    """A training run over a parallel layout: speed.cluster.run()."""
    from .cluster import run

    return run(report, t, layout_flags(t) or {})


def planner_fit(report: Report, s: SpeedSetup) -> tuple[int, int] | None:
    """(bytes the memory planner needs, bytes usable on the card) for the same setup and the
    same engine, where the card is one of the catalogue and the model has a KV cache: speed
    flags a setup its planner says does not fit.  None where nothing can be checked."""
    if not s.gpu or report.decoder is None:
        return None
    from ..gpus import find_gpu
    from ..memory.fit import on_gpu
    from ..memory.plan import plan
    from ..memory.setup import Setup, resolve

    gpu = find_gpu(s.gpu)
    if gpu.bytes == 0:
        return None
    memory = resolve(Setup(dtype=s.dtype, kv_dtype=s.kv_dtype,
                           batch=s.batch, context=context(report, s), engine=s.engine,
                           gpus=s.gpus, latent=s.latent, keep=s.keep),
                     str(report.stored.get("format", "")))
    memory, usable = on_gpu(memory, gpu.reported, gpu.name, gpu.usable)
    need = -(-plan(report, memory).total // s.gpus)  # weights and cache split evenly
    return need, usable
