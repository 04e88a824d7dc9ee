"""ESM (ESM-1b, ESM-2): a pre-norm BERT-shaped protein language model.

    embeddings (word, [absolute positions], [layer_norm]) -> encoder.layer.{i}: attention.LayerNorm
    -> attention -> LayerNorm -> MLP -> encoder.emb_layer_norm_after -> contact head, [pooler]
    ... -> masked-LM head (dense, layer_norm, decoder tied to the word embeddings, bias)

Rotary positions (ESM-2) are buffers only; the contact head, one linear layer over every
layer's attention maps (layers x heads -> 1), is part of the base model.
"""

from __future__ import annotations

from ..errors import SpecError
from ..model import Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .registry import SEQ, TOKEN, register

POSITIONS = ("absolute", "rotary")


@register("esm", {"max_position_embeddings": 1026, "position_embedding_type": "absolute",
                  "emb_layer_norm_before": None, "is_folding_model": False,
                  "tie_word_embeddings": True}, causal=False, base_class="EsmModel",
          heads={SEQ: ("esm", "dense classifier"), TOKEN: ("esm", "classifier")})
def esm(family: str, c: Config, name: str, base: bool) -> Assembly:
    if c.value("is_folding_model"):
        raise SpecError(f"{c.where}: is_folding_model: true is ESMFold (EsmForProteinFolding), "
                        f"which nnsize has no builder for")
    positions = c.value("position_embedding_type")
    if positions not in POSITIONS:
        raise SpecError(f"{c.where}: position_embedding_type must be one of "
                        f"{', '.join(POSITIONS)} for ESM, got {positions!r}")
    h, v, inter = c.int("hidden_size"), c.int("vocab_size"), c.int("intermediate_size")
    layers, heads = c.int("num_hidden_layers"), c.int("num_attention_heads")
    p = "" if base else "esm."
    a = Assembly(name)
    emb = embedding(f"{p}embeddings.word_embeddings", v, h)
    if c.value("emb_layer_norm_before"):
        emb += norm(f"{p}embeddings.layer_norm", h, True)
    if positions == "absolute":
        emb += embedding(f"{p}embeddings.position_embeddings", c.int("max_position_embeddings"),
                         h)
    a.add("embeddings", "embedding", emb)

    def layer(i: int) -> Layer:
        return {"attention": linear("attention.self.query", h, h, True) +
                linear("attention.self.key", h, h, True) +
                linear("attention.self.value", h, h, True) +
                linear("attention.output.dense", h, h, True),
                "mlp": linear("intermediate.dense", inter, h, True) +
                linear("output.dense", h, inter, True),
                "norms": norm("attention.LayerNorm", h, True) + norm("LayerNorm", h, True)}

    a.stack(f"{p}encoder.layer.", layers, layer)
    a.add("final norm", "norm", norm(f"{p}encoder.emb_layer_norm_after", h, True))
    if base:  # the masked-LM class builds its base model without the pooler
        a.add("pooler", "head", linear("pooler.dense", h, h, True))
    a.add("contact head", "head", linear(f"{p}contact_head.regression", 1, layers * heads, True))
    if not base:
        tied = c.bool("tie_word_embeddings")
        decoder = [] if tied else [Tensor("lm_head.decoder.weight", (v, h), "weight")]
        a.add("masked-LM head" + (" (decoder tied to the embeddings)" if tied else ""), "head",
              linear("lm_head.dense", h, h, True) + norm("lm_head.layer_norm", h, True) +
              decoder + [Tensor("lm_head.bias", (v,), "bias")])
    return a
