"""Decoder-only language models that follow Llama's layout, as transformers builds them.

    model.embed_tokens -> layers.{i}: self_attn, mlp (or experts), norms -> model.norm -> lm_head

Families differ in a few traits (traits.py), given per family below and in decoder_families.py:
biases, extra norms, fused projections, mixture-of-experts feed-forward layers, DeepSeek's
multi-head latent attention.  One builder reads them.  Defaults are those of transformers' config
class for each family (tests check them against it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice

from ..errors import SpecError, shown
from ..model import AttentionLayer, Decoder, Layers, Tensor
from ..records import replace
from .assembly import MAX_RUNS, Assembly, Layer, check_runs, embedding, linear, norm
from .config import MISSING, Config
from .heads import decoder_heads
from .registry import QA, SEQ, TOKEN, Head, register
from .traits import Flag, Moe, Traits

TYPE_CHECKING = False
if TYPE_CHECKING:
    from fractions import Fraction
    from typing import Any

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
_QWEN_MOE = Moe(layers="sparse_step")
_DEEPSEEK_MOE = Moe(experts="n_routed_experts", layers="first_k_dense",
                    shared_count="n_shared_experts")
TRAITS: dict[str, Traits] = {
    "llama": Traits(mlp_bias="mlp_bias"),
    "mistral": Traits(qkv_bias=False, o_bias=False, windows="all"),  # whatever the config says
    "mixtral": Traits(qkv_bias=False, o_bias=False, windows="all",
                      moe=Moe(experts="num_local_experts", width="intermediate_size")),
    "qwen2": Traits(qkv_bias=True, o_bias=False, windows="qwen"),
    "qwen2_moe": Traits(qkv_bias="qkv_bias", o_bias=False, windows="qwen",
                        moe=Moe(layers="sparse_step",
                                shared_width="shared_expert_intermediate_size",
                                shared_name="mlp.shared_expert", shared_gate=True)),
    "qwen3": Traits(qk_norm="head", windows="qwen"),
    "qwen3_moe": Traits(qk_norm="head", windows="qwen", moe=_QWEN_MOE),
    "gemma": Traits(),
    "gemma2": Traits(norms=("input_layernorm", "post_attention_layernorm",
                            "pre_feedforward_layernorm", "post_feedforward_layernorm"),
                     windows="alternate"),
    "gemma3_text": Traits(qk_norm="head",
                          norms=("input_layernorm", "post_attention_layernorm",
                                 "pre_feedforward_layernorm", "post_feedforward_layernorm"),
                          windows="pattern"),
    "olmo": Traits(norms=(), final_norm=None),  # non-parametric layer norms
    "olmo2": Traits(qk_norm="full", norms=("post_attention_layernorm",
                                           "post_feedforward_layernorm")),
    "starcoder2": Traits(qkv_bias="use_bias", o_bias="use_bias", mlp="c_fc", mlp_bias="use_bias",
                         norm_bias=True, windows="all"),
    # attention and MLP in parallel after one norm
    "phi": Traits(qkv_bias=True, o_bias=True, out_proj="dense", qk_norm="head",
                  qk_norm_when="qk_layernorm", qk_norm_names=("q_layernorm", "k_layernorm"),
                  qk_norm_bias=True, mlp="fc", mlp_bias=True, norms=("input_layernorm",),
                  norm_bias=True, final_norm="final_layernorm", head_bias=True),
    "phi3": Traits(attention="fused", qkv_bias=False, o_bias=False, mlp="fused", windows="all"),
    "deepseek_v2": Traits(attention="latent", mlp_bias="mlp_bias", moe=_DEEPSEEK_MOE),
    "deepseek_v3": Traits(attention="latent", moe=Moe(
        experts="n_routed_experts", layers="first_k_dense", shared_count="n_shared_experts",
        score_bias="gate.e_score_correction_bias")),
}


_ALL = decoder_heads(SEQ, TOKEN, QA)  # QuestionAnswering under 'model'
_ALL_QA_TRANSFORMER = decoder_heads(SEQ, TOKEN, QA, qa="transformer")
# AutoModel's class of each family, and the task-head classes transformers has for it
CLASSES: dict[str, tuple[str, dict[str, Head]]] = {
    "llama": ("LlamaModel", _ALL_QA_TRANSFORMER), "mistral": ("MistralModel", _ALL),
    "mixtral": ("MixtralModel", _ALL), "qwen2": ("Qwen2Model", _ALL_QA_TRANSFORMER),
    "qwen2_moe": ("Qwen2MoeModel", _ALL), "qwen3": ("Qwen3Model", _ALL_QA_TRANSFORMER),
    "qwen3_moe": ("Qwen3MoeModel", _ALL_QA_TRANSFORMER),
    "gemma": ("GemmaModel", decoder_heads(SEQ, TOKEN)),
    "gemma2": ("Gemma2Model", decoder_heads(SEQ, TOKEN)),
    "gemma3_text": ("Gemma3TextModel", decoder_heads(SEQ)),
    "olmo": ("OlmoModel", decoder_heads(SEQ)), "olmo2": ("Olmo2Model", decoder_heads(SEQ)),
    "starcoder2": ("Starcoder2Model", decoder_heads(SEQ, TOKEN)),
    "phi": ("PhiModel", decoder_heads(SEQ, TOKEN)),
    "phi3": ("Phi3Model", decoder_heads(SEQ, TOKEN)),
    "deepseek_v2": ("DeepseekV2Model", decoder_heads(SEQ)),
    "deepseek_v3": ("DeepseekV3Model", decoder_heads(SEQ, TOKEN)),
}

# Gemma 3's text model: its causal LM is Gemma3ForCausalLM, and its first configs said gemma3
# (without a text_config: that is the multimodal model)
MORE: dict[str, dict[str, Any]] = {
    "gemma3_text": {"lm_class": "Gemma3ForCausalLM", "legacy_types": ("gemma3",)}}


class Dims:
    """The sizes a decoder layer is built from, read once."""

    def __init__(self, t: Traits, c: Config) -> None:
        self.hidden = c.int("hidden_size")
        self.heads = c.int("num_attention_heads")
        # a key the family requires has no fallback (transformers fails without it)
        kv: Any = MISSING if "num_key_value_heads" in t.requires else self.heads
        self.kv = c.int("num_key_value_heads", kv) if t.kv_heads else self.heads
        head_dim: Any = MISSING if "head_dim" in t.requires else None
        self.head_dim = (c.int("head_dim", head_dim) if t.head_dim else None) or \
            self.hidden // self.heads
        # read where a dense MLP needs it (a model of experts only may not give it)
        self._inter: Callable[[], int] = lambda: c.int(t.dense_width)
        self.vocab = c.int("vocab_size")
        self.layers = c.int("num_hidden_layers")

    @property
    def inter(self) -> int:
        return self._inter()


def flag(c: Config, value: Flag) -> bool:
    """A trait's answer: fixed, or read from the config key it names ("!key": its negation)."""
    if isinstance(value, bool):
        return value
    if value.startswith("!"):
        return not c.bool(value[1:])
    return c.bool(value)


def _attention(t: Traits, c: Config, d: Dims) -> list[Tensor]:
    h, q, kv = d.hidden, d.heads * d.head_dim, d.kv * d.head_dim
    if t.attention == "latent":
        return _latent_attention(t, c, d)
    qkv_bias, o_bias = flag(c, t.qkv_bias), flag(c, t.o_bias)
    out = linear(f"self_attn.{t.out_proj}", h, q, o_bias)
    if t.attention == "fused":
        w = out + linear(f"self_attn.{t.qkv_name}", q + 2 * kv, h, qkv_bias)
    else:
        w = linear("self_attn.q_proj", q, h, qkv_bias) + \
            linear("self_attn.k_proj", kv, h, qkv_bias) + \
            linear("self_attn.v_proj", kv, h, qkv_bias) + out
    if t.qk_norm and flag(c, t.qk_norm_when):
        qn, kn = t.qk_norm_names
        if t.qk_norm == "head":
            w += norm(f"self_attn.{qn}", d.head_dim, t.qk_norm_bias) + \
                norm(f"self_attn.{kn}", d.head_dim, t.qk_norm_bias)
        elif t.qk_norm == "full":
            w += norm(f"self_attn.{qn}", q, t.qk_norm_bias) + \
                norm(f"self_attn.{kn}", kv, t.qk_norm_bias)
        elif t.qk_norm == "per_head":  # a list of LayerNorms, one per head (StableLM)
            w += [x for i in range(d.heads) for x in norm(f"self_attn.{qn}.norms.{i}", d.head_dim)]
            w += [x for i in range(d.kv) for x in norm(f"self_attn.{kn}.norms.{i}", d.head_dim)]
        else:  # one norm per head, as one tensor (Cohere)
            w += [Tensor(f"self_attn.{qn}.weight", (d.heads, d.head_dim), "norm"),
                  Tensor(f"self_attn.{kn}.weight", (d.kv, d.head_dim), "norm")]
    if t.sinks:
        w.append(Tensor("self_attn.sinks", (d.heads,), "other"))
    w += [Tensor(f"self_attn.{n}", (d.head_dim,), "other") for n in t.head_vectors]
    if t.sub_norms:
        w += norm("self_attn.attn_sub_norm", h)
    return w


def _v_head_dim(t: Traits, c: Config, d: Dims) -> int:
    return c.int("v_head_dim", d.hidden // d.heads if t.v_head_dim_from_hidden else MISSING)


def _latent_attention(t: Traits, c: Config, d: Dims) -> list[Tensor]:
    """DeepSeek's multi-head latent attention: queries and keys/values through low ranks.

    q: hidden -> q_lora_rank -> heads x (nope + rope)   (or one q_proj without q_lora_rank)
    kv: hidden -> kv_lora_rank + rope (shared rope key) -> heads x (nope + v)
    """
    bias = c.bool("attention_bias")
    nope, rope, v = c.int("qk_nope_head_dim"), c.int("qk_rope_head_dim"), _v_head_dim(t, c, d)
    q_rank, kv_rank = c.int("q_lora_rank", None), c.int("kv_lora_rank")
    qk = d.heads * (nope + rope)
    if q_rank is None:
        w = linear("self_attn.q_proj", qk, d.hidden)
    else:
        w = linear("self_attn.q_a_proj", q_rank, d.hidden, bias) + \
            norm("self_attn.q_a_layernorm", q_rank) + linear("self_attn.q_b_proj", qk, q_rank)
    w += linear("self_attn.kv_a_proj_with_mqa", kv_rank + rope, d.hidden, bias) + \
        norm("self_attn.kv_a_layernorm", kv_rank) + \
        linear("self_attn.kv_b_proj", d.heads * (nope + v), kv_rank) + \
        linear("self_attn.o_proj", d.hidden, d.heads * v, bias)
    if t.indexer:  # index_n_heads queries from the q latent, one key from the hidden state
        if q_rank is None:
            raise SpecError(f"{c.where}: q_lora_rank is null, and the indexer of a "
                            f"{c.family} model reads its queries from that latent")
        n, dim = c.int("index_n_heads"), c.int("index_head_dim")
        w += linear("self_attn.indexer.wq_b", n * dim, q_rank) + \
            linear("self_attn.indexer.wk", dim, d.hidden) + \
            norm("self_attn.indexer.k_norm", dim, True) + \
            linear("self_attn.indexer.weights_proj", n, d.hidden)
    return w


def _dense_mlp(t: Traits, c: Config, d: Dims, inter: int, prefix: str = "mlp") -> list[Tensor]:
    h, bias = d.hidden, flag(c, t.mlp_bias)
    if t.mlp == "fused":
        w = linear(f"{prefix}.gate_up_proj", 2 * inter, h, bias) + \
            linear(f"{prefix}.down_proj", h, inter, bias)
    elif t.mlp == "fc":
        w = linear(f"{prefix}.fc1", inter, h, bias) + linear(f"{prefix}.fc2", h, inter, bias)
    elif t.mlp == "c_fc":
        w = linear(f"{prefix}.c_fc", inter, h, bias) + linear(f"{prefix}.c_proj", h, inter, bias)
    elif t.mlp == "io":  # Granite's shared expert: gate and up in one input_linear
        w = linear(f"{prefix}.input_linear", 2 * inter, h, bias) + \
            linear(f"{prefix}.output_linear", h, inter, bias)
    elif t.mlp == "h_to_4h":
        w = linear(f"{prefix}.dense_h_to_4h", inter, h, bias) + \
            linear(f"{prefix}.dense_4h_to_h", h, inter, bias)
    elif t.mlp == "plain":
        w = linear(f"{prefix}.up_proj", inter, h, bias) + \
            linear(f"{prefix}.down_proj", h, inter, bias)
    else:
        w = linear(f"{prefix}.gate_proj", inter, h, bias) + \
            linear(f"{prefix}.up_proj", inter, h, bias) + \
            linear(f"{prefix}.down_proj", h, inter, bias)
    if t.sub_norms:
        w += norm(f"{prefix}.ffn_sub_norm", inter)
    if t.act_params:
        w += [Tensor(f"{prefix}.act_fn.alpha_p", (1,), "other"),
              Tensor(f"{prefix}.act_fn.alpha_n", (1,), "other")]
    return w


def _experts(m: Moe, n: int, hidden: int, inter: int) -> list[Tensor]:
    """n experts fused as transformers 5 stores them: gate and up projections in one tensor."""
    p = f"{m.block}.experts"
    if m.transposed:
        w = [Tensor(f"{p}.gate_up_proj", (n, hidden, 2 * inter), "weight"),
             Tensor(f"{p}.down_proj", (n, inter, hidden), "weight")]
    else:
        w = [Tensor(f"{p}.gate_up_proj", (n, 2 * inter, hidden), "weight"),
             Tensor(f"{p}.down_proj", (n, hidden, inter), "weight")]
    if m.expert_bias:
        w.insert(1, Tensor(f"{p}.gate_up_proj_bias", (n, 2 * inter), "bias"))
        w.append(Tensor(f"{p}.down_proj_bias", (n, hidden), "bias"))
    return w


def _sparse(m: Moe, c: Config, i: int, layers: int) -> bool:
    """Whether layer i's feed-forward block is the mixture of experts."""
    if m.layers == "sparse_step":
        n, step = c.int(m.experts, least=0), c.int("decoder_sparse_step")
        return i not in _mlp_only(c) and n > 0 and (i + 1) % step == 0
    if m.layers == "first_dense":  # GLM-4 MoE Lite's mlp_layer_types when left out
        return i >= 1
    if m.layers == "range":  # ERNIE 4.5: an end of -1 is the last layer
        start, end = c.int("moe_layer_start_index", least=0), _range_end(c, layers)
        return start <= i <= end and (i + 1) % c.int("moe_layer_interval") == 0
    if m.layers == "first_k_dense":
        return i >= c.int("first_k_dense_replace", least=0)
    if m.layers == "interleave":  # Llama 4: moe_layers, else every step-th layer
        listed = c.value("moe_layers", None)
        if listed is not None:
            return i in c.int_set("moe_layers")
        step = c.int("interleave_moe_layer_step", least=0)
        return step > 0 and i % step == step - 1
    if m.layers == "types":
        types = c.value("mlp_layer_types", None)
        if types is None:
            return _sparse(replace(m, layers=m.types_else), c, i, layers)
        if not isinstance(types, list) or len(types) != layers or \
                not set(types) <= {"sparse", "dense"}:
            raise SpecError(f"{c.where}: mlp_layer_types must list 'sparse' or 'dense' for each "
                            f"of the {layers} layers, got {types!r}")
        return bool(types[i] == "sparse")
    return True


def _mlp_only(c: Config) -> frozenset[int]:
    """Qwen's dense layers among the sparse ones; null is none (Qwen3-VL-MoE's default)."""
    return frozenset() if c.value("mlp_only_layers", None) is None else \
        c.int_set("mlp_only_layers")


def _range_end(c: Config, layers: int) -> int:
    end = c.value("moe_layer_end_index")
    return layers - 1 if end == -1 else c.int("moe_layer_end_index", least=0)


def _starts(t: Traits, c: Config, d: Dims) -> Iterator[int]:
    """The layers where _sparse's answer may change from the layer before (see stack())."""
    yield 0
    m = t.moe
    if m is None:
        return
    rule = m.layers
    if rule == "types" and c.value("mlp_layer_types", None) is None:
        rule = m.types_else
    if rule == "sparse_step":
        for i in _mlp_only(c):
            yield from (i, i + 1)
        step = c.int("decoder_sparse_step")
        if step > 1:
            for i in range(step - 1, d.layers, step):
                yield from (i, i + 1)
    elif rule == "first_k_dense":
        yield c.int("first_k_dense_replace", least=0)
    elif rule == "first_dense":
        yield 1
    elif rule == "range":
        yield from (c.int("moe_layer_start_index", least=0), _range_end(c, d.layers) + 1)
        step = c.int("moe_layer_interval")
        if step > 1:
            for i in range(step - 1, d.layers, step):
                yield from (i, i + 1)
    elif rule == "types":  # a list as long as the model: every layer may differ
        yield from range(1, d.layers)
    elif rule == "interleave":
        listed = c.value("moe_layers", None)
        if listed is not None:
            for i in c.ints("moe_layers"):
                yield from (i, i + 1)
        else:
            step = c.int("interleave_moe_layer_step", least=0)
            if step > 1:
                for i in range(step - 1, d.layers, step):
                    yield from (i, i + 1)


def _top_k(m: Moe, c: Config) -> int:
    return c.int(m.top_k, None) or 1


def _layer(t: Traits, c: Config, d: Dims, i: int) -> Layer:
    layer: Layer = {"attention": _attention(t, c, d)}
    h, m = d.hidden, t.moe
    if m is not None and _sparse(m, c, i, d.layers):
        n, inter = c.int(m.experts), c.int(m.width)
        router = linear(f"{m.block}.{m.router}", n, h, flag(c, m.router_bias))
        if m.score_bias:
            router.append(Tensor(f"{m.block}.{m.score_bias}", (1, n) if m.score_bias_rows else
                                 (n,), "other", buffer=m.score_bias_buffer))
        layer["router"] = router
        layer["experts"] = _experts(m, n, h, inter)
        shared = 0
        if m.shared_width:
            shared = c.int(m.shared_width, least=0)
        elif m.shared_count:
            shared = inter * c.int(m.shared_count, least=0)
        if shared:
            kind = replace(t, mlp=m.shared_mlp) if m.shared_mlp else t
            layer["shared experts"] = _dense_mlp(kind, c, d, shared, m.shared_name)
            if m.shared_gate:
                layer["shared experts"] += linear(f"{m.shared_name}_gate", 1, h)
    else:
        layer["mlp"] = _dense_mlp(t, c, d, d.inter, t.mlp_name)
    norms = [w for n in t.norms if not isinstance(n, tuple) or flag(c, n[1])
             for w in norm(n if isinstance(n, str) else n[0], h, flag(c, t.norm_bias))]
    if norms:
        layer["norms"] = norms
    return layer


Windows = tuple[tuple[tuple[int | None, ...], int], ...]  # runs: (a block of windows, repeats)


def _windows(t: Traits, c: Config, layers: int) -> Windows:
    """Each layer's sliding window, by the config's layer_types or the family's rule, as runs of
    repeated blocks (a million alternating layers are one run)."""
    types = c.value("layer_types", None)
    if isinstance(types, list) and len(types) == layers:
        if not all(isinstance(x, str) for x in types):
            bad = next(x for x in types if not isinstance(x, str))
            raise SpecError(f"{c.where}: layer_types lists attention types by name, such as "
                            f"'sliding_attention', got {shown(bad)}")
        window = _window(c) if "sliding_attention" in types else None
        return tuple(((window if x == "sliding_attention" else None,), 1) for x in types)
    if t.windows == "qwen" and not c.value("use_sliding_window", False):
        return (((None,), layers),)  # Qwen's config class drops the window then
    window = _window(c) if t.windows != "none" else None
    if window is None:
        return (((None,), layers),)
    if t.windows == "alternate":  # local and global layers alternate, local first
        return _periodic((window, None), layers)
    if t.windows == "pattern":  # five local layers to every global one
        pattern = c.int("sliding_window_pattern", 6)
        if pattern <= 64:
            return _periodic((window,) * (pattern - 1) + (None,), layers)
        # a long pattern: runs of local layers between the global ones
        whole, rest = divmod(layers, pattern)
        check_runs(2 * whole + 1, "sliding_window_pattern")
        return tuple(((window,), pattern - 1) if j % 2 == 0 else ((None,), 1)
                     for j in range(2 * whole)) + ((((window,), rest),) if rest else ())
    if t.windows == "qwen":
        if not c.value("use_sliding_window", False):
            return (((None,), layers),)
        first = min(c.int("max_window_layers", 28, least=0), layers)
        return tuple(run for run in (((None,), first), ((window,), layers - first)) if run[1])
    if t.windows == "all":
        return (((window,), layers),)
    if t.windows == "periodic":
        return _period_runs(t, c, window, layers)
    return (((None,), layers),)


def _window(c: Config) -> int | None:
    """The config's sliding_window: null is no window (as transformers reads it: a cache layer
    of window w keeps w - 1 past tokens, so 0, a negative or a fraction means nothing), a
    positive whole number is one; anything else is refused by name."""
    window = c.value("sliding_window", None)
    if window is None:
        return None
    if isinstance(window, bool) or not isinstance(window, int) or not 0 < window <= 2**62:
        raise SpecError(f"{c.where}: sliding_window must be a positive whole number of tokens "
                        f"or null (no window), got {shown(window)}")
    return window


def _chunks(t: Traits, c: Config, layers: int) -> Windows:
    """Llama 4: chunked attention layers, which transformers caches as sliding windows
    attention_chunk_size long, where no_rope_layers says 1 (else one NoPE layer, full, every
    no_rope_layer_interval layers); none without a chunk size."""
    chunk = c.value(t.window_size_key, None)
    if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
        return (((None,), layers),)
    listed = c.value("no_rope_layers", None)
    if listed:
        if not isinstance(listed, list) or len(listed) != layers or \
                not all(x in (0, 1) for x in listed):
            raise SpecError(f"{c.where}: no_rope_layers must give each of the {layers:,} "
                            f"layers a 1 (rotary, chunked) or a 0 (NoPE, full), got "
                            f"{shown(listed)}")
        return tuple(((chunk if x else None,), 1) for x in listed)
    return _period_runs(t, c, chunk, layers)


def _period_runs(t: Traits, c: Config, window: int, layers: int) -> Windows:
    """The periodic layout transformers' config class fills in when layer_types is left out:
    each period all sliding layers but one full one, first or last, or the period's letters."""
    key = t.window_key
    raw = c.value(key, t.window_period) if key else t.window_period
    if isinstance(raw, str):  # EXAONE 4's "LLLG": from layer 0 on, L local, G global
        if not raw or set(raw) - {"L", "G"}:
            raise SpecError(f"{c.where}: {key} spells one period of layers as L (local) and G "
                            f"(global) letters, such as 'LLLG', got {shown(raw)}")
        return _periodic(tuple(window if x == "L" else None for x in raw), layers)
    period = c.int(key, t.window_period) if key else t.window_period
    sliding: tuple[tuple[int | None, ...], int] = ((window,), period - 1)
    full: tuple[tuple[int | None, ...], int] = ((None,), 1)
    period_runs = (full, sliding) if t.window_full == "first" else (sliding, full)
    if period <= 64:
        block = tuple(w for ws, n in period_runs for w in ws * n)
        return _periodic(block, layers)
    # a long period: runs of sliding layers between the full ones
    whole, rest = divmod(layers, period)
    check_runs(2 * whole + 2, f"{key or 'the period of sliding windows'}")
    runs = [run for _ in range(whole) for run in period_runs if run[1]]
    for ws, n in period_runs:  # the start of one more period
        if rest and n:
            runs.append((ws, min(n, rest)))
            rest -= min(n, rest)
    return tuple(runs)


def _periodic(block: tuple[int | None, ...], count: int) -> Windows:
    whole, rest = divmod(count, len(block))
    return tuple(run for run in ((block, whole), (block[:rest], 1)) if run[1] and run[0])


def decoder_shape(t: Traits, c: Config, d: Dims) -> Decoder:
    if t.attention == "latent":
        nope, rope, v = c.int("qk_nope_head_dim"), c.int("qk_rope_head_dim"), _v_head_dim(t, c, d)
        latent = c.int("kv_lora_rank") + rope

        def attention(w: int | None) -> AttentionLayer:
            return AttentionLayer(d.heads, d.heads, nope + rope, v, w, latent)
    else:
        def attention(w: int | None) -> AttentionLayer:
            return AttentionLayer(d.heads, d.kv, d.head_dim, d.head_dim, w)
    runs = _windows(t, c, d.layers) if t.window_size_key == "sliding_window" else \
        _chunks(t, c, d.layers)
    layers = Layers(tuple((tuple(attention(w) for w in block), n) for block, n in runs))
    experts, expert_inter = 0, 0
    m = t.moe
    # the layers' kinds change only at _starts: asking there answers for every layer
    points = sorted(set(islice((i for i in _starts(t, c, d) if 0 <= i < d.layers),
                               MAX_RUNS + 1)))
    check_runs(len(points), f"layers (of {d.layers:,})")
    sparse = [_sparse(m, c, i, d.layers) for i in points] if m is not None else [False]
    if m is not None and any(sparse):
        experts, expert_inter = _top_k(m, c), c.int(m.width)
    dense = not all(sparse)
    return Decoder(d.hidden, d.inter if dense else 0, d.vocab, layers, experts, expert_inter)


def build_traits(t: Traits, c: Config, name: str, base: bool) -> Assembly:
    """The model of a Llama-shaped family with traits t."""
    d = Dims(t, c)
    a = Assembly(name)
    if t.indexer:  # no decoder record: the planner, compute and speed refuse it, saying why
        a.planner_refused = (f"{c.where}: each layer of a {c.family} model keeps an indexer key "
                             f"cache (index_head_dim values a token) beside its latent one and "
                             f"attends to the index_topk keys its indexer picks, which nnsize's "
                             f"KV cache and attention compute do not model")
    else:
        a.decoder = decoder_shape(t, c, d)
    prefix = "" if base else "model."
    a.add("embeddings", "embedding", embedding(f"{prefix}embed_tokens", d.vocab, d.hidden))
    active: dict[str, Fraction] = {}
    if t.moe is not None:
        n = c.int(t.moe.experts, least=0)
        top_k = _top_k(t.moe, c)
        if n and top_k > n:
            raise SpecError(f"{t.moe.top_k} = {top_k:,} is more than the {n:,} experts "
                            f"({t.moe.experts}): a token cannot be routed to more experts than "
                            f"there are")
        from fractions import Fraction  # a mixture of experts only: not a dense model's cost

        active["experts"] = Fraction(top_k, n) if n else Fraction(0)
    a.stack(f"{prefix}layers.", d.layers, lambda i: _layer(t, c, d, i), active=active,
            starts=_starts(t, c, d))
    if t.final_norm:
        final = norm(t.final_norm, d.hidden, flag(c, t.norm_bias))
        a.add("final norm", "norm", [w.prefixed(prefix) for w in final])
    if not base:
        tied = c.bool("tie_word_embeddings")
        head = linear("lm_head", d.vocab, d.hidden, bias=flag(c, t.head_bias))
        if tied:
            head[0] = Tensor("lm_head.weight", head[0].shape, "embedding",
                             shared_with="model.embed_tokens.weight")
        a.add("head" + (" (tied to the embeddings)" if tied else ""), "head", head)
    return a


def register_traits(model_type: str, traits: Traits, defaults: dict[str, Any],
                    aliases: dict[str, str] | None = None, base_class: str | None = None,
                    heads: dict[str, Head] | None = None, prefix: str | None = None,
                    lm_class: str | None = None, legacy_types: tuple[str, ...] = ()) -> None:
    """Register a Llama-shaped family: its traits, its config class's defaults and aliases,
    AutoModel's class and the task heads transformers has for it (registry.register)."""
    def build(family: str, c: Config, name: str, base: bool) -> Assembly:
        return build_traits(traits, c, name, base)

    register(model_type, defaults, causal=True, aliases=aliases, base_class=base_class,
             heads=heads, prefix=prefix, lm_class=lm_class, legacy_types=legacy_types)(build)


for _family in DEFAULTS:
    register_traits(_family, TRAITS[_family], DEFAULTS[_family], ALIASES.get(_family),
                    *CLASSES[_family], **MORE.get(_family, {}))
