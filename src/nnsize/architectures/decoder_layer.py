"""One layer of a Llama-shaped decoder, from its family's traits: the sizes it is built from
(Dims, read once), whether its feed-forward block is the mixture of experts (is_sparse, by the
family's rule, Moe.layers, and the layers where that answer may change), and its tensors,
tensor by tensor: attention (separate, fused or DeepSeek's latent), the dense MLP or the
experts, and its norms."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..errors import SpecError, shown
from ..model import Tensor
from ..records import replace
from .assembly import Layer, linear, norm
from .config import MISSING, Config
from .traits import Flag, Moe, Traits

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Dims:
    """The sizes a decoder layer is built from, read once."""

    def __init__(self, t: Traits, c: Config) -> None:
        self.hidden = c.int("hidden_size")
        self.heads = c.int("num_attention_heads")
        # a key the family requires has no fallback (transformers fails without it)
        kv: Any = MISSING if "num_key_value_heads" in t.requires else self.heads
        self.kv = c.int("num_key_value_heads", kv) if t.kv_heads else self.heads
        head_dim: Any = MISSING if "head_dim" in t.requires else None
        if not t.head_dim and self.hidden % self.heads:  # its code splits hidden evenly
            raise SpecError(f"{c.where}: hidden_size {self.hidden:,} is not a whole number of "
                            f"heads of {c.family} ({self.heads:,}): its attention refuses it")
        self.head_dim = (c.int("head_dim", head_dim) if t.head_dim else None) or \
            self.hidden // self.heads
        # values as wide as keys, but where the family reads a width of their own (MiMo)
        self.value_dim = c.int(t.value_dim) if t.value_dim else self.head_dim
        self.sliding_kv = self.kv * t.sliding_kv  # a sliding-window layer's KV heads
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


def is_sparse(m: Moe, c: Config, i: int, layers: int) -> bool:
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
            return is_sparse(replace(m, layers=m.types_else), c, i, layers)
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


def starts(t: Traits, c: Config, d: Dims) -> Iterator[int]:
    """The layers where is_sparse's answer may change from the layer before (Assembly.stack)."""
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


def experts_per_token(m: Moe, c: Config) -> int:
    return c.int(m.top_k, None) or 1


def attention(t: Traits, c: Config, d: Dims, sliding: bool = False) -> list[Tensor]:
    """A layer's attention; sliding: the layer has a sliding window (MiMo-V2-Flash builds
    those with sliding_kv times the KV heads, and its sinks)."""
    kv_heads = d.sliding_kv if sliding else d.kv
    h, q, kv = d.hidden, d.heads * d.head_dim, kv_heads * d.head_dim
    if t.attention == "latent":
        return latent_attention(t, c, d)
    qkv_bias, o_bias = flag(c, t.qkv_bias), flag(c, t.o_bias)
    # q: heads x head_dim, k: kv x head_dim, v: kv x value_dim; o reads heads x value_dim
    out = linear(f"self_attn.{t.out_proj}", h, d.heads * d.value_dim, o_bias)
    if t.attention == "fused":
        w = out + linear(f"self_attn.{t.qkv_name}", q + 2 * kv, h, qkv_bias)
    else:
        w = linear("self_attn.q_proj", q, h, qkv_bias) + \
            linear("self_attn.k_proj", kv, h, qkv_bias) + \
            linear("self_attn.v_proj", kv_heads * d.value_dim, h, qkv_bias) + out
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
    if t.sinks is True or t.sinks == "sliding" and sliding:
        w.append(Tensor("self_attn.sinks", (d.heads,), "other"))
    w += [Tensor(f"self_attn.{n}", (d.head_dim,), "other") for n in t.head_vectors]
    if t.sub_norms:
        w += norm("self_attn.attn_sub_norm", h)
    return w


def v_head_dim(t: Traits, c: Config, d: Dims) -> int:
    return c.int("v_head_dim", d.hidden // d.heads if t.v_head_dim_from_hidden else MISSING)


def latent_attention(t: Traits, c: Config, d: Dims) -> list[Tensor]:
    """DeepSeek's multi-head latent attention: queries and keys/values through low ranks.

    q: hidden -> q_lora_rank -> heads x (nope + rope)   (or one q_proj without q_lora_rank)
    kv: hidden -> kv_lora_rank + rope (shared rope key) -> heads x (nope + v)
    """
    bias = c.bool("attention_bias")
    nope, rope, v = c.int("qk_nope_head_dim"), c.int("qk_rope_head_dim"), v_head_dim(t, c, d)
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


def check_indexer_types(c: Config, layers: int) -> None:
    """Refuse, by key, a GLM-5 config that gives a layer no indexer of its own: as
    GlmMoeDsaConfig.__post_init__ reads them (transformers 5.25), indexer_types, else
    index_topk_pattern ("FSSF...": F full, S shared), else layer i is "full" where
    max(i - index_skip_topk_offset + 1, 0) % index_topk_freq == 0 (offset 2, freq 1: all
    full); a "shared" layer builds no indexer and caches no indexer keys."""
    types, key = c.value("indexer_types", None), "indexer_types"
    if types is None and c.value("index_topk_pattern", None) is not None:
        raw, key = c.value("index_topk_pattern"), "index_topk_pattern"
        types = ["full" if x == "F" else "shared" if x == "S" else x for x in raw] \
            if isinstance(raw, str) else raw
    if types is not None:
        if not isinstance(types, list) or len(types) != layers or \
                not all(x in ("full", "shared") for x in types):
            raise SpecError(f"{c.where}: {key} must give each of the {layers:,} layers 'full' "
                            f"(or F) or 'shared' (or S), got {shown(types)}")
        shared = "shared" in types
    else:
        freq = max(c.int("index_topk_freq", 1, least=-(2**62)), 1)
        offset = c.int("index_skip_topk_offset", 2, least=-(2**62))
        key = f"index_topk_freq = {freq} with index_skip_topk_offset = {offset}"
        # the values max(i - offset + 1, 0) over the layers are consecutive whole numbers,
        # first to last: one that is not a multiple of freq is a shared layer
        first, last = max(1 - offset, 0), max(layers - offset, 0)
        shared = freq > 1 and (last > first or first % freq != 0)
    if shared:
        said = key if " = " in key else f"{key} = {shown(c.value(key))}"
        raise SpecError(f"{c.where}: {said} makes some layers reuse the "
                        f"previous layer's top-k (indexer_types 'shared': no indexer of their "
                        f"own), which nnsize does not build")


def dense_mlp(t: Traits, c: Config, d: Dims, inter: int, prefix: str = "mlp") -> list[Tensor]:
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


def layer_tensors(t: Traits, c: Config, d: Dims, i: int, sliding: bool = False) -> Layer:
    layer: Layer = {"attention": attention(t, c, d, sliding)}
    h, m = d.hidden, t.moe
    if m is not None and is_sparse(m, c, i, d.layers):
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
            layer["shared experts"] = dense_mlp(kind, c, d, shared, m.shared_name)
            if m.shared_gate:
                layer["shared experts"] += linear(f"{m.shared_name}_gate", 1, h)
    else:
        layer["mlp"] = dense_mlp(t, c, d, d.inter, t.mlp_name)
    norms = [w for n in t.norms if not isinstance(n, tuple) or flag(c, n[1])
             for w in norm(n if isinstance(n, str) else n[0], h, flag(c, t.norm_bias))]
    if norms:
        layer["norms"] = norms
    return layer
