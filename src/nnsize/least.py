"""The least n where a monotone predicate holds, by bisection: the planner's fewest GPUs and the
speed model's batch where compute binds ask the same question."""

from __future__ import annotations

from collections.abc import Callable


def least(holds: Callable[[int], bool], lo: int, hi: int) -> int:
    """The least n in (lo, hi] with holds(n), for a holds that stays true once true and is true
    at hi (the caller checks it): about log2(hi - lo) calls, none at lo.

        >>> least(lambda n: n * n >= 50, 0, 100)
        8
    """
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if holds(mid):
            hi = mid
        else:
            lo = mid
    return hi
