"""Decoder-only language models that follow Llama's layout, as transformers builds them.

    model.embed_tokens -> layers.{i}: self_attn, mlp (or experts), norms -> model.norm -> lm_head

Families differ in a few traits, listed per family below: biases, extra norms, fused
projections, mixture-of-experts feed-forward layers, DeepSeek's multi-head latent attention.
Defaults are those of transformers' config class for each family (tests check them against it).
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from ..errors import SpecError, shown
from ..model import AttentionLayer, Decoder, Layers, Tensor
from .assembly import Assembly, Layer, check_runs, embedding, linear, norm
from .config import Config
from .registry import register

COMMON = {"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False}
DEFAULTS: dict[str, dict[str, Any]] = {
    "llama": {**COMMON},
    "mistral": {**COMMON, "num_key_value_heads": 8},
    "mixtral": {**COMMON, "num_key_value_heads": 8, "num_local_experts": 8,
                "num_experts_per_tok": 2},
    "qwen2": {**COMMON, "num_key_value_heads": 32},
    "qwen2_moe": {**COMMON, "num_key_value_heads": 16, "qkv_bias": True,
                  "moe_intermediate_size": 1408, "num_experts": 60, "num_experts_per_tok": 4,
                  "shared_expert_intermediate_size": 5632, "decoder_sparse_step": 1,
                  "mlp_only_layers": []},
    "qwen3": {**COMMON, "num_key_value_heads": 32, "head_dim": 128},
    "qwen3_moe": {**COMMON, "num_key_value_heads": 4, "moe_intermediate_size": 768,
                  "num_experts": 128, "num_experts_per_tok": 8, "decoder_sparse_step": 1,
                  "mlp_only_layers": []},
    "gemma": {**COMMON, "tie_word_embeddings": True, "num_key_value_heads": 16,
              "head_dim": 256},
    "gemma2": {**COMMON, "tie_word_embeddings": True, "num_key_value_heads": 4,
               "head_dim": 256},
    "gemma3_text": {**COMMON, "tie_word_embeddings": True, "num_key_value_heads": 4,
                    "head_dim": 256},
    "olmo": {**COMMON},
    "olmo2": {**COMMON},
    "starcoder2": {**COMMON, "tie_word_embeddings": True, "num_key_value_heads": 2,
                   "use_bias": True},
    "phi": {**COMMON, "qk_layernorm": False},
    "phi3": {**COMMON},
    "deepseek_v2": {**COMMON, "moe_intermediate_size": 1407, "n_routed_experts": 64,
                    "n_shared_experts": 2, "num_experts_per_tok": None,
                    "first_k_dense_replace": 0, "q_lora_rank": 1536, "kv_lora_rank": 512,
                    "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128},
    "deepseek_v3": {**COMMON, "num_key_value_heads": 128, "moe_intermediate_size": 2048,
                    "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8,
                    "first_k_dense_replace": 3, "q_lora_rank": 1536, "kv_lora_rank": 512,
                    "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128},
}
# Other names a family's config class accepts for a key (its attribute_map), as other name ->
# the key read here: a qwen3_moe config saved by transformers 5 says num_local_experts.
ALIASES: dict[str, dict[str, str]] = {
    "mixtral": {"num_experts": "num_local_experts"},
    "qwen3_moe": {"num_local_experts": "num_experts"},
    "deepseek_v2": {"num_experts": "n_routed_experts"},
    "deepseek_v3": {"num_local_experts": "n_routed_experts", "num_experts": "n_routed_experts",
                    "num_mtp_layers": "num_nextn_predict_layers"},
}
MOE = {"mixtral", "qwen2_moe", "qwen3_moe", "deepseek_v2", "deepseek_v3"}
QK_NORM = {"qwen3", "qwen3_moe", "gemma3_text"}  # RMSNorm over one head's dimensions
SANDWICH = {"gemma2", "gemma3_text"}  # pre- and post-feed-forward norms too


class Dims:
    """The sizes a decoder layer is built from, read once."""

    def __init__(self, c: Config) -> None:
        self.hidden = c.int("hidden_size")
        self.heads = c.int("num_attention_heads")
        self.kv = c.int("num_key_value_heads", self.heads)
        self.head_dim = c.int("head_dim", None) or self.hidden // self.heads
        self.inter = c.int("intermediate_size")
        self.vocab = c.int("vocab_size")
        self.layers = c.int("num_hidden_layers")


def _attention(family: str, c: Config, d: Dims) -> list[Tensor]:
    h, q, kv = d.hidden, d.heads * d.head_dim, d.kv * d.head_dim
    if family == "phi3":
        return linear("self_attn.o_proj", h, q) + linear("self_attn.qkv_proj", q + 2 * kv, h)
    if family.startswith("deepseek"):
        return _latent_attention(c, d)
    if family in ("qwen2", "phi"):  # q, k, v always biased; o only in phi
        qkv_bias, o_bias = True, family == "phi"
    elif family == "qwen2_moe":
        qkv_bias, o_bias = c.bool("qkv_bias"), False
    elif family == "starcoder2":
        qkv_bias = o_bias = c.bool("use_bias")
    elif family in ("mistral", "mixtral"):  # no biases, whatever the config says
        qkv_bias = o_bias = False
    else:
        qkv_bias = o_bias = c.bool("attention_bias")
    out = "self_attn.dense" if family == "phi" else "self_attn.o_proj"
    t = linear("self_attn.q_proj", q, h, qkv_bias) + linear("self_attn.k_proj", kv, h, qkv_bias) \
        + linear("self_attn.v_proj", kv, h, qkv_bias) + linear(out, h, q, o_bias)
    if family in QK_NORM:
        t += norm("self_attn.q_norm", d.head_dim) + norm("self_attn.k_norm", d.head_dim)
    if family == "olmo2":
        t += norm("self_attn.q_norm", q) + norm("self_attn.k_norm", kv)
    if family == "phi" and c.bool("qk_layernorm"):
        t += norm("self_attn.q_layernorm", d.head_dim, True) + \
            norm("self_attn.k_layernorm", d.head_dim, True)
    return t


def _latent_attention(c: Config, d: Dims) -> list[Tensor]:
    """DeepSeek's multi-head latent attention: queries and keys/values through low ranks.

    q: hidden -> q_lora_rank -> heads x (nope + rope)   (or one q_proj without q_lora_rank)
    kv: hidden -> kv_lora_rank + rope (shared rope key) -> heads x (nope + v)
    """
    bias = c.bool("attention_bias")
    nope, rope, v = c.int("qk_nope_head_dim"), c.int("qk_rope_head_dim"), c.int("v_head_dim")
    q_rank, kv_rank = c.int("q_lora_rank", None), c.int("kv_lora_rank")
    qk = d.heads * (nope + rope)
    if q_rank is None:
        t = linear("self_attn.q_proj", qk, d.hidden)
    else:
        t = linear("self_attn.q_a_proj", q_rank, d.hidden, bias) + \
            norm("self_attn.q_a_layernorm", q_rank) + linear("self_attn.q_b_proj", qk, q_rank)
    return t + linear("self_attn.kv_a_proj_with_mqa", kv_rank + rope, d.hidden, bias) + \
        norm("self_attn.kv_a_layernorm", kv_rank) + \
        linear("self_attn.kv_b_proj", d.heads * (nope + v), kv_rank) + \
        linear("self_attn.o_proj", d.hidden, d.heads * v, bias)


def _dense_mlp(family: str, c: Config, d: Dims, inter: int, prefix: str = "mlp") -> list[Tensor]:
    h = d.hidden
    if family == "phi3":
        return linear(f"{prefix}.gate_up_proj", 2 * inter, h) + \
            linear(f"{prefix}.down_proj", h, inter)
    if family == "phi":
        return linear(f"{prefix}.fc1", inter, h, True) + linear(f"{prefix}.fc2", h, inter, True)
    if family == "starcoder2":
        bias = c.bool("use_bias")
        return linear(f"{prefix}.c_fc", inter, h, bias) + linear(f"{prefix}.c_proj", h, inter, bias)
    bias = c.bool("mlp_bias") if family in ("llama", "deepseek_v2") else False
    return linear(f"{prefix}.gate_proj", inter, h, bias) + \
        linear(f"{prefix}.up_proj", inter, h, bias) + linear(f"{prefix}.down_proj", h, inter, bias)


def _experts(n: int, hidden: int, inter: int) -> list[Tensor]:
    """n experts fused as transformers 5 stores them: gate and up projections in one tensor."""
    return [Tensor("mlp.experts.gate_up_proj", (n, 2 * inter, hidden), "weight"),
            Tensor("mlp.experts.down_proj", (n, hidden, inter), "weight")]


def _moe_layer(family: str, c: Config, d: Dims, i: int) -> tuple[bool, int, int, int]:
    """(is MoE, routed experts, experts used per token, expert width) of layer i."""
    if family == "mixtral":
        return True, c.int("num_local_experts"), c.int("num_experts_per_tok"), d.inter
    if family in ("qwen2_moe", "qwen3_moe"):
        n, step = c.int("num_experts", least=0), c.int("decoder_sparse_step")
        moe = i not in c.ints("mlp_only_layers") and n > 0 and (i + 1) % step == 0
        return moe, n, c.int("num_experts_per_tok"), c.int("moe_intermediate_size")
    moe = i >= c.int("first_k_dense_replace", least=0)
    top_k = c.int("num_experts_per_tok", None) or 1
    return moe, c.int("n_routed_experts"), top_k, c.int("moe_intermediate_size")


def _starts(family: str, c: Config, d: Dims) -> Iterator[int]:
    """The layers where _moe_layer's answer may change from the layer before (see stack())."""
    yield 0
    if family in ("qwen2_moe", "qwen3_moe"):
        for i in c.ints("mlp_only_layers"):
            yield from (i, i + 1)
        step = c.int("decoder_sparse_step")
        if step > 1:
            for i in range(step - 1, d.layers, step):
                yield from (i, i + 1)
    elif family.startswith("deepseek"):
        yield c.int("first_k_dense_replace", least=0)


def _layer(family: str, c: Config, d: Dims, i: int) -> Layer:
    layer: Layer = {"attention": _attention(family, c, d)}
    h = d.hidden
    moe, n, _, inter = _moe_layer(family, c, d, i) if family in MOE else (False, 0, 0, 0)
    if moe:
        router = [Tensor("mlp.gate.weight", (n, h), "weight")]
        layer["router"] = router
        layer["experts"] = _experts(n, h, inter)
        if family == "qwen2_moe":
            shared = c.int("shared_expert_intermediate_size")
            layer["shared experts"] = _dense_mlp(family, c, d, shared, "mlp.shared_expert") + \
                linear("mlp.shared_expert_gate", 1, h)
        if family.startswith("deepseek"):
            shared = inter * c.int("n_shared_experts")
            layer["shared experts"] = _dense_mlp(family, c, d, shared, "mlp.shared_experts")
            if family == "deepseek_v3":
                router.append(Tensor("mlp.gate.e_score_correction_bias", (n,), "other",
                                     buffer=True))
    else:
        layer["mlp"] = _dense_mlp(family, c, d, d.inter)
    if family == "olmo":  # non-parametric layer norms
        norms = []
    elif family == "olmo2":
        norms = norm("post_attention_layernorm", h) + norm("post_feedforward_layernorm", h)
    elif family == "phi":  # attention and MLP in parallel after one norm
        norms = norm("input_layernorm", h, True)
    else:
        bias = family == "starcoder2"
        norms = norm("input_layernorm", h, bias) + norm("post_attention_layernorm", h, bias)
    if family in SANDWICH:
        norms += norm("pre_feedforward_layernorm", h) + norm("post_feedforward_layernorm", h)
    if norms:
        layer["norms"] = norms
    return layer


Windows = tuple[tuple[tuple[int | None, ...], int], ...]  # runs: (a block of windows, repeats)


def _windows(family: str, c: Config, layers: int) -> Windows:
    """Each layer's sliding window, by the config's layer_types or the family's rule, as runs of
    repeated blocks (a million alternating layers are one run)."""
    window = c.value("sliding_window", None)
    types = c.value("layer_types", None)
    if isinstance(types, list) and len(types) == layers:
        if not all(isinstance(t, str) for t in types):
            bad = next(t for t in types if not isinstance(t, str))
            raise SpecError(f"{c.where}: layer_types lists attention types by name, such as "
                            f"'sliding_attention', got {shown(bad)}")
        return tuple(((window if t == "sliding_attention" else None,), 1) for t in types)
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        return (((None,), layers),)
    if family == "gemma2":  # local and global layers alternate, local first
        return _periodic((window, None), layers)
    if family == "gemma3_text":  # five local layers to every global one
        pattern = c.int("sliding_window_pattern", 6)
        if pattern <= 64:
            return _periodic((window,) * (pattern - 1) + (None,), layers)
        # a long pattern: runs of local layers between the global ones
        whole, rest = divmod(layers, pattern)
        check_runs(2 * whole + 1, "sliding_window_pattern")
        return tuple(((window,), pattern - 1) if j % 2 == 0 else ((None,), 1)
                     for j in range(2 * whole)) + ((((window,), rest),) if rest else ())
    if family in ("qwen2", "qwen2_moe", "qwen3", "qwen3_moe"):
        if not c.value("use_sliding_window", False):
            return (((None,), layers),)
        first = min(c.int("max_window_layers", 28, least=0), layers)
        return tuple(run for run in (((None,), first), ((window,), layers - first)) if run[1])
    if family in ("mistral", "mixtral", "starcoder2", "phi3"):
        return (((window,), layers),)
    return (((None,), layers),)


def _periodic(block: tuple[int | None, ...], count: int) -> Windows:
    whole, rest = divmod(count, len(block))
    return tuple(run for run in ((block, whole), (block[:rest], 1)) if run[1] and run[0])


def decoder_shape(family: str, c: Config, d: Dims) -> Decoder:
    if family.startswith("deepseek"):
        nope, rope, v = c.int("qk_nope_head_dim"), c.int("qk_rope_head_dim"), c.int("v_head_dim")
        latent = c.int("kv_lora_rank") + rope

        def attention(w: int | None) -> AttentionLayer:
            return AttentionLayer(d.heads, d.heads, nope + rope, v, w, latent)
    else:
        def attention(w: int | None) -> AttentionLayer:
            return AttentionLayer(d.heads, d.kv, d.head_dim, d.head_dim, w)
    layers = Layers(tuple((tuple(attention(w) for w in block), n)
                          for block, n in _windows(family, c, d.layers)))
    experts, expert_inter = 0, 0
    if family in MOE:
        _, _, experts, expert_inter = _moe_layer(family, c, d, d.layers - 1)
    return Decoder(d.hidden, d.inter, d.vocab, layers, experts, expert_inter)


def build(family: str, c: Config, name: str, base: bool) -> Assembly:
    d = Dims(c)
    a = Assembly(name)
    a.decoder = decoder_shape(family, c, d)
    prefix = "" if base else "model."
    a.add("embeddings", "embedding", embedding(f"{prefix}embed_tokens", d.vocab, d.hidden))
    active: dict[str, object] = {}
    if family in MOE:
        _, n, top_k, _ = _moe_layer(family, c, d, d.layers - 1)
        active["experts"] = Fraction(top_k, n) if n else Fraction(0)
    a.stack(f"{prefix}layers.", d.layers, lambda i: _layer(family, c, d, i), active=active,
            starts=_starts(family, c, d))
    if family == "olmo":
        final = []
    elif family == "phi":
        final = norm("final_layernorm", d.hidden, True)
    else:
        final = norm("norm", d.hidden, family == "starcoder2")
    a.add("final norm", "norm", [t.prefixed(prefix) for t in final])
    if not base:
        tied = c.bool("tie_word_embeddings")
        head = linear("lm_head", d.vocab, d.hidden, bias=family == "phi")
        if tied:
            head[0] = Tensor("lm_head.weight", head[0].shape, "embedding",
                             shared_with="model.embed_tokens.weight")
        a.add("head" + (" (tied to the embeddings)" if tied else ""), "head", head)
    return a


for _family in DEFAULTS:
    register(_family, DEFAULTS[_family], causal=True, aliases=ALIASES.get(_family))(build)
