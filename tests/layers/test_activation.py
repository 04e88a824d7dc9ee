from __future__ import annotations

import pytest

from nnsize.layers.activation import ELEMENTWISE

from differential import check

REQUIRED = {"Threshold": {"threshold": 0.1, "value": 0.0}}


@pytest.mark.parametrize("kind", sorted(ELEMENTWISE))
def test_elementwise_activations_match_torch(kind: str) -> None:
    x = (3, 4, 5) if kind == "Softmax2d" else (4, 6)
    args = {"dim": -1} if kind in ("Softmax", "LogSoftmax", "Softmin") else {}
    report = check(kind, {**args, **REQUIRED.get(kind, {})}, x)
    assert report is not None and report.total_params == 0 and report.output_shape == x


@pytest.mark.parametrize("num, x", [(1, (4, 6)), (4, (4, 6)), (3, (4, 6)), (3, (3, 2, 2))])
def test_prelu_matches_torch(num: int, x: tuple[int, ...]) -> None:
    check("PReLU", {"num_parameters": num}, x)


@pytest.mark.parametrize("dim, x", [(-1, (4, 6)), (1, (4, 6)), (2, (4, 6)), (-1, (4, 5)),
                                    (3, (4, 6))])
def test_glu_matches_torch(dim: int, x: tuple[int, ...]) -> None:
    check("GLU", {"dim": dim}, x)


@pytest.mark.parametrize("kind", ["Softmax", "LogSoftmax", "Softmin"])
@pytest.mark.parametrize("dim, x", [(2, (5,)), (1, (5,)), (-2, (5,)), (-3, (5,)), (3, (4, 6)),
                                    (-3, (4, 6)), (2, (4, 6))])
def test_softmax_dim_range_matches_torch(kind: str, dim: int, x: tuple[int, ...]) -> None:
    # on a batch of 1-d samples (2 dimensions in all) PyTorch takes dim -2..1 and raises
    # IndexError for 2; check() requires nnsize to refuse exactly what torch refuses
    check(kind, {"dim": dim}, x)
