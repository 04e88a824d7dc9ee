from __future__ import annotations

from pathlib import Path

import pytest

from nnsize.cli import main
from nnsize.growth import mlp_growth
from nnsize.search import Range


def test_quadratic_in_width_linear_in_depth() -> None:
    _, _, by_width, by_depth = mlp_growth("10-20x3-2", Range((256, 512, 1024)),
                                          Range((16, 32, 64)))
    # 10 w + w + 2 (w^2 + w) + 2 w + 2: doubling 512 -> 1024 multiplies by about 4
    assert by_width.params == [10 * w + w + 2 * (w * w + w) + 2 * w + 2 for w in (256, 512, 1024)]
    assert 1.95 < by_width.exponent < 2.0
    assert 0.95 < by_depth.exponent < 1.05


@pytest.mark.parametrize("name", ["growth.png", "growth.svg"])
def test_plot(tmp_path: Path, name: str) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / name
    assert main(["growth", "784-512x2-10", "--plot", str(path)]) == 0
    assert path.stat().st_size > 1000
