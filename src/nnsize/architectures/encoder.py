"""Encoders with a masked-language-model head: BERT, RoBERTa, DistilBERT."""

from __future__ import annotations

from ..model import Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .heads import encoder_heads
from .registry import NSP, PRETRAINING, register


def _bert_like(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, v, inter = c.int("hidden_size"), c.int("vocab_size"), c.int("intermediate_size")
    p = "" if base else f"{family}."
    a = Assembly(name)
    a.add("embeddings", "embedding",
          embedding(f"{p}embeddings.word_embeddings", v, h) +
          embedding(f"{p}embeddings.position_embeddings", c.int("max_position_embeddings"), h) +
          embedding(f"{p}embeddings.token_type_embeddings", c.int("type_vocab_size"), h) +
          norm(f"{p}embeddings.LayerNorm", h, True))

    def layer(i: int) -> Layer:
        return {"attention": linear("attention.self.query", h, h, True) +
                linear("attention.self.key", h, h, True) +
                linear("attention.self.value", h, h, True) +
                linear("attention.output.dense", h, h, True),
                "mlp": linear("intermediate.dense", inter, h, True) +
                linear("output.dense", h, inter, True),
                "norms": norm("attention.output.LayerNorm", h, True) +
                norm("output.LayerNorm", h, True)}

    a.stack(f"{p}encoder.layer.", c.int("num_hidden_layers"), layer)
    tied = c.bool("tie_word_embeddings")
    if base:
        a.add("pooler", "head", linear("pooler.dense", h, h, True))
    elif family == "bert":
        # untied, the decoder keeps its weight and a bias of its own beside predictions.bias
        decoder = [] if tied else linear("cls.predictions.decoder", v, h, True)
        a.add("masked-LM head" + (" (decoder tied to the embeddings)" if tied else ""), "head",
              linear("cls.predictions.transform.dense", h, h, True) +
              norm("cls.predictions.transform.LayerNorm", h, True) + decoder +
              [Tensor("cls.predictions.bias", (v,), "bias")])
    else:
        decoder = [] if tied else linear("lm_head.decoder", v, h, True)
        a.add("masked-LM head" + (" (decoder tied to the embeddings)" if tied else ""), "head",
              linear("lm_head.dense", h, h, True) + norm("lm_head.layer_norm", h, True) +
              decoder + [Tensor("lm_head.bias", (v,), "bias")])
    return a


ENCODER = {"vocab_size": 30522, "max_position_embeddings": 512, "type_vocab_size": 2,
           "tie_word_embeddings": True}
register("bert", ENCODER, causal=False, base_class="BertModel",
         heads={**encoder_heads("bert", "pooled classifier"),
                PRETRAINING: ("bert", "pretraining"), NSP: ("bert", "next sentence")})(_bert_like)
register("roberta", {**ENCODER, "vocab_size": 50265}, causal=False, base_class="RobertaModel",
         heads=encoder_heads("roberta", "dense classifier"))(_bert_like)


@register("distilbert", {"vocab_size": 30522, "max_position_embeddings": 512,
                         "tie_word_embeddings": True}, causal=False,
          aliases={"dim": "hidden_size", "n_layers": "num_hidden_layers", "n_heads":
                   "num_attention_heads", "hidden_dim": "intermediate_size"},
          base_class="DistilBertModel", heads=encoder_heads("distilbert", "pre-classifier",
                                                            "pre-classifier choice"))
def distilbert(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, v, inter = c.int("hidden_size"), c.int("vocab_size"), c.int("intermediate_size")
    p = "" if base else "distilbert."
    a = Assembly(name)
    a.add("embeddings", "embedding", embedding(f"{p}embeddings.word_embeddings", v, h) +
          embedding(f"{p}embeddings.position_embeddings", c.int("max_position_embeddings"), h) +
          norm(f"{p}embeddings.LayerNorm", h, True))

    def layer(i: int) -> Layer:
        return {"attention": linear("attention.q_lin", h, h, True) +
                linear("attention.k_lin", h, h, True) + linear("attention.v_lin", h, h, True) +
                linear("attention.out_lin", h, h, True),
                "mlp": linear("ffn.lin1", inter, h, True) + linear("ffn.lin2", h, inter, True),
                "norms": norm("sa_layer_norm", h, True) + norm("output_layer_norm", h, True)}

    a.stack(f"{p}transformer.layer.", c.int("num_hidden_layers"), layer)
    if not base:
        tied = c.bool("tie_word_embeddings")
        decoder = [] if tied else [Tensor("vocab_projector.weight", (v, h), "weight")]
        a.add("masked-LM head" + (" (projector tied to the embeddings)" if tied else ""),
              "head", linear("vocab_transform", h, h, True) + norm("vocab_layer_norm", h, True)
              + decoder + [Tensor("vocab_projector.bias", (v,), "bias")])
    return a
