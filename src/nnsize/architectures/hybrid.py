"""Hybrid decoders of Mamba-2 mixers and attention layers, as transformers builds them.

    bamba             layer i: attention if i is in attn_layer_indices, else a Mamba-2 mixer;
                      then a gated MLP (feed_forward)
    falcon_h1         every layer both: a Mamba-2 mixer and attention side by side, a gated MLP
    granitemoehybrid  layer_types picks the mixer (Mamba-2 or attention); experts (when
                      num_local_experts > 0) beside a shared MLP
    nemotron_h        each block one mixer, by layers_block_type (or hybrid_override_pattern,
                      M E * -): Mamba-2, attention, a mixture of experts or a plain MLP

Only the attention layers keep a KV cache; each Mamba-2 layer keeps a fixed state a sequence:
its conv window (conv_dim x kernel) and its SSM state (heads x head_dim x N).
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import SpecError, shown
from ..model import AttentionLayer, Decoder, Layers, StateMixer, Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .gpt import lm_head
from .mamba import ssd
from .registry import register

# the layer types older configs wrote, as transformers renames them when it reads them
LEGACY_LAYER_TYPES = {"mamba": "linear_attention", "attention": "full_attention"}


class Mixer:
    """A Mamba-2 mixer's sizes, read once: inner (I), heads, groups, N, kernel."""

    def __init__(self, inner: int, heads: int, groups: int, n: int, k: int) -> None:
        self.inner, self.heads, self.groups, self.n, self.k = inner, heads, groups, n, k

    def state(self) -> int:
        """Values one layer keeps a sequence: (I + 2 x groups x N) x kernel + I x N."""
        return (self.inner + 2 * self.groups * self.n) * self.k + self.inner * self.n

    def tensors(self, p: str, h: int, in_bias: bool, out_bias: bool, conv_bias: bool,
                gated_norm: bool = True) -> list[Tensor]:
        return ssd(p, h, self.inner, self.heads, self.groups, self.n, self.k, in_bias, out_bias,
                   conv_bias, gated_norm)


def _mamba_prefixed(c: Config, inner: int) -> Mixer:
    """Bamba's, Falcon-H1's and Granite 4's mixer keys (mamba_n_heads...): mamba_d_head "auto"
    is I / heads; transformers refuses heads that do not divide I, or a head size that does not
    multiply out to it."""
    heads = c.int("mamba_n_heads")
    head = c.value("mamba_d_head")
    if inner % heads:
        raise SpecError(f"{c.where}: mamba_n_heads ({heads}) must divide the Mamba inner size "
                        f"({inner})")
    if head != "auto" and c.int("mamba_d_head") * heads != inner:
        raise SpecError(f"{c.where}: mamba_d_head x mamba_n_heads ({shown(head)} x {heads}) must "
                        f"be the Mamba inner size ({inner})")
    return Mixer(inner, heads, c.int("mamba_n_groups"), c.int("mamba_d_state"),
                 c.int("mamba_d_conv"))


def inner_size(c: Config, key: str) -> int:
    """int(expand x hidden_size), as the mixers work out their inner size."""
    expand = c.value(key)
    if isinstance(expand, bool) or not isinstance(expand, (int, float)) or expand <= 0:
        raise SpecError(f"{c.where}: {key} must be a positive number, got {shown(expand)}")
    return int(expand * c.int("hidden_size"))


def _attention(c: Config, p: str, bias: bool, head_dim: int | None = None) -> list[Tensor]:
    """q, k, v and o projections; head_dim: the config's, else hidden / heads."""
    h, heads = c.int("hidden_size"), c.int("num_attention_heads")
    kv = c.int("num_key_value_heads", heads)
    d = head_dim or c.int("head_dim", h // heads)
    return linear(f"{p}.q_proj", heads * d, h, bias) + linear(f"{p}.k_proj", kv * d, h, bias) + \
        linear(f"{p}.v_proj", kv * d, h, bias) + linear(f"{p}.o_proj", h, heads * d, bias)


def _cached(c: Config, head_dim: int | None = None) -> AttentionLayer:
    h, heads = c.int("hidden_size"), c.int("num_attention_heads")
    d = head_dim or c.int("head_dim", h // heads)
    return AttentionLayer(heads, c.int("num_key_value_heads", heads), d, d)


def _gated(p: str, h: int, inter: int, bias: bool) -> list[Tensor]:
    return linear(f"{p}.gate_proj", inter, h, bias) + linear(f"{p}.up_proj", inter, h, bias) + \
        linear(f"{p}.down_proj", h, inter, bias)


def layer_types(c: Config, key: str, layers: int | None,
                allowed: tuple[str, ...]) -> list[str]:
    """A list of layer types (legacy names renamed); layers: num_hidden_layers, which the
    config class requires the list's length to equal (None: the list says how many)."""
    raw = c.value(key)
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise SpecError(f"{c.where}: {key} must list each layer's type, got {shown(raw)}")
    types = [LEGACY_LAYER_TYPES.get(str(x), str(x)) for x in raw]
    bad = [x for x in types if x not in allowed]
    if bad:
        raise SpecError(f"{c.where}: {key} has a layer type {shown(bad[0])}; a {c.family} model "
                        f"has {', '.join(map(repr, allowed))}")
    if layers is not None and len(types) != layers:
        raise SpecError(f"{c.where}: {key} lists {len(types)} layers, and num_hidden_layers "
                        f"is {layers} (transformers requires them equal)")
    return types


def legacy_first(c: Config, names: dict[str, str]) -> Config:
    """The config with older key names (old -> key) read in place of the new ones, where the
    config class lets the older one win (it pops it from its keyword arguments last)."""
    legacy = {key: c.data[old] for old, key in names.items() if old in c.data}
    return Config({**c.data, **legacy}, c.family, c.defaults, where=c.where) if legacy else c


def _decoder(c: Config, inter: int, attention: AttentionLayer, attention_layers: int,
             mixer: Mixer, mamba_layers: int, top_k: int = 0, expert_inter: int = 0,
             own_blocks: bool = True, ssm_dtype: str = "") -> Decoder:
    """The planner's view: a KV cache for the attention layers alone, a fixed state for each
    Mamba-2 layer (its conv window and heads x head_dim x N of SSM state).  own_blocks: the
    Mamba-2 layers are blocks of their own beside the attention ones (speed runs both); false
    where each block holds both (Falcon-H1)."""
    runs = (((attention,), attention_layers),) if attention_layers else ()
    return Decoder(c.int("hidden_size"), inter, c.int("vocab_size"), Layers(runs), top_k,
                   expert_inter, state_values=mamba_layers * mixer.state(),
                   scan_values=mamba_layers * mixer.inner * mixer.n,
                   state_layers=mamba_layers if own_blocks else 0,
                   mixer=StateMixer("mamba2", mamba_layers, mixer.inner, mixer.k, mixer.n,
                                    mixer.heads, mixer.inner // mixer.heads, mixer.groups,
                                    ssm_dtype=ssm_dtype)
                   if mamba_layers else None)


def _finish(a: Assembly, c: Config, p: str, embed: str, final: str, base: bool,
            tied_possible: bool = True) -> None:
    """The final norm and, on the language model, its head (tied to the embeddings where the
    config says so and the class ties them)."""
    h, v = c.int("hidden_size"), c.int("vocab_size")
    a.add("final norm", "norm", norm(f"{p}{final}", h))
    if base:
        return
    if not tied_possible:
        a.add("head", "head", linear("lm_head", v, h))
        return
    lm_head(a, c, v, h, f"model.{embed}.weight")


MAMBA2_KEYS = {"mamba_n_heads": 128, "mamba_d_head": "auto", "mamba_n_groups": 1,
               "mamba_d_state": 256, "mamba_d_conv": 4, "mamba_expand": 2,
               "mamba_conv_bias": True, "mamba_proj_bias": False}
LLAMA_KEYS = {"vocab_size": 128000, "tie_word_embeddings": False, "hidden_size": 4096,
              "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
              "num_key_value_heads": 8, "attention_bias": False, "mlp_bias": False}


@register("bamba", {**LLAMA_KEYS, **MAMBA2_KEYS, "attn_layer_indices": None},
          base_class="BambaModel")
def bamba(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, inter, layers = c.int("hidden_size"), c.int("intermediate_size"), \
        c.int("num_hidden_layers")
    mixer = _mamba_prefixed(c, inner_size(c, "mamba_expand"))
    listed = c.value("attn_layer_indices")
    if listed is not None and not (isinstance(listed, list) and
                                   all(isinstance(i, int) for i in listed)):
        raise SpecError(f"{c.where}: attn_layer_indices must list layer numbers, got "
                        f"{shown(listed)}")
    attention = sorted({i for i in listed or [] if 0 <= i < layers})
    bias, mlp_bias = c.bool("attention_bias"), c.bool("mlp_bias")
    in_bias, conv_bias = c.bool("mamba_proj_bias"), c.bool("mamba_conv_bias")

    def layer(i: int) -> Layer:
        out: Layer = {"attention": _attention(c, "self_attn", bias)} if i in attention else \
            {"mixer": mixer.tensors("mamba", h, in_bias, in_bias, conv_bias)}
        out["mlp"] = _gated("feed_forward", h, inter, mlp_bias)
        out["norms"] = norm("input_layernorm", h) + norm("pre_ff_layernorm", h)
        return out

    p = "" if base else "model."
    a = Assembly(name)
    a.decoder = _decoder(c, inter, _cached(c), len(attention), mixer, layers - len(attention))
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", c.int("vocab_size"), h))
    a.stack(f"{p}layers.", layers, layer,
            starts=[j for i in attention for j in (i, i + 1)])
    _finish(a, c, p, "embed_tokens", "final_layernorm", base)
    return a


@register("falcon_h1", {**LLAMA_KEYS, **MAMBA2_KEYS, "mamba_d_ssm": 1024,
                        "mamba_rms_norm": False, "projectors_bias": False},
          base_class="FalconH1Model")
def falcon_h1(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, inter, layers = c.int("hidden_size"), c.int("intermediate_size"), \
        c.int("num_hidden_layers")
    d_ssm = c.value("mamba_d_ssm")
    mixer = _mamba_prefixed(c, inner_size(c, "mamba_expand") if d_ssm is None else
                            c.int("mamba_d_ssm"))
    in_bias, conv_bias = c.bool("mamba_proj_bias"), c.bool("mamba_conv_bias")
    out_bias, gated_norm = c.bool("projectors_bias"), c.bool("mamba_rms_norm")
    # the muP multipliers of in_proj's outputs: a buffer (not saved), 2I + 2 groups N + heads
    mup = 2 * mixer.inner + 2 * mixer.groups * mixer.n + mixer.heads

    def layer(i: int) -> Layer:
        return {"mixer": mixer.tensors("mamba", h, in_bias, out_bias, conv_bias, gated_norm) +
                [Tensor("mamba.mup_vector", (1, 1, mup), "other", buffer=True)],
                "attention": _attention(c, "self_attn", c.bool("attention_bias")),
                "mlp": _gated("feed_forward", h, inter, c.bool("mlp_bias")),
                "norms": norm("input_layernorm", h) + norm("pre_ff_layernorm", h)}

    p = "" if base else "model."
    a = Assembly(name)
    a.decoder = _decoder(c, inter, _cached(c), layers, mixer, layers, own_blocks=False)
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", c.int("vocab_size"), h))
    a.stack(f"{p}layers.", layers, layer)
    _finish(a, c, p, "embed_tokens", "final_layernorm", base)
    return a


@register("granitemoehybrid", {
    **MAMBA2_KEYS, "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008,
    "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": None,
    "tie_word_embeddings": False, "attention_bias": False, "num_local_experts": 8,
    "num_experts_per_tok": 2, "shared_intermediate_size": 1024, "layer_types": None},
    aliases={"layers_block_type": "layer_types"}, base_class="GraniteMoeHybridModel")
def granitemoehybrid(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, inter, layers = c.int("hidden_size"), c.int("intermediate_size"), \
        c.int("num_hidden_layers")
    mixer = _mamba_prefixed(c, inner_size(c, "mamba_expand"))
    types = ["linear_attention"] * layers if c.value("layer_types") is None else \
        layer_types(c, "layer_types", layers, ("linear_attention", "full_attention"))
    experts, shared = c.int("num_local_experts", least=0), c.int("shared_intermediate_size")
    top_k = c.int("num_experts_per_tok") if experts else 0
    bias, conv_bias = c.bool("mamba_proj_bias"), c.bool("mamba_conv_bias")

    def layer(i: int) -> Layer:
        out: Layer = {"mixer": mixer.tensors("mamba", h, bias, bias, conv_bias)} \
            if types[i] == "linear_attention" else \
            {"attention": _attention(c, "self_attn", c.bool("attention_bias"))}
        if experts:
            out["router"] = [Tensor("block_sparse_moe.router.weight", (experts, h), "weight")]
            out["experts"] = [
                Tensor("block_sparse_moe.experts.gate_up_proj", (experts, 2 * inter, h),
                       "weight"),
                Tensor("block_sparse_moe.experts.down_proj", (experts, h, inter), "weight")]
        out["shared experts"] = linear("shared_mlp.input_linear", 2 * shared, h) + \
            linear("shared_mlp.output_linear", h, shared)
        out["norms"] = norm("input_layernorm", h) + norm("post_attention_layernorm", h)
        return out

    p = "" if base else "model."
    a = Assembly(name)
    attention = types.count("full_attention")
    a.decoder = _decoder(c, shared, _cached(c), attention, mixer, layers - attention, top_k,
                         inter if experts else 0)
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", c.int("vocab_size"), h))
    a.stack(f"{p}layers.", layers, layer, starts=range(layers),
            active={"experts": Fraction(top_k, experts) if experts else Fraction(0)})
    _finish(a, c, p, "embed_tokens", "norm", base)
    return a


NEMOTRON_TYPES = ("linear_attention", "full_attention", "moe", "mlp")
PATTERN = {"M": "linear_attention", "*": "full_attention", "E": "moe", "-": "mlp"}
# the older names NemotronHConfig still reads (and renames; the older name wins)
NEMOTRON_LEGACY = {"mamba_n_groups": "n_groups", "mamba_d_conv": "conv_kernel",
                   "mamba_conv_bias": "use_conv_bias"}


def _nemotron_types(c: Config) -> list[str]:
    """layers_block_type, else hybrid_override_pattern's letters, else M E * - (four layers);
    num_hidden_layers is ignored (the list says how many)."""
    if c.value("layers_block_type") is not None:
        return layer_types(c, "layers_block_type", None, NEMOTRON_TYPES)
    pattern = c.value("hybrid_override_pattern", None)
    if pattern is None:
        return ["linear_attention", "moe", "full_attention", "mlp"]
    if not isinstance(pattern, str) or not pattern or set(pattern) - set(PATTERN):
        raise SpecError(f"{c.where}: hybrid_override_pattern spells the layers in letters, M "
                        f"(Mamba), * (attention), E (experts), - (MLP), got {shown(pattern)}")
    return [PATTERN[x] for x in pattern]


@register("nemotron_h", {
    "vocab_size": 131072, "hidden_size": 4096, "layers_block_type": None,
    "tie_word_embeddings": False, "num_attention_heads": 32, "num_key_value_heads": 8,
    "head_dim": 128, "intermediate_size": 21504, "mlp_bias": False, "ssm_state_size": 128,
    "mamba_num_heads": 128, "mamba_head_dim": 64, "n_groups": 8, "conv_kernel": 4,
    "use_conv_bias": True, "n_routed_experts": 8, "moe_intermediate_size": 7688,
    "moe_shared_expert_intermediate_size": 7688, "moe_latent_size": None,
    "num_experts_per_tok": 2, "use_bias": False},
    aliases={"layer_types": "layers_block_type", "num_local_experts": "n_routed_experts"},
    base_class="NemotronHModel")
def nemotron_h(family: str, c: Config, name: str, base: bool) -> Assembly:
    c = legacy_first(c, NEMOTRON_LEGACY)
    h, v = c.int("hidden_size"), c.int("vocab_size")
    types = _nemotron_types(c)
    heads = c.int("mamba_num_heads")
    mixer = Mixer(heads * c.int("mamba_head_dim"), heads, c.int("n_groups"),
                  c.int("ssm_state_size"), c.int("conv_kernel"))
    bias, mlp_bias = c.bool("use_bias"), c.bool("mlp_bias")
    experts, width = c.int("n_routed_experts"), c.int("moe_intermediate_size")
    latent = c.int("moe_latent_size", None) or h
    # NemotronHMLP(intermediate_size=0) falls back on intermediate_size
    shared = c.int("moe_shared_expert_intermediate_size", least=0) or c.int("intermediate_size")
    moe = "moe" in types
    top_k = c.int("num_experts_per_tok") if moe else 0
    head_dim = c.int("head_dim")
    # vLLM keeps Nemotron-H's SSM state at the config's mamba_ssm_cache_dtype ("float32" in
    # NVIDIA-Nemotron-3-Nano-30B-A3B's), else float32 (NemotronHForCausalLMConfig: the key read
    # by vllm-project/vllm#29978, float16 without it; float32 by #39032, opened 2026-04-05);
    # transformers' config class does not know the key
    ssm_dtype = c.value("mamba_ssm_cache_dtype", "float32")
    if ssm_dtype not in ("float32", "bfloat16", "float16"):
        raise SpecError(f"{c.where}: mamba_ssm_cache_dtype = {shown(ssm_dtype)}: vLLM keeps the "
                        f"SSM state at float32, bfloat16 or float16 (its MambaDType)")

    def layer(i: int) -> Layer:
        kind = types[i]
        if kind == "linear_attention":
            out: Layer = {"mixer": mixer.tensors("mixer", h, bias, bias, c.bool("use_conv_bias"))}
        elif kind == "full_attention":
            out = {"attention": _attention(c, "mixer", False, head_dim)}
        elif kind == "mlp":
            inter = c.int("intermediate_size")
            out = {"mlp": linear("mixer.up_proj", inter, h, mlp_bias) +
                   linear("mixer.down_proj", h, inter, mlp_bias)}
        else:
            out = {"router": [Tensor("mixer.gate.weight", (experts, h), "weight"),
                              Tensor("mixer.gate.e_score_correction_bias", (experts,), "other",
                                     buffer=True)],
                   "experts": [Tensor("mixer.experts.up_proj", (experts, width, latent), "weight"),
                               Tensor("mixer.experts.down_proj", (experts, latent, width),
                                      "weight")],
                   "shared experts": linear("mixer.shared_experts.up_proj", shared, h, mlp_bias) +
                   linear("mixer.shared_experts.down_proj", h, shared, mlp_bias)}
            if c.value("moe_latent_size") is not None:  # the experts work in a smaller width
                out["latent"] = linear("mixer.fc1_latent_proj", latent, h, mlp_bias) + \
                    linear("mixer.fc2_latent_proj", h, latent, mlp_bias)
        out["norms"] = norm("norm", h)
        return out

    p = "" if base else "model."
    a = Assembly(name)
    attention = types.count("full_attention")
    dense = c.int("intermediate_size") if "mlp" in types else 0
    a.decoder = _decoder(c, dense, _cached(c, head_dim), attention, mixer,
                         types.count("linear_attention"), top_k, width if moe else 0,
                         ssm_dtype=ssm_dtype)
    a.add("embeddings", "embedding", embedding(f"{p}embeddings", v, h))
    a.stack(f"{p}layers.", len(types), layer, starts=range(len(types)),
            active={"experts": Fraction(top_k, experts)})
    # NemotronHForCausalLM ties nothing (its _tied_weights_keys is empty)
    _finish(a, c, p, "embeddings", "norm_f", base, tied_possible=False)
    return a
