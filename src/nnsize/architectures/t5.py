"""T5: an encoder and a decoder sharing one embedding; relative position biases in block 0."""

from __future__ import annotations

from ..model import EncoderDecoder, Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .registry import QA, SEQ, TOKEN, register


@register("t5", {"vocab_size": 32128, "d_kv": 64, "num_decoder_layers": None,
                 "relative_attention_num_buckets": 32, "feed_forward_proj": "relu",
                 "tie_word_embeddings": True}, causal=False,
          aliases={"hidden_size": "d_model", "num_attention_heads": "num_heads",
                   "num_hidden_layers": "num_layers", "head_dim": "d_kv"},
          base_class="T5Model", heads={
              "EncoderModel": ("", "encoder only"), QA: ("", "qa per label"),
              SEQ: ("transformer", "classification head"),
              TOKEN: ("transformer", "encoder classifier")})
def t5(family: str, c: Config, name: str, base: bool) -> Assembly:
    d, v, ff = c.int("d_model"), c.int("vocab_size"), c.int("d_ff")
    heads, inner = c.int("num_heads"), c.int("num_heads") * c.int("d_kv")
    buckets = c.int("relative_attention_num_buckets")
    # T5Config derives is_gated_act from feed_forward_proj ('gated-gelu'), but a config that
    # says is_gated_act (flan-t5-xxl: "gelu" and true) overrides it, and transformers builds that
    gated = c.bool("is_gated_act", str(c.value("feed_forward_proj")).startswith("gated-"))
    a = Assembly(name)
    a.add("embeddings", "embedding", embedding("shared", v, d))

    def attention(prefix: str, first: bool) -> list[Tensor]:
        t = [w for n in "qkvo" for w in linear(f"{prefix}.{n}", inner if n != "o" else d,
                                                 d if n != "o" else inner)]
        if first:  # only the first block holds the relative position bias table
            t.append(Tensor(f"{prefix}.relative_attention_bias.weight", (buckets, heads),
                            "embedding"))
        return t

    def feed_forward(prefix: str) -> list[Tensor]:
        wi = linear(f"{prefix}.DenseReluDense.wi_0", ff, d) + \
            linear(f"{prefix}.DenseReluDense.wi_1", ff, d) if gated else \
            linear(f"{prefix}.DenseReluDense.wi", ff, d)
        return wi + linear(f"{prefix}.DenseReluDense.wo", d, ff)

    def encoder(i: int) -> Layer:
        return {"attention": attention("layer.0.SelfAttention", i == 0),
                "mlp": feed_forward("layer.1"),
                "norms": norm("layer.0.layer_norm", d) + norm("layer.1.layer_norm", d)}

    def decoder(i: int) -> Layer:
        return {"attention": attention("layer.0.SelfAttention", i == 0) +
                attention("layer.1.EncDecAttention", False),
                "mlp": feed_forward("layer.2"),
                "norms": norm("layer.0.layer_norm", d) + norm("layer.1.layer_norm", d) +
                norm("layer.2.layer_norm", d)}

    layers = c.int("num_layers")
    # block 0 alone holds the relative position bias: the rest start at block 1
    a.stack("encoder.block.", layers, encoder, title="encoder blocks", starts=(0, 1))
    a.add("encoder final norm", "norm", norm("encoder.final_layer_norm", d))
    a.stack("decoder.block.", c.int("num_decoder_layers", None) or layers, decoder,
            title="decoder blocks", starts=(0, 1))
    a.add("decoder final norm", "norm", norm("decoder.final_layer_norm", d))
    a.encoder_decoder = EncoderDecoder(c.int("num_decoder_layers", None) or layers, 2 * inner,
                                       2 * inner)
    if not base:
        # transformers 5 ties T5's head to the shared embedding always; tie_word_embeddings:
        # false (T5 v1.1's configs) now only switches off the decoder's output scaling.  Such
        # checkpoints still store an lm_head of their own ('nnsize diff' shows it).
        head = [Tensor("lm_head.weight", (v, d), "embedding", shared_with="shared.weight")]
        a.add("head (tied to the embeddings)", "head", head)
    return a
