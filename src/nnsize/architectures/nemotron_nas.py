"""Llama-3.3-Nemotron-Super-49B and NVIDIA's other NAS-pruned Llamas (model_type nemotron-nas,
DeciLMForCausalLM), which transformers 5.25 has no class for: built as their publisher's code
builds them, each layer by its own entry of block_configs.

    model.embed_tokens -> layers.{i} -> model.norm -> lm_head
    layer i, attention: input_layernorm and self_attn.q/k/v/o_proj with
        num_attention_heads / n_heads_in_group KV heads (its own GQA) | replace_with_linear:
        input_layernorm and self_attn.linear_attn, hidden x hidden | no_op: nothing at all
    layer i, ffn: post_attention_layernorm and mlp.gate/up/down_proj, int(2 x ffn_mult x
        hidden / 3) wide rounded up to a multiple of 256 | replace_with_linear:
        post_attention_layernorm and mlp.linear_mlp, hidden x hidden | no_op: nothing at all
    planner: a KV cache on the attending layers alone, each of its own KV heads; the others
        bare layers (model.Decoder.bare_layers); each MLP its own width (Decoder.mlp_widths)

vLLM's DeciLMDecoderLayer (CODE) builds the layers, their widths and names so (it does not build
replace_with_linear); NVIDIA's modeling_decilm.py (DECILM: a third party's copy of the file the
checkpoints ship, the only one found, which adds a Liger loss import) builds all three kinds,
the linear ones without a bias.  The names are a checkpoint's: NVIDIA's TensorRT-LLM loads a
DeciLM checkpoint's safetensors by them (CHECKPOINT_NAMES), the linear blocks' included; no
published safetensors index of the model was found to check against.  A layer that attends
through a window or to sink tokens (window_length, num_sink_tokens) is counted, not planned.
"""

from __future__ import annotations

from collections import Counter

from ..errors import SpecError, shown
from ..model import AttentionLayer, Decoder, Layers
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .gpt import lm_head
from .registry import register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# vLLM's DeciLMForCausalLM (DeciLMDecoderLayer: _ffn_mult_to_intermediate_size and
# _find_multiple, num_kv_heads = num_attention_heads // n_heads_in_group, no norm where a block
# is no_op, LlamaAttention and LlamaMLP with attention_bias and mlp_bias)
CODE = ("https://github.com/vllm-project/vllm/blob/00bd1493b3e82d6c13c68ee8a0e1c5a96707e190/"
        "vllm/model_executor/models/nemotron_nas.py")
# NVIDIA's modeling_decilm.py, as a third party's repository copies it (with a Liger import):
# DeciLMDecoderLayer, DeciLMAttention (head_dim = hidden_size // num_heads, refusing a
# hidden_size that is not a whole number of heads), DeciLMMLP, DeciLMLinearAttention and
# DeciLMLinearMLP (nn.Linear(hidden_size, hidden_size, bias=False): linear_attn, linear_mlp)
DECILM = ("https://github.com/DeltaVector1/Chat-Prompters/blob/"
          "760b19a6890e94fdd3406244b0ece74e73c8d9de/modeling_decilm.py")
# NVIDIA's loader of a DeciLM checkpoint (load_model_weights: model.embed_tokens, lm_head,
# model.norm; a layer's input_layernorm with self_attn.q/k/v/o_proj or self_attn.linear_attn,
# post_attention_layernorm with mlp.gate/up/down_proj or mlp.linear_mlp; nothing of a no_op half)
CHECKPOINT_NAMES = ("https://github.com/NVIDIA/TensorRT-LLM/blob/"
                    "1069bc9d94ac51756f182b0ea60093e96343ec21/tensorrt_llm/models/deci/convert.py")

# the keys of a block's attention and ffn entries, as Super-49B's config writes each out: those
# beside no_op, replace_with_linear, n_heads_in_group and ffn_mult change no tensor in DECILM
# (sparsify: a backward hook; the window and sink keys: the attention mask); any other key is
# refused
ATTENTION_KEYS = frozenset({"n_heads_in_group", "no_op", "replace_with_linear", "sparsify",
                            "num_sink_tokens", "unshifted_sink",
                            "use_prefill_window_in_sink_attention", "window_length"})
FFN_KEYS = frozenset({"ffn_mult", "no_op", "replace_with_linear", "sparsify"})

# a layer's block: its attention, ('full', KV heads) | ('linear', 0) | ('none', 0), and its
# ffn, ('full', the MLP's width) | ('linear', 0) | ('none', 0)
Half = tuple[str, int]
Block = tuple[Half, Half]


def ffn_width(ffn_mult: float, hidden: int) -> int:
    """The MLP's width: int(2 x ffn_mult x hidden / 3), rounded up to a multiple of 256 (the
    publisher's _ffn_mult_to_intermediate_size, the same floating-point steps)."""
    width = int(2 * ffn_mult * hidden / 3)
    return width if width % 256 == 0 else width + 256 - width % 256


def _flag(c: Config, entry: dict[str, Any], where: str, key: str) -> bool:
    if key not in entry:
        raise SpecError(f"{c.where}: {where}: missing {key!r}, which a {c.family} block needs")
    value = entry[key]
    if not isinstance(value, bool):
        raise SpecError(f"{c.where}: {where}.{key} must be true or false, got {shown(value)}")
    return value


def _kind(c: Config, entry: dict[str, Any], where: str, keys: frozenset[str]) -> str:
    """'none' (no_op), 'linear' (replace_with_linear) or 'full'; unknown keys refused."""
    unknown = sorted(set(entry) - keys)
    if unknown:
        raise SpecError(f"{c.where}: {where}: {', '.join(unknown)}: nnsize does not read "
                        f"{'this key' if len(unknown) == 1 else 'these keys'} of a {c.family} "
                        f"block, and does not build it without knowing what it changes")
    no_op, linear_ = _flag(c, entry, where, "no_op"), _flag(c, entry, where, "replace_with_linear")
    if no_op and linear_:
        raise SpecError(f"{c.where}: {where} is both no_op and replace_with_linear; nnsize does "
                        f"not guess which is meant")
    return "none" if no_op else "linear" if linear_ else "full"


def blocks(c: Config, hidden: int, heads: int) -> list[Block]:
    """Each layer's block, read from block_configs (one entry a layer, as DeciLMConfig asserts)."""
    layers = c.int("num_hidden_layers")
    listed = c.value("block_configs")
    if not isinstance(listed, list) or len(listed) != layers:
        raise SpecError(f"{c.where}: block_configs must list one block (attention, ffn) for "
                        f"each of the {layers:,} layers (num_hidden_layers), got "
                        f"{f'{len(listed):,}' if isinstance(listed, list) else shown(listed)}")
    out: list[Block] = []
    for i, entry in enumerate(listed):
        where = f"block_configs[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"attention", "ffn"} or \
                not all(isinstance(entry[k], dict) for k in ("attention", "ffn")):
            raise SpecError(f"{c.where}: {where} must be an object with an 'attention' and an "
                            f"'ffn' object, got {shown(entry)}")
        att, ffn = entry["attention"], entry["ffn"]
        kind = _kind(c, att, f"{where}.attention", ATTENTION_KEYS)
        attention: Half = (kind, 0)
        if kind == "full":
            group = att.get("n_heads_in_group")
            if isinstance(group, bool) or not isinstance(group, int) or group < 1 or \
                    heads % group:
                raise SpecError(f"{c.where}: {where}.attention.n_heads_in_group must be a whole "
                                f"number of query heads a KV head that divides "
                                f"num_attention_heads ({heads:,}), got {shown(group)}")
            attention = (kind, heads // group)
        kind = _kind(c, ffn, f"{where}.ffn", FFN_KEYS)
        mlp: Half = (kind, 0)
        if kind == "full":
            mult = ffn.get("ffn_mult")
            if isinstance(mult, bool) or not isinstance(mult, (int, float)) or \
                    not 0 < mult < 2**40:
                raise SpecError(f"{c.where}: {where}.ffn.ffn_mult must be a positive number (the "
                                f"MLP's width over hidden_size, times 3/2), got {shown(mult)}")
            mlp = (kind, ffn_width(mult, hidden))
        out.append((attention, mlp))
    return out


def layer_of(block: Block, hidden: int, heads: int, head_dim: int, attention_bias: bool,
             mlp_bias: bool) -> Layer:
    """One layer's tensors, as its block says (nothing of a no_op half)."""
    (attention, kv), (ffn, width) = block
    h = hidden
    out: Layer = {}
    if attention == "full":
        n = kv * head_dim
        out["attention"] = linear("self_attn.q_proj", heads * head_dim, h, attention_bias) + \
            linear("self_attn.k_proj", n, h, attention_bias) + \
            linear("self_attn.v_proj", n, h, attention_bias) + \
            linear("self_attn.o_proj", h, heads * head_dim, attention_bias)
    elif attention == "linear":
        out["attention"] = linear("self_attn.linear_attn", h, h)
    if ffn == "full":
        out["mlp"] = linear("mlp.gate_proj", width, h, mlp_bias) + \
            linear("mlp.up_proj", width, h, mlp_bias) + \
            linear("mlp.down_proj", h, width, mlp_bias)
    elif ffn == "linear":
        out["mlp"] = linear("mlp.linear_mlp", h, h)
    norms = (norm("input_layernorm", h) if attention != "none" else []) + \
        (norm("post_attention_layernorm", h) if ffn != "none" else [])
    if norms:
        out["norms"] = norms
    return out


# an attention entry's keys that make its layer attend through a window or to sink tokens
# (DECILM: DeciLMDecoderLayer's _gemma2_window_mask and _unshifted_sink_mask), with the value
# that makes none: the cache such a layer keeps (the publisher's VariableCache) is not read
WINDOW_KEYS = {"window_length": None, "num_sink_tokens": None, "unshifted_sink": False,
               "use_prefill_window_in_sink_attention": False}


def decoder(c: Config, built: list[Block], hidden: int, heads: int, head_dim: int) -> Decoder:
    """The planner's view: a KV cache of num_attention_heads / n_heads_in_group heads on each
    layer that attends, none on the others (bare layers: a no_op or linear attention), and each
    layer's MLP its own width (Decoder.mlp_widths; intermediate the widest)."""
    cached = [AttentionLayer(heads, kv, head_dim, head_dim)
              for (attention, kv), _ in built if attention == "full"]
    widths = Counter(width for _, (ffn, width) in built if ffn == "full")
    varied = len(widths) > 1 or sum(widths.values()) < len(built)
    return Decoder(hidden, max(widths, default=0), c.int("vocab_size"), Layers.of(cached),
                   bare_layers=len(built) - len(cached),
                   mlp_widths=tuple(sorted(widths.items(), reverse=True)) if varied else ())


def _windowed(c: Config) -> str | None:
    """Why the planner refuses a model whose attention has a window or sinks, else None."""
    for i, entry in enumerate(c.value("block_configs")):
        att = entry["attention"]
        if att["no_op"] or att["replace_with_linear"]:
            continue
        for key, none in WINDOW_KEYS.items():
            if att.get(key, none) != none:
                return (f"block_configs[{i}].attention.{key} = {shown(att[key])}: a window or "
                        f"sink tokens, which change what its cache keeps (the publisher's "
                        f"VariableCache) in a way nnsize has not read; the count stands")
    return None


@register("nemotron-nas", {"tie_word_embeddings": False, "attention_bias": False,
                           "mlp_bias": False},
          base_class="DeciLMModel", code=CODE)
def nemotron_nas(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, heads, v = c.int("hidden_size"), c.int("num_attention_heads"), c.int("vocab_size")
    if h % heads:  # DeciLMAttention raises
        raise SpecError(f"{c.where}: hidden_size {h:,} is not a whole number of heads of "
                        f"{c.family} ({heads:,}): its attention refuses it")
    head_dim = h // heads
    said = c.value("head_dim", None)
    if said is not None and said != head_dim:
        raise SpecError(f"{c.where}: head_dim = {shown(said)}, but {c.family}'s attention is "
                        f"hidden_size / num_attention_heads = {head_dim:,} wide a head "
                        f"(DeciLMAttention does not read head_dim); nnsize does not guess which "
                        f"is meant")
    built = blocks(c, h, heads)
    bias, mlp_bias = c.bool("attention_bias"), c.bool("mlp_bias")
    p = "" if base else "model."
    a = Assembly(name)
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", v, h))
    a.stack(f"{p}layers.", len(built),
            lambda i: layer_of(built[i], h, heads, head_dim, bias, mlp_bias),
            starts=[i for i in range(len(built)) if i == 0 or built[i] != built[i - 1]])
    a.add("final norm", "norm", norm(f"{p}norm", h))
    if not base:
        lm_head(a, c, v, h, "model.embed_tokens.weight")
    a.decoder = decoder(c, built, h, heads, head_dim)
    a.planner_refused = _windowed(c)
    return a
