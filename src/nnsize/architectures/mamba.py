"""State-space language models: Mamba, Falcon-Mamba and Mamba-2, as transformers builds them.

    backbone.embeddings -> layers.{i}: norm, mixer (in_proj, depthwise conv1d, SSM parameters,
    out_proj) -> norm_f -> lm_head

There is no KV cache: each layer keeps a fixed state a sequence (state_values gives its size).
"""

from __future__ import annotations

import math

from ..errors import SpecError
from ..model import Decoder, Layers, StateMixer, Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .registry import register


def _inner(c: Config) -> int:
    """expand x hidden_size (transformers recomputes intermediate_size from these)."""
    expand = c.value("expand")
    if isinstance(expand, bool) or not isinstance(expand, (int, float)) or expand <= 0:
        raise SpecError(f"{c.where}: expand must be a positive number, got {expand!r}")
    return int(expand * c.int("hidden_size"))


def _rank(c: Config) -> int:
    """time_step_rank, "auto" being ceil(hidden_size / 16)."""
    rank = c.value("time_step_rank")
    return math.ceil(c.int("hidden_size") / 16) if rank == "auto" else c.int("time_step_rank")


def depthwise_conv(name: str, channels: int, kernel: int, bias: bool) -> list[Tensor]:
    """A depthwise Conv1d: one kernel a channel."""
    t = [Tensor(f"{name}.weight", (channels, 1, kernel), "weight")]
    return t + [Tensor(f"{name}.bias", (channels,), "bias")] if bias else t


def selective_scan(p: str, h: int, inner: int, n: int, k: int, rank: int, bias: bool,
                   conv_bias: bool) -> list[Tensor]:
    """Mamba's mixer: in_proj (x and gate), a depthwise conv, x_proj (dt, B, C), dt_proj,
    A_log (inner x N), D, out_proj."""
    return linear(f"{p}.in_proj", 2 * inner, h, bias) + \
        depthwise_conv(f"{p}.conv1d", inner, k, conv_bias) + \
        linear(f"{p}.x_proj", rank + 2 * n, inner) + linear(f"{p}.dt_proj", inner, rank, True) + \
        [Tensor(f"{p}.A_log", (inner, n), "other"), Tensor(f"{p}.D", (inner,), "other")] + \
        linear(f"{p}.out_proj", h, inner, bias)


def ssd(p: str, h: int, inner: int, heads: int, groups: int, n: int, k: int, in_bias: bool,
        out_bias: bool, conv_bias: bool, gated_norm: bool = True) -> list[Tensor]:
    """Mamba-2's mixer: in_proj (gate, x, B, C and dt: I + conv_dim + heads), a depthwise conv
    over conv_dim = I + 2 x groups x N channels, dt_bias, A_log and D (one a head), the gated
    RMS norm (I), out_proj."""
    conv_dim = inner + 2 * groups * n
    return linear(f"{p}.in_proj", inner + conv_dim + heads, h, in_bias) + \
        depthwise_conv(f"{p}.conv1d", conv_dim, k, conv_bias) + \
        [Tensor(f"{p}.dt_bias", (heads,), "other"), Tensor(f"{p}.A_log", (heads,), "other"),
         Tensor(f"{p}.D", (heads,), "other")] + (norm(f"{p}.norm", inner) if gated_norm else []) \
        + linear(f"{p}.out_proj", h, inner, out_bias)


def state_values(family: str, c: Config) -> int:
    """Values one sequence's state holds across all layers: the conv window and the SSM state.

    Mamba: I x kernel (the conv window, as transformers' cache keeps it) + I x N (the SSM);
    Mamba-2: conv_dim x kernel + heads x head_dim x N.
    """
    n, k = c.int("state_size"), c.int("conv_kernel")
    inner = _inner(c)
    if family == "mamba2":
        conv_dim = inner + 2 * c.int("n_groups") * n
        per_layer = conv_dim * k + c.int("num_heads") * c.int("head_dim") * n
    else:
        per_layer = inner * k + inner * n
    return c.int("num_hidden_layers") * per_layer


def _mixer(family: str, c: Config) -> StateMixer:
    """Every layer's state as memory.state shapes it (the sizes state_values counts)."""
    layers, n, k = c.int("num_hidden_layers"), c.int("state_size"), c.int("conv_kernel")
    if family == "mamba2":
        return StateMixer("mamba2", layers, _inner(c), k, n, c.int("num_heads"),
                          c.int("head_dim"), c.int("n_groups"))
    return StateMixer("mamba1", layers, _inner(c), k, n)


def _build(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, v, n, k = c.int("hidden_size"), c.int("vocab_size"), c.int("state_size"), \
        c.int("conv_kernel")
    inner, bias, conv_bias = _inner(c), c.bool("use_bias"), c.bool("use_conv_bias")
    p = "" if base else "backbone."
    a = Assembly(name)
    ssm = c.int("num_heads") * c.int("head_dim") * n if family == "mamba2" else inner * n
    a.decoder = Decoder(h, inner, v, Layers(()), state_values=state_values(family, c),
                        scan_values=c.int("num_hidden_layers") * ssm,
                        state_layers=c.int("num_hidden_layers"), mixer=_mixer(family, c))
    a.add("embeddings", "embedding", embedding(f"{p}embeddings", v, h))
    if family == "mamba2":
        mixer = ssd("mixer", h, inner, c.int("num_heads"), c.int("n_groups"), n, k, bias, bias,
                    conv_bias)
    else:
        mixer = selective_scan("mixer", h, inner, n, k, _rank(c), bias, conv_bias)

    def layer(i: int) -> Layer:
        return {"mixer": mixer, "norms": norm("norm", h)}

    a.stack(f"{p}layers.", c.int("num_hidden_layers"), layer)
    a.add("final norm", "norm", norm(f"{p}norm_f", h))
    if not base:
        tied = c.bool("tie_word_embeddings")
        head = Tensor("lm_head.weight", (v, h), "embedding",
                      shared_with="backbone.embeddings.weight") if tied else \
            Tensor("lm_head.weight", (v, h), "weight")
        a.add("head" + (" (tied to the embeddings)" if tied else ""), "head", [head])
    return a


MAMBA = {"vocab_size": 50280, "state_size": 16, "expand": 2, "conv_kernel": 4,
         "time_step_rank": "auto", "use_bias": False, "use_conv_bias": True,
         "tie_word_embeddings": True}
register("mamba", MAMBA, base_class="MambaModel")(_build)
register("falcon_mamba", {**MAMBA, "vocab_size": 50280}, base_class="FalconMambaModel")(_build)
register("mamba2", {"vocab_size": 32768, "num_heads": 128, "head_dim": 64, "state_size": 128,
                    "expand": 2, "conv_kernel": 4, "n_groups": 8, "use_bias": False,
                    "use_conv_bias": True, "tie_word_embeddings": False},
         base_class="Mamba2Model")(_build)
