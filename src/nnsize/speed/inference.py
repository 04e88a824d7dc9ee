"""Decode and prefill: the bytes and FLOPs of a step, over bandwidth and peak (the roofline), and
as an engine runs them (the expected value)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import NnsizeError
from ..model import Report
from .engines import Engine, find_engine
from .hardware import FLOATS, Hardware
from .weights import Weights, head_read, weights_read

if TYPE_CHECKING:
    from .split import Split

MAX_BATCH = 2**24  # beyond this a decode batch is a typo, not a plan
MAX_TOKENS = 2**24  # a context or prompt beyond 16M tokens too (sliding-window sums stay quick)
ACTIVATION_BYTES = 2  # what tensor parallelism all-reduces: 16-bit activations


@dataclass(frozen=True)
class Step:
    """One decode step or one prefill, per card, with both times."""

    weight_bytes: int
    cache_bytes: int
    flops: int
    comm_bytes: int  # all-reduce traffic per card
    memory_s: float  # bytes / bandwidth
    compute_s: float  # FLOPs / peak
    comm_s: float  # comm_bytes / link bandwidth
    overhead_s: float  # the engine's layers x its cost per layer
    expected_s: float
    # eager attention's prefill: the bytes its steps read and write over the scores (speed.
    # eager_traffic), per card, and their time at the card's bandwidth: kernels of their own,
    # one after another, added to the roofline and (at the engine's share) to the expected
    attention_bytes: int = 0
    attention_s: float = 0.0

    @property
    def bytes(self) -> int:
        return self.weight_bytes + self.cache_bytes

    @property
    def roofline_s(self) -> float:
        return max(self.memory_s, self.compute_s, self.comm_s) + self.attention_s

    @property
    def bound(self) -> str:
        """Which term binds the roofline: memory, compute or the interconnect."""
        if self.comm_s > max(self.memory_s, self.compute_s):
            return "interconnect"
        return "memory" if self.memory_s >= self.compute_s else "compute"


@dataclass(frozen=True)
class Speed:
    """Decode and prefill of one model on one setup."""

    source: str
    hardware: Hardware
    engine: Engine
    dtype: str
    kv_dtype: str
    batch: int
    context: int
    prompt: int
    layers: int
    decode: Step
    prefill: Step
    compute_bound_batch: int | None  # the smallest decode batch at which compute binds
    # what the notes say (render.speed writes them): what a weight-only format kept at bf16,
    # whether the KV precision was given, the experts per token and all experts' bytes, how
    # many ways the KV cache splits over the cards and whether it is a latent (no heads)
    kept: tuple[str, ...] = ()
    kv_given: bool = False
    experts_per_token: int = 0
    expert_bytes: int = 0
    kv_split: int = 1
    kv_heads: int = 0
    latent_cache: bool = False
    gguf_mix: bool = False  # dtype names a llama.cpp mix: its tensors at llama.cpp's types
    # a state-space model's fixed state (Mamba's convolution and SSM state), read and written
    # every token in place of (Jamba: beside) a KV cache: its bytes for the whole batch
    state_bytes: int = 0
    head_bytes: int = 0  # of the weights read, the output layer's (-ngl's last layer)
    # the weights as a config's quantization_config says they are stored (dtype is its
    # method), in the memory plan's words; "" where dtype prices them
    published: str = ""
    fp32: str = ""  # what the engine keeps in float32 (memory.fp32_modules), in words
    offload: Split | None = None  # llama.cpp's -ngl split, where one was asked (speed.offload)
    eager: EagerTraffic | None = None  # eager attention's prefill traffic, where it runs
    swa: SwaRead | None = None  # llama.cpp's sliding-window layers at decode, where it has any
    state_kind: str = ""  # what state_bytes is a state of (model.StateMixer.kind); "": Mamba

    @property
    def decode_tokens_per_s(self) -> tuple[float, float]:
        """(roofline, expected) tokens per second of the whole batch."""
        return self.batch / self.decode.roofline_s, self.batch / self.decode.expected_s

    @property
    def time_to_first_token_s(self) -> tuple[float, float]:
        """(roofline, expected) seconds to read the prompt and produce the first token."""
        return self.prefill.roofline_s, self.prefill.expected_s

    @property
    def prefill_tokens_per_s(self) -> tuple[float, float]:
        tokens = self.batch * self.prompt
        return tokens / self.prefill.roofline_s, tokens / self.prefill.expected_s


@dataclass(frozen=True)
class SwaRead:
    """What a decode step of llama.cpp reads of its sliding-window layers' cache (swa_read):
    layers of a window of `window` tokens (of `of` layers), `cells` cells of a sequence's
    cache each; full: under --swa-full; skips: the kernel skips blocks the mask hides
    (Metal), so reads the window's cells, not every cell of the cache."""

    layers: int
    of: int
    window: int
    cells: int
    ubatch: int
    full: bool
    skips: bool
    otherwise: int = 0  # the cells a step reads with --swa-full the other way


def planned_ubatch() -> int:
    """llama.cpp's n_ubatch as memory plans it (512: memory.engines)."""
    from ..memory.engines import engine

    return engine("llama.cpp").chunk or 0


def swa_read(report: Report, hw: Hardware, context: int, swa_full: bool = False
             ) -> tuple[int, SwaRead | None]:
    """(n_ubatch for kv_cache, what a decode step reads) of llama.cpp's sliding-window layers
    at `context` tokens; (0, None) where it keeps no SWA cache (no layer has a window, or
    every layer has one: kv_cache runs them without it).

    A step attends over the cache's first n_kv cells, n_kv = the cells used, padded to 256, at
    most the cache's size (llama_kv_cache::get_n_kv, src/llama-kv-cache.cpp at
    ggml-org/llama.cpp 02c28f5), with a mask of -inf over the cells outside the window.  CUDA
    reads every one of them: flash_attn_ext_vec (ggml/src/ggml-cuda/fattn-vec.cuh at 026f95b)
    runs over K and V to KV_max, else to n_kv, and KV_max, computed only for a ubatch of 1,024
    tokens or more or for several streams, trims only the fully masked tiles at the end
    (flash_attn_mask_to_KV_max, fattn-common.cuh at 033efaf), never those before the window.
    So a step reads the whole SWA cache as memory plans it (kv_cache.llama_cpp_swa_cells):
    the window and n_ubatch padded to 256 (gpt-oss: 768 cells), or under --swa-full
    (swa_full) every cell of the context, as a global layer.  Metal's kernel_flash_attn_ext_vec
    skips a block of cells wholly -inf in the mask before it reads their K and V ("skip -INF
    blocks", ggml/src/ggml-metal/ggml-metal.metal at 000a117), so on Apple silicon a step reads
    the window's cells (window - 1 past tokens, to within a block at either end), --swa-full
    or not."""
    from ..memory.kv_cache import kept_tokens, llama_cpp_swa_cells

    d = report.decoder
    if d is None:
        return 0, None
    counts = d.layers.counts()
    windowed = [(layer, n) for layer, n in counts if layer.window]
    if not windowed or len(windowed) == len(counts):
        return 0, None
    layer = max((layer for layer, _ in windowed), key=lambda one: one.window or 0)
    window = layer.window or 0
    skips = hw.gpu_class == "apple"
    ubatch = 0 if skips else planned_ubatch()

    def cells(full: bool) -> int:
        return kept_tokens(layer, context, False) if skips else \
            llama_cpp_swa_cells(window, context, ubatch, 1, full)

    return ubatch, SwaRead(sum(n for _, n in windowed), len(d.layers), window,
                           cells(swa_full), ubatch, swa_full, skips, cells(not swa_full))


def kernel_window(swa: SwaRead | None, tokens: int, unwindowed: bool = False) -> int | None:
    """The keys llama.cpp's kernels compute a sliding-window layer's scores over, as compute's
    window, for a step at `tokens` (swa_read of that many): on CUDA every cell of its SWA
    cache, as they read them (swa_read; the prefill's flash_attn_ext_f16 likewise bounds its
    tiles by KV_max alone: ggml/src/ggml-cuda/fattn-mma-f16.cuh at 01c6842), under --swa-full
    past the context (a global layer's); None: the layer's own window (Metal's kernels skip the
    blocks the mask hides: kernel_flash_attn_ext_blk before a prefill, the skip of -INF blocks
    at decode; the engines that are not llama.cpp).  unwindowed: a window on every layer, which
    llama.cpp runs without one (memory.kv_cache keeps every cell): a global layer's, past the
    context."""
    if unwindowed:
        return tokens + 1
    if swa is None or swa.skips:
        return None
    return tokens + 1 if swa.full else swa.cells


def _step(hw: Hardware, engine: Engine, layers: int, weight_bytes: int, cache_bytes: int,
          flops: int, comm_bytes: int, tokens: int = 0, sequences: int = 1,
          attention_bytes: int = 0) -> Step:
    """One step; tokens: a prefill's, each paying the engine's cost per token and layer, and
    the prefill its cost per call; sequences: a decode step's batch, each sequence beyond the
    first paying the engine's cost per sequence and layer; attention_bytes: eager attention's
    traffic over its scores, at the card's bandwidth (the engine's share of it), after the
    rest."""
    memory_s = (weight_bytes + cache_bytes) / hw.bandwidth
    compute_s = flops / hw.peak_flops
    comm_s = comm_bytes / hw.link.bandwidth if hw.link and comm_bytes else 0.0
    if hw.link and comm_bytes:  # 2 all-reduces a layer, each paying the link's latency
        from ..parallel.interconnect import links

        comm_s += 2 * layers * links(hw.link.name, hw.interconnect).node.latency(hw.gpus)
    overhead_s = layers * engine.layer_overhead_s + layers * tokens * engine.token_overhead_s
    if tokens:  # a prefill: one call
        overhead_s += engine.call_overhead_s
    else:
        overhead_s += layers * (sequences - 1) * engine.sequence_overhead_s
    attention_s = attention_bytes / hw.bandwidth
    expected = max(memory_s / engine.bandwidth_share, compute_s / engine.compute_share) + \
        comm_s + overhead_s + attention_s / engine.bandwidth_share
    return Step(weight_bytes, cache_bytes, flops, comm_bytes, memory_s, compute_s, comm_s,
                overhead_s, expected, attention_bytes, attention_s)


def _allreduce_bytes(tokens: int, hidden: int, layers: int, gpus: int) -> int:
    """Per card: 2 all-reduces a layer, a ring moving 2 (g - 1) / g of tokens x hidden each."""
    if gpus == 1:
        return 0
    message = tokens * hidden * ACTIVATION_BYTES
    return layers * 2 * (2 * (gpus - 1) * message // gpus)


def speed(report: Report, hw: Hardware, dtype: str = "bf16", kv_dtype: str | None = None,
          batch: int = 1, context: int = 2048, prompt: int = 512, engine: str = "llama.cpp",
          latent: bool = True, keep: tuple[str, ...] | None = None,
          published: bool = False, swa_full: bool = False) -> Speed:
    """Decode at `context` tokens and prefill of a `prompt`-token prompt, `batch` sequences;
    published: the weights as the config's quantization_config stores them (dtype names its
    method: fp8, mxfp4), tensor by tensor as memory plans them; swa_full: llama.cpp's
    --swa-full, its sliding-window layers' cache at full size (swa_read)."""
    from ..memory import KEEP, compute, kv_cache
    from ..memory.kv_cache import as_transformers
    from ..memory.state import state_parts
    from ..precision import find

    d = report.decoder
    if d is None and report.stored.get("planner_refused"):  # built by transformers
        raise NnsizeError(f"cannot estimate its speed: {report.stored['planner_refused']}")
    if d is None:
        raise NnsizeError(f"{report.source}: speed is for language models counted from a "
                          f"config (a preset such as llama-3.1-8b, or a config.json)")
    for name, value in (("--batch", batch), ("--context", context), ("--prompt", prompt)):
        if value < 1:
            raise NnsizeError(f"{name} must be at least 1, got {value}")
    for name, value, most in (("--batch", batch, MAX_BATCH), ("--context", context, MAX_TOKENS),
                              ("--prompt", prompt, MAX_TOKENS)):
        if value > most:
            raise NnsizeError(f"{name} {value:,} is beyond any machine (at most {most:,})")
    from ..memory.plan import gguf_mix_name, refuse_engine
    from .hardware import weights_kind

    eng = find_engine(engine, hw.gpu_class, weights_kind(dtype))
    if swa_full:
        from ..memory.engines import refuse_swa_full

        refuse_swa_full(eng.name)
    refuse_engine(report, eng.name)
    mix = gguf_mix_name(dtype)
    precision = find("bf16") if mix else find(dtype)  # a mix computes at 16 bits
    model = precision if precision.name in FLOATS else find("bf16")  # the dtype it computes at
    kv = find(kv_dtype) if kv_dtype else model
    g = hw.gpus
    layers = d.depth  # Mamba's blocks have no attention, nor Nemotron-NAS's bare layers
    if layers == 0:
        raise NnsizeError(f"{report.source}: no attention or state-space layers to run")
    first = d.layers[0] if len(d.layers) else None
    if first is None and g > 1:
        raise NnsizeError(f"{report.source}: tensor parallelism of a state-space model (how "
                          f"its state and scan split over {g} cards) is not modelled; give one "
                          f"card")
    if d.varied and g > 1:  # as memory's parallel layouts (parallel.shape) refuse it
        raise NnsizeError(f"{report.source}: tensor parallelism of layers that differ "
                          f"({d.varied}: each its own all-reduces and KV heads to split) is not "
                          f"modelled; give one card")
    kv_split = 1 if first is None or first.latent_dim is not None else min(g, first.kv_heads)
    kept = KEEP if keep is None else keep
    if mix and tuple(kept) != KEEP:  # never a setting taken and silently dropped
        raise NnsizeError(f"--keep does not apply to the GGUF file {mix}: llama.cpp chooses "
                          f"each tensor's type itself ({mix.lower()}-block takes --keep)")
    checkpoint = None
    if published:
        from ..memory.quantization import published as stored

        checkpoint = stored(report)
        if checkpoint is None or checkpoint.method != precision.name:
            raise NnsizeError(f"{report.source}: no quantization_config stores it as "
                              f"{precision.name}")
        if tuple(kept) != KEEP:  # never a setting taken and silently dropped
            raise NnsizeError(f"--keep does not apply to {report.source} as published: its "
                              f"quantization_config ({checkpoint.method}) says what is kept; "
                              f"ask a --dtype to choose what --keep keeps at bf16")
    # what transformers' loader keeps in float32 is read at 4 B, as memory holds it
    from ..memory.fp32_modules import fp32_kept

    fp32 = fp32_kept(report, model if published else precision) \
        if eng.name == "transformers" and not mix else None
    weights = weights_read(report, mix or precision.name, kept, published, fp32)

    # decode: one token for each of `batch` sequences with `context` tokens in the cache
    full = as_transformers(eng.name)  # GPT-Neo's windows: transformers caches every token
    cpp = eng.name == "llama.cpp"
    # a window on every layer: llama.cpp runs the model without one, reading and scoring
    # every cell (kv_cache; kernel_window)
    unwindowed = cpp and all(layer.window for layer, _ in d.layers.counts())
    # llama.cpp's sliding-window layers: every cell of their cache a step (CUDA), or the
    # window's (Metal): swa_read; their scores over the cells read (kernel_window)
    ubatch, swa = swa_read(report, hw, context, swa_full) if cpp else (0, None)
    c = compute(report, context, window=kernel_window(swa, context, unwindowed))
    cache, _, _ = kv_cache(report, batch, context, kv, latent, full, cpp, ubatch,
                           engine=eng.name, model=model, swa_full=swa_full)
    decode = _step(hw, eng, layers, weights.read(batch) // g, cache // kv_split,
                   batch * c.decode_flops // g, _allreduce_bytes(batch, d.hidden, layers, g),
                   sequences=batch)

    # prefill: the whole prompt of every sequence at once, writing its KV cache
    # llama.cpp writes every token of the prompt into its SWA cache too (a ring of cells
    # where --swa-full is off): kv_cache's full-size SWA cache at the prompt's cells
    _, at_prompt = swa_read(report, hw, prompt, swa_full) if cpp else (0, None)
    p = compute(report, prompt, window=kernel_window(at_prompt, prompt, unwindowed))
    written, _, _ = kv_cache(report, batch, prompt, kv, latent, full, cpp,
                             planned_ubatch() if at_prompt else 0, engine=eng.name,
                             model=model, swa_full=at_prompt is not None)
    eager = eager_traffic(report, eng.name, model.name, batch, prompt)
    prefill = _step(hw, eng, layers, weights.read(batch * prompt) // g, written // kv_split,
                    batch * p.prefill_flops // g,
                    _allreduce_bytes(batch * prompt, d.hidden, layers, g), batch * prompt,
                    attention_bytes=eager.bytes // g if eager else 0)

    per_sequence, _, _ = kv_cache(report, 1, context, kv, latent, full, cpp, ubatch,
                                  engine=eng.name, model=model, swa_full=swa_full)
    crossover = _compute_bound_batch(weights, per_sequence // kv_split, c.decode_flops, hw)
    quantized = precision.name not in FLOATS
    return Speed(report.source, hw, eng, mix or precision.name, kv.name, batch, context, prompt,
                 layers, decode, prefill, crossover, kept if quantized and not published else (),
                 kv_dtype is not None, d.experts_per_token if weights.experts else 0,
                 sum(b for b, _ in weights.experts), kv_split, first.kv_heads if first else 0,
                 first is not None and first.latent_dim is not None, bool(mix),
                 batch * sum(part.state_bytes for part in state_parts(d, eng.name, kv, model)),
                 head_read(report, mix or precision.name, kept, published, fp32) // g,
                 published=checkpoint.how if checkpoint else "",
                 fp32=fp32.words() if fp32 else "", eager=eager, swa=swa,
                 state_kind=d.mixer.kind if d.mixer else "")


@dataclass(frozen=True)
class EagerTraffic:
    """Eager attention's prefill traffic over its scores, for the whole model (all cards):
    every attention layer's steps (memory.eager.score_traffic) over batch x heads x prompt x
    keys scores (and prompt x 1 more where a sink is concatenated), and its mask read once,
    batch x prompt x keys in the model dtype; the keys the prompt's (DeepSeek-V4's compressing
    layers: and prompt // ratio entries more).  family: the model_type transformers runs
    eager by default ("" under transformers-eager); measured: the family's own steps (False:
    llama's); unplanned: why none is charged (DeepSeek-V4's and HY-V4's keys, Inkling 2's)."""

    family: str
    steps: tuple[tuple[str, int, int], ...]  # the largest layer's: (what, over keys, over sink)
    act_bytes: int
    heads: int
    layers: int
    batch: int
    prompt: int
    bytes: int
    measured: bool = True
    unplanned: str = ""
    forms: int = 1  # the layers' different steps (mimo_v2_flash: its full and sliding layers)

    @property
    def per_score(self) -> int:
        return sum(step[1] for step in self.steps)

    @property
    def per_sink(self) -> int:
        return sum(step[2] for step in self.steps)


def eager_traffic(report: Report, engine: str, dtype: str, batch: int,
                  prompt: int) -> EagerTraffic | None:
    """Eager attention's traffic over its scores in a prefill of batch x prompt tokens, where
    the engine runs it: transformers-eager, and transformers for the families it runs eager
    (memory.eager.EAGER); None elsewhere (SDPA, FlashAttention and the serving engines' own
    kernels never write the scores to memory).  Each layer's steps, with its own heads and
    sink; cross-attention layers (keys from an image) are left out."""
    from ..memory.eager import MEASURED, UNPLANNED, default_attention, score_traffic
    from ..memory.plan import model_type

    d = report.decoder
    kind = model_type(report)
    family = kind if engine == "transformers" and default_attention(kind) == "eager" else ""
    if d is None or not (family or engine == "transformers-eager"):
        return None
    act = 4 if dtype == "fp32" else 2
    source = report.traceable[1] if report.traceable and report.traceable[0] == "config" \
        else {}
    inner = source.get("text_config")
    config = inner if isinstance(inner, dict) else source
    softcap = bool(config.get("attn_logit_softcapping"))
    if kind in UNPLANNED or score_traffic(kind, act) is None:
        why = UNPLANNED.get(kind) or "its sliding layers run it over blocks of a window"
        return EagerTraffic(family or kind, (), act, 0, 0, batch, prompt, 0, False, why)
    total, layers = 0, []  # each layer kind's (bytes, heads, steps)
    for layer, count in d.layers.counts():
        if not layer.heads or layer.cross_tokens is not None:
            continue
        # mimo_v2_flash concatenates a sink in its sliding layers only
        steps = score_traffic(kind, act, dtype == "fp16", softcap, layer.window is not None)
        assert steps is not None
        over_keys, over_sink = sum(s[1] for s in steps), sum(s[2] for s in steps)
        # DeepSeek-V4's compressing layers: their entries after the prompt's keys
        keys = prompt + (prompt // layer.compress_ratio if layer.compress_ratio else 0)
        one = batch * layer.heads * prompt * (keys * over_keys + (keys + 1) * over_sink) + \
            batch * prompt * keys * act
        total += count * one
        layers.append((one, layer.heads, steps))
    if not layers:
        return None
    _, heads, steps = max(layers, key=lambda kind_: kind_[0])  # the note shows the largest
    return EagerTraffic(family, steps, act, heads, sum(n for layer, n in d.layers.counts()
                                                       if layer.heads and
                                                       layer.cross_tokens is None),
                        batch, prompt, total, kind in MEASURED or kind == "llama",
                        forms=len({steps for _, _, steps in layers}))


def _compute_bound_batch(weights: Weights, cache_per_sequence: int, flops_per_token: int,
                         hw: Hardware) -> int | None:
    """The smallest decode batch B with FLOPs(B) / peak >= bytes(B) / bandwidth, or None.

    f(B) = B x flops x bandwidth - (weights read(B) + B x cache) x peak.  Weights read grow
    more slowly with each token (concave), so f is convex with f(0) < 0: below its one root
    it is negative, above it positive, and bisection finds the root.
    """
    g = hw.gpus

    def compute_binds(b: int) -> bool:
        return b * flops_per_token // g * hw.bandwidth >= \
            (weights.read(b) // g + b * cache_per_sequence) * hw.peak_flops

    if not compute_binds(MAX_BATCH):
        return None
    from ..least import least

    return least(compute_binds, 0, MAX_BATCH)
