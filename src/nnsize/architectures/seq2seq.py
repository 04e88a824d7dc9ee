"""BART-shaped encoder-decoders, one Layout record each: BART, mBART, Marian, Pegasus, PLBart,
Blenderbot, Blenderbot-Small, M2M-100.

    model.shared -> encoder: embed_positions, layers.{i} (self_attn, fc1, fc2, two norms)
                 -> decoder: embed_positions, layers.{i} (+ encoder_attn and its norm)
                 -> lm_head (tied to model.shared), final_logits_bias (a buffer)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..model import EncoderDecoder, Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .registry import CAUSAL, QA, SEQ, Head, register

SEQ2SEQ_NAMES = {"hidden_size": "d_model", "num_attention_heads": "encoder_attention_heads",
                 "num_hidden_layers": "encoder_layers"}


@dataclass(frozen=True)
class Layout:
    """What sets one BART-shaped family apart."""

    # learned positions: offset (BART keeps 2 rows more) | learned | frozen (sinusoidal, stored
    # as a parameter that is not trained: Marian, Pegasus) | none (computed: M2M-100)
    positions: str = "offset"
    embedding_norm: bool = True  # layernorm_embedding after the embeddings
    final_norm: bool = False  # a layer_norm after the last layer of each stack
    logits_bias: bool = True  # the head's final_logits_bias buffer


def attention(prefix: str, d: int, k_bias: bool = True) -> list[Tensor]:
    return linear(f"{prefix}.k_proj", d, d, k_bias) + linear(f"{prefix}.v_proj", d, d, True) + \
        linear(f"{prefix}.q_proj", d, d, True) + linear(f"{prefix}.out_proj", d, d, True)


def stack_layer(d: int, ffn: int, cross: bool, k_bias: bool = True) -> Layer:  # noqa: FBT001
    """One encoder (cross=False) or decoder layer: attention, MLP and post-norms."""
    att = attention("self_attn", d, k_bias)
    norms = norm("self_attn_layer_norm", d, True)
    if cross:
        att += attention("encoder_attn", d, k_bias)
        norms += norm("encoder_attn_layer_norm", d, True)
    return {"attention": att, "mlp": linear("fc1", ffn, d, True) + linear("fc2", d, ffn, True),
            "norms": norms + norm("final_layer_norm", d, True)}


def _same(layer: Layer) -> Callable[[int], Layer]:
    """Every layer of a stack alike."""
    return lambda i: layer


def build_layout(lay: Layout, family: str, c: Config, name: str, base: bool) -> Assembly:
    d, v = c.int("d_model"), c.int("vocab_size")
    p = "" if base else "model."
    a = Assembly(name)
    shared = family != "marian" or c.bool("share_encoder_decoder_embeddings")
    # Marian's decoder may have a vocabulary of its own (its embeddings are that size, and so is
    # the head where the embeddings are not shared)
    decoder_vocab = c.int("decoder_vocab_size", None) or v if family == "marian" else v
    target = v if shared else decoder_vocab
    tied = c.bool("tie_word_embeddings")
    if shared:
        a.add("embeddings", "embedding", embedding(f"{p}shared", v, d))
    for side in ("encoder", "decoder"):
        top: list[Tensor] = []
        if not shared or not tied:  # untied, transformers 5 keeps each stack's own copy
            top += embedding(f"{p}{side}.embed_tokens", v if side == "encoder" else decoder_vocab,
                             d)
        rows = c.int("max_position_embeddings")
        if lay.positions in ("offset", "learned"):
            top += embedding(f"{p}{side}.embed_positions",
                             rows + 2 if lay.positions == "offset" else rows, d)
        elif lay.positions == "frozen":
            top.append(Tensor(f"{p}{side}.embed_positions.weight", (rows, d), "embedding",
                              trainable=False))
        if lay.embedding_norm:
            top += norm(f"{p}{side}.layernorm_embedding", d, True)
        a.add(f"{side} embeddings", "embedding", top)
        layer = stack_layer(d, c.int(f"{side}_ffn_dim"), side == "decoder")
        a.stack(f"{p}{side}.layers.", c.int(f"{side}_layers"), _same(layer),
                title=f"{side} layers")
        if lay.final_norm:
            a.add(f"{side} final norm", "norm", norm(f"{p}{side}.layer_norm", d, True))
    # keys and values of d values each, per token, in self- and in cross-attention
    a.encoder_decoder = EncoderDecoder(c.int("decoder_layers"), 2 * d, 2 * d)
    if not base:
        head = [Tensor("lm_head.weight", (target, d), "weight")]
        if tied:
            source = "model.shared.weight" if shared else "model.decoder.embed_tokens.weight"
            head = [Tensor("lm_head.weight", (target, d), "embedding", shared_with=source)]
        if lay.logits_bias:
            head.append(Tensor("final_logits_bias", (1, target), "bias", buffer=True))
        a.add("head" + (" (tied to the embeddings)" if tied else ""), "head", head)
    return a


BART = {"vocab_size": 50265, "max_position_embeddings": 1024, "tie_word_embeddings": True}
LAYOUTS: dict[str, tuple[Layout, dict[str, Any]]] = {
    # BartConfig alone makes 3 labels the default (without num_labels or id2label)
    "bart": (Layout(), {**BART, "num_labels": 3}),
    "mbart": (Layout(final_norm=True), BART),
    "plbart": (Layout(), {**BART, "vocab_size": 50005}),
    "marian": (Layout(positions="frozen", embedding_norm=False),
               {**BART, "vocab_size": 58101, "decoder_vocab_size": None,
                "share_encoder_decoder_embeddings": True}),
    "pegasus": (Layout(positions="frozen", embedding_norm=False, final_norm=True), BART),
    "blenderbot": (Layout(positions="learned", embedding_norm=False, final_norm=True),
                   {**BART, "vocab_size": 8008, "max_position_embeddings": 128}),
    "blenderbot-small": (Layout(positions="learned"),
                         {**BART, "max_position_embeddings": 512}),
    "m2m_100": (Layout(positions="none", embedding_norm=False, final_norm=True,
                       logits_bias=False),
                {**BART, "vocab_size": 128112}),
}


# AutoModel's class of each family; every one but M2M-100 has a ...ForCausalLM class (its decoder
# alone), and BART, mBART and PLBart have task heads on the whole model
_DECODER = {CAUSAL: ("model", "decoder lm")}
_CLASSIFIED = {**_DECODER, SEQ: ("model", "classification head")}
CLASSES: dict[str, tuple[str, dict[str, Head]]] = {
    "bart": ("BartModel", {**_CLASSIFIED, QA: ("model", "qa")}),
    "mbart": ("MBartModel", {**_CLASSIFIED, QA: ("model", "qa")}),
    "plbart": ("PLBartModel", _CLASSIFIED), "marian": ("MarianModel", _DECODER),
    "pegasus": ("PegasusModel", _DECODER), "blenderbot": ("BlenderbotModel", _DECODER),
    "blenderbot-small": ("BlenderbotSmallModel", _DECODER), "m2m_100": ("M2M100Model", {}),
}


def _register(model_type: str, lay: Layout, defaults: dict[str, Any]) -> None:
    def build(family: str, c: Config, name: str, base: bool) -> Assembly:
        return build_layout(lay, family, c, name, base)

    aliases = {**SEQ2SEQ_NAMES, "initializer_range": "init_std"} if model_type == "plbart" \
        else SEQ2SEQ_NAMES
    base_class, heads = CLASSES[model_type]
    register(model_type, defaults, causal=False, aliases=aliases, base_class=base_class,
             heads=heads)(build)


for _type, (_layout, _defaults) in LAYOUTS.items():
    _register(_type, _layout, _defaults)
