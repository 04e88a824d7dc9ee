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
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import NnsizeError

SPREAD = 1.5  # vllm-project/vllm#29303: group_size = the largest count where under 1.5 x


@dataclass(frozen=True)
class Spec:
    """One kind of layer as vLLM's KV cache manager sees it: bytes a token on one rank, and
    its sliding window (None: full attention)."""

    token_bytes: int
    window: int | None = None


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

    @property
    def max_concurrency(self) -> float:
        """blocks / the blocks a request of max_model_len takes (vLLM's log)."""
        return self.blocks / self.request_blocks if self.request_blocks else 0.0


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def hybrid(counts: list[tuple[Spec, int]]) -> bool:
    """Whether vLLM puts these layers in several groups: more than one kind (full or a
    window's length) of layer; one kind with different sizes is one group
    (UniformTypeKVCacheSpecs)."""
    return len({spec.window for spec, n in counts if n}) > 1


def group_size(layer_counts: list[int]) -> int:
    """The smallest count, or the largest where it is under 1.5 x the smallest."""
    small, large = min(layer_counts), max(layer_counts)
    return large if large < small * SPREAD else small


def groups(counts: list[tuple[Spec, int]], kv_bytes: int, max_model_len: int,
           chunk: int, block_tokens: int = 16) -> Groups:
    """vLLM's groups, blocks, logged tokens and concurrency for layers of these specs (each
    with how many layers have it) in kv_bytes.

    2 full + 4 sliding layers of equal pages in 2 x 32 pages (vLLM's own test,
    tests/v1/core/test_kv_cache_utils.py test_get_kv_cache_config_one_worker): group_size 2,
    3 groups, 32 blocks."""
    specs: dict[Spec, int] = {}
    for spec, n in counts:
        if n:
            specs[spec] = specs.get(spec, 0) + n
    pages = {spec: block_tokens * spec.token_bytes for spec in specs}
    page = max(pages.values())
    blocks_of: dict[Spec, int] = {}
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
        if g.spec.window is None:
            request += _cdiv(max_model_len, b)
        else:
            request += _cdiv(min(g.spec.window - 1 + chunk, max_model_len), b) + 1
    return Groups(tuple(out), size, page, padding, kv_bytes, blocks, tokens, max_model_len,
                  request, chunk)
