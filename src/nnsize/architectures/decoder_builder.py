"""The one builder of Llama-shaped decoders: a family's traits and a config -> the model's
tensors (embeddings, layers, final norm, head) and its decoder record; and the registration of
a family built by it."""

from __future__ import annotations

from itertools import islice

from ..errors import SpecError
from ..model import AttentionLayer, Decoder, Layers, Tensor
from .assembly import MAX_RUNS, Assembly, check_runs, embedding, linear, norm
from .config import Config
from .decoder_dims import Dims, flag
from .decoder_layer import layer_tensors, v_head_dim
from .moe_layers import experts_per_token, is_sparse, starts
from .registry import Head, register
from .traits import Traits
from .windows import chunks, windows

TYPE_CHECKING = False
if TYPE_CHECKING:
    from fractions import Fraction
    from typing import Any


def decoder_shape(t: Traits, c: Config, d: Dims) -> Decoder:
    if t.attention == "latent":
        nope, rope, v = c.int("qk_nope_head_dim"), c.int("qk_rope_head_dim"), v_head_dim(t, c, d)
        latent = c.int("kv_lora_rank") + rope

        def attention(w: int | None) -> AttentionLayer:
            return AttentionLayer(d.heads, d.heads, nope + rope, v, w, latent)
    else:
        def attention(w: int | None) -> AttentionLayer:
            return AttentionLayer(d.heads, d.kv, d.head_dim, d.head_dim, w)
    runs = windows(t, c, d.layers) if t.window_size_key == "sliding_window" else \
        chunks(t, c, d.layers)
    layers = Layers(tuple((tuple(attention(w) for w in block), n) for block, n in runs))
    experts, expert_inter = 0, 0
    m = t.moe
    # the layers' kinds change only at starts(): asking there answers for every layer
    points = sorted(set(islice((i for i in starts(t, c, d) if 0 <= i < d.layers),
                               MAX_RUNS + 1)))
    check_runs(len(points), f"layers (of {d.layers:,})")
    sparse = [is_sparse(m, c, i, d.layers) for i in points] if m is not None else [False]
    if m is not None and any(sparse):
        experts, expert_inter = experts_per_token(m, c), c.int(m.width)
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
        top_k = experts_per_token(t.moe, c)
        if n and top_k > n:
            raise SpecError(f"{t.moe.top_k} = {top_k:,} is more than the {n:,} experts "
                            f"({t.moe.experts}): a token cannot be routed to more experts than "
                            f"there are")
        from fractions import Fraction  # a mixture of experts only: not a dense model's cost

        active["experts"] = Fraction(top_k, n) if n else Fraction(0)
    a.stack(f"{prefix}layers.", d.layers, lambda i: layer_tensors(t, c, d, i), active=active,
            starts=starts(t, c, d))
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
             heads=heads, prefix=prefix, lm_class=lm_class, legacy_types=legacy_types,
             traits=traits)(build)
