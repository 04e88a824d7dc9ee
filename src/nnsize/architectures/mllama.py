"""Llama 3.2 Vision (mllama): a tiled vision transformer, a projector, and a Llama whose every
few layers cross-attend to the image instead of the text.

    model.vision_model: patch conv, class token, gated positions (per patch and per tile),
        transformer.layers.{i} (local), global_transformer.layers.{i} (tanh-gated)
    -> model.multi_modal_projector (vision_output_dim -> text hidden, biased)
    -> model.language_model: embed_tokens (vocab + 8 image rows), layers.{i} (self-attention,
        or cross-attention with q/k norms and two tanh gates), norm
    -> lm_head (vocab x hidden, never tied: transformers leaves _tied_weights_keys commented out)

MllamaForCausalLM: the language model alone (model.*) and lm_head.

As transformers 5.25 builds it
(https://github.com/huggingface/transformers/blob/v5.25.0/src/transformers/models/mllama/modeling_mllama.py:
MllamaPrecomputedAspectRatioEmbedding, MllamaPrecomputedPositionEmbedding, MllamaVisionModel,
MllamaVisionEncoderLayer, MllamaTextCrossAttention, MllamaCrossAttentionDecoderLayer,
MllamaTextModel, MllamaModel, MllamaForConditionalGeneration; defaults from
configuration_mllama.py there).  The planner's Decoder is the one fallback_decoder.py reads
from the model transformers builds: the cross-attention layers cache an image's
max_num_tiles x ((image_size // patch_size)^2 + 1) vision tokens (_mllama_image there).
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError, shown
from ..model import AttentionLayer, Decoder, Layers, Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .fallback_decoder import CROSS
from .multimodal import absorb
from .registry import register

# MllamaTextConfig's and MllamaVisionConfig's defaults (configuration_mllama.py, v5.25.0)
TEXT = {"vocab_size": 128256, "hidden_size": 4096, "num_hidden_layers": 40,
        "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
        "cross_attention_layers": [3, 8, 13, 18, 23, 28, 33, 38]}
VISION = {"hidden_size": 1280, "num_hidden_layers": 32, "num_global_layers": 8,
          "attention_heads": 16, "num_channels": 3, "intermediate_size": 5120,
          "vision_output_dim": 7680, "image_size": 448, "patch_size": 14, "max_num_tiles": 4,
          "supported_aspect_ratios": [[1, 1], [1, 2], [1, 3], [1, 4], [2, 1], [2, 2], [3, 1],
                                      [4, 1]]}
# PreTrainedConfig's own keys (generation and bookkeeping, saved into every sub-config by
# transformers 4.45), none of which changes a tensor or the cache of an mllama model
GENERIC = (
    "_name_or_path", "add_cross_attention", "architectures", "bad_words_ids",
    "begin_suppress_tokens", "chunk_size_feed_forward", "cross_attention_hidden_size",
    "decoder_start_token_id", "diversity_penalty", "do_sample", "dtype", "early_stopping",
    "encoder_no_repeat_ngram_size", "exponential_decay_length_penalty", "finetuning_task",
    "forced_bos_token_id", "forced_eos_token_id", "id2label", "is_decoder", "is_encoder_decoder",
    "label2id", "length_penalty", "max_length", "min_length", "model_type",
    "no_repeat_ngram_size", "num_beam_groups", "num_beams", "num_return_sequences",
    "output_attentions", "output_hidden_states", "output_scores", "prefix", "problem_type",
    "remove_invalid_values", "repetition_penalty", "return_dict", "return_dict_in_generate",
    "sep_token_id", "suppress_tokens", "task_specific_params", "temperature", "tf_legacy_loss",
    "tie_encoder_decoder", "tie_word_embeddings", "tokenizer_class", "top_k", "top_p",
    "torch_dtype", "torchscript", "transformers_version", "typical_p", "use_bfloat16",
    "bos_token_id", "eos_token_id", "pad_token_id", "initializer_range", "use_cache")
# keys of the text model that change no tensor and no cache: activation, rotary embedding
# (inv_freq buffers are not persistent), norm epsilon, dropout, context length (read by
# nnsize.limits)
TEXT_KNOWN = ("hidden_act", "rope_scaling", "rope_theta", "rope_parameters", "rms_norm_eps",
              "max_position_embeddings", "dropout")
# the vision model's: intermediate_layers_indices picks which layers' outputs are concatenated
# (vision_output_dim, read, is the projector's width)
VISION_KNOWN = ("hidden_act", "norm_eps", "intermediate_layers_indices")
OUTER_KNOWN = ("image_token_index",)


def _sub(c: Config, key: str, family: str, defaults: dict[str, Any],
         aliases: dict[str, str] | None = None) -> Config:
    """A sub-config; left out, transformers builds its class's defaults."""
    data = c.value(key, None)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError(f"{c.where}: {key} must be an object, got {shown(data)}")
    return Config(data, family, defaults, aliases, f"{c.where}: {key}")


def _check_known(c: Config, known: tuple[str, ...]) -> None:
    """Refuse a key neither read nor known to change nothing (and heads pruned by the config)."""
    pruned = c.data.get("pruned_heads")
    if pruned not in (None, {}):
        raise SpecError(f"{c.where}: pruned_heads = {shown(pruned)}: nnsize does not build "
                        f"an mllama model with pruned heads")
    read = c.read | set(c.defaults) | {old for old, key in c.aliases.items()}
    unread = sorted(k for k in c.data
                    if k not in read and k not in known and k not in GENERIC
                    and k != "pruned_heads")
    if unread:
        raise SpecError(f"{c.where}: {', '.join(unread)}: nnsize does not read "
                        f"{'this key' if len(unread) == 1 else 'these keys'} of an mllama "
                        f"model, and does not build it without knowing what "
                        f"{'it changes' if len(unread) == 1 else 'they change'}")


def _aspect_ratios(v: Config) -> int:
    """max_aspect_ratio_id: len(supported_aspect_ratios), the tile tables having one row more."""
    ratios = v.value("supported_aspect_ratios")
    if ratios is None:
        ratios = VISION["supported_aspect_ratios"]
    if not isinstance(ratios, list) or not ratios:
        raise SpecError(f"{v.where}: supported_aspect_ratios must be a list of [rows, columns], "
                        f"got {shown(ratios)}")
    return len(ratios)


def _vision(v: Config) -> Assembly:
    """Patches of hidden x C x p x p (no bias), a class token, the position table per patch
    (num_patches = (image / patch)^2 + 1) and per tile (aspect ratios + 1 rows of
    tiles x num_patches x hidden), two tile tables of tiles x hidden; LayerNorms before and
    after; local layers, then global layers with tanh gates on attention and MLP."""
    h, inter = v.int("hidden_size"), v.int("intermediate_size")
    heads = v.int("attention_heads")
    inner = heads * (h // heads)  # q, k, v: heads x head_dim, head_dim = hidden // heads
    p, tiles = v.int("patch_size"), v.int("max_num_tiles")
    patches = (v.int("image_size") // p) ** 2 + 1
    rows = _aspect_ratios(v) + 1
    gate = [Tensor("gate", (1,), "other")]
    a = Assembly("mllama vision")
    a.add("embeddings", "embedding", [
        Tensor("class_embedding", (h,), "embedding"),
        Tensor("patch_embedding.weight", (h, v.int("num_channels"), p, p), "weight"),
        *(t.prefixed("gated_positional_embedding.") for t in gate),
        Tensor("gated_positional_embedding.embedding", (patches, h), "embedding"),
        *embedding("gated_positional_embedding.tile_embedding", rows, tiles * patches * h),
        *(t.prefixed("pre_tile_positional_embedding.") for t in gate),
        *embedding("pre_tile_positional_embedding.embedding", rows, tiles * h),
        *(t.prefixed("post_tile_positional_embedding.") for t in gate),
        *embedding("post_tile_positional_embedding.embedding", rows, tiles * h)])
    a.add("norms", "norm", norm("layernorm_pre", h, True) + norm("layernorm_post", h, True))

    def layer(gated: bool) -> Layer:
        out: Layer = {"gates": [Tensor("gate_attn", (1,), "other"),
                                Tensor("gate_ffn", (1,), "other")]} if gated else {}
        out["attention"] = linear("self_attn.q_proj", inner, h) + \
            linear("self_attn.k_proj", inner, h) + linear("self_attn.v_proj", inner, h) + \
            linear("self_attn.o_proj", h, inner)
        out["mlp"] = linear("mlp.fc1", inter, h, True) + linear("mlp.fc2", h, inter, True)
        out["norms"] = norm("input_layernorm", h, True) + norm("post_attention_layernorm", h, True)
        return out

    a.stack("transformer.layers.", v.int("num_hidden_layers"), lambda i: layer(False),
            title="local layers")
    if v.int("num_global_layers", least=0):
        a.stack("global_transformer.layers.", v.int("num_global_layers"), lambda i: layer(True),
                title="global layers")
    return a


def _text(t: Config, cross: frozenset[int], cross_tokens: int, tiles: int) -> Assembly:
    """Llama's layers, those in cross_attention_layers cross-attending instead (q/k/v/o, RMS
    norms of head_dim on queries and keys, tanh gates on attention and MLP); embeddings of
    vocab + 8 rows (the image tokens)."""
    h, inter = t.int("hidden_size"), t.int("intermediate_size")
    n, heads, kv = t.int("num_hidden_layers"), t.int("num_attention_heads"), \
        t.int("num_key_value_heads")
    head_dim = h // heads  # MllamaTextSelfAttention / CrossAttention: hidden_size // heads
    vocab = t.int("vocab_size")
    late = [i for i in cross if i >= n]
    if late:
        raise SpecError(f"{t.where}: cross_attention_layers = {shown(sorted(cross))}: the model "
                        f"has {n:,} layers")
    a = Assembly("mllama text")
    a.add("embeddings", "embedding", embedding("embed_tokens", vocab + 8, h))

    def layer(i: int) -> Layer:
        at = "cross_attn" if i in cross else "self_attn"
        attention = linear(f"{at}.q_proj", heads * head_dim, h) + \
            linear(f"{at}.k_proj", kv * head_dim, h) + linear(f"{at}.v_proj", kv * head_dim, h) \
            + linear(f"{at}.o_proj", h, heads * head_dim)
        mlp = linear("mlp.gate_proj", inter, h) + linear("mlp.up_proj", inter, h) + \
            linear("mlp.down_proj", h, inter)
        norms = norm("input_layernorm", h) + norm("post_attention_layernorm", h)
        if at == "self_attn":
            return {"attention": attention, "mlp": mlp, "norms": norms}
        return {"gates": [Tensor("cross_attn_attn_gate", (1,), "other"),
                          Tensor("cross_attn_mlp_gate", (1,), "other")],
                "attention": attention + norm("cross_attn.q_norm", head_dim) +
                norm("cross_attn.k_norm", head_dim), "mlp": mlp, "norms": norms}

    a.stack("layers.", n, layer, starts=sorted({*cross, *(i + 1 for i in cross)}))
    a.add("final norm", "norm", norm("norm", h))
    self_attention = AttentionLayer(heads, kv, head_dim, head_dim)
    a.decoder = Decoder(h, inter, vocab, Layers.of(
        AttentionLayer(heads, kv, head_dim, head_dim, cross_tokens=cross_tokens)
        if i in cross else self_attention for i in range(n)),
        image_tokens=1 if cross else 0, image_tiles=tiles if cross else 0)
    return a


@register("mllama", {}, causal=True, aliases={"image_token_id": "image_token_index"},
          base_class="MllamaModel")
def mllama(family: str, c: Config, name: str, base: bool) -> Assembly:
    v = _sub(c, "vision_config", "mllama_vision_model", VISION,
             {"num_attention_heads": "attention_heads"})
    t = _sub(c, "text_config", "mllama_text_model", TEXT)
    cross = frozenset(t.ints("cross_attention_layers"))
    # an image's tiles, and tokens a tile, as the fallback planner reads them
    tiles, tile_tokens = CROSS["mllama"](_Attributes(v))
    vision = _vision(v)
    text = _text(t, cross, tiles * tile_tokens, tiles)
    hidden = t.int("hidden_size")
    projector = linear("multi_modal_projector", hidden, v.int("vision_output_dim"), True)
    for sub, known in ((v, VISION_KNOWN), (t, TEXT_KNOWN)):
        _check_known(sub, known)
    c.value("image_token_index", None)
    p = "" if base else "model."
    a = Assembly(name)
    archs = c.value("architectures", None)
    if not base and isinstance(archs, list) and archs[:1] == ["MllamaForCausalLM"]:
        # the language model alone (MllamaForCausalLM: model = MllamaTextModel, lm_head), its
        # cross-attention layers fed vision states from outside
        absorb(a, text, "model.", "language model")
        a.decoder = text.decoder
        a.add("head", "head", linear("lm_head", t.int("vocab_size"), hidden))
        _check_known(c, OUTER_KNOWN)
        return a
    absorb(a, vision, f"{p}vision_model.", "vision model", "vision")
    absorb(a, text, f"{p}language_model.", "language model")
    a.add("projector", "vision", [t.prefixed(p) for t in projector])
    a.decoder = text.decoder
    if not base:
        a.add("head", "head", linear("lm_head", t.int("vocab_size"), hidden))
    _check_known(c, OUTER_KNOWN)
    return a


class _Attributes:
    """A vision Config read as the attributes of transformers' config object (the fallback's
    _mllama_image reads max_num_tiles, image_size and patch_size so)."""

    def __init__(self, v: Config) -> None:
        self.max_num_tiles = v.int("max_num_tiles")
        self.image_size = v.int("image_size")
        self.patch_size = v.int("patch_size")
