"""What a serving engine reserves at start-up, in the figures its own log prints.

vllm     V1's Worker.determine_available_memory (vllm-project/vllm 0012cf6,
         vllm/v1/worker/gpu_worker.py): the KV cache gets
             total_gpu_memory x gpu_memory_utilization - peak
         where total_gpu_memory is what CUDA reports (torch.cuda.mem_get_info: an H100 80GB is
         79.22 GiB, gpus.GPU.reported) and peak is torch's allocation peak over the profile run
         (the weights, one dummy forward pass of max_num_batched_tokens tokens, the sampler over
         min(max_num_seqs, max_num_batched_tokens) rows of logits) plus the allocations outside
         torch (cuBLAS workspaces, NCCL).  The cache is cut in blocks of 16 tokens; vLLM logs
         "GPU KV cache size: N tokens" (N = blocks x 16) and "Maximum concurrency for L tokens
         per request: N / L x" (vllm-project/vllm#13596, vllm/v1/core/kv_cache_utils.py).
sglang   ModelRunner.profile_max_num_token (sgl-project/sglang,
         python/sglang/srt/model_executor/model_runner.py): max_total_num_tokens =
             (free memory after loading - total x (1 - mem_fraction_static)) // cell_size
         with cell_size the KV bytes of one token over all layers.  Its "total" is not the
         card's: ModelRunner.initialize passes init_torch_distributed()'s return,
         min_per_gpu_memory, the memory free once the distributed start is done
         ("min_per_gpu_memory = self.init_torch_distributed()", then
         "self.init_memory_pool(min_per_gpu_memory, ...)"), so with free = card total - CUDA
         context - the distributed start's memory, and free after loading = free - weights,
             max_total_num_tokens = (free x mem_fraction_static - weights) // cell_size
         (a 4 x L4 log checks this to 9 tokens in 46,611: tests/data/engine_logs.json).  The
         distributed start (NCCL communicators, custom all-reduce) costs what its log line
         "Init torch distributed ends. mem usage=X GB" says; mem_fraction_static by
         ServerArgs' rule (python/sglang/srt/server_args.py): (gpu_mem - reserved) / gpu_mem,
         rounded to 3 places, reserved (2.8 + tp/10) GiB under 35 GiB, (9.5 + tp/2) GiB under
         90 GiB, (12 + tp/2) GiB under 160 GiB, 32 GiB above.
llama.cpp  -ngl N puts the last N repeating layers (their weights and KV cache) on the GPU,
         and the output layer too when N is the layer count + 1 (llama_model::load_tensors:
         i_gpu_start = n_layer - n_gpu_layers, ggml-org/llama.cpp 00342301,
         src/llama-model.cpp; later builds start at n_layer + 1 - n_gpu_layers, the output
         layer first: not modelled); the token embeddings stay in RAM.  A GGUF mix's layers
         are not all alike (Q4_K_M gives ffn_down and attn_v Q6_K in llama-quantize's
         use_more_bits layers), so the GPU side is the bytes of those N layers, tensor by
         tensor.  gpu_layers is the largest N whose GPU side (layers, cache, compute
         buffer) fits.

Three figures are estimates, said in every answer.
- The allocations outside torch (non_torch): vLLM counts the growth of (CUDA's used memory -
  torch's reserved memory) from the snapshot its worker takes before loading the model to the
  end of the profile run (MemorySnapshot, memory_profiling: vllm-project/vllm a6d5c39,
  vllm/utils/mem_utils.py, "non_torch_increase = diff_from_create.non_torch_memory"), so the
  CUDA context, made before that snapshot, is not in it; NCCL's buffers (tp > 1), attention
  backends' buffers and the kernels CUDA loads on first use are.  The largest figure logged in
  tests/data/engine_logs.json for each case is taken: 0.05 GiB on one GPU that CUDA reports
  under 32 GiB (0.03 on an RTX 4060, vllm-project/vllm#13882; 0.04 on a 7.75 GiB card,
  vllm-project/vllm#12529), 0.16 GiB on a larger one (0.16 on an H100, generative-computing/
  mellea#416; 0.13-0.14 in llm-d's H100 runs; 0.08 on a 47.5 GiB card), and 0.35 GiB at
  tensor parallel > 1 (NCCL: 0.30 a rank on 2 x L40S, vllm-project/vllm#15815) and for vLLM
  before 0.7 (0.35 on an RTX 3090 with 0.6.4, vllm-project/vllm#10517; 1.79 in the H100 check
  of vllm-project/vllm#10511's development build).
- The forward pass's live values per token (3 x intermediate + 3 x hidden at the activation
  precision, the intermediates split over the tensor-parallel ranks: fitted to vLLM's logged
  activation peaks for Llama-3.1-8B at 20,000 and 29,000 tokens, 2.07 and 2.99 GiB,
  vllm-project/vllm#10517).
- The sampler's bytes per logit (SAMPLER_BYTES).  The profile run samples max_num_seqs rows
  with top-k and top-p on (V0: SamplingParams(top_p=0.99, top_k=vocab - 1) in
  ModelRunner.profile_run, vllm/worker/model_runner.py), which sorts every row: the fp32
  logits, their sorted copy and its int64 indices, the inverse indices, the softmax and its
  cumulative sum.  It runs after the forward pass's transients are freed, with the forward
  pass's hidden states still held (V1's profile_run: "hidden_states, sample_hidden_states =
  self._dummy_run(...)", then "self._dummy_sampler_run(sample_hidden_states)"), so the
  profile's peak is the larger of the forward pass and hidden states + sampler.  A later
  model runner notes that its profile's sampler "may skip top_k, top_p, and logprobs": a
  vLLM with it holds less than this.  38 bytes a logit: the logged peaks where the sampler
  is the larger give 38.3-39.2
  (Llama-3-8B at 256 rows, vllm-project/vllm#10511; Qwen2.5-7B, vllm-project/vllm#13882;
  Llama-3.1-8B, Qwen3-0.6B and Qwen3-32B at 1,024 rows in llm-d's H100 runs).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from ..errors import NnsizeError
from ..model import Report
from .plan import Plan
from .setup import Setup
from .vllm_kv import Groups

GiB, MiB = 2**30, 2**20
# vLLM's allocations outside torch (estimates: the largest logged for each case, see above)
NON_TORCH_SMALL = 50 * GiB // 1000  # one GPU that CUDA reports under 32 GiB
NON_TORCH_LARGE = 160 * GiB // 1000  # one GPU of 32 GiB or more
NON_TORCH_SHARED = 350 * GiB // 1000  # tensor parallel > 1 (NCCL), and vLLM before 0.7
LOAD_CONTEXT = 512 * MiB  # SGLang: the CUDA context and workspaces taken before its profile
# SGLang's distributed start a rank ("Init torch distributed ends. mem usage=X GB", GiB: its
# get_available_gpu_memory divides by 1 << 30), estimates: the largest logged for each case.
# One GPU: 0.00 (no communicator).  PCIe-only cards, where SGLang turns its custom all-reduce
# off past 2 GPUs: 0.13 on 4 x L4 at tp 4 (NCCL 2.21.5; the log in tests/data/engine_logs.json).
# NVLink cards (custom all-reduce on, NCCL's NVLink buffers): 1.77-2.01 a rank on 8 x H200 at
# tp 8 (sgl-project/sglang#11716), the largest taken
SGLANG_DIST_PCIE = 13 * GiB // 100
SGLANG_DIST_NVLINK = 201 * GiB // 100
SAMPLER_BYTES = 38  # per logit of vLLM's profile-run sampler (top-k/top-p sorts every row)
VLLM_BLOCK = 16  # tokens per KV cache block (vLLM's default block_size on CUDA)
WEIGHT_LINES = ("weights", "stored_weights", "gguf_weights")


@dataclass(frozen=True)
class Capacity:
    """A serving engine's KV cache at start-up, as its log prints it."""

    engine: str
    total: int  # the memory the runtime reports
    fraction: Fraction  # gpu_memory_utilization, mem_fraction_static
    budget: int  # what the engine may take: total x fraction
    weights: int
    activations: int  # the profile run's forward pass (vLLM), 0 for SGLang
    sampler: int  # the profile run's logits and sampling (vLLM)
    overhead: int  # outside torch (vLLM) or the CUDA context at load (SGLang): an estimate
    kv_bytes: int  # what is left for the cache
    per_token: int  # KV bytes of one token over all layers
    block_tokens: int
    kv_cache_tokens: int  # "GPU KV cache size: N tokens", "max_total_num_tokens=N"
    max_model_len: int
    terms: dict[str, Any]
    # vLLM's KV cache groups where the layers are not all alike (memory.vllm_kv); None: one
    # group, tokens = blocks x 16 of per_token bytes
    groups: Groups | None = None

    @property
    def max_concurrency(self) -> float:
        """vLLM's "Maximum concurrency for L tokens per request": tokens / L; for a hybrid
        model, blocks / the blocks one request takes over its groups (memory.vllm_kv)."""
        if self.groups is not None:
            return self.groups.max_concurrency
        return self.kv_cache_tokens / self.max_model_len

    @property
    def refusal(self) -> str:
        """Why the engine stops at start-up with this cache ("" where it starts).  vLLM's
        check_enough_kv_cache_memory (vllm/v1/core/kv_cache_utils.py) raises where the memory
        left for the cache is none ("No available memory for the cache blocks") or holds less
        than one request of max_model_len tokens; SGLang stops where max_total_num_tokens is
        not positive (its model runner asks for a larger --mem-fraction-static)."""
        if self.kv_cache_tokens <= 0:
            return (f"{'vLLM' if self.engine == 'vllm' else 'SGLang'} stops at start-up: no "
                    f"memory is left for its KV cache")
        if self.engine == "vllm" and self.max_concurrency < 1:
            return (f"vLLM stops at start-up: its KV cache holds {self.kv_cache_tokens:,} tokens, "
                    f"less than one request of {self.max_model_len:,} (max_model_len: lower "
                    f"--context or raise --gpu-memory-utilization)")
        return ""


def _weights(p: Plan) -> int:
    return sum(line.bytes for line in p.lines if line.part in WEIGHT_LINES)


def _per_token(p: Plan) -> int:
    from .lines import KvPerTokenNote, KvTerms

    kv = next((line.terms for line in p.lines if isinstance(line.terms, KvTerms)), None)
    note = next((n.terms for n in p.notes if isinstance(n.terms, KvPerTokenNote)), None)
    if kv is None or note is None:
        return 0
    # On a rank of a parallel layout (memory.sharded), its layers' and heads' share of a token
    if kv.rank_values is None or kv.values is None:
        return note.bytes
    return note.bytes * kv.rank_values // kv.values


def non_torch(total: int, tp: int = 1, version: tuple[int, int] | None = None) -> int:
    """vLLM's non_torch_memory on a GPU whose runtime reports total bytes, at tensor parallel
    tp, for vLLM version (major, minor) (None: a current one)."""
    if tp > 1 or (version is not None and version < (0, 7)):
        return NON_TORCH_SHARED
    return NON_TORCH_SMALL if total < 32 * GiB else NON_TORCH_LARGE


def capacity(report: Report, s: Setup, total: int, gpu_name: str = "",
             max_num_seqs: int | None = None, sampler: bool = True,
             version: tuple[int, int] | None = None,
             mamba_cache_mode: str | None = None) -> Capacity | None:
    """vLLM's or SGLang's KV capacity on a GPU whose runtime reports total bytes; None for
    the other engines, and for a model without a KV cache.  max_num_seqs overrides vLLM's
    default for the GPU; sampler=False leaves out the sampler's logits (vLLM 0.6.4's profile
    run, which samples no full batch of rows); version is vLLM's (major, minor), for what it
    counts outside torch (None: a current vLLM); mamba_cache_mode: how vLLM keeps a hybrid
    model's states, "align" (prefix caching on) or "none" (off; memory.vllm_kv); None: the
    setup's (--mamba-cache-mode), else the profile's default (vLLM 0.28's, "align")."""
    from .plan import plan

    if s.engine_name not in ("vllm", "sglang") or s.train or report.decoder is None:
        return None
    e = s.serving(total, gpu_name)
    d = report.decoder
    p = plan(report, s)
    per_token = _per_token(p)
    if per_token == 0:
        return None
    weights = _weights(p)
    if s.engine_name == "vllm":
        fraction = e.memory_fraction
        budget = total * fraction.numerator // fraction.denominator
        tokens = e.chunk or 2048
        rows = min(max_num_seqs or e.logits_rows or 256, tokens) if sampler else 0
        inter = max(d.intermediate, d.expert_intermediate * d.experts_per_token)
        act = 4 if p.precision.bits_per_value == 32 else 2
        # A rank of tensor parallel t holds 1/t of the MLP's intermediates (gate_up_proj is a
        # MergedColumnParallelLinear, down_proj a RowParallelLinear) and the whole hidden-size
        # tensors (the residual, after each all-reduce): vllm-project/vllm cb24295,
        # vllm/model_executor/models/qwen2.py Qwen2MLP, Qwen2DecoderLayer
        layout = s.layout()
        tp = int(layout.tp) if layout is not None else 1
        forward = tokens * (3 * (inter // tp) + 3 * d.hidden) * act
        # the sampler runs once the forward pass's transients are freed, beside the last
        # hidden states: the profile's peak is the larger of the two phases
        hidden = tokens * d.hidden * act
        logits = rows * d.vocab * SAMPLER_BYTES
        if hidden + logits > forward:
            activations, sampled = hidden, logits
        else:
            activations, sampled = forward, 0
        overhead = non_torch(total, tp, version)
        kv = budget - weights - activations - sampled - overhead
        page = per_token * VLLM_BLOCK
        blocks = max(kv, 0) // page
        g = vllm_groups(report, p, tp, kv, s.context, tokens, act,
                        mamba_cache_mode or e.mamba_cache_mode)
        return Capacity("vllm", total, fraction, budget, weights, activations, sampled,
                        overhead, kv, per_token, VLLM_BLOCK,
                        blocks * VLLM_BLOCK if g is None else g.tokens, s.context,
                        {"max_num_batched_tokens": tokens,
                         "max_num_seqs": max_num_seqs or e.logits_rows,
                         "rows": rows, "intermediate": inter, "tp": tp, "hidden": d.hidden,
                         "act_bytes": act, "vocab": d.vocab, "blocks": blocks,
                         "forward_bytes": forward, "sampler_run_bytes": hidden + logits,
                         "sampler_bytes_per_logit": SAMPLER_BYTES,
                         **({"state_layers": d.state_layers} if d.state_layers else {})}, g)
    # profile_max_num_token's "total" is the memory free after the distributed start: the
    # share fit's verdict uses too
    share = engine_share(s, total, gpu_name)
    assert share is not None and share.engine == "sglang"
    layout = s.layout()
    tp = int(layout.tp) if layout is not None else 1
    dist = share.distributed
    budget = share.usable
    # SGLang's load is what mem_get_info sees: the allocator's segments, not the tensors
    rounding = allocator_rounding(report, p.precision.bits_per_value, tp)
    kv = budget - weights - (rounding or 0)
    return Capacity("sglang", total, share.fraction, budget, weights + (rounding or 0), 0, 0,
                    LOAD_CONTEXT + dist, kv, per_token, 1, max(kv, 0) // per_token, s.context,
                    {"free": share.free, "context": share.context, "distributed": dist,
                     "tp": tp, "tensor_bytes": weights, "allocator_rounding": rounding})


def vllm_groups(report: Report, p: Plan, tp: int, kv_bytes: int, max_model_len: int,
                chunk: int, model_bytes: int = 2, mamba_cache_mode: str = "none"
                ) -> Groups | None:
    """vLLM V1's KV cache groups for a model whose layers are not all of one kind (sliding
    windows beside full attention, state-space or linear-attention layers beside attention:
    memory.vllm_kv), on one of tp ranks; None where they are (one group: memory.serving's
    per-token path).  A layer's bytes a token: its latent (MLA: one "head", on every rank) or
    its KV heads' keys and values, the heads split over the ranks (at least one a rank), at
    the cache's precision (as vLLM's model of the family caches them, where it differs from
    transformers': vllm_kv.CACHING); layers that read an earlier layer's cache hold none.  A state
    layer's state at model_bytes a value (the model's dtype: vLLM's mamba cache dtypes
    "auto"; the SSM state at the dtype its config fixes, Qwen3.5's float32), the attention
    block raised till a page holds it, and a request takes the state blocks of
    mamba_cache_mode ("none": one, "align": two, "all": one a block of max_model_len, the
    block a multiple of the model's Mamba chunk; "all" of a model whose vLLM class keeps no
    state a block is vLLM's fallback, "align": vllm_kv.PREFIX_CACHING_ALL)."""
    from .bits import to_bytes
    from .lines import KvTerms
    from .vllm_kv import (
        CACHING,
        PREFIX_CACHING_ALL,
        Spec,
        align,
        groups,
        hybrid,
        mamba_chunk,
        state_bytes,
    )

    d = report.decoder
    kv = next((line.terms for line in p.lines if isinstance(line.terms, KvTerms)), None)
    if d is None or kv is None:
        return None
    source = report.traceable or ("",)
    caching = CACHING.get(str(source[1].get("model_type", ""))) if source[0] == "config" \
        else None
    counts: list[tuple[Spec, int]] = []
    for layer, n in d.layers.counts():
        if layer.shared_kv:
            continue
        if layer.latent_dim is not None:
            values = layer.latent_dim
        else:
            value_dim = layer.key_dim if caching and caching.values_as_keys else layer.value_dim
            values = max(1, layer.kv_heads // tp) * (layer.key_dim + value_dim)
        window = None if layer.window_masks_only else layer.window
        if caching and window is not None:  # vLLM's model gives its layers another window
            window -= caching.window_less
        counts.append((Spec(to_bytes(values, kv.precision.bits_per_value), window), n))
    m = d.mixer
    if m is None or not counts:
        if not hybrid(counts):
            return None
        return groups(counts, kv_bytes, max_model_len, chunk, VLLM_BLOCK, caching=caching,
                      mamba_cache_mode=mamba_cache_mode)
    state = state_bytes(m, tp, model_bytes)
    fell_back, mamba = False, 0
    if mamba_cache_mode == "all":
        if source[0] != "config":
            raise NnsizeError("vLLM's mamba_cache_mode all needs the model's config (its Mamba "
                              "chunk size, which sets the block); this model has none")
        config = source[1]
        if str(config.get("model_type", "")) in PREFIX_CACHING_ALL:
            mamba = mamba_chunk(config)
        else:  # MambaModelConfig: "falling back to 'align' mode"
            mamba_cache_mode, fell_back = "align", True
    # HybridAttentionMambaModelConfig: the model's attention (its KV heads a rank, its head
    # size) gives the token's bytes the block is raised for
    a = align(state, max(spec.token_bytes for spec, _ in counts), chunk=mamba)
    counts.append((Spec(0, state=state), m.layers))
    return groups(counts, kv_bytes, max_model_len, chunk, a.block_tokens, a, caching,
                  mamba_cache_mode, fell_back)


def allocator_rounding(report: Report, bits: int | Fraction, tp: int) -> int | None:
    """Bytes PyTorch's caching allocator reserves beyond a rank's weight matrices as vLLM and
    SGLang allocate them (memory.allocator, parallel.rank.engine_tensors) when they are stored
    at a whole number of bytes a value (bits: the weights' precision; fp8 1, bf16 2):
    Qwen2.5-32B in bf16 at tp 4, 225.5 MiB (its slices are not 2 MiB multiples), 2 MiB at
    tp 1.  None where the matrices are not laid out: packed formats with their scales (GPTQ,
    AWQ, GGUF), latent attention, state-space layers."""
    from ..parallel.rank import engine_tensors
    from ..parallel.shape import from_report
    from .allocator import reserved

    if Fraction(bits) % 8:
        return None
    try:
        shape = from_report(report)
    except NnsizeError:
        return None
    sizes = engine_tensors(shape, tp, Fraction(bits) / 8)
    if not sizes:
        return None
    return reserved(sizes) - sum(sizes)


@dataclass(frozen=True)
class EngineShare:
    """The bytes a serving engine may take on a GPU: its share (vLLM's gpu_memory_utilization,
    SGLang's mem_fraction_static) of what CUDA reports, less what it holds before the share
    applies.  vLLM: none (its budget is the share of the whole card).  SGLang: the CUDA context
    at load and the distributed start (an estimate each, memory.serving), since its
    profile_max_num_token takes the share of the memory free after them: the same numbers as
    its KV cache line (capacity)."""

    engine: str
    fraction: Fraction
    reported: int  # what CUDA reports
    context: int = 0  # SGLang: the CUDA context and workspaces at load
    distributed: int = 0  # SGLang: the distributed start, a rank (0 on one GPU)

    @property
    def free(self) -> int:
        return self.reported - self.context - self.distributed

    @property
    def usable(self) -> int:
        return self.free * self.fraction.numerator // self.fraction.denominator


def engine_share(s: Setup, gpu_bytes: int, gpu_name: str) -> EngineShare | None:
    """The share a serving engine takes of a GPU whose runtime reports gpu_bytes (None: an
    engine that takes all but the CUDA context, and training)."""
    e = s.serving(gpu_bytes, gpu_name)
    if s.train or (e.memory_fraction == 1 and e.name != "sglang"):
        return None
    if e.name != "sglang":
        return EngineShare(e.name, e.memory_fraction, gpu_bytes)
    layout = s.layout()
    tp = int(layout.tp) if layout is not None else 1
    return EngineShare(e.name, e.memory_fraction, gpu_bytes, LOAD_CONTEXT,
                       sglang_distributed(tp, gpu_name))


def sglang_distributed(tp: int, gpu_name: str = "") -> int:
    """SGLang's distributed start a rank (an estimate, see SGLANG_DIST_*): nothing on one
    GPU, the PCIe figure where the card's link is PCIe, the NVLink figure otherwise (a card
    the catalogue does not know included: the larger)."""
    if tp <= 1:
        return 0
    from ..errors import NnsizeError
    from ..gpus import find_gpu

    try:
        link = find_gpu(gpu_name).link if gpu_name else None
    except NnsizeError:  # an unknown name: the larger figure
        link = None
    return SGLANG_DIST_PCIE if link is not None and link.name.startswith("PCIe") \
        else SGLANG_DIST_NVLINK


def sglang_tokens(free: int, fraction: Fraction, weights: int, per_token: int) -> int:
    """max_total_num_tokens from the memory free after SGLang's distributed start:
    (free after loading - free x (1 - mem_fraction_static)) // cell_size, with free after
    loading = free - weights."""
    kv = free - weights - free * (fraction.denominator - fraction.numerator) // \
        fraction.denominator
    return max(kv, 0) // per_token


@dataclass(frozen=True)
class Offload:
    """llama.cpp's -ngl split at a context: the most layers the GPU holds, and each side."""

    layers: int  # the model's repeating layers
    gpu_layers: int  # the largest -ngl that fits (layers + 1: the output layer too)
    gpu_bytes: int  # weights, KV cache and compute buffer on the GPU at that split
    cpu_bytes: int  # weights and KV cache left in RAM
    per_layer: int  # one repeating layer's weights and KV cache
    output: int  # the output layer (and its norm)
    compute: int  # the compute buffer (the plan's workspace)
    usable: int
    # each repeating layer's weights and KV cache, first to last: -ngl N puts the last N
    layer_sizes: tuple[int, ...] = ()

    def gpu_side(self, n: int) -> int:
        """The layers' bytes -ngl n puts on the GPU (the output layer's when n > layers),
        the compute buffer left out."""
        k = min(n, self.layers)
        return sum(self.layer_sizes[self.layers - k:]) + (self.output if n > self.layers else 0)


def offload(report: Report, s: Setup, usable: int) -> Offload | None:
    """llama.cpp's -ngl: the most layers that fit in usable bytes at the setup's context."""
    from .plan import plan

    if s.engine_name != "llama.cpp" or s.train or report.decoder is None:
        return None
    refused = offload_refused(report)
    if refused:
        raise NnsizeError(f"{report.source}: {refused}")
    p = plan(report, s)
    layers = len(report.decoder.layers)
    if layers == 0:
        return None
    lines = {line.part: line for line in p.lines}
    weights = _weights(p)
    kv = lines["kv_cache"].bytes if "kv_cache" in lines else 0
    compute = lines["decoder_workspace"].bytes if "decoder_workspace" in lines else 0
    embed, output = _outside(report, p)
    per_layer = (weights - embed - output + kv) // layers
    m = _gguf_mix(report, s)
    caches = _layer_caches(report, s, lines.get("kv_cache"), layers, kv)
    sizes = [w + c for w, c in zip(_layer_weights(m, layers, weights - embed - output),
                                   caches, strict=True)]
    if m is not None:
        output = _mix_outside(m)[1]
    o = Offload(layers, 0, 0, 0, per_layer, output, compute, usable, tuple(sizes))
    best, gpu = 0, 0
    for n in range(layers + 2):
        on_gpu = o.gpu_side(n) + compute
        if on_gpu <= usable:
            best, gpu = n, on_gpu
    total = weights + kv
    return replace(o, gpu_layers=best, gpu_bytes=gpu,
                   cpu_bytes=total - (gpu - compute if best else 0))


def offload_refused(report: Report) -> str:
    """Why llama.cpp's -ngl split is not given ("" where it is): offload weighs the last N
    layers by each one's share, which it takes alike where the layers differ."""
    d = report.decoder
    if d is None or not d.varied:
        return ""
    return (f"llama.cpp's -ngl split of layers that differ ({d.varied}) is not modelled: "
            f"nnsize weighs each layer alike")


def _layer_caches(report: Report, s: Setup, line: Any, layers: int, kv: int) -> list[int]:
    """Each layer's own KV cache, first to last (kv_cache.llama_cpp_layer_bytes: a windowed
    layer of Gemma 3 or gpt-oss holds its SWA cells, a global one the whole context), where
    they add up to the plan's cache; the mean otherwise."""
    from .engines import engine
    from .kv_cache import llama_cpp_layer_bytes
    from .lines import KvTerms

    if line is not None and isinstance(line.terms, KvTerms) and not line.terms.state:
        e = engine(s.engine_name, s.chunk or None, swa_full=s.swa_full)
        caches = llama_cpp_layer_bytes(report, s.batch, s.context, line.terms.precision,
                                       e.chunk or 0, s.latent, s.kv_unified, e.swa_full)
        if len(caches) == layers and sum(caches) == kv:
            return caches
    return [kv // layers] * layers


def _gguf_mix(report: Report, s: Setup) -> Any:
    """The GGUF file a llama-quantize type as --dtype names (plan.gguf_mix_name), or None."""
    from .gguf_mix import mix
    from .plan import gguf_mix_name

    name = gguf_mix_name(s.dtype) if s.dtype else None
    return mix(report, name, s.imatrix) if name else None


def _layer_weights(m: Any, layers: int, repeating: int) -> list[int]:
    """Each repeating layer's weight bytes, first to last: tensor by tensor in a GGUF mix m
    (blk.N.*), the mean of the repeating bytes otherwise."""
    from .gguf_mix import _layer

    if m is None:
        return [repeating // layers] * layers
    sizes = [0] * layers
    for t in m.tensors:
        i = _layer(t.name)
        if 0 <= i < layers:
            sizes[i] += t.bytes
    return sizes


def _mix_outside(m: Any) -> tuple[int, int]:
    """A GGUF mix's (token embedding, output layer) bytes as the file holds them: token_embd,
    and the other tensors outside the blocks (output, output_norm)."""
    from .gguf_mix import _layer

    embed = sum(t.bytes for t in m.tensors if t.name.startswith("token_embd."))
    outside = sum(t.bytes for t in m.tensors if _layer(t.name) < 0)
    return embed, outside - embed


def _outside(report: Report, p: Plan) -> tuple[int, int]:
    """(token embedding bytes, output layer bytes) at the plan's precision: the parameters
    outside the repeating layers, split as the file holds them (a tied head is the embedding,
    which llama.cpp then also reads on the GPU side: counted once, in RAM)."""
    from ..model import numel

    embed = output = 0
    total = sum(t.copies * row.repeat * numel(t.shape) for row in report.rows
                for t in row.tensors if not t.buffer)
    weights = _weights(p)
    for name, t in report.named_tensors():
        if t.buffer or t.shared_with:
            continue
        n = numel(t.shape)
        if t.role == "embedding" and "embed" in name:
            embed += n
        elif name.endswith("lm_head.weight") or name.endswith("output.weight"):
            output += n
    # the plan's bytes per parameter, on average: exact for a single format, the mix's mean
    # for a GGUF file (its embedding and output are of their own types: an estimate there)
    scale = Fraction(weights, total) if total else Fraction(0)
    return int(embed * scale), int(output * scale)


@dataclass(frozen=True)
class Serving:
    """The engine's own answers for a setup on a GPU: vLLM's and SGLang's KV capacity,
    llama.cpp's -ngl split."""

    capacity: Capacity | None = None
    offload: Offload | None = None
    offload_refused: str = ""  # why llama.cpp's -ngl split is not given (offload_refused)


def serving(report: Report, s: Setup, gpu: Any) -> Serving:
    """What the setup's engine reports at start-up on gpu (a gpus.GPU): its KV capacity in
    tokens from the memory the runtime reports, or the layers -ngl puts on it."""
    from .plan import settle
    from .setup import resolve

    s = settle(report, resolve(s, str(report.stored.get("format", ""))))
    refused = offload_refused(report) if s.engine_name == "llama.cpp" else ""
    return Serving(capacity(report, s, gpu.reported, gpu.name),
                   None if refused else offload(report, s, gpu.usable), refused)
