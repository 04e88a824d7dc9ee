"""Architecture search: candidates per second, closed form and bisection against a plain loop
over nnsize's own count function, in one run.

The space: MLPs 784 -> depth x width -> 10, depth 1..10,000, width 1..10,000 (10^8 candidates),
under a budget of 1M parameters.  The loop counts a sample of the space with nnsize.count() and
its rate is extrapolated to the whole space.

    python benchmarks/search.py
"""

from __future__ import annotations

import random
import time

import nnsize
from nnsize.search import Range, search_mlp


def main() -> None:
    depths, widths = Range(None, 1, 10_000), Range(None, 1, 10_000)
    space = len(depths) * len(widths)
    start = time.perf_counter()
    result = search_mlp(784, 10, depths, widths, 10**6)
    search_seconds = time.perf_counter() - start
    rng = random.Random(0)
    sample = [(rng.randint(1, 10_000), rng.randint(1, 10_000)) for _ in range(2000)]
    start = time.perf_counter()
    fitting = 0
    for depth, width in sample:
        fitting += nnsize.count(f"784-{width}x{depth}-10").total_params <= 10**6
    loop_rate = len(sample) / (time.perf_counter() - start)
    search_rate = space / search_seconds
    print(f"space: {space:,} candidates, {result.fitting:,} fit 1,000,000 parameters")
    print(f"{'method':34} {'candidates/s':>16} {'time for the space':>20}")
    print(f"{'nnsize search (closed form)':34} {search_rate:>16,.0f} {search_seconds:>19.2f}s")
    print(f"{'loop over nnsize.count()':34} {loop_rate:>16,.0f} "
          f"{space / loop_rate / 3600:>18.1f} h (extrapolated from {len(sample):,})")
    print(f"ratio: {search_rate / loop_rate:,.0f}x")


if __name__ == "__main__":
    main()
