"""The KV cache, as transformers fills it: key and value heads per token per layer; sliding-
window layers keep window - 1 past tokens; multi-head latent attention its latent."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from ..errors import NnsizeError
from ..model import AttentionLayer, EncoderDecoder, Report
from ..precision import Precision
from .bits import to_bytes
from .engines import as_transformers as as_transformers  # where the planner reads it

if TYPE_CHECKING:
    from .lines import EncoderDecoderCacheTerms, KvTerms, NoteTerms


def cached_values(layer: AttentionLayer, latent: bool) -> int:
    """Values one layer caches per token: its latent (MLA, compressed), every head's key and
    value (MLA expanded), or its key-value heads' keys and values, and a sparse-attention
    indexer's key beside them (DynamicIndexedLayer's indexer_keys, at the cache's dtype); none
    where it reads another layer's.  GLM-5: 512 + 64 latent + 128 indexer = 704."""
    if layer.shared_kv:
        return 0
    if layer.values_are_keys:
        return layer.kv_heads * layer.key_dim + layer.index_dim
    if layer.latent_dim is not None:  # and a sparse-attention indexer's key (DSA), if any
        attention = layer.latent_dim if latent else layer.heads * (layer.key_dim +
                                                                   layer.value_dim)
        return attention + layer.index_dim
    return layer.kv_heads * (layer.key_dim + layer.value_dim) + layer.index_dim


def compressed_values(layer: AttentionLayer, context: int) -> tuple[int, int, int, int]:
    """(entries, pending tokens, carried slots, values at the cache's dtype) a compressing
    layer keeps of context tokens beside its window (AttentionLayer.compress_ratio; none for
    any other): context // ratio entries, context % ratio pending tokens, and ratio carried
    slots once a group has closed.  Its float32 values are carried x carry_float32_dim.

    DeepSeek-V4 as transformers keeps it (DeepseekV4CSACache and DeepseekV4HCACache,
    models/deepseek_v4/modeling_deepseek_v4.py at v5.25.0): compressed_kv, one entry per closed
    group (the compressor's head_dim, and on a CSA layer its indexer's index_head_dim);
    buffer_kv and buffer_gate, the projections of the tokens of the open group (HCA: head_dim
    each; CSA: 2 x head_dim and 2 x index_head_dim each, its two overlapping series); on a CSA
    layer, overlap_kv and overlap_gate, the last closed group's first series (ratio x (head_dim
    + index_head_dim)), the gate in float32 (the gate plus the float32 position_bias, which
    _keep_in_fp32_modules_strict keeps in float32).  V4-Flash's CSA layer at 10 tokens (ratio
    4, 512 + 128): 2 entries x 640 + 2 pending x 2,560 + 4 carried x 640 = 8,960 values, and
    4 x 640 = 2,560 in float32."""
    ratio = layer.compress_ratio
    if not ratio or layer.shared_kv:
        return 0, 0, 0, 0
    entries, pending = divmod(context, ratio)
    carried = ratio if entries and (layer.carry_dim or layer.carry_float32_dim) else 0
    return entries, pending, carried, \
        entries * layer.compressed_dim + pending * layer.pending_dim + carried * layer.carry_dim


# a serving engine keeps a sparse-attention indexer's keys in a format of its own: vLLM in fp8
# with an fp32 scale per 128 values, index_head_dim + index_head_dim / 128 x 4 bytes a token
# and layer (132 for 128), whatever the cache's dtype (Indexer.__init__'s k_cache, a
# DeepseekV32IndexerCache of uint8: vllm/model_executor/models/deepseek_v2.py at
# vllm-project/vllm@002d6073aa034d4f5545d45021b0e56d1f3c3593)
INDEXER_ENGINES = (
    "the KV cache of a model with a sparse-attention indexer (DeepSeek-V3.2, GLM-5) is planned "
    "as transformers keeps it; a serving engine keeps the indexer's keys its own way (vLLM: in "
    "fp8 with an fp32 scale per 128 values, 132 bytes a token and layer for an index_head_dim "
    "of 128), which nnsize does not model: plan it with --engine transformers")
# a compressing cache (DeepSeek-V4's) as another engine keeps it: nnsize has it only as
# transformers keeps it
COMPRESSING_ENGINES = (
    "the KV cache of a model whose layers compress it (DeepSeek-V4's CSA and HCA layers) is "
    "planned as transformers' DynamicCache keeps it (--engine transformers or "
    "transformers-eager); nnsize has not read how a serving engine (vLLM, SGLang, llama.cpp) "
    "keeps it, and transformers' static cache (transformers-compile) has no such layers")
# the engines that keep it in transformers' DynamicCache (transformers' own, and those planned
# as transformers allocates: as_transformers)
DYNAMIC_CACHE = ("transformers", "transformers-eager")


def encoder_decoder_cache(ed: EncoderDecoder, batch: int, context: int, encoder_tokens: int,
                          kv: Precision) -> tuple[int, EncoderDecoderCacheTerms]:
    """(bytes, terms) of transformers' EncoderDecoderCache: batch x layers x (self_values x
    context + cross_values x encoder tokens), at kv's bits.

    whisper-tiny, one sequence of 448 tokens in bf16: 4 layers x (768 x 448 + 768 x 1,500)
    x 2 B = 11,968,512 bytes."""
    from .lines import EncoderDecoderCacheTerms

    self_bytes = to_bytes(batch * ed.layers * ed.self_values * context, kv.bits_per_value)
    cross_bytes = to_bytes(batch * ed.layers * ed.cross_values * encoder_tokens,
                           kv.bits_per_value)
    return self_bytes + cross_bytes, EncoderDecoderCacheTerms(
        batch, ed.layers, ed.self_values, context, ed.cross_values, encoder_tokens, kv,
        self_bytes, cross_bytes)


def kept_tokens(layer: AttentionLayer, context: int, transformers: bool = True,
                images: int = 0) -> int:
    """Past tokens a layer keeps of context: window - 1 on a sliding window, except where the
    window only masks and transformers' cache keeps every token (GPT-Neo's local layers).
    Other engines keep what nnsize has for them (vLLM's registry has no GPT-Neo:
    https://github.com/vllm-project/vllm/blob/bf8e76246223e2c5e9c4df0c72e24250e9f1db36/vllm/model_executor/models/registry.py).
    A cross-attention layer keeps the vision tokens of the sequence's images, whatever the
    context: images x cross_tokens (none for text alone: MllamaTextModel skips the layer)."""
    if layer.cross_tokens is not None:
        return images * layer.cross_tokens
    if not layer.window or (layer.window_masks_only and transformers):
        return context
    return min(context, layer.window - 1)


LLAMA_CPP_SWA_PAD = 256  # llama_kv_cache_iswa pads its SWA cache to 256 cells


def llama_cpp_swa_cells(window: int, cells: int, ubatch: int, sequences: int = 1,
                        full: bool = False) -> int:
    """Cells a stream's sliding-window cache holds in llama.cpp: the window of every sequence
    that shares the stream and one micro-batch, at most the stream's cells of the full cache,
    then padded to 256 (so the cells can exceed a context that is not a multiple of 256):
    GGML_PAD(min(n_ctx_seq, n_swa x (unified ? n_seq_max : 1) + n_ubatch), 256)
    (src/llama-kv-cache-iswa.cpp, ggml-org/llama.cpp 02c28f5:
    https://github.com/ggml-org/llama.cpp/blob/02c28f533ebba3e4ea944fc4a0719a012b3e7097/src/llama-kv-cache-iswa.cpp;
    the window and n_ubatch, not window - 1: the cache must hold the last n_swa tokens and the
    micro-batch being evaluated, ggerganov in https://github.com/ggml-org/llama.cpp/pull/13194).
    gpt-oss (a window of 128) at n_ubatch 512: 640 -> 768 cells; Gemma 3 (1,024): 1,536;
    gpt-oss's unified cache of 4 sequences: 4 x 128 + 512 = 1,024.
    full: --swa-full (llama_context_params.swa_full), where llama_kv_cache_iswa sets size_swa
    = size_base, the stream's cells of the full cache, unpadded (the same file; its log says
    "using full-size SWA cache"): Gemma 3 at 8,192 cells keeps 8,192 on every layer."""
    if full:
        return cells
    pad = LLAMA_CPP_SWA_PAD
    return -(-min(cells, window * sequences + ubatch) // pad) * pad


def llama_cpp_swa_keys(report: Report, cells: int, ubatch: int, sequences: int = 1,
                       full: bool = False) -> int:
    """Cells a stream of llama.cpp's SWA cache holds, the keys of the second KQ mask its
    windowed layers read (engines.kq_mask); 0 where llama.cpp keeps no SWA cache: no layer
    has a window, or every layer has one (run without it, as kv_cache keeps them).  One
    n_swa a model in llama.cpp, so the windows coincide; the largest is taken if not.
    gpt-oss-20b at n_ubatch 512: 768; Gemma 3 at 8,192 cells: 1,536, and under --swa-full
    (full) the full cache's 8,192 (the mask is as wide as the SWA cache it reads)."""
    d = report.decoder
    if d is None:
        return 0
    counts = d.layers.counts()
    windows = {layer.window for layer, _ in counts if layer.window}
    if not windows or all(layer.window for layer, _ in counts):
        return 0
    return max(llama_cpp_swa_cells(window, cells, ubatch, sequences, full)
               for window in windows)


def llama_cpp_streams(sequences: int, context: int, unified: bool) -> tuple[int, int, int]:
    """(streams, cells a stream, sequences a stream) of llama.cpp's KV cache for sequences of
    context tokens each.  Unified (llama-server's default: --parallel auto gives 4 slots and
    kv_unified = true): one stream of sequences x context cells that they share, each
    free to take more than its share; split (--no-kv-unified, or an explicit --parallel
    without -kvu): a stream of context cells a sequence.  llama_kv_cache's K and V are
    [n_embd, kv_size, n_stream] with n_stream = unified ? 1 : n_seq_max, and a stream's
    size n_ctx_seq = unified ? n_ctx : n_ctx / n_seq_max (src/llama-kv-cache.cpp and
    src/llama-context.cpp, ggml-org/llama.cpp 02c28f5; the log prints a stream's cells:
    "size = 1024.00 MiB (2048 cells, 32 layers, 4/4 seqs)" at -c 8192 -np 4).  So the cache
    holds sequences x context cells of every full-attention layer either way; the sliding-
    window cache and the compute buffer's keys differ.  One sequence is one stream."""
    if unified and sequences > 1:
        return 1, sequences * context, sequences
    return sequences, context, 1


def kv_cache(report: Report, batch: int, context: int, kv: Precision,
             latent: bool = True, transformers: bool = True, llama_cpp: bool = False,
             ubatch: int = 0, unified: bool = False, images: int = 0,
             engine: str = "transformers", model: Precision | None = None,
             peak: bool = False, swa_full: bool = False
             ) -> tuple[int, KvTerms | None, list[NoteTerms]]:
    """(bytes, the terms of the arithmetic, notes as (key, terms)): batch x the sum over
    layers of tokens kept x values per token, at kv's bits; transformers: the cache as
    transformers keeps it (as_transformers of the engine); llama_cpp: a window on every
    layer keeps every cell of the context, as llama.cpp runs such models without one
    (Mistral-7B converts to its "llama" architecture, which reads no sliding window, and
    Phi-3's is disabled: src/llama-model.cpp load_hparams, ggml-org/llama.cpp a5410f0 and
    https://github.com/ggml-org/llama.cpp/pull/13676); models that mix windowed and global
    layers (Gemma 2 and 3, gpt-oss) keep their windows, in llama.cpp as its SWA cache sizes
    them (llama_cpp_swa_cells, ubatch its n_ubatch), in one stream a sequence or, unified,
    one stream the batch shares (llama_cpp_streams: batch is then 1 and shared the
    sequences, each still with its own state-space state), or under --swa-full (swa_full)
    every cell of the stream, as the global layers; without ubatch (speed's cells read a
    step) the window - 1 past tokens.  images: a sequence's, whose vision tokens
    cross-attention layers cache (kept_tokens); their cache is no token's, so the per-token
    note leaves them out.  A state-space or linear-attention model's state, one a sequence,
    is at the dtypes engine keeps it at (memory.state: model, the model's dtype; not kv's).
    peak: the most the cache held on the way to context (peak_context), where a compressing
    cache held more before it than at it (the memory a sequence that reaches context needs);
    the terms then say at which context (KvTerms.peak)."""
    from .lines import (
        CompressedCacheNote,
        CompressedPart,
        CrossAttentionNote,
        DsaIndexerNote,
        KvPerTokenNote,
        KvTerms,
        MlaExpandedNote,
        MlaLatentNote,
        SlidingWindowNote,
    )
    from .state import state_parts

    d = report.decoder
    if d is None:
        return 0, None, []
    streams, cells, sequences = llama_cpp_streams(batch, context, unified) if llama_cpp and \
        ubatch else (batch, context, 1)
    values = 0
    notes: list[NoteTerms] = []
    groups: dict[tuple[int, int], int] = {}
    counts = d.layers.counts()  # each distinct layer once, with how many are like it
    indexed = sum(n for layer, n in counts if layer.index_dim and not layer.shared_kv)
    if indexed and not transformers:
        raise NnsizeError(INDEXER_ENGINES)
    compressing = [(layer, n) for layer, n in counts if layer.compress_ratio and
                   not layer.shared_kv]
    if compressing and not (transformers or engine in DYNAMIC_CACHE):
        raise NnsizeError(COMPRESSING_ENGINES)
    if compressing and (model or kv).name == "fp16":
        # from_pretrained(dtype=float16) keeps _keep_in_fp32_modules in float32: the
        # compressors' kv_proj and gate_proj, which then meet fp16 activations (F.linear:
        # "expected m1 and m2 to have the same dtype"; tests/architectures/
        # test_compressing_cache.py)
        raise NnsizeError("transformers does not run DeepSeek-V4's compressing layers at fp16: "
                          "from_pretrained keeps their compressors' projections in float32 "
                          "(_keep_in_fp32_modules), which fp16 activations then meet; plan "
                          "it at bf16 or fp32")
    unwindowed = llama_cpp and bool(counts) and all(layer.window for layer, _ in counts)
    for layer, n in counts:
        if llama_cpp and ubatch and layer.window and not unwindowed:
            tokens = llama_cpp_swa_cells(layer.window, cells, ubatch, sequences, swa_full)
        else:
            tokens = cells if unwindowed and layer.cross_tokens is None else \
                kept_tokens(layer, cells, transformers, images)
        per_token = cached_values(layer, latent)
        if per_token and tokens:  # (a cross-attention layer of a text-only request: none)
            groups[(tokens, per_token)] = groups.get((tokens, per_token), 0) + n
        values += n * tokens * per_token
    # a compressing cache's entries, pending tokens and carried group (compressed_values)
    compressed = []
    carried_float32 = 0
    for layer, n in compressing:
        entries, pending, carried, own = compressed_values(layer, cells)
        values += n * own
        carried_float32 += n * carried * layer.carry_float32_dim
        compressed.append(CompressedPart(n, layer.compress_ratio, entries,
                                         layer.compressed_dim, pending, layer.pending_dim,
                                         carried, layer.carry_dim, layer.carry_float32_dim))
    # a state-space model's fixed state, one a sequence whether or not the streams are shared
    state = state_parts(d, engine, kv, model or kv)
    total = to_bytes(streams * values, kv.bits_per_value) + \
        batch * sum(part.state_bytes for part in state) + \
        to_bytes(streams * carried_float32, 32)
    per_token = sum(n * cached_values(layer, latent) for layer, n in counts
                    if layer.cross_tokens is None)
    crossing = sum(n for layer, n in counts if layer.cross_tokens is not None)
    if compressing:  # a token's share of the cache depends on the context
        notes.append(CompressedCacheNote(
            sum(n for _, n in compressing), len(d.layers),
            tuple(sorted({layer.compress_ratio for layer, _ in compressing})),
            max(layer.window or 0 for layer, _ in compressing), context,
            total // max(batch * context, 1)))
    else:
        notes.append(KvPerTokenNote(to_bytes(per_token, kv.bits_per_value), kv, crossing > 0))
    first = d.layers[0] if len(d.layers) else None
    if first is not None and first.latent_dim is not None:
        expanded = to_bytes(batch * context * len(d.layers) * first.heads *
                            (first.key_dim + first.value_dim), kv.bits_per_value)
        notes.append(MlaLatentNote(expanded) if latent else MlaExpandedNote())
    if indexed:
        notes.append(DsaIndexerNote(indexed, max(layer.index_dim for layer, _ in counts)))
    if any(layer.window for layer, _ in counts) and not unwindowed:
        windowed = sum(n for layer, n in counts if layer.window and not layer.shared_kv and
                       not (layer.window_masks_only and transformers))
        masked = sum(n for layer, n in counts if layer.window and layer.window_masks_only and
                     transformers)
        swa = next((llama_cpp_swa_cells(layer.window, cells, ubatch, sequences, swa_full)
                    for layer, _ in counts if layer.window), 0) if llama_cpp and ubatch else 0
        notes.append(SlidingWindowNote(windowed, len(d.layers), masked, swa, ubatch,
                                       sequences, swa_full and bool(swa)))
    if crossing:
        tile_tokens = next(layer.cross_tokens for layer, _ in counts
                           if layer.cross_tokens is not None) // max(d.image_tiles, 1)
        notes.append(CrossAttentionNote(crossing, len(d.layers), images, d.image_tiles,
                                        tile_tokens, False))
    terms = KvTerms(streams, kv, d.state_values,
                    tuple((n, tokens, per) for (tokens, per), n in groups.items()),
                    shared=sequences if sequences > 1 else 0, state_parts=state,
                    compressed=tuple(compressed))
    if peak and compressing and not llama_cpp:
        def at(m: int) -> tuple[int, KvTerms | None, list[NoteTerms]]:
            return kv_cache(report, batch, m, kv, latent, transformers, llama_cpp, ubatch,
                            unified, images, engine, model, swa_full=swa_full)

        m = peak_context([layer.compress_ratio for layer, _ in compressing], context,
                         lambda m: at(m)[0])
        if m != context:  # the notes stay those of context; the line holds the peak's
            most, most_terms, _ = at(m)
            if most_terms is not None:
                return most, replace(most_terms, peak=m, context=context), notes
    return total, terms, notes


def peak_context(ratios: list[int], context: int, cache: Callable[[int], int]) -> int:
    """The context m <= context at which cache(m) is largest (the latest where several tie, so
    context itself where nothing before it held more): a compressing cache is not monotone in
    the context, as each group of ratio tokens that closes folds its pending tokens into one
    entry (DeepSeek-V4-Flash at bf16: 5,477,120 B a sequence fewer at 128 tokens than at
    127), and a sequence that reaches context has passed through every m before it.

    Beside the pending tokens (m % ratio, each layer's) everything the cache holds grows with
    m (a window's tokens, the entries, the carried group), so cache(m + L) >= cache(m) for L
    the ratios' least common multiple, and the largest is among the last L contexts: at
    context, or just before a group closes (m + 1 a multiple of a ratio), where the pending
    tokens are most.  V4-Flash (ratios 4 and 128): at 1,000 tokens the peak is at 895 (127
    pending tokens of 128 and 3 of 4)."""
    span = math.lcm(*ratios) if ratios else 1
    ends = {q * r - 1 for r in ratios for q in range(max(context - span, 0) // r + 1,
                                                       context // r + 1)}
    best, most = context, cache(context)
    for m in sorted((m for m in ends if 0 < m < context), reverse=True):
        value = cache(m)
        if value > most:
            best, most = m, value
    return best


def llama_cpp_layer_bytes(report: Report, batch: int, context: int, kv: Precision,
                          ubatch: int, latent: bool = True, unified: bool = False,
                          swa_full: bool = False) -> list[int]:
    """Each decoder layer's KV cache in llama.cpp, first to last, as kv_cache counts it: a
    windowed layer of a model that mixes windowed and global layers its SWA cells
    (llama_cpp_swa_cells), the others every cell of the context, in the streams of
    llama_cpp_streams (swa_full: --swa-full, the windowed layers' as the others'); -ngl puts
    the last N layers' own caches on the GPU (Gemma 3's global layers are every sixth,
    gpt-oss's every other)."""
    d = report.decoder
    if d is None:
        return []
    streams, cells, sequences = llama_cpp_streams(batch, context, unified)
    layers = list(d.layers)
    unwindowed = bool(layers) and all(layer.window for layer in layers)
    out = []
    for layer in layers:
        if layer.window and not unwindowed:
            tokens = llama_cpp_swa_cells(layer.window, cells, ubatch, sequences, swa_full)
        else:
            tokens = cells
        out.append(to_bytes(streams * tokens * cached_values(layer, latent),
                            kv.bits_per_value))
    return out
