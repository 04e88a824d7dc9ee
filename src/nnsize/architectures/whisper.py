"""Whisper: a convolutional audio front end, a BART-shaped encoder-decoder without key biases.

    model.encoder: conv1 (d x mel x 3), conv2 (d x d x 3), embed_positions (frozen, sinusoidal),
    layers.{i}, layer_norm -> model.decoder: embed_tokens, embed_positions, layers.{i},
    layer_norm -> proj_out (tied to the decoder's embed_tokens)
"""

from __future__ import annotations

from ..model import EncoderDecoder, Tensor
from .assembly import Assembly, embedding, norm
from .config import Config
from .registry import AUDIO, CAUSAL, register
from .seq2seq import stack_layer


@register("whisper", {"vocab_size": 51865, "num_mel_bins": 80, "max_source_positions": 1500,
                      "max_target_positions": 448, "tie_word_embeddings": True,
                      "classifier_proj_size": 256, "use_weighted_layer_sum": False}, causal=False,
          aliases={"hidden_size": "d_model", "num_attention_heads": "encoder_attention_heads",
                   "num_key_value_heads": "encoder_attention_heads",
                   "num_hidden_layers": "encoder_layers"},
          base_class="WhisperModel", heads={AUDIO: ("", "encoder projected classifier"),
                                            CAUSAL: ("model", "decoder lm")})
def whisper(family: str, c: Config, name: str, base: bool) -> Assembly:
    d, v, mel = c.int("d_model"), c.int("vocab_size"), c.int("num_mel_bins")
    p = "" if base else "model."
    a = Assembly(name)
    e = f"{p}encoder"
    a.add("audio front end", "weight", [
        Tensor(f"{e}.conv1.weight", (d, mel, 3), "weight"), Tensor(f"{e}.conv1.bias", (d,), "bias"),
        Tensor(f"{e}.conv2.weight", (d, d, 3), "weight"), Tensor(f"{e}.conv2.bias", (d,), "bias"),
        # sinusoidal, stored as a parameter that is not trained
        Tensor(f"{e}.embed_positions.weight", (c.int("max_source_positions"), d), "embedding",
               trainable=False)])
    enc_ffn, dec_ffn = c.int("encoder_ffn_dim"), c.int("decoder_ffn_dim")
    a.stack(f"{e}.layers.", c.int("encoder_layers"), lambda i: stack_layer(d, enc_ffn, False,
                                                                          k_bias=False),
            title="encoder layers")
    a.add("encoder final norm", "norm", norm(f"{e}.layer_norm", d, True))
    a.add("decoder embeddings", "embedding", embedding(f"{p}decoder.embed_tokens", v, d) +
          embedding(f"{p}decoder.embed_positions", c.int("max_target_positions"), d))
    a.stack(f"{p}decoder.layers.", c.int("decoder_layers"),
            lambda i: stack_layer(d, dec_ffn, True, k_bias=False), title="decoder layers")
    a.add("decoder final norm", "norm", norm(f"{p}decoder.layer_norm", d, True))
    # the encoder reads 30 s of audio always: max_source_positions frames (1,500)
    a.encoder_decoder = EncoderDecoder(c.int("decoder_layers"), 2 * d, 2 * d,
                                       c.int("max_source_positions"))
    if not base:
        tied = c.bool("tie_word_embeddings")
        head = Tensor("proj_out.weight", (v, d), "embedding",
                      shared_with="model.decoder.embed_tokens.weight") if tied else \
            Tensor("proj_out.weight", (v, d), "weight")
        a.add("head" + (" (tied to the embeddings)" if tied else ""), "head", [head])
    return a
