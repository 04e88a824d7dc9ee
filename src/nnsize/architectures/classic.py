"""The classic networks the guide cites, built from nnsize's own layer kinds with torchvision's
module names: ResNet-18/34/50/101/152, VGG-11/16/19, AlexNet, MobileNetV2, ViT-B/16, and the
Nature DQN for Atari.  Shapes and multiply-accumulates are for one 3 x 224 x 224 image."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..layers import PYTORCH, Kind, build
from ..model import Report, Row, Shape, Tensor, sum_formula

TORCHVISION = "torchvision.models.{} (torchvision's published parameter count: {:,})"


class Net:
    """Rows of named layers, each applied to a shape: the main path, or a branch of it."""

    def __init__(self, name: str, x: Shape, convention: str | None) -> None:
        self.name, self.input, self.x = name, x, x
        self.convention = convention or PYTORCH
        self.rows: list[Row] = []

    def add(self, name: str, type_name: str, x: Shape | None = None, **args: Any) -> Shape:
        """Layer `name` (a torch.nn type and its arguments) on x, or on the main path's shape."""
        inp = self.x if x is None else x
        kind = build(type_name, args, inp)
        y = kind.output_shape(inp)
        self.rows.append(_row(name, kind, inp, y, self.convention, len(self.rows)))
        if x is None:
            self.x = y
        return y

    def tensors(self, name: str, type_name: str, tensors: list[Tensor]) -> None:
        """Parameters a module registers directly (ViT's class token and positions)."""
        self.rows.append(Row(name=name, label=name, type=type_name, input_shape=(),
                             output_shape=(), tensors=tuple(tensors), macs_each=0,
                             formula=sum_formula(tensors), index=len(self.rows),
                             qualified=True))

    def report(self) -> Report:
        return Report(self.name, self.convention, self.input, tuple(self.rows))


def _row(name: str, kind: Kind, x: Shape, y: Shape, convention: str, index: int) -> Row:
    tensors = kind.tensors(convention)  # named within the module; row.named() qualifies them
    return Row(name=name, label=name, type=kind.type_name, input_shape=x, output_shape=y,
               tensors=tuple(tensors), macs_each=kind.macs(x), formula=kind.formula(tensors),
               index=index, saves=kind.saves)


def conv_bn(net: Net, conv: str, bn: str, out: int, k: int, stride: int = 1,
            x: Shape | None = None, groups: int = 1) -> Shape:
    y = net.add(conv, "Conv2d", x, out_channels=out, kernel_size=k, stride=stride,
                padding=(k - 1) // 2, groups=groups, bias=False)
    return net.add(bn, "BatchNorm2d", y if x is not None else None)


def resnet(blocks: list[int], bottleneck: bool, name: str) -> Callable[[str | None], Report]:
    def model(convention: str | None) -> Report:
        net = Net(name, (3, 224, 224), convention)
        conv_bn(net, "conv1", "bn1", 64, 7, 2)
        net.add("maxpool", "MaxPool2d", kernel_size=3, stride=2, padding=1)
        channels, expansion = 64, 4 if bottleneck else 1
        for stage, (count, planes) in enumerate(zip(blocks, (64, 128, 256, 512)), 1):
            for b in range(count):
                p, stride = f"layer{stage}.{b}", 2 if b == 0 and stage > 1 else 1
                block_in = net.x
                if bottleneck:
                    conv_bn(net, f"{p}.conv1", f"{p}.bn1", planes, 1)
                    conv_bn(net, f"{p}.conv2", f"{p}.bn2", planes, 3, stride)
                    conv_bn(net, f"{p}.conv3", f"{p}.bn3", planes * 4, 1)
                else:
                    conv_bn(net, f"{p}.conv1", f"{p}.bn1", planes, 3, stride)
                    conv_bn(net, f"{p}.conv2", f"{p}.bn2", planes, 3)
                if stride != 1 or channels != planes * expansion:
                    conv_bn(net, f"{p}.downsample.0", f"{p}.downsample.1", planes * expansion,
                            1, stride, x=block_in)
                channels = planes * expansion
        net.add("avgpool", "AdaptiveAvgPool2d", output_size=1)
        net.add("flatten", "Flatten")
        net.add("fc", "Linear", out_features=1000)
        return net.report()
    return model


VGG = {"vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
       "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512,
                 512, "M"],
       "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
                 512, 512, 512, 512, "M"]}


def vgg(name: str) -> Callable[[str | None], Report]:
    def model(convention: str | None) -> Report:
        net = Net(name, (3, 224, 224), convention)
        i = 0
        for v in VGG[name]:
            if v == "M":
                net.add(f"features.{i}", "MaxPool2d", kernel_size=2, stride=2)
                i += 1
            else:
                net.add(f"features.{i}", "Conv2d", out_channels=v, kernel_size=3, padding=1)
                net.add(f"features.{i + 1}", "ReLU")
                i += 2
        _classifier(net, 7, [(0, 4096), (3, 4096), (6, 1000)])
        return net.report()
    return model


def _classifier(net: Net, pool: int, linears: list[tuple[int, int]]) -> None:
    net.add("avgpool", "AdaptiveAvgPool2d", output_size=pool)
    net.add("flatten", "Flatten")
    for index, out in linears:
        net.add(f"classifier.{index}", "Linear", out_features=out)


def alexnet(convention: str | None) -> Report:
    net = Net("alexnet", (3, 224, 224), convention)
    for i, (out, k, s, p) in zip((0, 3, 6, 8, 10), ((64, 11, 4, 2), (192, 5, 1, 2),
                                                     (384, 3, 1, 1), (256, 3, 1, 1),
                                                     (256, 3, 1, 1))):
        net.add(f"features.{i}", "Conv2d", out_channels=out, kernel_size=k, stride=s, padding=p)
        if i in (0, 3, 10):
            net.add(f"features.{i + 2}", "MaxPool2d", kernel_size=3, stride=2)
    _classifier(net, 6, [(1, 4096), (4, 4096), (6, 1000)])
    return net.report()


def mobilenet_v2(convention: str | None) -> Report:
    net = Net("mobilenet_v2", (3, 224, 224), convention)
    conv_bn(net, "features.0.0", "features.0.1", 32, 3, 2)
    channels, index = 32, 1
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
        for j in range(n):
            p, hidden, part = f"features.{index}.conv", channels * t, 0
            if t != 1:  # expand
                conv_bn(net, f"{p}.0.0", f"{p}.0.1", hidden, 1)
                part = 1
            conv_bn(net, f"{p}.{part}.0", f"{p}.{part}.1", hidden, 3, s if j == 0 else 1,
                    groups=hidden)  # depthwise
            conv_bn(net, f"{p}.{part + 1}", f"{p}.{part + 2}", c, 1)  # project
            channels, index = c, index + 1
    conv_bn(net, "features.18.0", "features.18.1", 1280, 1)
    net.add("avgpool", "AdaptiveAvgPool2d", output_size=1)
    net.add("flatten", "Flatten")
    net.add("classifier.1", "Linear", out_features=1000)
    return net.report()


def vit_b_16(convention: str | None) -> Report:
    net = Net("vit_b_16", (3, 224, 224), convention)
    d, layers = 768, 12
    net.add("conv_proj", "Conv2d", out_channels=d, kernel_size=16, stride=16)
    net.add("flatten", "Flatten", start_dim=2)  # 768 x 196 patches
    tokens = (197, d)  # the class token joins the 196 patches
    net.tensors("class_token", "Parameter", [Tensor("class_token", (1, 1, d), "embedding")])
    net.tensors("encoder.pos_embedding", "Parameter",
                [Tensor("encoder.pos_embedding", (1, 197, d), "embedding")])
    for i in range(layers):
        p = f"encoder.layers.encoder_layer_{i}"
        net.add(f"{p}.ln_1", "LayerNorm", x=tokens)
        net.add(f"{p}.self_attention", "MultiheadAttention", x=tokens, num_heads=12)
        net.add(f"{p}.ln_2", "LayerNorm", x=tokens)
        hidden = net.add(f"{p}.mlp.0", "Linear", x=tokens, out_features=3072)
        net.add(f"{p}.mlp.3", "Linear", x=hidden, out_features=d)
    net.add("encoder.ln", "LayerNorm", x=tokens)
    net.add("heads.head", "Linear", x=(d,), out_features=1000)
    net.x = (1000,)
    return net.report()


def dqn(convention: str | None, actions: int = 18) -> Report:
    """Mnih et al. 2015: 4 stacked 84 x 84 frames -> Q-values for each action."""
    if isinstance(actions, bool) or not isinstance(actions, int) or actions < 1:
        from ..errors import SpecError

        raise SpecError(f"--actions must be a positive whole number, got {actions!r}")
    net = Net(f"dqn ({actions} actions)", (4, 84, 84), convention)
    for i, (out, k, s) in zip((0, 2, 4), ((32, 8, 4), (64, 4, 2), (64, 3, 1))):
        net.add(str(i), "Conv2d", out_channels=out, kernel_size=k, stride=s)
        net.add(str(i + 1), "ReLU")
    net.add("6", "Flatten")
    net.add("7", "Linear", out_features=512)
    net.add("8", "ReLU")
    net.add("9", "Linear", out_features=actions)
    return net.report()


# name: (source, description, builder)
CLASSICS: dict[str, tuple[str, str, Callable[..., Report]]] = {
    "resnet18": (TORCHVISION.format("resnet18", 11_689_512), "ResNet-18",
                 resnet([2, 2, 2, 2], False, "resnet18")),
    "resnet34": (TORCHVISION.format("resnet34", 21_797_672), "ResNet-34",
                 resnet([3, 4, 6, 3], False, "resnet34")),
    "resnet50": (TORCHVISION.format("resnet50", 25_557_032), "ResNet-50",
                 resnet([3, 4, 6, 3], True, "resnet50")),
    "resnet101": (TORCHVISION.format("resnet101", 44_549_160), "ResNet-101",
                  resnet([3, 4, 23, 3], True, "resnet101")),
    "resnet152": (TORCHVISION.format("resnet152", 60_192_808), "ResNet-152",
                  resnet([3, 8, 36, 3], True, "resnet152")),
    "vgg11": (TORCHVISION.format("vgg11", 132_863_336), "VGG-11", vgg("vgg11")),
    "vgg16": (TORCHVISION.format("vgg16", 138_357_544), "VGG-16", vgg("vgg16")),
    "vgg19": (TORCHVISION.format("vgg19", 143_667_240), "VGG-19", vgg("vgg19")),
    "alexnet": (TORCHVISION.format("alexnet", 61_100_840), "AlexNet", alexnet),
    "mobilenet_v2": (TORCHVISION.format("mobilenet_v2", 3_504_872), "MobileNetV2",
                     mobilenet_v2),
    "vit_b_16": (TORCHVISION.format("vit_b_16", 86_567_656), "ViT-B/16", vit_b_16),
    "dqn": ("Mnih et al., Human-level control through deep reinforcement learning, Nature 2015",
            "Nature DQN for Atari (--actions N, default 18)", dqn),
}
