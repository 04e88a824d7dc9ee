"""SeamlessM4T (v1 and v2), as transformers builds SeamlessM4TModel and SeamlessM4Tv2Model:
speech and text in, text and speech out, from one config.

    shared (the text embeddings) -> text_encoder (embed_tokens, layers.{i}, layer_norm)
    speech_encoder: feature_projection -> encoder.layers.{i} (Conformer: half-step FFN,
    attention, convolution module with a BatchNorm, half-step FFN) -> intermediate_ffn
    [-> adapter.layers.{i}] -> inner_layer_norm
    text_decoder (embed_tokens, layers.{i} with cross attention) -> lm_head
    t2u_model: a text-to-unit encoder-decoder (the t2u_* sizes) -> lm_head over units
    vocoder: a duration predictor, unit / speaker / language embeddings and a HiFi-GAN

v2: the Conformer's attention has a table of relative distances (relative_key) and its
convolution module a LayerNorm where v1 has a BatchNorm; the text-to-unit decoder is
non-autoregressive: character embeddings, a duration predictor, and layers of self attention
and two 7-wide convolutions (no cross attention, no FFN).

The embeddings and LM heads are tied (tie_word_embeddings); positions are sinusoidal buffers.
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError, shown
from ..layers.batchnorm import BatchNorm1d
from ..model import Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .registry import register

SEAMLESS: dict[str, Any] = {
    "vocab_size": 256102, "t2u_vocab_size": 10082, "hidden_size": 1024,
    "encoder_layers": 24, "encoder_ffn_dim": 8192, "encoder_attention_heads": 16,
    "decoder_layers": 24, "decoder_ffn_dim": 8192, "decoder_attention_heads": 16,
    "speech_encoder_layers": 24, "speech_encoder_attention_heads": 16,
    "speech_encoder_intermediate_size": 4096, "add_adapter": True,
    "feature_projection_input_dim": 160, "adaptor_kernel_size": 8, "num_adapter_layers": 1,
    "position_embeddings_type": "relative", "conv_depthwise_kernel_size": 31,
    "t2u_encoder_layers": 6, "t2u_encoder_ffn_dim": 8192, "t2u_decoder_layers": 6,
    "t2u_decoder_ffn_dim": 8192, "upsample_initial_channel": 512,
    "upsample_rates": (5, 4, 4, 2, 2), "upsample_kernel_sizes": (11, 8, 8, 4, 4),
    "resblock_kernel_sizes": (3, 7, 11), "resblock_dilation_sizes": ((1, 3, 5), (1, 3, 5),
                                                                     (1, 3, 5)),
    "unit_hifi_gan_vocab_size": 10000, "unit_embed_dim": 1280, "lang_embed_dim": 256,
    "spkr_embed_dim": 256, "vocoder_num_langs": 36, "vocoder_num_spkrs": 200,
    "variance_predictor_kernel_size": 3, "tie_word_embeddings": True}


def _positive(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _sizes(c: Config, key: str) -> list[int]:
    v = c.value(key)
    if not isinstance(v, (list, tuple)) or not all(_positive(x) for x in v):
        raise SpecError(f"{c.where}: {key} must be a list of positive whole numbers, got "
                        f"{shown(v)}")
    return list(v)


def _attention(name: str, h: int) -> list[Tensor]:
    return linear(f"{name}.k_proj", h, h, True) + linear(f"{name}.v_proj", h, h, True) + \
        linear(f"{name}.q_proj", h, h, True) + linear(f"{name}.out_proj", h, h, True)


def _ffn(name: str, inter: int, h: int) -> list[Tensor]:
    return linear(f"{name}.fc1", inter, h, True) + linear(f"{name}.fc2", h, inter, True)


def _text_stack(a: Assembly, p: str, layers: int, inter: int, h: int, cross: bool,
                title: str) -> None:
    """Pre-norm layers: self attention [and cross attention], an FFN; a final norm."""
    def layer(i: int) -> Layer:
        out: Layer = {"attention": _attention("self_attn", h) +
                      norm("self_attn_layer_norm", h, True)}
        if cross:
            out["cross attention"] = _attention("cross_attention", h) + \
                norm("cross_attention_layer_norm", h, True)
        out["mlp"] = _ffn("ffn", inter, h) + norm("ffn_layer_norm", h, True)
        return out

    a.stack(f"{p}layers.", layers, layer, title=title)
    a.add(f"{title} final norm", "norm", norm(f"{p}layer_norm", h, True))


def _conformer_ffn(name: str, inter: int, h: int) -> list[Tensor]:
    return linear(f"{name}.intermediate_dense", inter, h, True) + \
        linear(f"{name}.output_dense", h, inter, True)


def _speech_attention(h: int, heads: int, positions: str | None, distances: int = 0
                      ) -> list[Tensor]:
    t = linear("self_attn.linear_q", h, h, True) + linear("self_attn.linear_k", h, h, True) + \
        linear("self_attn.linear_v", h, h, True) + linear("self_attn.linear_out", h, h, True)
    if positions == "relative":  # linear_pos and two biases a head (Transformer-XL's u and v)
        t += linear("self_attn.linear_pos", h, h) + [
            Tensor("self_attn.pos_bias_u", (heads, h // heads), "other"),
            Tensor("self_attn.pos_bias_v", (heads, h // heads), "other")]
    if positions == "relative_key":  # left + right + 1 distances, head_size wide
        t += embedding("self_attn.distance_embedding", distances, h // heads)
    return t


def _speech_encoder(a: Assembly, c: Config, h: int, v2: bool) -> None:
    p = "speech_encoder."
    inter, heads = c.int("speech_encoder_intermediate_size"), \
        c.int("speech_encoder_attention_heads")
    positions = c.value("position_embeddings_type")
    known = ("relative_key",) if v2 else ("relative", "rotary")
    if positions not in known:
        raise SpecError(f"{c.where}: position_embeddings_type must be "
                        f"{' or '.join(repr(k) for k in known)}, got {shown(positions)}")
    distances = c.int("left_max_position_embeddings", least=0) + \
        c.int("right_max_position_embeddings", least=0) + 1 if v2 else 0
    d, k = c.int("feature_projection_input_dim"), c.int("conv_depthwise_kernel_size")
    a.add("speech feature projection", "weight",
          norm(f"{p}feature_projection.layer_norm", d, True) +
          linear(f"{p}feature_projection.projection", h, d, True))
    conv_norm = norm("conv_module.depthwise_layer_norm", h, True) if v2 else \
        [t.prefixed("conv_module.batch_norm.") for t in BatchNorm1d(h).tensors()]
    a.stack(f"{p}encoder.layers.", c.int("speech_encoder_layers"), lambda i: {
        "mlp": norm("ffn1_layer_norm", h, True) + _conformer_ffn("ffn1", inter, h) +
        norm("ffn2_layer_norm", h, True) + _conformer_ffn("ffn2", inter, h),
        "attention": norm("self_attn_layer_norm", h, True) +
        _speech_attention(h, heads, positions, distances),
        "conv": norm("conv_module.layer_norm", h, True) + [
            Tensor("conv_module.pointwise_conv1.weight", (2 * h, h, 1), "weight"),
            Tensor("conv_module.depthwise_conv.weight", (h, 1, k), "weight")] + conv_norm +
        [Tensor("conv_module.pointwise_conv2.weight", (h, h, 1), "weight")],
        "norms": norm("final_layer_norm", h, True)}, title="speech layers")
    a.add("speech final norm and FFN", "mlp", norm(f"{p}encoder.layer_norm", h, True) +
          _conformer_ffn(f"{p}intermediate_ffn", inter, h))
    if c.bool("add_adapter"):
        ak = c.int("adaptor_kernel_size")

        def adapter(i: int) -> Layer:
            def strided(name: str) -> list[Tensor]:
                return [Tensor(f"{name}.weight", (2 * h, h, ak), "weight"),
                        Tensor(f"{name}.bias", (2 * h,), "bias")]

            return {"conv": norm("residual_layer_norm", h, True) + strided("residual_conv") +
                    norm("self_attn_layer_norm", h, True) + strided("self_attn_conv"),
                    "attention": _speech_attention(h, heads, None),
                    "mlp": norm("ffn_layer_norm", h, True) + _conformer_ffn("ffn", inter, h)}

        a.stack(f"{p}adapter.layers.", c.int("num_adapter_layers"), adapter,
                title="speech adapter layers")
    a.add("speech inner norm", "norm", norm(f"{p}inner_layer_norm", h, True))


def _vocoder(a: Assembly, c: Config) -> None:
    """The duration predictor (two convs of variance_predictor_kernel_size, norms, a
    projection to one), three embedding tables, and HiFi-GAN: conv_pre over the three
    embeddings side by side, an upsampling transposed conv a rate (halving the channels), and
    after each len(resblock_kernel_sizes) residual blocks of two convs a dilation."""
    p = "vocoder."
    u, kp = c.int("unit_embed_dim"), c.int("variance_predictor_kernel_size")
    lang, spkr = c.int("lang_embed_dim"), c.int("spkr_embed_dim")
    a.add("vocoder duration predictor and embeddings", "embedding", [
        Tensor(f"{p}dur_predictor.conv1.weight", (u, u, kp), "weight"),
        Tensor(f"{p}dur_predictor.conv1.bias", (u,), "bias")] +
        norm(f"{p}dur_predictor.ln1", u, True) + [
        Tensor(f"{p}dur_predictor.conv2.weight", (u, u, kp), "weight"),
        Tensor(f"{p}dur_predictor.conv2.bias", (u,), "bias")] +
        norm(f"{p}dur_predictor.ln2", u, True) + linear(f"{p}dur_predictor.proj", 1, u, True) +
        embedding(f"{p}unit_embedding", c.int("unit_hifi_gan_vocab_size"), u) +
        embedding(f"{p}speaker_embedding", c.int("vocoder_num_spkrs"), spkr) +
        embedding(f"{p}language_embedding", c.int("vocoder_num_langs"), lang))
    g = f"{p}hifi_gan."
    ch = c.int("upsample_initial_channel")
    rates, kernels = _sizes(c, "upsample_rates"), _sizes(c, "upsample_kernel_sizes")
    res_kernels, dilations = _sizes(c, "resblock_kernel_sizes"), \
        c.value("resblock_dilation_sizes")
    if not isinstance(dilations, (list, tuple)) or not all(
            isinstance(d, (list, tuple)) and all(_positive(x) for x in d) for d in dilations):
        raise SpecError(f"{c.where}: resblock_dilation_sizes must be a list of lists (the "
                        f"dilations of each residual block), got {shown(dilations)}")
    t = [Tensor(f"{g}conv_pre.weight", (ch, u + lang + spkr, 7), "weight"),
         Tensor(f"{g}conv_pre.bias", (ch,), "bias")]
    block = 0
    channels = ch
    for i, kernel in enumerate(kernels[:len(rates)]):
        channels = ch >> (i + 1)  # ch // 2^(i + 1)
        # a transposed convolution keeps in x out x k
        t += [Tensor(f"{g}upsampler.{i}.weight", (ch >> i, channels, kernel), "weight"),
              Tensor(f"{g}upsampler.{i}.bias", (channels,), "bias")]
    for i in range(min(len(rates), len(kernels))):
        channels = ch >> (i + 1)
        for kernel, dilation in zip(res_kernels, dilations):
            for branch in ("convs1", "convs2"):
                for j in range(len(dilation)):
                    name = f"{g}resblocks.{block}.{branch}.{j}"
                    t += [Tensor(f"{name}.weight", (channels, channels, kernel), "weight"),
                          Tensor(f"{name}.bias", (channels,), "bias")]
            block += 1
    t += [Tensor(f"{g}conv_post.weight", (1, channels, 7), "weight"),
          Tensor(f"{g}conv_post.bias", (1,), "bias")]
    a.add("vocoder HiFi-GAN", "weight", t)


def _unit_decoder(a: Assembly, c: Config, p: str, h: int) -> None:
    """v2's text-to-unit decoder: unit and character tables, two position scales, a duration
    predictor (t2u_variance_predictor_*), layers of self attention and two convolutions."""
    e, w = c.int("t2u_variance_predictor_embed_dim"), c.int("t2u_variance_predictor_hidden_dim")
    k = c.int("t2u_variance_predictor_kernel_size")
    d = f"{p}duration_predictor."
    a.add("t2u decoder embeddings", "embedding",
          embedding(f"{p}embed_tokens", c.int("t2u_vocab_size"), h) +
          embedding(f"{p}embed_char", c.int("char_vocab_size"), h) +
          [Tensor(f"{p}pos_emb_alpha_char", (1,), "other"),
           Tensor(f"{p}pos_emb_alpha", (1,), "other"),
           Tensor(f"{d}conv1.weight", (w, e, k), "weight"), Tensor(f"{d}conv1.bias", (w,), "bias")]
          + norm(f"{d}ln1", w, True) +
          [Tensor(f"{d}conv2.weight", (w, w, k), "weight"), Tensor(f"{d}conv2.bias", (w,), "bias")]
          + norm(f"{d}ln2", w, True) + linear(f"{d}proj", 1, w, True))
    a.stack(f"{p}layers.", c.int("t2u_decoder_layers"), lambda i: {
        "attention": _attention("self_attn", h) + norm("self_attn_layer_norm", h, True),
        "conv": [Tensor("conv1.weight", (h, h, 7), "weight"), Tensor("conv1.bias", (h,), "bias"),
                 Tensor("conv2.weight", (h, h, 7), "weight"), Tensor("conv2.bias", (h,), "bias")]
        + norm("conv_layer_norm", h, True)}, title="t2u decoder")
    a.add("t2u decoder final norm", "norm", norm(f"{p}layer_norm", h, True))


ALIASES = {"num_hidden_layers": "decoder_layers", "num_attention_heads": "decoder_attention_heads"}
SEAMLESS_V2: dict[str, Any] = {
    **SEAMLESS, "char_vocab_size": 10943, "position_embeddings_type": "relative_key",
    "left_max_position_embeddings": 64, "right_max_position_embeddings": 8,
    "t2u_variance_predictor_embed_dim": 1024, "t2u_variance_predictor_hidden_dim": 256,
    "t2u_variance_predictor_kernel_size": 3}


@register("seamless_m4t", SEAMLESS, causal=False, base_class="SeamlessM4TModel",
          aliases=ALIASES)
@register("seamless_m4t_v2", SEAMLESS_V2, causal=False, base_class="SeamlessM4Tv2Model",
          aliases=ALIASES)
def seamless_m4t(family: str, c: Config, name: str, base: bool) -> Assembly:
    v2 = family == "seamless_m4t_v2"
    h, v = c.int("hidden_size"), c.int("vocab_size")
    tied = c.bool("tie_word_embeddings")
    a = Assembly(name)

    def table(at: str, rows: int, source: str) -> Tensor:
        return Tensor(f"{at}.weight", (rows, h), "embedding", shared_with=source if tied else "")

    a.add("shared embeddings", "embedding", embedding("shared", v, h) +
          [table("text_encoder.embed_tokens", v, "shared.weight")])
    _text_stack(a, "text_encoder.", c.int("encoder_layers"), c.int("encoder_ffn_dim"), h, False,
                "text encoder")
    _speech_encoder(a, c, h, v2)
    a.add("text decoder embeddings", "embedding",
          [table("text_decoder.embed_tokens", v, "shared.weight")])
    _text_stack(a, "text_decoder.", c.int("decoder_layers"), c.int("decoder_ffn_dim"), h, True,
                "text decoder")
    a.add("text head", "head", [table("lm_head", v, "shared.weight")])
    t = "t2u_model."
    _text_stack(a, f"{t}model.encoder.", c.int("t2u_encoder_layers"),
                c.int("t2u_encoder_ffn_dim"), h, False, "t2u encoder")
    units = c.int("t2u_vocab_size")
    if v2:
        _unit_decoder(a, c, f"{t}model.decoder.", h)
    else:
        a.add("t2u decoder embeddings", "embedding",
              embedding(f"{t}model.decoder.embed_tokens", units, h))
        _text_stack(a, f"{t}model.decoder.", c.int("t2u_decoder_layers"),
                    c.int("t2u_decoder_ffn_dim"), h, True, "t2u decoder")
    a.add("t2u head", "head",
          [table(f"{t}lm_head", units, f"{t}model.decoder.embed_tokens.weight")])
    _vocoder(a, c)
    return a
