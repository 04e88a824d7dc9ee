"""least(): the bisection memory/fit.py and speed/inference.py share, against a plain scan."""

from __future__ import annotations

import pytest

from nnsize.least import least


@pytest.mark.parametrize(("lo", "hi", "threshold"), [
    (0, 1, 1), (0, 100, 1), (0, 100, 8), (0, 100, 100), (0, 7, 4), (3, 4, 4), (0, 1 << 20, 1000),
])
def test_least_is_the_first_n_a_scan_finds(lo: int, hi: int, threshold: int) -> None:
    calls: list[int] = []

    def holds(n: int) -> bool:
        calls.append(n)
        return n >= threshold

    assert least(holds, lo, hi) == next(n for n in range(lo + 1, hi + 1) if n >= threshold)
    assert lo not in calls and len(calls) <= (hi - lo).bit_length()  # never lo, about log2 calls


def test_the_docstrings_example() -> None:
    # 8 x 8 = 64 >= 50 > 49 = 7 x 7
    assert least(lambda n: n * n >= 50, 0, 100) == 8
