"""How fast a language model runs: decode tokens per second, time to first token, training time.

Every figure comes twice.  The roofline bound: a step takes at least
max(bytes moved / memory bandwidth, FLOPs / peak FLOP/s), and whichever term is larger binds
(memory or compute); no engine does better.  The expected value: the same bytes and FLOPs at the
share of peak an engine reaches, plus its fixed cost per layer per step (kernel launches,
synchronisation), both fitted to published measurements (ENGINES says which).

Decode, one step for `batch` sequences at `context` tokens each:
  weight bytes  every matrix but the input embedding (looked up a row per token), at the
                weights' precision; a mixture-of-experts layer reads only the experts the batch
                picks: with k of n experts per token and uniform routing,
                n (1 - (1 - k/n)^batch) of them in expectation
  cache bytes   the whole KV cache of every sequence at that context (memory.kv_cache)
  FLOPs         batch x 2 x (active linear MACs + attention over the context) (memory.compute)
Prefill, a prompt of `prompt` tokens for each of `batch` sequences at once:
  FLOPs         batch x 2 x (linear MACs x prompt + causal attention over the prompt)
  bytes         the weights (the experts batch x prompt tokens touch) + the KV cache written
Training, per token: 3 x the forward FLOPs (forward, then backward for inputs and for weights),
  which is 6 x the active parameters plus attention, at a stated model-FLOPs utilisation.
Tensor parallel over g cards (Megatron-LM): weights, FLOPs and KV heads split g ways; each layer
  all-reduces its attention and its MLP output, a ring moving 2 (g - 1) / g x tokens x hidden x
  2 bytes per card each time over the card's link (latency not counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .errors import NnsizeError, suggest
from .gpus import GPU, Link
from .model import Report, Row

FLOATS = ("fp32", "tf32", "bf16", "fp16")
PEAKS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4", "fp4")  # what a card lists
MAX_BATCH = 2**24  # beyond this a decode batch is a typo, not a plan
MAX_TOKENS = 2**24  # a context or prompt beyond 16M tokens too (sliding-window sums stay quick)
CHINCHILLA_TOKENS_PER_PARAM = 20  # Hoffmann et al. 2022, https://arxiv.org/abs/2203.15556
ACTIVATION_BYTES = 2  # what tensor parallelism all-reduces: 16-bit activations


# --- engines ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Engine:
    """What share of the hardware's peaks an inference engine reaches, and its fixed cost."""

    name: str
    bandwidth_share: float  # of peak memory bandwidth, reading weights and cache
    compute_share: float  # of peak FLOP/s, in prefill
    layer_overhead_s: float  # seconds per layer per step: kernel launches, synchronisation
    source: str  # where the figures come from

    @property
    def ideal(self) -> bool:
        return self.layer_overhead_s == 0 and self.bandwidth_share == self.compute_share == 1


ENGINES: dict[str, Engine] = {}


def register(engine: Engine) -> Engine:
    if engine.name in ENGINES:
        raise ValueError(f"engine {engine.name!r} is registered twice")
    ENGINES[engine.name] = engine
    return engine


MEASURED = "fitted to the {} measurements in tests/data/speed_measurements.json"
register(Engine("roofline", 1.0, 1.0, 0.0, "the hardware's peaks: no engine does better"))
# Least squares of the measured decode step times on bytes / bandwidth and the layer count,
# and the median share of peak FLOP/s in prefill (benchmarks/speed_vs_measurements.py --fit).
register(Engine("llama.cpp", 0.89, 0.70, 156e-6, MEASURED.format("43 decode and 32 prefill "
                                                            "llama.cpp")))
register(Engine("mlc", 1.0, 0.70, 40e-6, MEASURED.format("2 MLC LLM") + " (two decode points "
                "fit two figures exactly: a fit, not a check); prefill share taken from "
                "llama.cpp, MLC's posts give decode only"))
register(Engine("exllama", 1.0, 0.70, 84e-6, MEASURED.format("2 ExLlama") + " (two decode "
                "points fit two figures exactly: a fit, not a check); prefill share taken from "
                "llama.cpp, ExLlama's posts give decode only"))


def find_engine(name: str) -> Engine:
    if name in ENGINES:
        return ENGINES[name]
    raise NnsizeError(f"unknown --engine {name!r}{suggest(name, list(ENGINES))}; one of "
                      f"{', '.join(ENGINES)}")


# --- the hardware -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hardware:
    """What the roofline needs of one card, and how many of them split the model."""

    name: str
    bandwidth: int  # bytes per second, per card
    peak_flops: int  # FLOP/s at the compute precision, per card
    compute: str  # the precision the matrix multiplications run at
    gpus: int = 1
    link: Link | None = None
    source: str = ""


def compute_precision(dtype: str, gpu: GPU) -> str:
    """The precision the matmuls run at: a float dtype's own; fp8 where the card has fp8;
    weight-only formats (int8, int4, GGUF, NF4...) dequantize to bf16 (fp16 on cards without
    bf16, fp32 on cards without either)."""
    from .precision import find

    name = find(dtype).name
    if name in FLOATS:
        wanted = name
    elif name.startswith("fp8") and gpu.peak("fp8"):
        wanted = "fp8"
    else:
        wanted = "bf16"
    if gpu.peaks and gpu.peak(wanted) is None and wanted != "fp32":
        for fallback in ("bf16", "fp16", "fp32"):
            if gpu.peak(fallback):
                return fallback
    return wanted


def hardware(gpu: GPU, dtype: str, gpus: int = 1, bandwidth: int | None = None,
             tflops: float | None = None, compute: str | None = None,
             need_bandwidth: bool = True) -> Hardware:
    """A card of the catalogue, or any card given by --bandwidth (bytes/s) and --tflops.
    Training time needs no bandwidth (need_bandwidth=False)."""
    if gpus < 1:
        raise NnsizeError(f"--gpus must be at least 1, got {gpus}")
    if compute is not None and compute not in PEAKS:
        raise NnsizeError(f"--compute-dtype {compute!r}{suggest(compute, PEAKS)}: one of "
                          f"{', '.join(PEAKS)}")
    precision = compute or compute_precision(dtype, gpu)
    band = bandwidth if bandwidth is not None else gpu.bandwidth
    if band <= 0 and need_bandwidth:
        raise NnsizeError(f"--gpu {gpu.name}: no memory bandwidth known; give --bandwidth, "
                          f"e.g. --bandwidth 1008GB/s")
    if tflops is not None:
        if not 0 < tflops <= 1e9:
            raise NnsizeError(f"--tflops is a card's peak in TFLOP/s, above 0 and at most a "
                              f"billion, got {tflops}")
        peak = int(tflops * 10**12)
    else:
        found = gpu.peak(precision)
        if found is None:
            have = ", ".join(k for k, _ in gpu.peaks) or "none"
            raise NnsizeError(f"--gpu {gpu.name}: no {precision} peak known (it lists {have}); "
                              f"give --tflops, the dense peak TFLOP/s at {precision}")
        peak = found
    return Hardware(gpu.name, band, peak, precision, gpus, gpu.link if gpus > 1 else None,
                    gpu.spec_source or gpu.source)


def parse_bandwidth(text: str) -> int:
    """Bytes per second from '3.35TB/s', '1008 GB/s', '800GiB/s'."""
    from .units import parse_bytes

    body = text.strip()
    if not body.lower().endswith("/s"):
        raise NnsizeError(f"--bandwidth {text!r}: give bytes per second, e.g. 1008GB/s or "
                          f"3.35TB/s")
    return parse_bytes(body[:-2], "--bandwidth")


# --- what a model moves and computes ------------------------------------------------------------

@dataclass(frozen=True)
class Weights:
    """Bytes of the weights a step reads: those read whatever the batch, and expert rows."""

    always: int
    experts: tuple[tuple[int, Fraction], ...]  # (bytes of all of a row's experts, k / n)

    def read(self, tokens: int) -> int:
        """Bytes read by a step of `tokens` tokens: each expert row's share a token uses, spread
        over tokens picks: n (1 - (1 - k/n)^tokens) of n experts, as bytes."""
        total = self.always
        for row_bytes, share in self.experts:
            touched = 1 - (1 - float(share)) ** tokens
            total += min(row_bytes, int(row_bytes * touched + 0.5))
        return total

    @property
    def all(self) -> int:
        return self.always + sum(b for b, _ in self.experts)


def weights_read(report: Report, dtype: str, keep: tuple[str, ...] | None = None) -> Weights:
    """Every weight a forward pass reads at dtype (a weight-only format leaves `keep` at bf16),
    less the input embedding table: a token reads one row of it.  A head tied to the embedding
    reads the whole matrix, so then it counts."""
    from .memory import KEEP, weight_bytes
    from .precision import find

    precision = find(dtype)
    compute = precision if precision.name in FLOATS else find("bf16")
    kept = KEEP if keep is None else keep
    tied = any(t.shared_with for r in report.rows if r.type == "head" for t in r.tensors)
    read = [r for r in report.rows if r.type != "embedding" or tied]

    def size(rows: list[Row]) -> int:
        sub = Report(report.source, report.convention, report.input_shape, tuple(rows))
        return weight_bytes(sub, precision, compute, kept)[0]

    always = size([r for r in read if r.active_each is None or r.params_each == 0])
    experts = tuple((size([r]), Fraction(r.active_each, r.params_each)) for r in read
                    if r.active_each is not None and r.params_each)
    return Weights(always, experts)


# --- results ------------------------------------------------------------------------------------

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

    @property
    def bytes(self) -> int:
        return self.weight_bytes + self.cache_bytes

    @property
    def roofline_s(self) -> float:
        return max(self.memory_s, self.compute_s, self.comm_s)

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
    notes: tuple[str, ...] = ()

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


def _step(hw: Hardware, engine: Engine, layers: int, weight_bytes: int, cache_bytes: int,
          flops: int, comm_bytes: int) -> Step:
    memory_s = (weight_bytes + cache_bytes) / hw.bandwidth
    compute_s = flops / hw.peak_flops
    comm_s = comm_bytes / hw.link.bandwidth if hw.link and comm_bytes else 0.0
    overhead_s = layers * engine.layer_overhead_s
    expected = max(memory_s / engine.bandwidth_share, compute_s / engine.compute_share) + \
        comm_s + overhead_s
    return Step(weight_bytes, cache_bytes, flops, comm_bytes, memory_s, compute_s, comm_s,
                overhead_s, expected)


def _allreduce_bytes(tokens: int, hidden: int, layers: int, gpus: int) -> int:
    """Per card: 2 all-reduces a layer, a ring moving 2 (g - 1) / g of tokens x hidden each."""
    if gpus == 1:
        return 0
    message = tokens * hidden * ACTIVATION_BYTES
    return layers * 2 * (2 * (gpus - 1) * message // gpus)


def speed(report: Report, hw: Hardware, dtype: str = "bf16", kv_dtype: str | None = None,
          batch: int = 1, context: int = 2048, prompt: int = 512, engine: str = "llama.cpp",
          latent: bool = True, keep: tuple[str, ...] | None = None) -> Speed:
    """Decode at `context` tokens and prefill of a `prompt`-token prompt, `batch` sequences."""
    from .memory import KEEP, compute, kv_cache
    from .precision import find

    d = report.decoder
    if d is None:
        raise NnsizeError(f"{report.source}: speed is for language models counted from a "
                          f"config (a preset, a config.json, a Hub id)")
    for name, value in (("--batch", batch), ("--context", context), ("--prompt", prompt)):
        if value < 1:
            raise NnsizeError(f"{name} must be at least 1, got {value}")
    for name, value, most in (("--batch", batch, MAX_BATCH), ("--context", context, MAX_TOKENS),
                              ("--prompt", prompt, MAX_TOKENS)):
        if value > most:
            raise NnsizeError(f"{name} {value:,} is beyond any machine (at most {most:,})")
    eng = find_engine(engine)
    precision = find(dtype)
    kv = find(kv_dtype) if kv_dtype else (precision if precision.name in FLOATS else find("bf16"))
    g = hw.gpus
    layers = len(d.layers)
    first = d.layers[0]
    kv_split = 1 if first.latent_dim is not None else min(g, first.kv_heads)
    kept = KEEP if keep is None else keep
    weights = weights_read(report, precision.name, kept)
    notes = [f"weights read per step: every matrix but the input embedding, at {precision.name}"
             + (f" ({', '.join(kept)} kept at bf16)"
                if precision.name not in FLOATS and kept else ""),
             f"KV cache at {kv.name}" + ("" if kv_dtype else " (the compute precision; "
                                                        "--kv-dtype changes it)")]
    if weights.experts:
        notes.append(f"mixture of experts: {d.experts_per_token} experts per token; a step of "
                     f"t tokens reads n (1 - (1 - k/n)^t) of n experts in expectation (uniform "
                     f"routing), all of them at {weights.all:,} bytes")
    if g > 1:
        link = hw.link.name if hw.link else "no link known"
        cache = "the latent KV cache is not split: it has no heads" if first.latent_dim \
            else f"the KV cache {kv_split} ways, by its {first.kv_heads} key-value heads"
        notes.append(f"tensor parallel over {g} cards: weights and FLOPs split {g} ways, {cache}"
                     f"; 2 all-reduces per layer over {link}"
                     + (f" at {hw.link.bandwidth / 1e9:g} GB/s each way" if hw.link else
                        " (not counted)"))

    # decode: one token for each of `batch` sequences with `context` tokens in the cache
    c = compute(report, context)
    cache, _, _ = kv_cache(report, batch, context, kv, latent)
    decode = _step(hw, eng, layers, weights.read(batch) // g, cache // kv_split,
                   batch * c.decode_flops // g, _allreduce_bytes(batch, d.hidden, layers, g))

    # prefill: the whole prompt of every sequence at once, writing its KV cache
    p = compute(report, prompt)
    written, _, _ = kv_cache(report, batch, prompt, kv, latent)
    prefill = _step(hw, eng, layers, weights.read(batch * prompt) // g, written // kv_split,
                    batch * p.prefill_flops // g,
                    _allreduce_bytes(batch * prompt, d.hidden, layers, g))

    per_sequence, _, _ = kv_cache(report, 1, context, kv, latent)
    crossover = _compute_bound_batch(weights, per_sequence // kv_split, c.decode_flops, hw)
    return Speed(report.source, hw, eng, precision.name, kv.name, batch, context, prompt, layers,
                 decode, prefill, crossover, tuple(notes))


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
    low, high = 0, MAX_BATCH  # compute_binds(high) holds; compute_binds(low) does not
    while high - low > 1:
        mid = (low + high) // 2
        if compute_binds(mid):
            high = mid
        else:
            low = mid
    return high


# --- training -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Training:
    """Time to train on `tokens` tokens at a model-FLOPs utilisation, and per step."""

    source: str
    hardware: Hardware
    tokens: int
    context: int
    batch: int  # sequences per step, all cards together
    mfu: float
    flops_per_token: int  # forward and backward, attention included
    six_n: int  # 6 x active parameters per token, the usual rule
    params: int
    active_params: int

    @property
    def total_flops(self) -> int:
        return self.tokens * self.flops_per_token

    @property
    def attention_flops_per_token(self) -> int:
        return self.flops_per_token - self.six_n

    @property
    def cluster_flops(self) -> int:
        """Peak FLOP/s of every card together."""
        return self.hardware.peak_flops * self.hardware.gpus

    @property
    def seconds(self) -> tuple[float, float]:
        """(roofline at 100% of peak, expected at the stated MFU)."""
        best = self.total_flops / self.cluster_flops
        return best, best / self.mfu

    @property
    def step_tokens(self) -> int:
        return self.batch * self.context

    @property
    def step_seconds(self) -> tuple[float, float]:
        best = self.step_tokens * self.flops_per_token / self.cluster_flops
        return best, best / self.mfu

    @property
    def steps(self) -> int:
        return -(-self.tokens // self.step_tokens)

    @property
    def chinchilla_tokens(self) -> int:
        """20 tokens per parameter (Hoffmann et al. 2022, for dense models)."""
        return CHINCHILLA_TOKENS_PER_PARAM * self.params


def training(report: Report, hw: Hardware, tokens: int, mfu: float = 0.4, context: int = 4096,
             batch: int | None = None) -> Training:
    """6 x active parameters + attention FLOPs per token, over gpus x peak x MFU."""
    from .memory import compute

    if tokens < 1:
        raise NnsizeError(f"--tokens must be at least 1, got {tokens}")
    if not 1 <= context <= MAX_TOKENS:
        raise NnsizeError(f"--context must be from 1 to {MAX_TOKENS:,}, got {context:,}")
    if not 0 < mfu <= 1:
        raise NnsizeError(f"--mfu is a share of peak between 0 and 1, got {mfu}")
    sequences = hw.gpus if batch is None else batch
    if sequences < 1:
        raise NnsizeError(f"--batch must be at least 1, got {sequences}")
    c = compute(report, context)
    active = report.active_params - _embedding_params(report)
    return Training(report.source, hw, tokens, context, sequences, mfu,
                    c.training_flops_per_token, 6 * c.linear_macs, report.total_params, active)


def _embedding_params(report: Report) -> int:
    return sum(r.params for r in report.rows if r.type == "embedding")


