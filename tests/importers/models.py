"""torch.nn models with the cases summaries get wrong: tied, shared, frozen, parametrized,
pruned, lazy, functional compute.  Each factory returns (model, input_size or input_data)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrizations, parametrize, prune


class TinyGPT(nn.Module):
    """A GPT from scratch: tied embedding and head, functional attention."""

    def __init__(self, vocab: int = 64, d: int = 32, heads: int = 4, layers: int = 2,
                 context: int = 16) -> None:
        super().__init__()
        self.heads = heads
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.zeros(context, d))
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.tok.weight  # tied

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.tok(ids) + self.pos[: ids.shape[1]]
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h))


class Block(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                  nn.BatchNorm2d(cout)) if stride != 1 or cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class ResNetish(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16),
                                  nn.ReLU())
        self.layers = nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 32, 2),
                                    BasicBlock(32, 64, 2))
        self.fc = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class FunctionalLinear(nn.Module):
    """Parameters registered directly, used through F.linear, matmul and bmm."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(8, 6))
        self.b = nn.Parameter(torch.zeros(8))
        self.mix = nn.Parameter(torch.randn(8, 8))
        self.register_buffer("scale", torch.ones(8), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.linear(x, self.w, self.b) * self.scale
        h = torch.matmul(h, self.mix)
        return torch.bmm(h.unsqueeze(1), h.unsqueeze(2))


class WithParameterContainers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.plist = nn.ParameterList([nn.Parameter(torch.randn(4, 4)) for _ in range(3)])
        self.pdict = nn.ParameterDict({"a": nn.Parameter(torch.randn(4)),
                                       "b": nn.Parameter(torch.randn(2, 4))})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for p in self.plist:
            x = x @ p
        return x * self.pdict["a"]


class Symmetric(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.triu() + x.triu(1).transpose(-1, -2)


def shared_block() -> nn.Module:
    block = nn.Linear(8, 8)
    return nn.Sequential(block, nn.ReLU(), block, nn.Linear(8, 2))


def frozen() -> nn.Module:
    m = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 2))
    for p in m[0].parameters():
        p.requires_grad_(False)
    return m


def weight_norm() -> nn.Module:
    return nn.Sequential(parametrizations.weight_norm(nn.Linear(10, 20)), nn.Linear(20, 3))


def spectral_norm() -> nn.Module:
    return nn.Sequential(parametrizations.spectral_norm(nn.Linear(10, 20)), nn.Linear(20, 3))


def custom_parametrization() -> nn.Module:
    m = nn.Linear(6, 6)
    parametrize.register_parametrization(m, "weight", Symmetric())
    return m


def pruned() -> nn.Module:
    m = nn.Sequential(nn.Linear(10, 20), nn.Linear(20, 2))
    prune.l1_unstructured(m[0], "weight", amount=0.5)
    return m


def lazy() -> nn.Module:
    return nn.Sequential(nn.LazyConv2d(8, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(4))


class MHAModel(nn.Module):
    def __init__(self, kdim: int | None = None) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True, kdim=kdim, vdim=kdim)
        self.kv = nn.Linear(16, kdim) if kdim else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kv = self.kv(x)
        return self.attn(x, kv, kv)[0]


class RecurrentModel(nn.Module):
    def __init__(self, kind: str) -> None:
        super().__init__()
        if kind == "lstm_proj":
            self.rnn: nn.Module = nn.LSTM(10, 20, num_layers=2, proj_size=5, batch_first=True)
        elif kind == "gru_bi":
            self.rnn = nn.GRU(10, 12, bidirectional=True, batch_first=True)
        else:
            self.rnn = nn.RNN(10, 12, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


def depthwise_separable() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.Conv2d(16, 16, 3, padding=1,
                                                                   groups=16),
                         nn.Conv2d(16, 32, 1), nn.BatchNorm2d(32), nn.ReLU6(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 5))


def decoder() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 32 * 4 * 4), nn.Unflatten(1, (32, 4, 4)),
                         nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.GroupNorm(4, 16),
                         nn.ConvTranspose2d(16, 3, 4, stride=2, padding=1), nn.Sigmoid())


class ModuleDictModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.heads = nn.ModuleDict({"a": nn.Linear(6, 2), "b": nn.Linear(6, 3)})
        self.body = nn.Sequential(nn.Sequential(nn.Linear(6, 6), nn.Tanh()), nn.LayerNorm(6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body(x)
        return torch.cat([self.heads["a"](h), self.heads["b"](h)], dim=-1)


class BagModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bag = nn.EmbeddingBag(100, 8, mode="sum")
        self.out = nn.Bilinear(8, 8, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.bag(ids)
        return self.out(h, h)


MODELS: dict[str, tuple[Any, dict[str, Any]]] = {
    "tied_gpt": (TinyGPT, {"input_size": (2, 16), "input_dtype": torch.long}),
    "shared_block": (shared_block, {"input_size": (3, 8)}),
    "frozen": (frozen, {"input_size": (4, 10)}),
    "weight_norm": (weight_norm, {"input_size": (4, 10)}),
    "spectral_norm": (spectral_norm, {"input_size": (4, 10)}),
    "custom_parametrization": (custom_parametrization, {"input_size": (2, 6)}),
    "pruned": (pruned, {"input_size": (4, 10)}),
    "lazy": (lazy, {"input_size": (2, 3, 8, 8)}),
    "lstm_projection": (lambda: RecurrentModel("lstm_proj"), {"input_size": (2, 5, 10)}),
    "gru_bidirectional": (lambda: RecurrentModel("gru_bi"), {"input_size": (2, 5, 10)}),
    "rnn": (lambda: RecurrentModel("rnn"), {"input_size": (2, 5, 10)}),
    "multihead_attention": (MHAModel, {"input_size": (2, 7, 16)}),
    "multihead_attention_kdim": (lambda: MHAModel(kdim=6), {"input_size": (2, 7, 16)}),
    "functional_linear": (FunctionalLinear, {"input_size": (5, 6)}),
    "parameter_containers": (WithParameterContainers, {"input_size": (3, 4)}),
    "resnetish": (ResNetish, {"input_size": (2, 3, 32, 32)}),
    "depthwise_separable": (depthwise_separable, {"input_size": (2, 3, 16, 16)}),
    "decoder": (decoder, {"input_size": (2, 8)}),
    "module_dict": (ModuleDictModel, {"input_size": (2, 6)}),
    "embedding_bag_bilinear": (BagModel, {"input_size": (2, 5), "input_dtype": torch.long}),
    "transformer_encoder": (lambda: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(16, 4, 32, batch_first=True), 2,
        enable_nested_tensor=False), {"input_size": (2, 6, 16)}),
    "transformer": (lambda: nn.Transformer(16, 2, 1, 1, 32, batch_first=True),
                    {"input_data": (torch.randn(2, 5, 16), torch.randn(2, 4, 16))}),
    "mlp": (lambda: nn.Sequential(nn.Linear(10, 20), nn.Linear(20, 20), nn.Linear(20, 20),
                                  nn.Linear(20, 2)), {"input_size": (1, 10)}),
    "cnn_batchnorm": (lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8),
                                            nn.MaxPool2d(2), nn.Flatten(),
                                            nn.Linear(8 * 7 * 7, 10)),
                      {"input_size": (2, 3, 16, 16)}),
    "conv1d_audio": (lambda: nn.Sequential(nn.Conv1d(1, 8, 9, stride=4), nn.InstanceNorm1d(8),
                                           nn.Conv1d(8, 8, 5, dilation=2), nn.AdaptiveMaxPool1d(1)),
                     {"input_size": (2, 1, 400)}),
    "no_input": (lambda: nn.Sequential(nn.Linear(3, 3), nn.RMSNorm(3)), {}),
}
