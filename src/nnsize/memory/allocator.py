"""What PyTorch's CUDA caching allocator reserves for tensors allocated one after another and
kept (a model's weights at load): the segments it asks cudaMalloc for, which is what
torch.cuda.mem_get_info sees (SGLang's "Load weight end ... mem usage"), not the tensors' bytes
(torch.cuda.memory_allocated, vLLM's "model weights take").

Its rules (pytorch/pytorch c10/cuda/CUDACachingAllocator.cpp, the constants in
c10/core/AllocatorConfig.h): every size is rounded up to 512 B (kMinBlockSize); a request of
at most 1 MiB (kSmallSize) comes from the small pool, whose segments are 2 MiB (kSmallBuffer);
a larger one under 10 MiB (kMinLargeAlloc) from a 20 MiB segment (kLargeBuffer) of the large
pool; one of 10 MiB or more gets a segment of its size rounded up to 2 MiB (kRoundLarge).  A
request takes the smallest free block that holds it (best fit, get_free_block) and the block is
split when what is left is at least 512 B (small pool) or more than 1 MiB (large pool:
should_split); an unsplit remainder stays with the tensor.

A tensor of 13,107,200 B (Qwen2.5-32B's o_proj at tp 4: 5,120 x 1,280 x 2 B) gets a segment of
7 x 2 MiB = 14,680,064 B: 1.5 MiB that mem_get_info counts and no tensor uses.
"""

from __future__ import annotations

from collections.abc import Iterable

MiB = 2**20
MIN_BLOCK = 512  # kMinBlockSize
SMALL_SIZE = MiB  # kSmallSize: the largest small request
SMALL_BUFFER = 2 * MiB  # kSmallBuffer: a small-pool segment
LARGE_BUFFER = 20 * MiB  # kLargeBuffer: a segment for requests of 1 to 10 MiB
MIN_LARGE_ALLOC = 10 * MiB  # kMinLargeAlloc
ROUND_LARGE = 2 * MiB  # kRoundLarge


def reserved(sizes: Iterable[int]) -> int:
    """Bytes of the segments the allocator holds after allocating these tensors in order,
    none freed (every segment has a tensor in it, so torch.cuda.empty_cache frees none)."""
    free: dict[bool, list[int]] = {True: [], False: []}  # free blocks by pool (small?)
    total = 0
    for size in sizes:
        if size <= 0:
            continue
        size = -(-size // MIN_BLOCK) * MIN_BLOCK
        small = size <= SMALL_SIZE
        pool = free[small]
        fits = [b for b in pool if b >= size]
        if fits:
            block = min(fits)
            pool.remove(block)
        else:
            if small:
                block = SMALL_BUFFER
            elif size < MIN_LARGE_ALLOC:
                block = LARGE_BUFFER
            else:
                block = -(-size // ROUND_LARGE) * ROUND_LARGE
            total += block
        rest = block - size
        if (small and rest >= MIN_BLOCK) or (not small and rest > SMALL_SIZE):
            pool.append(rest)
    return total
