"""memory.allocator: PyTorch's CUDA caching allocator's segments for tensors kept in order
(c10/cuda/CUDACachingAllocator.cpp's rules; no GPU here to compare with)."""

from __future__ import annotations

from nnsize.memory.allocator import MiB, reserved


def test_a_large_tensor_gets_its_own_segment_rounded_to_2_mib() -> None:
    # Qwen2.5-32B's o_proj at tp 4: 5,120 x 1,280 x 2 B = 13,107,200 B = 6.25 x 2 MiB -> 7
    assert reserved([13_107_200]) == 7 * 2 * MiB == 14_680_064
    # a 2 MiB multiple wastes nothing: 5,120 x 5,120 x 2 B = 50 MiB (o_proj at tp 1)
    assert reserved([5_120 * 5_120 * 2]) == 50 * MiB


def test_medium_tensors_share_20_mib_segments() -> None:
    # 9 MiB and 8 MiB (Qwen3-235B-FP8's qkv and o_proj at tp 4) fit one 20 MiB segment; the
    # next 9 MiB does not fit the 3 MiB left and opens another
    assert reserved([9 * MiB, 8 * MiB]) == 20 * MiB
    assert reserved([9 * MiB, 8 * MiB, 9 * MiB]) == 40 * MiB


def test_small_tensors_pack_into_2_mib_segments() -> None:
    # 1,000 norms of 5,120 x 2 B = 10,240 B, each a multiple of 512: 204 fit in 2 MiB
    # (2,097,152 // 10,240 = 204), so 1,000 of them take 5 segments
    assert reserved([10_240] * 1_000) == 5 * 2 * MiB
    # sizes round up to 512 B: 100 B takes 512
    assert reserved([100] * 4_096) == 2 * MiB  # 4,096 x 512 B = 2 MiB exactly


def test_a_large_remainder_over_1_mib_is_reused() -> None:
    # 13,107,200 B leaves 1.5 MiB free in its segment (split: more than 1 MiB), which a later
    # 1.25 MiB tensor (from the large pool: over 1 MiB) takes without a new segment
    assert reserved([13_107_200, 1_310_720]) == 14_680_064
