"""The shape of a language model a count records: its layers' attention (KV cache), its
decoder, an encoder-decoder's encoder."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

@record
class AttentionLayer:
    """What one decoder layer keeps per token in its KV cache.

    kv_heads x (key_dim + value_dim) values a token, or, for multi-head latent attention
    (DeepSeek), latent_dim values (the compressed cache serving engines keep).  window: a sliding
    window's length (the cache holds window - 1 past tokens, as transformers keeps them).
    cross_tokens: a cross-attention layer's (Llama 3.2 Vision's): it caches the keys and values
    of the vision tokens an image gives, cross_tokens of them, once a request, not the context's.
    """

    heads: int
    kv_heads: int
    key_dim: int
    value_dim: int
    window: int | None = None
    latent_dim: int | None = None
    # reads the keys and values an earlier layer cached (Gemma 3n's and Gemma 4's last
    # num_kv_shared_layers layers): it attends, and caches nothing of its own
    shared_kv: bool = False
    # attends through its window but transformers' cache keeps every token: GPT-Neo's local
    # layers (its config has neither sliding_window nor layer_types, so DynamicCache gives each
    # layer a DynamicLayer; tests/architectures/test_windows.py measures the cache)
    window_masks_only: bool = False
    # tokens one image gives a cross-attention layer's cache (None: a self-attention layer)
    cross_tokens: int | None = None
    # DeepSeek Sparse Attention (DeepSeek-V3.2, GLM-5): the indexer's one key a token,
    # index_head_dim values, cached beside the latent (transformers' DynamicIndexedLayer)
    index_dim: int = 0
    # keeps its keys once and reads them as its values: kv_heads x key_dim values a token
    # (DeepSeek-V4's compressing layers: DeepseekV4HCACache.update sets values = keys)
    values_are_keys: bool = False
    # a compressing cache beside the window (DeepSeek-V4's CSA and HCA layers): of a context of
    # n tokens, n // compress_ratio entries of compressed_dim values; the n % compress_ratio
    # tokens of the group not yet closed, pending_dim values each; once a group has closed, the
    # last one carried, compress_ratio slots of carry_dim values at the cache's dtype and of
    # carry_float32_dim in float32 (memory.kv_cache.compressed_values)
    compress_ratio: int = 0
    compressed_dim: int = 0
    pending_dim: int = 0
    carry_dim: int = 0
    carry_float32_dim: int = 0


Run = tuple[tuple[AttentionLayer, ...], int]  # a block of consecutive layers, and its repeats


@record
class Layers:
    """A decoder's attention layers as runs of repeated blocks, so that a model of 10^15 layers
    (or of 10^6 alternating local and global ones) is a few entries:

        Layers.periodic((local, global), 5)  ->  local global local global local
    """

    runs: tuple[Run, ...]

    @staticmethod
    def of(layers: Iterable[AttentionLayer]) -> Layers:
        """Layers listed one by one; equal neighbours merge into one run."""
        runs: list[list[Any]] = []
        for layer in layers:
            if runs and runs[-1][0] == (layer,):
                runs[-1][1] += 1
            else:
                runs.append([(layer,), 1])
        return Layers(tuple((block, n) for block, n in runs))

    @staticmethod
    def periodic(block: tuple[AttentionLayer, ...], count: int) -> Layers:
        """count layers that repeat block, the last repeat cut short where count ends."""
        whole, rest = divmod(count, len(block))
        runs = [(block, whole)] if whole else []
        return Layers(tuple(runs + ([(block[:rest], 1)] if rest else [])))

    def __len__(self) -> int:
        return sum(len(block) * n for block, n in self.runs)

    def __getitem__(self, i: int) -> AttentionLayer:
        if i < 0:
            i += len(self)
        for block, n in self.runs:
            if 0 <= i < len(block) * n:
                return block[i % len(block)]
            i -= len(block) * n
        raise IndexError("layer index out of range")

    def __iter__(self) -> Iterator[AttentionLayer]:
        """Every layer one by one (meant for small models and tests; see counts())."""
        for block, n in self.runs:
            for _ in range(n):
                yield from block

    def split_counts(self, at: int) -> list[tuple[AttentionLayer, int, int]]:
        """Each distinct layer with how many like it come before index at, and from at on."""
        out: dict[AttentionLayer, list[int]] = {}
        position = 0
        for block, n in self.runs:
            for j, layer in enumerate(block):
                first = position + j  # this layer's indexes: first + k x len(block), k < n
                # how many of them are >= at: k >= ceil((at - first) / len(block))
                skip = min(n, max(0, -(-(at - first) // len(block))))
                counts = out.setdefault(layer, [0, 0])
                counts[0] += skip
                counts[1] += n - skip
            position += len(block) * n
        return [(layer, before, after) for layer, (before, after) in out.items()]

    def counts(self) -> list[tuple[AttentionLayer, int]]:
        """Each distinct layer with how many layers are like it, in order of first use."""
        out: dict[AttentionLayer, int] = {}
        for block, n in self.runs:
            for layer in block:
                out[layer] = out.get(layer, 0) + n
        return list(out.items())


@record
class StateMixer:
    """The sizes vLLM shapes one non-attention layer's state from (its
    MambaStateShapeCalculator, memory.vllm_kv): every such layer of a model is alike.

    kind      mamba1: conv (inner, kernel - 1), SSM (inner, state);
              mamba2: conv (inner + 2 x groups x state, kernel - 1), SSM (heads, head_dim, state);
              short_conv: conv (inner, kernel - 1) (LFM2: inner is the hidden size);
              gated_delta_net: conv (2 x key_heads x key_dim + heads x head_dim, kernel - 1),
              recurrent (heads, head_dim, key_dim) (Qwen3-Next: heads are the value heads)
              kda: Kimi Linear's delta attention, as transformers keeps it alone (memory.state):
              conv (3 x heads x head_dim, kernel), recurrent (heads, head_dim, head_dim) in
              float32; how vLLM shapes it is not read (vllm_kv refuses it)
              lightning: MiniMax's lightning attention, as transformers keeps it alone: a
              state (heads, head_dim, head_dim) at the model's dtype, no conv; a prompt runs
              in blocks of `block` tokens (compute.py)
    ssm_dtype the dtype vLLM keeps the SSM or recurrent state at where the model's config
              hook picks one (Qwen3.5: its config's mamba_ssm_dtype; Nemotron-H: its
              mamba_ssm_cache_dtype, else float32); "": the model's dtype
    """

    kind: str
    layers: int  # how many layers keep such a state
    inner: int
    kernel: int
    state: int = 0
    heads: int = 0
    head_dim: int = 0
    groups: int = 0
    key_heads: int = 0
    key_dim: int = 0
    ssm_dtype: str = ""
    block: int = 0  # lightning: the tokens of a prompt's block (MiniMax's block_size)


@record
class Decoder:
    """The shape of a decoder-only language model, for the memory and compute planner."""

    hidden: int
    intermediate: int
    vocab: int
    layers: Layers
    experts_per_token: int = 0  # 0: dense
    expert_intermediate: int = 0
    # Learned position embeddings: the longest sequence the model can read (0: no such table;
    # rotary and ALiBi models have no hard limit, only the length they were trained at).
    positions: int = 0
    # values one sequence keeps whatever its length (Mamba's convolution and SSM state)
    state_values: int = 0
    # feature tokens one image becomes in the context (image-text models; 0: text only)
    image_tokens: int = 0
    # tiles an image is cut into for the cross-attention layers (Llama 3.2 Vision's
    # max_num_tiles: each layer's cross_tokens are tiles x tokens a tile; 0: none)
    image_tiles: int = 0
    # SSM state elements over all state-space layers (Mamba: inner x N a layer; Mamba-2:
    # heads x head_dim x N): a token updates each (h = dA h + dB x) and reads it (y = C h)
    scan_values: int = 0
    # state-space layers, beside the attention layers in `layers` (Mamba: all of them; Jamba:
    # those that are not attention)
    state_layers: int = 0
    # the non-attention layers' state as vLLM shapes it (memory.vllm_kv); None: none, or one
    # nnsize does not describe (Zamba, whose Mamba vLLM does not run)
    mixer: StateMixer | None = None
    # layers beside those in `layers` and the state layers that keep no cache and no state:
    # an MLP alone, or an attention that is one hidden x hidden matrix (Nemotron-NAS's no_op and
    # replace_with_linear attention); the model's depth is len(layers) + state_layers + these
    bare_layers: int = 0
    # (width, layers) of each gated MLP width where the layers' MLPs differ (Nemotron-NAS's
    # ffn_mult a layer), widest first; intermediate is then the widest (one layer's step, the
    # workspace's); (): every layer's MLP is intermediate wide.  Layers whose MLP is none or one
    # hidden x hidden matrix are in no entry.
    mlp_widths: tuple[tuple[int, int], ...] = ()

    @property
    def depth(self) -> int:
        """The decoder's layers: those that attend, keep a state, or neither."""
        return len(self.layers) + self.state_layers + self.bare_layers

    @property
    def varied(self) -> str:
        """What sets its layers apart where nnsize's models of a layer (training's activations,
        parallel layouts, llama.cpp's offload and GGUF mixes) take one layer for all: "" where
        nothing does."""
        said = []
        if self.bare_layers:
            said.append(f"{self.bare_layers:,} of its {self.depth:,} layers without attention")
        if self.mlp_widths:
            widths = [w for w, _ in self.mlp_widths]
            said.append(f"MLPs {min(widths):,} to {max(widths):,} wide" if len(widths) > 1
                        else f"{sum(n for _, n in self.mlp_widths):,} MLPs {widths[0]:,} "
                             f"wide and the others none or one matrix")
        return ", ".join(said)


@record
class EncoderDecoder:
    """An encoder-decoder's caches, as transformers' EncoderDecoderCache keeps them: every
    decoder layer caches self-attention keys and values per decoder token, and cross-attention
    keys and values per encoder token (computed once from the encoder's output).

        bytes = batch x layers x (self_values x decoder tokens + cross_values x encoder tokens)
                x bytes per value
    """

    layers: int  # decoder layers, each with self- and cross-attention
    self_values: int  # per decoder token and layer: 2 x heads x head_dim
    cross_values: int  # per encoder token and layer: 2 x heads x head_dim
    # the encoder's fixed length (Whisper: max_source_positions, 1,500 frames for 30 s of
    # audio); 0: a text encoder, as long as its input
    encoder_length: int = 0
