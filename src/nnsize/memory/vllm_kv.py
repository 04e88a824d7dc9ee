"""vLLM V1's KV cache groups: how its KV cache manager cuts the memory left for the cache
when a model's layers are not all alike (sliding windows beside full attention: Gemma 2 and
3, gpt-oss, Cohere2).

The rules, from vllm-project/vllm 001cabc1be16a59a70d720ed61a13b678c060a18
(vllm/v1/core/kv_cache_utils.py, vllm/v1/kv_cache_interface.py):

- Each layer has a spec: full attention, or a sliding window of w tokens (SlidingWindowSpec),
  each with its page = block_size (16) x bytes a token (2 x KV heads a rank x head size x
  dtype bytes; MLAAttentionSpec: one "head" of kv_lora_rank + qk_rope_head_dim).
- One spec for every layer, or one type (all full attention, or all the same window) with
  different sizes (UniformTypeKVCacheSpecs, vllm-project/vllm#25101): one group; blocks =
  memory // (the sum of the layers' pages), tokens = blocks x 16 -- the bytes of a token over
  all layers, memory.serving's uniform path.
- Otherwise (get_kv_cache_groups -> _get_kv_cache_groups_uniform_page_size): the smaller pages
  are unified to the largest by a larger block size (unify_kv_cache_spec_page_size; a page
  that does not divide the largest is refused); the layers of each spec are split into groups
  of group_size layers, the last of each padded: group_size is the smallest spec's layer
  count, or the largest's where it is under 1.5 x the smallest (vllm-project/vllm#29303,
  merged 2025-11-24; before it, always the smallest, the hybrid allocator of
  vllm-project/vllm#11382).  group_size pools of page x blocks bytes are shared by one layer
  of every group (get_kv_cache_config_from_groups), so
      blocks = memory // page // group_size          (get_num_blocks)
      "GPU KV cache size" = blocks // groups x block_size   (_report_kv_cache_config)
- "Maximum concurrency for L tokens per request" (get_max_concurrency_for_kv_cache_config):
  blocks / the blocks one request of L tokens takes over the groups: a full-attention group
  cdiv(L, block_size), a sliding-window group cdiv(min(w - 1 + max_num_batched_tokens, L),
  block_size) + 1 (SlidingWindowSpec.max_memory_usage_bytes).

Gemma 3 27B: 52 sliding-window layers and 10 full, 16 KV heads x 128 x 2 x 2 B = 8,192 B a
token a layer: group_size 10, groups 1 + cdiv(52, 10) = 7 (8 padding layers), page 131,072 B.

State-space and linear-attention layers beside attention (Jamba, Zamba2, Bamba, Falcon-H1,
Granite 4.0 H, Nemotron-H, LFM2, Qwen3-Next): each keeps one fixed state a request (MambaSpec),
the rules from vllm-project/vllm at the commits named:

- its shapes a rank of tp (MambaStateShapeCalculator, 02d710837549a368073552333f66d714477415d2
  vllm/model_executor/layers/mamba/mamba_utils.py, the default "SD" conv layout): mamba1
  conv (kernel - 1, inner / tp) and SSM (inner / tp, N); mamba2 conv (kernel - 1, (inner + 2 x
  groups' x N) / tp) with groups' = groups, or tp where groups does not divide tp
  (extra_groups_for_head_shards), SSM (heads / tp, head_dim, N); short_conv conv (kernel - 1,
  inner / tp); gated delta net conv (kernel - 1, (2 x key_heads x key_dim + heads x
  head_dim) / tp), recurrent (heads / tp, head_dim, key_dim).  A size that does not divide tp
  is refused (vllm.distributed.divide asserts).  The conv state at mamba_cache_dtype, the
  rest at mamba_ssm_cache_dtype, both "auto" by default: the model's dtype
  (MambaStateDtypeCalculator), not the KV cache's -- except where the model's config hook sets
  mamba_ssm_cache_dtype: Qwen3.5 (Qwen3_5ForConditionalGenerationConfig, and its MoE) from its
  config's mamba_ssm_dtype, "float32" in every published one, and its gated delta net then
  keeps the recurrent state at it (gated_delta_net_state_dtype passes mamba_ssm_cache_dtype on:
  stored vLLM text, find_string ids 51780233634 and 54709743432; the index names no commit).
  Nemotron-H (NemotronHForCausalLMConfig) from its config's mamba_ssm_cache_dtype, else
  float32 (vllm-project/vllm#39032; float16, the same 2 bytes as bf16, from #29978 to it, and
  the model's dtype before: vllm-project/vllm#24280's 672-token block for
  Nemotron-Nano-9B-v2).  A vLLM log proves the Qwen3.5 rule: Qwen3.5-27B's state, conv 3 x
  (2 x 16 x 128 + 48 x 128) x 2 B + recurrent 48 x 128 x 128 x 4 B = 3,207,168 B, raises the
  block to 784 tokens (at 2 B, 400).
  page = the sum of the shapes' bytes (MambaSpec.page_size_bytes,
  001cabc1be16a59a70d720ed61a13b678c060a18 vllm/v1/kv_cache_interface.py).
- the attention block grows till an attention page holds a state (HybridAttentionMambaModelConfig,
  1936cf3841edb9781b06c50fc4daf4bac9d3b23e vllm/model_executor/models/config.py; later
  Platform._align_hybrid_block_size, the same rule for mamba_cache_mode "none" and "align"):
  block = 16 x cdiv(state page, 16 x one token's attention bytes), logged "Setting attention
  block size to N tokens"; the state page is padded to block x a token's bytes ("Padding mamba
  page size by X%").  Speculative decoding widens the conv state (num_spec): not modelled.
- the state layers are one more kind in the groups above; the logged tokens divide the
  blocks by every group, the state groups too, times the smallest block size (the
  attention's: a state group's block is max_model_len tokens).

Prefix caching (mamba_cache_mode, vllm/config/cache.py: "none", "align", "all"):

- `vllm serve` takes enable_prefix_caching's default from the model: off for hybrid models
  from vllm-project/vllm#23716 (opened 2025-08-27; vLLM 0.10.2's log in
  tests/data/engine_logs.json: "Hybrid or mamba-based model detected: disabling prefix
  caching") to vLLM 0.27.x (arg_utils: is_prefix_caching_supported and not is_hybrid, "keep
  it opt-in for now while the feature matures"; #29393, opened 2025-11-25, repaired that rule
  where 0.11.2's development builds had turned it on); on from vLLM 0.28.0
  (vllm-project/vllm#50991, opened 2026-08-04: "enable prefix cache for hybrid model by
  default and change the default mode to align").  vllm-project/vllm#40691, vLLM 0.19.0 on
  Qwen3.5-27B without the flag, logs 290,864 tokens and 33.04x: 1,487 blocks // 4 groups x
  784 and 1,487 / (cdiv(32,768, 784) + 3 x 1), one state block a request.  nnsize's vLLM
  profile takes vLLM 0.28's defaults (nnsize.engines.VLLM_ALLOCATION): "align", prefix
  caching on (vllm/engine/arg_utils.py of nnsize.engines.VLLM_SOURCE:
  default_prefix_caching = model_config.is_prefix_caching_supported, hybrid or not);
  --mamba-cache-mode none gives the earlier releases' "none".
- with prefix caching on, MambaModelConfig sets "align" (a model without
  supports_mamba_prefix_caching: Qwen3.5, as its logs show) or "all" (the Mamba-2 prefix
  caching of vllm-project/vllm#25752) and logs "Mamba cache mode is set to '...' for ... by
  default when prefix caching is enabled" (stored vLLM text, find_string id 51780233634);
  "align" came with vllm-project/vllm#30877 (approved 2026-01-19); vLLM 0.28.0 picks "align"
  for every hybrid model (#50991).
- "align" keeps the block of "none" (vllm-project/vllm#40696: vLLM 0.19.1 with
  --enable-prefix-caching sets Qwen3.5-4B's block to 528 tokens, the "none" rule's) and makes a
  request take two state blocks a state group (MambaSpec.max_memory_usage_bytes: page x (2 +
  num_speculative_blocks), quoted in vllm-project/vllm#30877's review, and stored vLLM text,
  find_string id 55641706): a request's blocks, and so the concurrency and the one-request
  check at start-up, grow by a block a state group (vllm-project/vllm#46778: "turning on
  prefix caching reduces the maximum servable context length").
- "all" (--mamba-cache-mode all, with prefix caching on; vLLM 0.28.0's source, the
  vllm-0.28.0 wheel): a state kept at every block boundary of a request.
  Platform._align_hybrid_block_size (vllm/platforms/interface.py) makes the block a multiple
  of the model's Mamba chunk: chunk = lcm(mamba_block_size if set, else
  ModelConfig.get_mamba_chunk_size() -- the config's mamba_chunk_size, else its chunk_size,
  else 2,048 -- and the kernel's block, 16), block = chunk x cdiv(cdiv(state page, one
  token's attention bytes), chunk), and mamba_block_size = that block; a request then takes
  cdiv(max_model_len, block) state blocks in each state group (MambaSpec.
  max_memory_usage_bytes: (cdiv(max_model_len, block_size) + num_speculative_blocks) x page,
  vllm/v1/kv_cache_interface.py).  Only a model class with SupportsMambaPrefixCaching keeps
  "all" (MambaModelConfig, vllm/model_executor/models/config.py: otherwise "falling back to
  'align' mode"): of the hybrids, NemotronHForCausalLM, JambaForCausalLM,
  Zamba2ForCausalLM, GraniteMoeHybridForCausalLM, FalconH1ForCausalLM (PREFIX_CACHING_ALL);
  Bamba, LFM2, Qwen3-Next and Qwen3.5 fall back to "align".  vLLM's later "GPU KV cache
  size" of int(max concurrency x max_model_len) (vllm-project/vllm#38364, #40694 proposed it;
  stored vLLM text, find_string id 55240182351, has it; vLLM 0.28.0's get_kv_cache_capacity)
  is not nnsize's figure (Groups.tokens_by_concurrency gives it).

Nemotron-Nano-9B-v2 in bf16, its SSM state at the model's dtype (the vLLM of
vllm-project/vllm#24280): a Mamba-2 state is conv 3 x (128 x 80 + 2 x 8 x 128) x 2 B + SSM
128 x 80 x 128 x 2 B = 73,728 + 2,621,440 = 2,695,168 B, a token of attention 2 x 8 x 128 x
2 B = 4,096 B: block 16 x cdiv(2,695,168, 65,536) = 672 tokens, page 2,752,512 B (padded
2.13%); with the float32 SSM state of later vLLMs, 16 x cdiv(5,316,608, 65,536) = 1,312.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import lcm, prod
from typing import TYPE_CHECKING, Any

from ..errors import NnsizeError

if TYPE_CHECKING:
    from ..model import StateMixer

SPREAD = 1.5  # vllm-project/vllm#29303: group_size = the largest count where under 1.5 x
# state blocks a request takes in each state group, by mamba_cache_mode
# (MambaSpec.max_memory_usage_bytes: page x 1 without prefix caching, page x 2 in "align");
# "none": `vllm serve`'s default for hybrid models before vLLM 0.28.0, "align" from it
STATE_BLOCKS = {"none": 1, "align": 2}
# every mode of vLLM's CacheConfig.mamba_cache_mode; "all": a state block per block of a request
MAMBA_CACHE_MODES = ("none", "align", "all")
# the hybrid models (transformers' model_type) whose vLLM 0.28.0 class has
# SupportsMambaPrefixCaching, so keep mamba_cache_mode "all"; vLLM runs the others in "align"
PREFIX_CACHING_ALL = ("nemotron_h", "jamba", "zamba2", "granitemoehybrid", "falcon_h1")
# ModelConfig.get_mamba_chunk_size reads the config's mamba_chunk_size, else chunk_size, else
# 2,048 (Mamba-1 has no chunk); a config file without the key has its transformers class's
# default (transformers 5.25: tests/memory/test_vllm_kv.py checks these)
MAMBA_CHUNK_DEFAULTS = {"granitemoehybrid": 256, "falcon_h1": 256, "nemotron_h": 128,
                        "zamba2": 256}
MAMBA1_CHUNK = 2048
# vLLM's MambaDType names -> nnsize's precisions (StateMixer.ssm_dtype; memory.state reads it too)
MAMBA_DTYPES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


@dataclass(frozen=True)
class Caching:
    """How vLLM's model of a family caches a layer otherwise than transformers' model (the
    planner's decoder record, memory.kv_cache): values padded to the keys' width, and a
    sliding window shorter by window_less tokens."""

    values_as_keys: bool
    window_less: int
    source: str


# MiMo-V2-Flash: MiMoV2Attention pads each value head from v_head_dim (128) to head_dim (192)
# before its Attention(head_dim), which caches keys and values head_dim wide, and gives it
# per_layer_sliding_window = sliding_window_size (128), where transformers' MiMoV2FlashConfig
# sets sliding_window = sliding_window_size + 1 (129): a full layer's token at bf16 is
# 2 x 4 KV heads x 192 x 2 B = 3,072 B under vLLM, 4 x (192 + 128) x 2 B = 2,560 B under
# transformers; a sliding layer's window is 128 under vLLM (a request's blocks: the rule for
# SlidingWindowSpec above), 129 under transformers (128 tokens kept before the query)
CACHING: dict[str, Caching] = {
    "mimo_v2_flash": Caching(True, 1, "vllm-project/vllm@91cf2f13c21862c4d7a239c9a33b9025911e27b1"
                                      " vllm/model_executor/models/mimo_v2_flash.py "
                                      "(MiMoV2Attention, MiMoV2FlashDecoderLayer)"),
}


@dataclass(frozen=True)
class Spec:
    """One kind of layer as vLLM's KV cache manager sees it: bytes a token on one rank, and
    its sliding window (None: full attention); or, for a state-space or linear-attention
    layer, state: the bytes of its state on one rank (token_bytes 0)."""

    token_bytes: int
    window: int | None = None
    state: int = 0


def _divide(size: int, tp: int, what: str) -> int:
    if size % tp:
        raise NnsizeError(f"vLLM cannot split {what} ({size:,}) over {tp} tensor-parallel "
                          f"ranks (vllm.distributed.divide asserts it divides)")
    return size // tp


def state_shapes(m: StateMixer, tp: int) -> tuple[tuple[int, ...], ...]:
    """One layer's state shapes on one of tp ranks, as vLLM's MambaStateShapeCalculator gives
    them (conv first).

    Nemotron-Nano-9B-v2 (mamba2, inner 10,240, 8 groups, 128 heads of 80, N 128, kernel 4) at
    tp 1: (3, 12,288), (128, 80, 128)."""
    conv = m.kernel - 1
    if m.kind == "mamba1":
        inner = _divide(m.inner, tp, "the Mamba inner size")
        return (conv, inner), (inner, m.state)
    if m.kind == "mamba2":
        groups = m.groups + (0 if m.groups % tp == 0 else tp - m.groups)
        return ((conv, _divide(m.inner + 2 * groups * m.state, tp, "the Mamba-2 conv size")),
                (_divide(m.heads, tp, "the Mamba-2 heads"), m.head_dim, m.state))
    if m.kind == "short_conv":
        return ((conv, _divide(m.inner, tp, "the short convolution's channels")),)
    if m.kind == "gated_delta_net":
        width = 2 * m.key_heads * m.key_dim + m.heads * m.head_dim
        return ((conv, _divide(width, tp, "the gated delta net's conv size")),
                (_divide(m.heads, tp, "the gated delta net's value heads"), m.head_dim,
                 m.key_dim))
    raise NnsizeError(f"vLLM's state of a {m.kind!r} layer is not modelled")


def state_bytes(m: StateMixer, tp: int, value_bytes: int) -> int:
    """One layer's state bytes on one rank (MambaSpec.page_size_bytes before padding): the conv
    state at value_bytes (mamba_cache_dtype "auto": the model's dtype), the SSM or recurrent
    state at the dtype the model's config fixes (Qwen3.5's mamba_ssm_dtype), else value_bytes.

    Qwen3.5-27B (gated delta net, 16 key heads, 48 value heads of 128, kernel 4, float32) in
    bf16 at tp 1: 3 x 10,240 x 2 B + 48 x 128 x 128 x 4 B = 3,207,168 B."""
    conv, *rest = state_shapes(m, tp)
    from ..precision import find

    ssm_bytes = find(MAMBA_DTYPES[m.ssm_dtype]).bits_per_value // 8 if m.ssm_dtype else \
        value_bytes
    return prod(conv) * value_bytes + sum(prod(shape) * ssm_bytes for shape in rest)


@dataclass(frozen=True)
class Alignment:
    """vLLM's attention block for a model with state layers: block tokens, a token's
    attention bytes, the state's bytes and its padded page."""

    block_tokens: int
    token_bytes: int
    state: int

    @property
    def page(self) -> int:
        return self.block_tokens * self.token_bytes

    @property
    def padding_percent(self) -> float:
        """vLLM's "Padding mamba page size by X%"."""
        return 100 * (self.page - self.state) / self.state


def align(state: int, token_bytes: int, alignment: int = 16, chunk: int = 0) -> Alignment:
    """The attention block that makes a page hold one state: alignment x cdiv(state,
    alignment x token_bytes) tokens (HybridAttentionMambaModelConfig; mamba_cache_mode "none"
    and "align" alike); with chunk (mamba_cache_mode "all": the model's Mamba chunk size),
    c x cdiv(cdiv(state, token_bytes), c) with c = lcm(chunk, alignment)
    (Platform._align_hybrid_block_size)."""
    if chunk:
        c = lcm(chunk, alignment)
        return Alignment(c * _cdiv(_cdiv(state, token_bytes), c), token_bytes, state)
    return Alignment(alignment * _cdiv(state, alignment * token_bytes), token_bytes, state)


def mamba_chunk(config: dict[str, Any]) -> int:
    """ModelConfig.get_mamba_chunk_size for a model's config: its mamba_chunk_size, else its
    chunk_size (where the file lacks both, its transformers class's default:
    MAMBA_CHUNK_DEFAULTS), else 2,048."""
    for key in ("mamba_chunk_size", "chunk_size"):
        value = config.get(key)
        if isinstance(value, int) and value > 0:
            return value
    return MAMBA_CHUNK_DEFAULTS.get(str(config.get("model_type", "")), MAMBA1_CHUNK)


@dataclass(frozen=True)
class Group:
    """A KV cache group: one spec, its layers (the padding included: group_size), its block
    size after page unification."""

    spec: Spec
    layers: int  # real layers in it (group_size less its padding)
    block_tokens: int


@dataclass(frozen=True)
class Groups:
    """vLLM's groups for a hybrid model and what they give from the memory left for the
    cache (kv_bytes)."""

    groups: tuple[Group, ...]
    group_size: int
    page: int  # bytes of one block of one layer, the same in every group
    padding: int  # padding layers added
    kv_bytes: int
    blocks: int  # memory // page // group_size
    tokens: int  # blocks // len(groups) x the smallest block size: vLLM's log
    max_model_len: int
    request_blocks: int  # blocks one request of max_model_len tokens takes over the groups
    chunk: int  # max_num_batched_tokens, for the sliding windows' share of a request
    # state-space layers: vLLM's attention block for them (None: no state layers)
    alignment: Alignment | None = None
    # where vLLM's model of the family caches otherwise than transformers' (CACHING)
    caching: Caching | None = None
    mamba_cache_mode: str = "none"  # "align": prefix caching on (two state blocks a request)
    # "all" asked of a model whose vLLM class keeps no state a block: vLLM runs "align"
    fell_back: bool = False

    @property
    def max_concurrency(self) -> float:
        """blocks / the blocks a request of max_model_len takes (vLLM's log)."""
        return self.blocks / self.request_blocks if self.request_blocks else 0.0

    @property
    def tokens_by_concurrency(self) -> int:
        """The "GPU KV cache size" of a later vLLM: int(max concurrency x max_model_len)
        (stored vLLM text, find_string id 55240182351; not nnsize's figure, `tokens` is)."""
        return int(self.max_concurrency * self.max_model_len)


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def hybrid(counts: list[tuple[Spec, int]]) -> bool:
    """Whether vLLM puts these layers in several groups: more than one kind (full, a
    window's length, a state) of layer; one kind with different sizes is one group
    (UniformTypeKVCacheSpecs)."""
    return len({(spec.window, spec.state > 0) for spec, n in counts if n}) > 1


def group_size(layer_counts: list[int]) -> int:
    """The smallest count, or the largest where it is under 1.5 x the smallest."""
    small, large = min(layer_counts), max(layer_counts)
    return large if large < small * SPREAD else small


def groups(counts: list[tuple[Spec, int]], kv_bytes: int, max_model_len: int,
           chunk: int, block_tokens: int = 16, alignment: Alignment | None = None,
           caching: Caching | None = None, mamba_cache_mode: str = "none",
           fell_back: bool = False) -> Groups:
    """vLLM's groups, blocks, logged tokens and concurrency for layers of these specs (each
    with how many layers have it) in kv_bytes; block_tokens: the attention's block (for
    state layers, alignment's); mamba_cache_mode: "none" (no prefix caching: `vllm serve`'s
    default for hybrid models before 0.28.0) or "align" (prefix caching on: its default from
    0.28.0), how many state blocks a request takes, or "all" (a state block per block_tokens
    of a request; block_tokens is then the Mamba chunk's multiple: align(chunk=)).

    2 full + 4 sliding layers of equal pages in 2 x 32 pages (vLLM's own test,
    tests/v1/core/test_kv_cache_utils.py test_get_kv_cache_config_one_worker): group_size 2,
    3 groups, 32 blocks."""
    if mamba_cache_mode not in MAMBA_CACHE_MODES:
        raise NnsizeError(f"vLLM's mamba_cache_mode {mamba_cache_mode!r} is not modelled "
                          f"(nnsize knows {', '.join(map(repr, MAMBA_CACHE_MODES))})")
    specs: dict[Spec, int] = {}
    for spec, n in counts:
        if n:
            specs[spec] = specs.get(spec, 0) + n
    pages = {spec: block_tokens * spec.token_bytes for spec in specs if not spec.state}
    if not pages:
        raise NnsizeError("vLLM's KV cache groups of state layers alone are not modelled")
    page = max(pages.values())
    blocks_of: dict[Spec, int] = {}
    for spec in specs:
        if spec.state:
            if spec.state > page:
                raise NnsizeError(
                    f"a state of {spec.state:,} bytes does not fit an attention page of "
                    f"{page:,} (vLLM raises the attention block till it does)")
            # MambaSpec's block_size (mamba_block_size): max_model_len, or in "all" the
            # attention's block
            blocks_of[spec] = block_tokens if mamba_cache_mode == "all" else max_model_len
    for spec, p in pages.items():
        if page % p:
            raise NnsizeError(
                f"vLLM cannot unify these KV cache pages: {p:,} bytes does not divide "
                f"{page:,} (unify_kv_cache_spec_page_size raises NotImplementedError)")
        blocks_of[spec] = block_tokens * (page // p)
    size = group_size(list(specs.values()))
    out: list[Group] = []
    padding = 0
    for spec, n in specs.items():
        k = _cdiv(n, size)
        padding += k * size - n
        for i in range(k):
            out.append(Group(spec, len(range(i, n, k)), blocks_of[spec]))
    blocks = max(kv_bytes, 0) // page // size
    smallest = min(g.block_tokens for g in out)
    tokens = blocks // len(out) * smallest
    request = 0
    for g in out:
        b = g.block_tokens
        if g.spec.state:
            request += _cdiv(max_model_len, b) if mamba_cache_mode == "all" else \
                STATE_BLOCKS[mamba_cache_mode]
        elif g.spec.window is None:
            request += _cdiv(max_model_len, b)
        else:
            request += _cdiv(min(g.spec.window - 1 + chunk, max_model_len), b) + 1
    return Groups(tuple(out), size, page, padding, kv_bytes, blocks, tokens, max_model_len,
                  request, chunk, alignment, caching, mamba_cache_mode, fell_back)
