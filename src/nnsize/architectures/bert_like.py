"""BERT-shaped encoders beyond BERT and RoBERTa, one Layout record each: XLM-RoBERTa, CamemBERT,
Data2Vec-Text, ERNIE, RoBERTa-PreLayerNorm, XLM-RoBERTa-XL, Megatron-BERT, ELECTRA, MPNet;
ALBERT, DeBERTa-v2 and ModernBERT have builders of their own below.

    embeddings (word, position, token type, LayerNorm) -> encoder.layer.{i}: attention, MLP,
    norms -> [pooler]                       (the base model, as AutoModel builds it)
    ... -> masked-LM head (dense, norm, decoder tied to the word embeddings, bias)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import Tensor
from .assembly import Assembly, Layer, check_runs, embedding, linear, norm
from .config import Config
from .heads import encoder_heads
from .registry import MC, NSP, PRETRAINING, register

BERT_ATTENTION = ("attention.self.query", "attention.self.key", "attention.self.value",
                  "attention.output.dense")


@dataclass(frozen=True)
class Layout:
    """Where one BERT-shaped family keeps its tensors."""

    prefix: str  # the base model's attribute in the masked-LM class
    head: str = "roberta"  # roberta: lm_head.* | bert: cls.predictions.* | electra
    attention: tuple[str, str, str, str] = BERT_ATTENTION
    norms: tuple[str, ...] = ("attention.output.LayerNorm", "output.LayerNorm")
    token_types: bool = True
    embedding_norm: bool = True
    final_norm: str | None = None  # a norm after the last layer, under the base model
    pooler: bool = True
    task_types: bool = False  # ERNIE: task type embeddings when use_task_id
    relative_buckets: bool = False  # MPNet: one relative position bias table, buckets x heads
    projection: bool = False  # ELECTRA: embeddings embedding_size wide, projected to hidden


def _head(a: Assembly, c: Config, kind: str, v: int, h: int, e: int) -> None:
    """The masked-LM head; its decoder is tied to the word embeddings unless the config says."""
    tied = c.bool("tie_word_embeddings")
    label = "masked-LM head" + (" (decoder tied to the embeddings)" if tied else "")
    if kind == "bert":
        decoder = [] if tied else linear("cls.predictions.decoder", v, h, True)
        a.add(label, "head", linear("cls.predictions.transform.dense", h, h, True) +
              norm("cls.predictions.transform.LayerNorm", h, True) + decoder +
              [Tensor("cls.predictions.bias", (v,), "bias")])
    elif kind == "electra":  # the generator's head works at the embedding width
        decoder = [] if tied else [Tensor("generator_lm_head.weight", (v, e), "weight")]
        a.add(label, "head", norm("generator_predictions.LayerNorm", e, True) +
              linear("generator_predictions.dense", e, h, True) + decoder +
              [Tensor("generator_lm_head.bias", (v,), "bias")])
    else:
        decoder = [] if tied else linear("lm_head.decoder", v, h, True)
        a.add(label, "head", linear("lm_head.dense", h, h, True) +
              norm("lm_head.layer_norm", h, True) + decoder +
              [Tensor("lm_head.bias", (v,), "bias")])


def build_layout(lay: Layout, c: Config, name: str, base: bool) -> Assembly:
    h, v, inter = c.int("hidden_size"), c.int("vocab_size"), c.int("intermediate_size")
    e = c.int("embedding_size") if lay.projection else h
    p = "" if base else f"{lay.prefix}."
    a = Assembly(name)
    emb = embedding(f"{p}embeddings.word_embeddings", v, e) + \
        embedding(f"{p}embeddings.position_embeddings", c.int("max_position_embeddings"), e)
    if lay.token_types:
        emb += embedding(f"{p}embeddings.token_type_embeddings", c.int("type_vocab_size"), e)
    if lay.task_types and c.bool("use_task_id"):
        emb += embedding(f"{p}embeddings.task_type_embeddings", c.int("task_type_vocab_size"), e)
    if lay.embedding_norm:
        emb += norm(f"{p}embeddings.LayerNorm", e, True)
    if lay.projection and e != h:
        emb += linear(f"{p}embeddings_project", h, e, True)
    a.add("embeddings", "embedding", emb)
    q, k, val, o = lay.attention

    def layer(i: int) -> Layer:
        return {"attention": linear(q, h, h, True) + linear(k, h, h, True) +
                linear(val, h, h, True) + linear(o, h, h, True),
                "mlp": linear("intermediate.dense", inter, h, True) +
                linear("output.dense", h, inter, True),
                "norms": [t for n in lay.norms for t in norm(n, h, True)]}

    a.stack(f"{p}encoder.layer.", c.int("num_hidden_layers"), layer)
    if lay.relative_buckets:
        a.add("relative position bias", "embedding", [Tensor(
            f"{p}encoder.relative_attention_bias.weight",
            (c.int("relative_attention_num_buckets"), c.int("num_attention_heads")),
            "embedding")])
    if lay.final_norm:
        a.add("final norm", "norm", norm(f"{p}{lay.final_norm}", h, True))
    if base:
        if lay.pooler:
            a.add("pooler", "head", linear("pooler.dense", h, h, True))
    else:
        _head(a, c, lay.head, v, h, e)
    return a


ENCODER = {"max_position_embeddings": 512, "type_vocab_size": 2, "tie_word_embeddings": True}
LAYOUTS: dict[str, tuple[Layout, dict[str, Any]]] = {
    "xlm-roberta": (Layout("roberta"), {**ENCODER, "vocab_size": 30522}),
    "camembert": (Layout("roberta"), {**ENCODER, "vocab_size": 30522}),
    "data2vec-text": (Layout("data2vec_text"), {**ENCODER, "vocab_size": 30522}),
    "ernie": (Layout("ernie", head="bert", task_types=True),
              {**ENCODER, "vocab_size": 30522, "task_type_vocab_size": 3, "use_task_id": False}),
    "roberta-prelayernorm": (Layout("roberta_prelayernorm", norms=(
        "attention.LayerNorm", "intermediate.LayerNorm"), final_norm="LayerNorm"),
        {**ENCODER, "vocab_size": 50265}),
    "xlm-roberta-xl": (Layout("roberta", norms=("attention.self_attn_layer_norm", "LayerNorm"),
                              embedding_norm=False, final_norm="encoder.LayerNorm"),
                       {**ENCODER, "vocab_size": 250880, "max_position_embeddings": 514,
                        "type_vocab_size": 1}),
    "megatron-bert": (Layout("bert", head="bert", norms=("attention.ln", "ln"),
                             embedding_norm=False, final_norm="encoder.ln"),
                      {**ENCODER, "vocab_size": 29056}),
    "electra": (Layout("electra", head="electra", pooler=False, projection=True),
                {**ENCODER, "vocab_size": 30522, "embedding_size": 128}),
    "mpnet": (Layout("mpnet", attention=("attention.attn.q", "attention.attn.k",
                                         "attention.attn.v", "attention.attn.o"),
                     norms=("attention.LayerNorm", "output.LayerNorm"), token_types=False,
                     relative_buckets=True),
              {"vocab_size": 30527, "max_position_embeddings": 512,
               "relative_attention_num_buckets": 32, "tie_word_embeddings": True}),
}


_BERT_PRETRAINING = {PRETRAINING: "pretraining", NSP: "next sentence"}
# AutoModel's class of each family, and its task heads: the sequence classifier's kind (on BERT's
# pooler, or RoBERTa's dense layer), and the heads beyond the four every one has
CLASSES: dict[str, tuple[str, str, dict[str, str]]] = {
    "xlm-roberta": ("XLMRobertaModel", "dense classifier", {}),
    "camembert": ("CamembertModel", "dense classifier", {}),
    "data2vec-text": ("Data2VecTextModel", "dense classifier", {}),
    "ernie": ("ErnieModel", "pooled classifier", _BERT_PRETRAINING),
    "roberta-prelayernorm": ("RobertaPreLayerNormModel", "dense classifier", {}),
    "xlm-roberta-xl": ("XLMRobertaXLModel", "dense classifier", {}),
    "megatron-bert": ("MegatronBertModel", "pooled classifier", _BERT_PRETRAINING),
    "electra": ("ElectraModel", "dense classifier", {MC: "summary choice",
                                                     PRETRAINING: "discriminator"}),
    "mpnet": ("MPNetModel", "dense classifier", {}),
}


def _register(model_type: str, lay: Layout, defaults: dict[str, Any]) -> None:
    def build(family: str, c: Config, name: str, base: bool) -> Assembly:
        return build_layout(lay, c, name, base)

    base_class, seq, more = CLASSES[model_type]
    heads = {**encoder_heads(lay.prefix, seq), **{k: (lay.prefix, v) for k, v in more.items()}}
    register(model_type, defaults, causal=False, base_class=base_class, heads=heads)(build)


for _type, (_layout, _defaults) in LAYOUTS.items():
    _register(_type, _layout, _defaults)


@register("albert", {"vocab_size": 30000, "embedding_size": 128, "num_hidden_groups": 1,
                     "inner_group_num": 1, "max_position_embeddings": 512,
                     "type_vocab_size": 2, "tie_word_embeddings": True}, causal=False,
          base_class="AlbertModel", heads={**encoder_heads("albert", "pooled classifier"),
                                           PRETRAINING: ("albert", "sentence order")})
def albert(family: str, c: Config, name: str, base: bool) -> Assembly:
    """ALBERT: narrow embeddings mapped up to hidden, and num_hidden_groups groups of
    inner_group_num layers, shared across all num_hidden_layers passes (counted once)."""
    h, v, e, inter = c.int("hidden_size"), c.int("vocab_size"), c.int("embedding_size"), \
        c.int("intermediate_size")
    p = "" if base else "albert."
    a = Assembly(name)
    a.add("embeddings", "embedding", embedding(f"{p}embeddings.word_embeddings", v, e) +
          embedding(f"{p}embeddings.position_embeddings", c.int("max_position_embeddings"), e) +
          embedding(f"{p}embeddings.token_type_embeddings", c.int("type_vocab_size"), e) +
          norm(f"{p}embeddings.LayerNorm", e, True) +
          linear(f"{p}encoder.embedding_hidden_mapping_in", h, e, True))

    def layer(i: int) -> Layer:
        return {"attention": linear("attention.query", h, h, True) +
                linear("attention.key", h, h, True) + linear("attention.value", h, h, True) +
                linear("attention.dense", h, h, True),
                "mlp": linear("ffn", inter, h, True) + linear("ffn_output", h, inter, True),
                "norms": norm("attention.LayerNorm", h, True) +
                norm("full_layer_layer_norm", h, True)}

    groups = c.int("num_hidden_groups")
    check_runs(groups, "num_hidden_groups")
    for g in range(groups):
        a.stack(f"{p}encoder.albert_layer_groups.{g}.albert_layers.", c.int("inner_group_num"),
                layer, title=f"group {g} layers")
    if base:
        a.add("pooler", "head", linear("pooler", h, h, True))
    else:
        tied = c.bool("tie_word_embeddings")
        decoder = [] if tied else linear("predictions.decoder", v, e, True)
        a.add("masked-LM head" + (" (decoder tied to the embeddings)" if tied else ""), "head",
              norm("predictions.LayerNorm", e, True) + linear("predictions.dense", e, h, True) +
              decoder + [Tensor("predictions.bias", (v,), "bias")])
    return a


@register("deberta-v2", {"vocab_size": 128100, "max_position_embeddings": 512,
                         "type_vocab_size": 0, "relative_attention": False,
                         "max_relative_positions": -1, "position_biased_input": True,
                         "pos_att_type": None, "legacy": True, "tie_word_embeddings": True,
                         # read with getattr and these fallbacks, not config fields
                         "position_buckets": -1, "share_att_key": False,
                         "norm_rel_ebd": "none", "conv_kernel_size": 0, "conv_groups": 1},
          causal=False,
          base_class="DebertaV2Model",
          heads=encoder_heads("deberta", "context pooler", "context pooler choice"))
def deberta_v2(family: str, c: Config, name: str, base: bool) -> Assembly:
    """DeBERTa-v2/v3: disentangled attention over a table of relative position embeddings."""
    h, v, inter = c.int("hidden_size"), c.int("vocab_size"), c.int("intermediate_size")
    e = c.int("embedding_size", h)
    p = "" if base else "deberta."
    a = Assembly(name)
    emb = embedding(f"{p}embeddings.word_embeddings", v, e)
    if c.bool("position_biased_input"):
        emb += embedding(f"{p}embeddings.position_embeddings", c.int("max_position_embeddings"),
                         e)
    if c.int("type_vocab_size", least=0) > 0:
        emb += embedding(f"{p}embeddings.token_type_embeddings", c.int("type_vocab_size"), e)
    if e != h:
        emb += linear(f"{p}embeddings.embed_proj", h, e)
    a.add("embeddings", "embedding", emb + norm(f"{p}embeddings.LayerNorm", h, True))
    relative = c.bool("relative_attention")
    kinds = c.value("pos_att_type")
    kinds = [x.strip() for x in kinds.lower().split("|")] if isinstance(kinds, str) else \
        list(kinds or [])
    separate = relative and not c.bool("share_att_key")

    def layer(i: int) -> Layer:
        att = linear("attention.self.query_proj", h, h, True) + \
            linear("attention.self.key_proj", h, h, True) + \
            linear("attention.self.value_proj", h, h, True)
        if separate and "c2p" in kinds:
            att += linear("attention.self.pos_key_proj", h, h, True)
        if separate and "p2c" in kinds:
            att += linear("attention.self.pos_query_proj", h, h, True)
        return {"attention": att + linear("attention.output.dense", h, h, True),
                "mlp": linear("intermediate.dense", inter, h, True) +
                linear("output.dense", h, inter, True),
                "norms": norm("attention.output.LayerNorm", h, True) +
                norm("output.LayerNorm", h, True)}

    a.stack(f"{p}encoder.layer.", c.int("num_hidden_layers"), layer)
    if relative:
        span = c.value("max_relative_positions")
        span = c.int("max_position_embeddings") if not isinstance(span, int) or span < 1 else span
        buckets = c.value("position_buckets")
        span = buckets if isinstance(buckets, int) and buckets > 0 else span
        a.add("relative positions", "embedding",
              embedding(f"{p}encoder.rel_embeddings", 2 * span, h))
    if "layer_norm" in [x.strip() for x in str(c.value("norm_rel_ebd")).lower().split("|")]:
        a.add("relative position norm", "norm", norm(f"{p}encoder.LayerNorm", h, True))
    kernel = c.int("conv_kernel_size", least=0)
    if kernel > 0:
        groups = c.int("conv_groups")
        a.add("convolution", "weight", [
            Tensor(f"{p}encoder.conv.conv.weight", (h, h // groups, kernel), "weight"),
            Tensor(f"{p}encoder.conv.conv.bias", (h,), "bias")] +
            norm(f"{p}encoder.conv.LayerNorm", h, True))
    if not base:
        tied = c.bool("tie_word_embeddings")
        label = "masked-LM head" + (" (decoder tied to the embeddings)" if tied else "")
        if c.bool("legacy"):
            decoder = [] if tied else linear("cls.predictions.decoder", v, e, True)
            a.add(label, "head", linear("cls.predictions.transform.dense", e, h, True) +
                  norm("cls.predictions.transform.LayerNorm", e, True) + decoder +
                  [Tensor("cls.predictions.bias", (v,), "bias")])
        else:  # the newer head predicts through the word embeddings themselves
            a.add("masked-LM head (through the embeddings)", "head",
                  linear("lm_predictions.lm_head.dense", h, h, True) +
                  norm("lm_predictions.lm_head.LayerNorm", h, True) +
                  [Tensor("lm_predictions.lm_head.bias", (v,), "bias")])
    return a


@register("modernbert", {"vocab_size": 50368, "norm_bias": False, "attention_bias": False,
                         "mlp_bias": False, "decoder_bias": True, "classifier_bias": False,
                         "tie_word_embeddings": True}, causal=False,
          base_class="ModernBertModel",
          heads=encoder_heads("model", "prediction head", "prediction head choice",
                              "prediction head", "prediction head"))
def modernbert(family: str, c: Config, name: str, base: bool) -> Assembly:
    """ModernBERT: fused qkv, a gated MLP (Wi holds both halves), pre-norms; layer 0 has no
    attention norm (the embeddings' norm serves)."""
    h, v, inter = c.int("hidden_size"), c.int("vocab_size"), c.int("intermediate_size")
    nb, ab, mb = c.bool("norm_bias"), c.bool("attention_bias"), c.bool("mlp_bias")
    p = "" if base else "model."
    a = Assembly(name)
    a.add("embeddings", "embedding", embedding(f"{p}embeddings.tok_embeddings", v, h) +
          norm(f"{p}embeddings.norm", h, nb))

    def layer(i: int) -> Layer:
        return {"attention": linear("attn.Wqkv", 3 * h, h, ab) + linear("attn.Wo", h, h, ab),
                "mlp": linear("mlp.Wi", 2 * inter, h, mb) + linear("mlp.Wo", h, inter, mb),
                "norms": (norm("attn_norm", h, nb) if i else []) + norm("mlp_norm", h, nb)}

    # layer 0 has no attention norm: it differs from layer 1 on
    a.stack(f"{p}layers.", c.int("num_hidden_layers"), layer, starts=(0, 1))
    a.add("final norm", "norm", norm(f"{p}final_norm", h, nb))
    if not base:
        tied = c.bool("tie_word_embeddings")
        decoder = [Tensor("decoder.weight", (v, h), "embedding",
                          shared_with="model.embeddings.tok_embeddings.weight")] if tied else \
            [Tensor("decoder.weight", (v, h), "weight")]
        if c.bool("decoder_bias"):
            decoder.append(Tensor("decoder.bias", (v,), "bias"))
        a.add("masked-LM head" + (" (decoder tied to the embeddings)" if tied else ""), "head",
              linear("head.dense", h, h, c.bool("classifier_bias")) + norm("head.norm", h, nb) +
              decoder)
    return a
