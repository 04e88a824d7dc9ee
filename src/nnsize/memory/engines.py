"""Inference as engines serve it: how much of the GPU each takes, its KV cache, its workspace.

transformers  generate(): the whole prompt in one forward pass (no chunking); the KV cache
              grows with the tokens; the logits of the last position only (logits_to_keep=1),
              in fp32.
vllm          `vllm serve`'s defaults of one release, nnsize.engines.VLLM_VERSION (0.28), read
              from its source (nnsize.engines.VLLM_SOURCE): takes gpu_memory_utilization of
              the GPU (0.92: vllm/config/cache.py; 0.9 in older releases, --gpu-memory-
              utilization 0.9 gives them); prefills in chunks of max_num_batched_tokens
              (vllm/engine/arg_utils.py get_batch_defaults for `vllm serve`: 16,384 on GPUs
              of 160 GiB or more, 8,192 on those of 70 GiB or more other than the A100, 2,048
              otherwise; --chunk gives another), samples up to max_num_seqs (1,024 or 256
              there) rows of logits in fp32, and gives the rest to the KV cache in blocks of
              16 tokens (a hybrid model's with prefix caching on, mamba_cache_mode "align", as
              `vllm serve` turns it on from 0.28.0; --mamba-cache-mode none gives the earlier
              releases' default, all a state a block; memory.vllm_kv).
              The KV capacity (serving.py) also takes off what vLLM measures outside torch
              (NCCL, cuBLAS workspaces: by card, tensor parallel and version, from its logs);
              CUDA graphs' memory is not counted: vLLM 0.20 and later take off an estimate
              measured on the card at start-up, which no formula gives (docs/engines.md).
llama.cpp     allocates the KV cache for the whole context at start-up at --cache-type-k/-v
              (f16 by default), prefills n_ubatch tokens at a time (512; common/common.h,
              ggml-org/llama.cpp 001d906), in fp32 intermediates; without flash attention a
              layer's attention step (its scores, n_ubatch x context x heads fp32, beside four
              hidden-sized tensors) can outgrow its MLP step; beside the layer phase, the KQ
              mask (context x n_ubatch, f32, or f16 alone under flash attention since
              ggml-org/llama.cpp#23764, its f32 and an f16 copy before: kq_mask), and a
              model with sliding-window layers a second one over its SWA cache's cells; the
              output phase reuses their space.

Every workspace here is an estimate: one chunk's transient tensors, each at its largest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar

from ..engines import ENGINES as PROFILES
from ..engines import find_engine
from ..errors import NnsizeError
from .vllm_kv import MAMBA_CACHE_MODES

ENGINES = tuple(PROFILES)  # one registry (nnsize.engines): the names speed takes too

GiB = 2**30


@dataclass(frozen=True)
class Engine:
    name: str
    chunk: int | None  # prompt tokens per forward pass; None: the whole prompt at once
    memory_fraction: Fraction  # of the GPU the engine may take (vLLM's gpu_memory_utilization)
    block_tokens: int  # the KV cache is allocated in blocks of this many tokens
    logits_rows: int | None  # rows of fp32 logits per step; None: one per sequence
    flash_attention: bool = True
    kv_default: str | None = None  # the engine's own KV cache type, where it has one
    profiled: bool = True  # False: no published allocation; planned as transformers'
    defaults: str = ""  # whose defaults, where they change by version ("vLLM 0.28 defaults...")
    mamba_cache_mode: str = "none"  # vLLM: how a hybrid model's states are cached
    swa_full: bool = False  # llama.cpp's --swa-full: its SWA layers keep a full-size cache
    kq_mask: str = "f16"  # llama.cpp's KQ mask under flash attention (KQ_MASKS)


# llama.cpp's --swa-full (common/arg.cpp; llama_context_params.swa_full): a setting of no other
# engine, refused by name for them rather than dropped
SWA_FULL_ENGINES = ("llama.cpp",)


def refuse_swa_full(name: str) -> None:
    """--swa-full is llama.cpp's alone: an error naming the engine for any other."""
    if name not in SWA_FULL_ENGINES:
        raise NnsizeError(f"swa full is llama.cpp's --swa-full (a full-size cache on the "
                          f"sliding-window layers); {name} has no such setting: plan it with "
                          f"the llama.cpp engine, or without it")


# llama.cpp's KQ mask under flash attention, by build: "f16", the mask reserved in f16 alone
# (builds since ggml-org/llama.cpp#23764, May 2026: the newest, the default), or "f32+f16", an
# f32 mask and its f16 cast beside it (the builds before); without flash attention f32 either way
KQ_MASKS = ("f16", "f32+f16")


@dataclass(frozen=True)
class DecoderWorkspaceTerms:
    """One forward pass's transient tensors (engines.workspace_bytes); phase: llama.cpp's
    larger phase ("layer" or "output"), "" elsewhere."""

    PART: ClassVar[str] = "decoder_workspace"
    tokens: int
    intermediate: int
    hidden: int
    act_bytes: int
    heads: int
    keys: int
    scores: int
    rows: int
    vocab: int
    phase: str = ""
    mask: int = 0  # llama.cpp's KQ mask: keys x mask_tokens x mask_value_bytes
    mask_tokens: int = 0  # the micro-batch's tokens a stream (padded to 64 before #23764)
    mask_value_bytes: int = 0  # 4 (f32); under flash attention 2 (f16), or 6 before #23764
    mask_streams: int = 1  # llama.cpp's KV streams: a mask of mask_tokens rows each
    swa_mask: int = 0  # llama.cpp's second KQ mask, its SWA layers': swa_keys x the same rows
    swa_keys: int = 0  # the SWA cache's cells a stream (kv_cache.llama_cpp_swa_cells); 0: none
    score_bytes: int = 4  # bytes a score at the attention's peak (transformers eager: eager.py)
    sink: int = 0  # key columns beside the keys (gpt-oss's sink, and its row max)
    masks: int = 0  # transformers eager: the float masks, one a layer type (full, a window)
    family: str = ""  # the family transformers runs eager by default ("" where asked)
    measured: bool = True  # False: the family's eager peak is planned at llama's form
    # transformers eager: the values a key repeat_kv writes, heads x (key_dim + value_dim), in
    # the layer whose attention peaks, where 1 < its KV heads < heads (0 otherwise)
    kv_repeat: int = 0
    compressed: int = 0  # transformers eager: keys a sequence beyond the prompt (DeepSeek-V4)
    # transformers eager: a family's own tensors beside its scores (eager.attention_terms)
    family_terms: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # and in its MLP's step beyond 3 x intermediate a token (eager.mlp_terms)
    mlp_terms: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @property
    def family_bytes(self) -> int:
        """The family's own tensors at the attention's peak (eager.attention_terms)."""
        from .eager import term_bytes

        return term_bytes(self.family_terms) if not self.phase else 0

    @property
    def mask_bytes(self) -> int:
        """transformers' eager masks: tokens x keys in the model dtype, one a layer type."""
        return self.masks * self.tokens * self.keys * self.act_bytes if not self.phase else 0

    @property
    def sequences(self) -> int:
        """The sequences the pass carries (the prompt whole: tokens / keys; a chunk: one)."""
        return -(-self.tokens // self.keys) if self.keys else 0

    @property
    def kv_copies(self) -> int:
        """transformers' eager attention's repeat_kv: the keys and values expanded to every
        head, sequences x keys x heads x (key_dim + value_dim) in the model dtype."""
        return self.sequences * self.keys * self.kv_repeat * self.act_bytes \
            if not self.phase else 0



def vllm_batch_defaults(gpu_bytes: int | None, gpu_name: str = "") -> tuple[int, int]:
    """(max_num_batched_tokens, max_num_seqs) of `vllm serve` (OPENAI_API_SERVER) on this GPU:
    EngineArgs.get_batch_defaults of nnsize.engines.VLLM_SOURCE (vLLM 0.28), 16,384 and 1,024
    on 160 GiB or more (B200, B300: the tier vLLM 0.28.0 added), 8,192 and 1,024 on 70 GiB or
    more other than the A100, 2,048 and 256 otherwise."""
    if gpu_bytes is not None and gpu_bytes >= 160 * GiB:
        return 16384, 1024
    if gpu_bytes is not None and gpu_bytes >= 70 * GiB and "a100" not in gpu_name.lower():
        return 8192, 1024
    return 2048, 256


def sglang_defaults(gpu_bytes: int, tp: int = 1) -> tuple[Fraction, int]:
    """(mem_fraction_static, chunked_prefill_size) of SGLang's ServerArgs for a GPU of
    gpu_bytes (sgl-project/sglang python/sglang/srt/server_args.py, 2025): reserved =
    (2.8 + tp/10) GiB under 35 GiB, (9.5 + tp/2) under 90, (12 + tp/2) under 160, 32 above;
    the fraction (gpu_mem - reserved) / gpu_mem rounded to 3 places; chunks of 2,048 tokens
    under 35 GiB, 8,192 under 160, 16,384 above."""
    gpu_mem = Fraction(gpu_bytes, 2**20)  # SGLang reads the capacity in MiB
    if gpu_mem < 35 * 1024:
        reserved, chunk = Fraction(28, 10) + Fraction(tp, 10), 2048
    elif gpu_mem < 90 * 1024:
        reserved, chunk = Fraction(95, 10) + Fraction(tp, 2), 8192
    elif gpu_mem < 160 * 1024:
        reserved, chunk = 12 + Fraction(tp, 2), 8192
    else:
        reserved, chunk = Fraction(32), 16384
    share = (gpu_mem - reserved * 1024) / gpu_mem
    return Fraction(round(share * 1000), 1000), chunk


def engine(name: str, chunk: int | None = None, memory_fraction: Fraction | None = None,
           flash_attention: bool = True, gpu_bytes: int | None = None,
           gpu_name: str = "", mamba_cache_mode: str | None = None,
           swa_full: bool = False, kq_mask_type: str = "f16") -> Engine:
    """An engine's memory profile (nnsize.engines) with its defaults for this GPU; chunk,
    memory_fraction and mamba_cache_mode override them; swa_full: llama.cpp's --swa-full (a
    full-size cache on the sliding-window layers, kv_cache.llama_cpp_swa_cells), and
    kq_mask_type: llama.cpp's KQ mask by build (KQ_MASKS; f32+f16 for builds before #23764),
    refused for any other engine.  An engine with no published
    allocation (mlc, exllama, exllamav2, tensorrt-llm, roofline...) is planned as transformers
    allocates, and says so (profiled=False)."""
    profile = find_engine(name)
    if chunk is not None and chunk < 1:
        raise NnsizeError(f"the prefill chunk must be at least 1 token, got {chunk}")
    if memory_fraction is not None and not 0 < memory_fraction <= 1:
        raise NnsizeError(f"GPU memory utilization must be in (0, 1], got "
                          f"{float(memory_fraction)}")
    a = profile.allocation or PROFILES["transformers"].allocation
    assert a is not None
    default_chunk, rows = a.chunk, a.logits_rows
    share = a.memory_fraction
    if a.gpu_defaults and profile.name == "sglang":
        if gpu_bytes is not None:
            share, default_chunk = sglang_defaults(gpu_bytes)
    elif a.gpu_defaults:
        default_chunk, rows = vllm_batch_defaults(gpu_bytes, gpu_name)
    if mamba_cache_mode and mamba_cache_mode not in MAMBA_CACHE_MODES:
        raise NnsizeError(f"vLLM's mamba_cache_mode {mamba_cache_mode!r} is not modelled "
                          f"(nnsize knows {', '.join(map(repr, MAMBA_CACHE_MODES))})")
    if swa_full:
        refuse_swa_full(profile.name)
    if kq_mask_type not in KQ_MASKS:
        raise NnsizeError(f"llama.cpp's KQ mask {kq_mask_type!r} is not modelled (nnsize knows "
                          f"{', '.join(map(repr, KQ_MASKS))})")
    if kq_mask_type != "f16" and profile.name != "llama.cpp":
        raise NnsizeError(f"kq mask {kq_mask_type} is llama.cpp's (its KQ mask before "
                          f"ggml-org/llama.cpp#23764); {profile.name} has no such setting: "
                          f"plan it with the llama.cpp engine, or without it")
    return Engine(profile.name, chunk or default_chunk, memory_fraction or share,
                  a.block_tokens, rows, flash_attention and a.flash_attention, a.kv_default,
                  profile.allocation is not None, a.defaults,
                  mamba_cache_mode or a.mamba_cache_mode, swa_full, kq_mask_type)


def prefill_tokens(e: Engine, batch: int, context: int) -> int:
    """Tokens one forward pass carries: the whole batch of prompts, or one chunk of them."""
    tokens = batch * context
    return min(tokens, e.chunk) if e.chunk else tokens


def workspace_bytes(e: Engine, batch: int, context: int, hidden: int, intermediate: int,
                    heads: int, vocab: int, act_bytes: int, keys: int = 0, streams: int = 1,
                    swa_keys: int = 0, score_bytes: int = 4, sink: int = 0,
                    masks: int = 0, kv_repeat: int = 0,
                    compressed: int = 0,
                    family_terms: tuple[tuple[str, tuple[int, ...]], ...] = (),
                    mlp_terms: tuple[tuple[str, tuple[int, ...]], ...] = ()
                    ) -> tuple[int, DecoderWorkspaceTerms]:
    """One forward pass's transient tensors at their largest, and the terms.

    Per token of the pass: at the MLP's activation, three intermediates alive at once (the
    activated gate, up, their product) and four hidden-sized tensors (residual, normed input,
    the norm's fp32 copy): 3 x i + 4 x h values at the activation precision (llama.cpp: fp32;
    measured for transformers' prefill on the CPU, tests/test_engines.py); without flash
    attention one layer's scores (heads x context fp32 per token); and the fp32 logits of the
    rows sampled.  llama.cpp's attention reads keys cells (a KV stream's,
    kv_cache.llama_cpp_streams; default: the context), its tokens split over the streams;
    a model whose layers mix sliding windows and global attention (Gemma 2 and 3, gpt-oss)
    has a second KQ mask for its windowed layers, over swa_keys cells (its SWA cache's a
    stream, kv_cache.llama_cpp_swa_cells), beside the first (kq_mask).
    transformers' eager attention (its step the larger of it and the MLP's intermediates:
    the attention's tensors are freed before the MLP runs, as llama.cpp's are) holds
    score_bytes a score (heads x tokens x keys, and sink
    columns more) at its peak, the softmax's (eager.score_peak), beside its float masks, one of
    tokens x keys in the model dtype for each layer type (full attention, a window: a windowed
    layer's eager scores are as wide as a full one's, the window a mask, not a narrower
    matrix), and repeat_kv's copies of the layer's keys and values expanded to every head,
    kv_repeat = heads x (key_dim + value_dim) values a key where the layer has more than one
    KV head and fewer than heads (eager.kv_repeat_values: otherwise repeat_kv copies
    nothing), alive from before the scores until the matmul with the values, and the family's
    own tensors beside them (family_terms, eager.attention_terms: DeepSeek-V4's and HY-V4's
    hyper-connection streams, widened or indexed masks, top-k indices, expanded latent);
    tests/memory/test_eager.py measures them all.  Whatever the attention, a family's own
    tensors beside the MLP's intermediates (mlp_terms, eager.mlp_terms: DeepSeek-V4's
    experts' clamped copies, JetMoE's routed copies and concatenation).
    For a MoE layer i is the selected experts' together: llama.cpp's
    build_moe_ffn computes them in one ggml_mul_mat_id, [n_ff, n_expert_used, n_tokens], and
    joins gate and up with ggml_swiglu_split, which its allocator does not run in place, so all
    three are live (src/llama-graph.cpp, ggml-org/llama.cpp 00395eb). Builds before
    ggml-org/llama.cpp#6505 (April 2024) looped over the experts one at a time and are not
    planned (tests/data/engine_logs.json: the Mixtral log of b1971).
    """
    from .eager import term_bytes

    tokens = prefill_tokens(e, batch, context)
    keys = keys or context
    a = 4 if e.name == "llama.cpp" else act_bytes
    total = tokens * (3 * intermediate + 4 * hidden) * a
    # a stream's tokens attend to its own cells (build_attn_mha views q as n_stream parts)
    scores = 0 if e.flash_attention else tokens // streams * streams * heads * keys * 4
    if e.name == "llama.cpp":
        # llama_context reserves its graph for a full micro-batch of outputs: n_ubatch rows of
        # fp32 logits (512 x 152,064 x 4 = 297 MiB for Qwen2.5), beside the last hidden
        # states; the graph allocator reuses the layers' buffers for them, so the buffer is
        # the larger of the two phases, not their sum
        # within a layer the allocator frees the attention's tensors before the MLP's, so
        # the layer phase is the larger of the MLP step and the attention step (the scores,
        # softmaxed in place, beside four hidden-sized tensors): Mistral-7B without flash
        # attention at 32,000 cells, 512 x 32 x 32,000 x 4 + 4 x 512 x 4,096 x 4 + the
        # mask 32,000 x 512 x 4 = 2,094.50 MiB, the log's figure (llama.cpp#7450)
        rows = tokens
        layer = max(total, scores + tokens * 4 * hidden * a) if scores else total
        output = rows * vocab * 4 + tokens * hidden * 4
        # the mask is [n_kv, n_tokens / n_stream, 1, n_stream] (padded to 64 in older builds)
        padded, per_value = kq_mask(tokens // streams, e.flash_attention, e.kq_mask)
        mask = keys * padded * streams * per_value
        # the windowed layers of an iSWA model read a mask of their own, as wide over the SWA
        # cache's cells (build_attn_inp_kv_iswa's self_kq_mask_swa); their scores are smaller
        # than a global layer's, so the layer phase is still the global layers'
        swa_mask = swa_keys * padded * streams * per_value
        # the masks are the layers' inputs: live beside the layer phase, dead (and their space
        # the logits') in the output phase: Gemma-3-4B at 131,072 cells prints 517 MiB, its
        # logits and last hidden states alone, not the 388.50 MiB of masks beside them
        # (tests/data/engine_logs.json; one log, Llama-3.1-8B's at 16,384 cells under
        # Vulkan, holds both, 0.84x: the allocator's placement, not modelled)
        layer += mask + swa_mask
        return max(layer, output), DecoderWorkspaceTerms(
            tokens, intermediate, hidden, a, heads, keys, scores, rows, vocab,
            "output" if output > layer else "layer", mask, padded, per_value, streams,
            swa_mask, swa_keys)
    if not e.flash_attention:  # compressed: DeepSeek-V4's entries after the prompt's keys
        scores = tokens * heads * (context + compressed + sink) * score_bytes
    rows = batch if e.logits_rows is None else min(e.logits_rows, tokens)
    terms = DecoderWorkspaceTerms(tokens, intermediate, hidden, a, heads, context, scores, rows,
                                  vocab, score_bytes=score_bytes, sink=sink,
                                  masks=0 if e.flash_attention else masks,
                                  kv_repeat=0 if e.flash_attention else kv_repeat,
                                  compressed=0 if e.flash_attention else compressed,
                                  family_terms=() if e.flash_attention else family_terms,
                                  mlp_terms=mlp_terms)
    # eager attention's scores and repeat_kv's copies are freed when the attention returns,
    # before the MLP makes its intermediates: the larger of the two steps, beside the four
    # hidden-sized tensors, the masks (every layer's inputs) and the logits
    attention = scores + terms.kv_copies + terms.family_bytes
    mlp = tokens * 3 * intermediate * a + term_bytes(terms.mlp_terms)
    total += max(attention, mlp) - tokens * 3 * intermediate * a + terms.mask_bytes + \
        rows * vocab * 4
    return total, terms


KQ_MASK_PAD = 64  # ggml.h GGML_KQ_MASK_PAD (ggml-org/llama.cpp 434f71a)


def kq_mask(tokens: int, flash_attention: bool, kind: str = "f16") -> tuple[int, int]:
    """(padded tokens, bytes a value) of llama.cpp's KQ mask, a graph input in the compute
    buffer: keys (the cache's cells, all of n_ctx when the graph is reserved) x the
    micro-batch's tokens padded to GGML_KQ_MASK_PAD, in f32 without flash attention and, under
    it, in f16 alone: build_attn_inp_kq_mask reserves it as GGML_TYPE_F16 when
    cparams.flash_attn (ggml-org/llama.cpp#23764, May 2026, "use f16 mask for FA to save VRAM";
    src/llama-graph.cpp at 0c1e570, Oct 2026:
    https://github.com/ggml-org/llama.cpp/blob/0c1e57098bba43ac29e6e3b677cdceebdd22334f/src/llama-graph.cpp).
    Builds before it (kind "f32+f16") reserved an f32 mask and its f16 cast beside it
    (build_attn_inp_kv_impl, ggml-org/llama.cpp 434f71a:
    https://github.com/ggml-org/llama.cpp/blob/434f71a5b4d1ff9c9c9b59e08326f0fe3d15193a/src/llama-graph.cpp):
    16,384 x 1,024 x (4 + 2) B = 96 MiB for Llama-3.1-8B at 16K with FA, 32 MiB in f16 alone.
    The masks stay allocated under every layer's attention, so the buffer holds them beside the
    layer phase; after the last layer they are dead, and the output phase's logits take their
    space.  A model with sliding-window layers (llama_kv_cache_iswa) has two:
    build_attn_inp_kv_iswa makes self_kq_mask over the base cache's cells and self_kq_mask_swa
    over the SWA cache's, each [n_kv, n_tokens / n_stream, 1, n_stream] (the same helper, the
    same type).  The graph is reserved on init_full, whose contexts take each cache's whole
    size as n_kv (llama_kv_cache_context: n_kv = kv->get_size()), so the second mask's keys
    are the SWA cache's cells: gpt-oss-20b at n_ubatch 512, 768 x 512 x 2 B = 0.75 MiB beside
    the global layers' mask (2.25 MiB before #23764).  The newest builds no longer pad the
    tokens to GGML_KQ_MASK_PAD (0c1e570's mask is [n_kv, n_tokens / n_stream, 1, n_stream];
    the padding went in a build nnsize does not date, ggerganov's "ggml : remove KQ mask
    padding", ggml-org/llama.cpp#16309, set out to), so "f16" keeps the micro-batch as it is
    and "f32+f16" pads it as 434f71a did; the two agree at an n_ubatch that is a multiple of
    64 (512, the default).  Checked on 0c1e570 (CPU, a zero-weight
    Gemma-3-shaped GGUF: tests/memory/test_engine_logs.py): 32,768 cells at n_ubatch 100 under
    flash attention, a 32,768 x 100 x 2 B mask."""
    if not flash_attention:
        per_value = 4
    else:
        per_value = 2 + (4 if kind == "f32+f16" else 0)
    if kind == "f16":
        return tokens, per_value
    return -(-tokens // KQ_MASK_PAD) * KQ_MASK_PAD, per_value


def paged(tokens: int, block_tokens: int) -> int:
    """Tokens a paged cache holds for a sequence: whole blocks."""
    return -(-tokens // block_tokens) * block_tokens


DEFAULT = "transformers"  # the engine when nothing the user gave names one


def default_engine(dtype: str = "", stored_format: str = "") -> str:
    """The engine memory, fit and speed use when none is asked, chosen by what the user gave:
    a GGUF file, or a llama.cpp type as the precision (Q4_K_M, q8_0, gguf:...), is served by
    llama.cpp; anything else by transformers (DEFAULT).  Every surface calls this one rule, and
    every answer names the engine it used, so memory, fit and speed never disagree."""
    if stored_format.lower() == "gguf":
        return "llama.cpp"
    key = dtype.strip().lower()
    if key.startswith("gguf:") or key.endswith("-block"):
        return "llama.cpp"
    from .gguf_mix import FTYPES

    if key.upper().replace("-", "_") in FTYPES and key not in ("bf16", "f16", "f32"):
        return "llama.cpp"
    if re.fullmatch(r"(i?q\d|tq\d)[a-z0-9_]*", key):
        return "llama.cpp"
    return DEFAULT


def as_transformers(engine: str) -> bool:
    """Whether engine keeps the cache as transformers does: transformers itself, and the
    engines with no published allocation, which are planned as transformers allocates."""
    return engine == "transformers" or find_engine(engine).allocation is None
