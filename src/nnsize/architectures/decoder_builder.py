"""The one builder of Llama-shaped decoders: a family's traits and a config -> the model's
tensors (embeddings, layers, final norm, head) and its decoder record, with each layer's sliding
window (or attention chunk) as runs of repeated blocks, by the config's layer_types, else the
layout the family's config class fills in; and the registration of a family built by it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain, islice

from ..errors import SpecError, shown
from ..model import AttentionLayer, Decoder, Layers, Tensor
from ..records import replace
from .assembly import MAX_RUNS, Assembly, Layer, check_runs, embedding, linear, norm
from .config import Config
from .decoder_layer import (
    Dims,
    check_indexer_types,
    experts_per_token,
    flag,
    is_sparse,
    layer_tensors,
    starts,
    v_head_dim,
)
from .registry import Head, register
from .traits import Traits

TYPE_CHECKING = False
if TYPE_CHECKING:
    from fractions import Fraction
    from typing import Any


Windows = tuple[tuple[tuple[int | None, ...], int], ...]  # runs: (a block of windows, repeats)


def windows(t: Traits, c: Config, layers: int) -> Windows:
    """Each layer's sliding window, by the config's layer_types or the family's rule, as runs of
    repeated blocks (a million alternating layers are one run)."""
    types = c.value("layer_types", None)
    if isinstance(types, list) and len(types) == layers:
        if not all(isinstance(x, str) for x in types):
            bad = next(x for x in types if not isinstance(x, str))
            raise SpecError(f"{c.where}: layer_types lists attention types by name, such as "
                            f"'sliding_attention', got {shown(bad)}")
        window = _window(t, c) if "sliding_attention" in types else None
        return tuple(((window if x == "sliding_attention" else None,), 1) for x in types)
    if t.windows == "qwen" and not c.value("use_sliding_window", False):
        return (((None,), layers),)  # Qwen's config class drops the window then
    window = _window(t, c) if t.windows != "none" else None
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


def _window(t: Traits, c: Config) -> int | None:
    """The config's sliding_window: null is no window (as transformers reads it: a cache layer
    of window w keeps w - 1 past tokens, so 0, a negative or a fraction means nothing), a
    positive whole number is one; anything else is refused by name.  A family whose
    window_attended key is given: that + 1 (MiMoV2FlashConfig.__post_init__ in transformers
    5.25: sliding_window = sliding_window_size + 1, the query with the tokens before it)."""
    key = t.window_attended
    if key is not None and c.value(key, None) is not None:
        return c.int(key, least=0) + 1
    window = c.value("sliding_window", None)
    if window is None:
        return None
    if isinstance(window, bool) or not isinstance(window, int) or not 0 < window <= 2**62:
        raise SpecError(f"{c.where}: sliding_window must be a positive whole number of tokens "
                        f"or null (no window), got {shown(window)}")
    return window


def chunks(t: Traits, c: Config, layers: int) -> Windows:
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
    if t.window_first_full:
        return _first_full(t, c, window, layers, period)
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


def _first_full(t: Traits, c: Config, window: int, layers: int, period: int) -> Windows:
    """MiMo-V2-Flash's layout (MiMoV2FlashConfig.__post_init__): full where i == 0 or
    (i + 1) % period == 0, else sliding: the first period with its layer 0 full too, then the
    plain periods (each period - 1 sliding layers, then a full one)."""
    if layers <= period:
        return tuple(((None if i in (0, period - 1) else window,), 1) for i in range(layers))
    first: tuple[int | None, ...] = (None,) + (window,) * (period - 2) + (None,) \
        if period > 1 else (None,)
    rest = _period_runs(replace(t, window_first_full=False), c, window, layers - period)
    return ((first, 1), *rest)


def _periodic(block: tuple[int | None, ...], count: int) -> Windows:
    whole, rest = divmod(count, len(block))
    return tuple(run for run in ((block, whole), (block[:rest], 1)) if run[1] and run[0])


def layer_windows(t: Traits, c: Config, layers: int) -> Windows:
    """Each layer's sliding window or attention chunk (None: full), as runs."""
    return windows(t, c, layers) if t.window_size_key == "sliding_window" else \
        chunks(t, c, layers)


def _window_starts(runs: Windows) -> Iterator[int]:
    """The layers where a layer slides and the one before does not, or the other way."""
    i, before = 0, object()
    for block, n in runs:
        for _ in range(n):
            for w in block:
                if (w is None) != before:
                    yield i
                before = w is None
                i += 1


def _slides(runs: Windows, i: int) -> bool:
    """Whether layer i has a window, read from the runs (a handful: no list of every layer)."""
    start = 0
    for block, n in runs:
        if i < start + len(block) * n:
            return block[(i - start) % len(block)] is not None
        start += len(block) * n
    return False


# what nnsize builds, as a publisher's key would say it (Traits.agree): key -> value
FACTS: dict[str, Callable[[Traits, Config, Dims, Windows], object]] = {
    "heads": lambda t, c, d, runs: d.heads,
    "head_dim": lambda t, c, d, runs: d.head_dim,
    "value_dim": lambda t, c, d, runs: d.value_dim,
    "sliding_kv_heads": lambda t, c, d, runs: d.sliding_kv,
    "sliding_layers": lambda t, c, d, runs: [int(_slides(runs, i)) for i in range(d.layers)],
    "sparse_layers": lambda t, c, d, runs: [
        int(t.moe is not None and is_sparse(t.moe, c, i, d.layers)) for i in range(d.layers)],
    "sliding_sinks": lambda t, c, d, runs: t.sinks is True or t.sinks == "sliding",
    "full_sinks": lambda t, c, d, runs: t.sinks is True,
    "shared_experts": lambda t, c, d, runs: 0 if t.moe is None or not t.moe.shared_count
    else c.int(t.moe.shared_count, least=0),
}


def _check_agreement(t: Traits, c: Config, d: Dims, runs: Windows) -> None:
    """Refuse a config whose publisher's keys (Traits.agree) say another model than the one
    built; null agrees with nothing built (no shared experts, no sinks)."""
    for key, fact in t.agree:
        if key not in c.data:
            continue
        c.read.add(key)
        said, built = c.data[key], FACTS[fact](t, c, d, runs)
        if said != built and not (said is None and not built):
            raise SpecError(f"{c.where}: {key} = {shown(said)}, but transformers builds "
                            f"{shown(built)} there for a {c.family} model (its config class "
                            f"does not read {key}); nnsize does not guess which is meant")


def _check_known(t: Traits, c: Config) -> None:
    """A closed family (Traits.known): refuse a key neither read (nor one its defaults give,
    read where it matters: moe_intermediate_size where a layer is experts) nor known to change
    nothing."""
    if t.known is None:
        return
    read = c.read | set(c.defaults)
    read |= {old for old, key in c.aliases.items() if key in read}
    unread = sorted(k for k in c.data if k not in read and k not in t.known)
    if unread:
        raise SpecError(f"{c.where}: {', '.join(unread)}: nnsize does not read "
                        f"{'this key' if len(unread) == 1 else 'these keys'} of a {c.family} "
                        f"model, and does not build it without knowing what "
                        f"{'it changes' if len(unread) == 1 else 'they change'}")


def decoder_shape(t: Traits, c: Config, d: Dims) -> Decoder:
    if t.attention == "latent":
        nope, rope, v = c.int("qk_nope_head_dim"), c.int("qk_rope_head_dim"), v_head_dim(t, c, d)
        latent = c.int("kv_lora_rank") + rope
        index = c.int("index_head_dim") if t.indexer else 0

        def attention(w: int | None) -> AttentionLayer:
            return AttentionLayer(d.heads, d.heads, nope + rope, v, w, latent, index_dim=index)
    else:
        def attention(w: int | None) -> AttentionLayer:  # MiMo: more KV heads where it slides
            kv = d.kv if w is None else d.sliding_kv
            return AttentionLayer(d.heads, kv, d.head_dim, d.value_dim, w)
    runs = layer_windows(t, c, d.layers)
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
    if t.indexer_types:
        check_indexer_types(c, d.layers)
    a.decoder = decoder_shape(t, c, d)
    prefix = "" if base else "model."
    embed = f"{prefix}{_name(t, 'embed_tokens')}"
    a.add("embeddings", "embedding", embedding(embed, d.vocab, d.hidden))
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
    runs = layer_windows(t, c, d.layers)
    if t.sinks == "sliding" or t.sliding_kv != 1:  # sliding layers built unlike full ones
        if _window(t, c) is None:  # which layers those are is the window's to say
            raise SpecError(f"{c.where}: sliding_window is null, and a {c.family} model's "
                            f"sliding layers are built unlike its full ones: they need a "
                            f"window (transformers' config class refuses a null too)")
        a.stack(f"{prefix}layers.", d.layers,
                lambda i: _renamed(t, layer_tensors(t, c, d, i, _slides(runs, i))),
                active=active,
                starts=chain(starts(t, c, d), _window_starts(runs)))
    else:
        a.stack(f"{prefix}layers.", d.layers, lambda i: _renamed(t, layer_tensors(t, c, d, i)),
                active=active, starts=starts(t, c, d))
    if t.final_norm:
        final = norm(t.final_norm, d.hidden, flag(c, t.norm_bias))
        a.add("final norm", "norm", [w.prefixed(prefix) for w in final])
    if t.mtp and c.int(t.mtp, least=0):
        _mtp_layers(t, c, d, a, prefix)
    if not base:
        tied = c.bool("tie_word_embeddings")
        head = linear(_name(t, "lm_head"), d.vocab, d.hidden, bias=flag(c, t.head_bias))
        if tied:
            head[0] = Tensor(head[0].name, head[0].shape, "embedding",
                             shared_with=f"{embed}.weight")
        a.add("head" + (" (tied to the embeddings)" if tied else ""), "head", head)
    _check_agreement(t, c, d, runs)
    _check_known(t, c)
    return a


def _mtp_layers(t: Traits, c: Config, d: Dims, a: Assembly, prefix: str) -> None:
    """The multi-token-prediction layers (Traits.mtp) after the model's final norm, as its
    checkpoint keeps them: a decoder layer's tensors (as layer 0's) and the four of the MTP
    layer; none used a token (a draft model runs them)."""
    def layer(i: int) -> Layer:
        h = d.hidden
        own = norm("token_layernorm", h) + norm("hidden_layernorm", h) + \
            linear("input_proj", h, 2 * h) + norm("final_layernorm", h)
        return {**_renamed(t, layer_tensors(t, c, d, 0)), "mtp": own}

    from fractions import Fraction

    a.stack(f"{prefix}mtp_layers.", c.int(t.mtp or "", least=0), layer, title="mtp layers",
            active=dict.fromkeys(layer(0), Fraction(0)))


def _name(t: Traits, module: str) -> str:
    """A module's path as the family's code names it (Traits.names), else as Llama's does."""
    return next((own for llama, own in t.names if llama == module), module)


def _renamed(t: Traits, layer: Layer) -> Layer:
    """A layer's tensors under the family's own module names (Traits.names): each tensor's
    module path, whole (self_attn.qkv_proj of self_attn.qkv_proj.weight), renamed."""
    if not t.names:
        return layer
    return {part: [replace(w, name=f"{_name(t, w.name.rpartition('.')[0])}."
                                   f"{w.name.rpartition('.')[2]}") for w in tensors]
            for part, tensors in layer.items()}


def register_traits(model_type: str, traits: Traits, defaults: dict[str, Any],
                    aliases: dict[str, str] | None = None, base_class: str | None = None,
                    heads: dict[str, Head] | None = None, prefix: str | None = None,
                    lm_class: str | None = None, legacy_types: tuple[str, ...] = (),
                    code: str | None = None) -> None:
    """Register a Llama-shaped family: its traits, its config class's defaults and aliases,
    AutoModel's class and the task heads transformers has for it (registry.register)."""
    def build(family: str, c: Config, name: str, base: bool) -> Assembly:
        return build_traits(traits, c, name, base)

    register(model_type, defaults, causal=True, aliases=aliases, base_class=base_class,
             heads=heads, prefix=prefix, lm_class=lm_class, legacy_types=legacy_types,
             traits=traits, code=code)(build)
