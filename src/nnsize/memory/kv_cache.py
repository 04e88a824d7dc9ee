"""The KV cache, as transformers fills it: key and value heads per token per layer; sliding-
window layers keep window - 1 past tokens; multi-head latent attention its latent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import NnsizeError
from ..model import AttentionLayer, EncoderDecoder, Report
from ..precision import Precision
from .bits import to_bytes

if TYPE_CHECKING:
    from .lines import EncoderDecoderCacheTerms, KvTerms, NoteTerms


def cached_values(layer: AttentionLayer, latent: bool) -> int:
    """Values one layer caches per token: its latent (MLA, compressed), every head's key and
    value (MLA expanded), or its key-value heads' keys and values, and a sparse-attention
    indexer's key beside them (DynamicIndexedLayer's indexer_keys, at the cache's dtype); none
    where it reads another layer's.  GLM-5: 512 + 64 latent + 128 indexer = 704."""
    if layer.shared_kv:
        return 0
    if layer.latent_dim is not None:  # and a sparse-attention indexer's key (DSA), if any
        attention = layer.latent_dim if latent else layer.heads * (layer.key_dim +
                                                                   layer.value_dim)
        return attention + layer.index_dim
    return layer.kv_heads * (layer.key_dim + layer.value_dim) + layer.index_dim




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


def as_transformers(engine: str) -> bool:
    """Whether engine keeps the cache as transformers does: transformers itself, and the
    engines with no published allocation, which are planned as transformers allocates."""
    from ..engines import find_engine

    return engine == "transformers" or find_engine(engine).allocation is None


def kept_tokens(layer: AttentionLayer, context: int, transformers: bool = True) -> int:
    """Past tokens a layer keeps of context: window - 1 on a sliding window, except where the
    window only masks and transformers' cache keeps every token (GPT-Neo's local layers).
    Other engines keep what nnsize has for them (vLLM's registry has no GPT-Neo:
    https://github.com/vllm-project/vllm/blob/bf8e76246223e2c5e9c4df0c72e24250e9f1db36/vllm/model_executor/models/registry.py)."""
    if not layer.window or (layer.window_masks_only and transformers):
        return context
    return min(context, layer.window - 1)


LLAMA_CPP_SWA_PAD = 256  # llama_kv_cache_iswa pads its SWA cache to 256 cells


def llama_cpp_swa_cells(window: int, context: int, ubatch: int) -> int:
    """Cells a sequence's sliding-window cache holds in llama.cpp: the window and one micro-
    batch, at most the context, then padded to 256 (so the cells can exceed a context that is
    not a multiple of 256): GGML_PAD(min(n_ctx, n_swa + n_ubatch), 256)
    (src/llama-kv-cache-iswa.cpp, ggml-org/llama.cpp 02c28f5:
    https://github.com/ggml-org/llama.cpp/blob/02c28f533ebba3e4ea944fc4a0719a012b3e7097/src/llama-kv-cache-iswa.cpp;
    the window and n_ubatch, not window - 1: the cache must hold the last n_swa tokens and the
    micro-batch being evaluated, ggerganov in https://github.com/ggml-org/llama.cpp/pull/13194).
    gpt-oss (a window of 128) at n_ubatch 512: 640 -> 768 cells; Gemma 3 (1,024): 1,536."""
    pad = LLAMA_CPP_SWA_PAD
    return -(-min(context, window + ubatch) // pad) * pad


def kv_cache(report: Report, batch: int, context: int, kv: Precision,
             latent: bool = True, transformers: bool = True, llama_cpp: bool = False,
             ubatch: int = 0) -> tuple[int, KvTerms | None, list[NoteTerms]]:
    """(bytes, the terms of the arithmetic, notes as (key, terms)): batch x the sum over
    layers of tokens kept x values per token, at kv's bits; transformers: the cache as
    transformers keeps it (as_transformers of the engine); llama_cpp: a window on every
    layer keeps every cell of the context, as llama.cpp runs such models without one
    (Mistral-7B converts to its "llama" architecture, which reads no sliding window, and
    Phi-3's is disabled: src/llama-model.cpp load_hparams, ggml-org/llama.cpp a5410f0 and
    https://github.com/ggml-org/llama.cpp/pull/13676); models that mix windowed and global
    layers (Gemma 2 and 3, gpt-oss) keep their windows, in llama.cpp as its SWA cache sizes
    them (llama_cpp_swa_cells, ubatch its n_ubatch; a sequence each, as with --no-kv-unified:
    llama-server's unified cache shares n_swa x sequences + n_ubatch cells, fewer); without
    ubatch (speed's cells read a step) the window - 1 past tokens."""
    from .lines import (
        DsaIndexerNote,
        KvPerTokenNote,
        KvTerms,
        MlaExpandedNote,
        MlaLatentNote,
        SlidingWindowNote,
    )

    d = report.decoder
    if d is None:
        return 0, None, []
    values = 0
    notes: list[NoteTerms] = []
    groups: dict[tuple[int, int], int] = {}
    counts = d.layers.counts()  # each distinct layer once, with how many are like it
    indexed = sum(n for layer, n in counts if layer.index_dim and not layer.shared_kv)
    if indexed and not transformers:
        raise NnsizeError(INDEXER_ENGINES)
    unwindowed = llama_cpp and bool(counts) and all(layer.window for layer, _ in counts)
    for layer, n in counts:
        if llama_cpp and ubatch and layer.window and not unwindowed:
            tokens = llama_cpp_swa_cells(layer.window, context, ubatch)
        else:
            tokens = context if unwindowed else kept_tokens(layer, context, transformers)
        per_token = cached_values(layer, latent)
        if per_token:
            groups[(tokens, per_token)] = groups.get((tokens, per_token), 0) + n
        values += n * tokens * per_token
    values += d.state_values  # a state-space model's fixed state, a sequence
    total = to_bytes(batch * values, kv.bits_per_value)
    per_token = sum(n * cached_values(layer, latent) for layer, n in counts)
    notes.append(KvPerTokenNote(to_bytes(per_token, kv.bits_per_value), kv))
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
        cells = next((llama_cpp_swa_cells(layer.window, context, ubatch) for layer, _ in counts
                      if layer.window), 0) if llama_cpp and ubatch else 0
        notes.append(SlidingWindowNote(windowed, len(d.layers), masked, cells, ubatch))
    terms = KvTerms(batch, kv, d.state_values,
                    tuple((n, tokens, per) for (tokens, per), n in groups.items()))
    return total, terms, notes


def llama_cpp_layer_bytes(report: Report, batch: int, context: int, kv: Precision,
                          ubatch: int, latent: bool = True) -> list[int]:
    """Each decoder layer's KV cache in llama.cpp, first to last, as kv_cache counts it: a
    windowed layer of a model that mixes windowed and global layers its SWA cells
    (llama_cpp_swa_cells), the others every cell of the context; -ngl puts the last N layers'
    own caches on the GPU (Gemma 3's global layers are every sixth, gpt-oss's every other)."""
    d = report.decoder
    if d is None:
        return []
    layers = list(d.layers)
    unwindowed = bool(layers) and all(layer.window for layer in layers)
    out = []
    for layer in layers:
        if layer.window and not unwindowed:
            tokens = llama_cpp_swa_cells(layer.window, context, ubatch)
        else:
            tokens = context
        out.append(to_bytes(batch * tokens * cached_values(layer, latent), kv.bits_per_value))
    return out
