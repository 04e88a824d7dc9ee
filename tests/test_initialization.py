from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import nnsize
from nnsize.initialization import fans, gain, report_scales, scales


@pytest.mark.parametrize("nonlinearity, param", [("relu", None), ("leaky_relu", None),
                                                 ("leaky_relu", 0.2), ("tanh", None),
                                                 ("selu", None), ("sigmoid", None),
                                                 ("linear", None), ("conv2d", None)])
def test_gain_is_torchs(nonlinearity: str, param: float | None) -> None:
    assert gain(nonlinearity, param) == pytest.approx(nn.init.calculate_gain(nonlinearity, param))


@pytest.mark.parametrize("module", [nn.Linear(30, 20), nn.Conv2d(3, 16, 5), nn.Conv1d(4, 8, 3),
                                    nn.ConvTranspose2d(8, 4, 3), nn.LSTM(10, 12).weight_ih_l0,
                                    nn.Embedding(50, 7)])
def test_fans_are_torchs(module: nn.Module | torch.Tensor) -> None:
    weight = module if isinstance(module, torch.Tensor) else module.weight
    assert fans(tuple(weight.shape)) == nn.init._calculate_fan_in_and_fan_out(weight)


def empirical_std(fill: object, shape: tuple[int, ...]) -> float:
    t = torch.empty(shape)
    torch.manual_seed(0)
    fill(t)  # type: ignore[operator]
    return float(t.std())


SHAPE = (600, 400)


@pytest.mark.parametrize("name, fill, expected", [
    # uniform(-b, b) has std b / sqrt(3)
    ("xavier_uniform", lambda t: nn.init.xavier_uniform_(t, nn.init.calculate_gain("relu")),
     lambda s: s.xavier_uniform_bound / math.sqrt(3)),
    ("xavier_normal", lambda t: nn.init.xavier_normal_(t, nn.init.calculate_gain("relu")),
     lambda s: s.xavier_normal_std),
    ("kaiming_uniform", lambda t: nn.init.kaiming_uniform_(t, nonlinearity="relu"),
     lambda s: s.kaiming_uniform_bound_fan_in / math.sqrt(3)),
    ("kaiming_normal", lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu"),
     lambda s: s.kaiming_normal_std_fan_in),
    ("kaiming_normal_fan_out",
     lambda t: nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
     lambda s: s.kaiming_normal_std_fan_out),
    ("orthogonal", lambda t: nn.init.orthogonal_(t, nn.init.calculate_gain("relu")),
     lambda s: s.orthogonal_std),
])
def test_scales_match_torch_init_empirically(name: str, fill: object, expected: object) -> None:
    # 240,000 samples: the empirical std is within 1% of the true one (orthogonal exactly)
    s = scales("w", SHAPE, gain("relu"))
    assert empirical_std(fill, SHAPE) == pytest.approx(expected(s), rel=0.01)  # type: ignore


def test_lecun_is_kaiming_normal_with_unit_gain() -> None:
    s = scales("w", SHAPE, 1.0)
    assert empirical_std(lambda t: nn.init.kaiming_normal_(t, nonlinearity="linear"),
                         SHAPE) == pytest.approx(s.lecun_normal_std, rel=0.01)


def test_every_weight_of_a_report() -> None:
    report = nnsize.count("resnet18")
    all_scales = report_scales(report)
    # 20 convolutions and the classifier
    assert len(all_scales) == 21
    conv1 = all_scales[0]
    assert (conv1.name, conv1.fan_in, conv1.fan_out) == ("conv1.weight", 3 * 49, 64 * 49)
