from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

import nnsize

# torchvision's published parameter counts (torchvision.models documentation)
TORCHVISION = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
               "resnet101": 44_549_160, "resnet152": 60_192_808, "vgg11": 132_863_336,
               "vgg16": 138_357_544, "vgg19": 143_667_240, "alexnet": 61_100_840,
               "mobilenet_v2": 3_504_872, "vit_b_16": 86_567_656}


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_classic_networks_match_torchvision(name: str) -> None:
    assert nnsize.count(name).total_params == TORCHVISION[name]


class Block(nn.Module):
    """torchvision's ResNet blocks, written out here (torchvision's wheel does not run beside
    the test machine's torch): the same module names, so every tensor name can be compared."""

    def __init__(self, cin: int, planes: int, stride: int, bottleneck: bool) -> None:
        super().__init__()
        out = planes * (4 if bottleneck else 1)
        if bottleneck:
            self.conv1, self.bn1 = nn.Conv2d(cin, planes, 1, bias=False), nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv3, self.bn3 = nn.Conv2d(planes, out, 1, bias=False), nn.BatchNorm2d(out)
        else:
            self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
        if stride != 1 or cin != out:
            self.downsample = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False),
                                            nn.BatchNorm2d(out))


def torch_resnet(blocks: list[int], bottleneck: bool) -> nn.Module:
    m: Any = nn.Module()
    m.conv1, m.bn1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64)
    cin = 64
    for stage, (count, planes) in enumerate(zip(blocks, (64, 128, 256, 512)), 1):
        layer = []
        for b in range(count):
            layer.append(Block(cin, planes, 2 if b == 0 and stage > 1 else 1, bottleneck))
            cin = planes * (4 if bottleneck else 1)
        setattr(m, f"layer{stage}", nn.Sequential(*layer))
    m.fc = nn.Linear(cin, 1000)
    return m


@pytest.mark.parametrize("name, blocks, bottleneck", [("resnet18", [2, 2, 2, 2], False),
                                                      ("resnet50", [3, 4, 6, 3], True)])
def test_resnet_tensor_by_tensor(name: str, blocks: list[int], bottleneck: bool) -> None:
    with torch.device("meta"):
        model = torch_resnet(blocks, bottleneck)
    report = nnsize.count(name)
    ours = {n: t.shape for n, t in report.named_tensors()}
    theirs = {n: tuple(p.shape) for n, p in [*model.named_parameters(),
                                              *model.named_buffers()]}
    assert ours == theirs


def test_dqn_with_its_number_of_actions() -> None:
    # conv 4->32 8x8: 8,224; 32->64 4x4: 32,832; 64->64 3x3: 36,928; 3,136 -> 512: 1,606,144;
    # 512 -> n: 513 n.  84 -> 20 -> 9 -> 7 spatially: 64 x 7 x 7 = 3,136.
    for actions in (4, 18):
        report = nnsize.count("dqn", actions=actions)
        assert report.total_params == 8224 + 32832 + 36928 + 1606144 + 513 * actions
    model = nn.Sequential(nn.Conv2d(4, 32, 8, 4), nn.ReLU(), nn.Conv2d(32, 64, 4, 2), nn.ReLU(),
                          nn.Conv2d(64, 64, 3, 1), nn.ReLU(), nn.Flatten(), nn.Linear(3136, 512),
                          nn.ReLU(), nn.Linear(512, 6))
    assert nnsize.count("dqn", actions=6).total_params == \
        sum(p.numel() for p in model.parameters())


def test_resnet50_compute() -> None:
    # torchvision lists ResNet-50 at 4.09 GFLOPS, counted as multiply-accumulates
    assert round(nnsize.count("resnet50").macs / 1e9, 2) == 4.09
