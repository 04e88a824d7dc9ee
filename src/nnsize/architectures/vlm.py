"""More image-text language models, as transformers builds them: PaliGemma, Idefics3 and SmolVLM,
InternVL and GLM-4.1V; and the vision towers they (and LLaVA's Pixtral) are built on, each
registered under its own model_type.

    PaliGemma:  model.vision_tower (SigLIP) -> multi_modal_projector.linear -> language_model
                (Gemma) -> lm_head
    Idefics3 / SmolVLM: model.vision_model (SigLIP without its head) -> connector
                (modality_projection.proj over scale_factor^2 patches side by side) ->
                text_model (Llama) -> lm_head
    InternVL:   model.vision_tower (a BEiT-like ViT) -> multi_modal_projector (norm, two
                linears over 1 / downsample_ratio^2 patches) -> language_model (Qwen2) -> lm_head
    GLM-4.1V:   model.visual (3-D patches, RMS blocks, a 2 x 2 conv merge, a gated merger) ->
                language_model (GLM-4's sandwich-normed layers) -> lm_head

The vision rows are of the component "vision" (they run once an image); the planner's compute
per token is the language model's.
"""

from __future__ import annotations

from ..errors import SpecError, shown
from ..model import Tensor
from ..records import replace
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .decoder import build_traits, register_traits
from .multimodal import PIXTRAL, _pixtral, _sub, absorb
from .registry import FAMILIES, register
from .traits import Traits
from .vision import _vision_tower, conv, patches


def _tower(c: Config, key: str, family: str) -> Config:
    """A sub-config of the registered family's own class (transformers fixes its model_type,
    whatever the sub-config says)."""
    data = c.value(key, None)
    if data is None:
        raise SpecError(f"{c.where}: missing {key!r}; nnsize counts a {c.family} model from the "
                        f"{key} its config.json gives")
    if not isinstance(data, dict):
        raise SpecError(f"{c.where}: {key} must be an object, got {shown(data)}")
    registered = FAMILIES[family]
    return Config(data, family, registered.defaults, registered.aliases, f"{c.where}: {key}")


def _head(a: Assembly, c: Config, tc: Config, text: str) -> None:
    """The LM head: vocab x hidden, tied to the language model's embeddings where the config
    ties them (GLM-4.1V's config class also takes a tie saved in text_config, as older saves
    put it)."""
    v, h = tc.int("vocab_size"), tc.int("hidden_size")
    tied = c.bool("tie_word_embeddings") or (
        c.family == "glm4v" and tc.bool("tie_word_embeddings", False))
    head = Tensor("lm_head.weight", (v, h), "embedding",
                  shared_with=f"model.{text}.embed_tokens.weight") if tied else \
        Tensor("lm_head.weight", (v, h), "weight")
    a.add("head" + (" (tied to the embeddings)" if tied else ""), "head", [head])


def _join(c: Config, name: str, base: bool, vision: Assembly, vision_at: str,
          projector: list[Tensor], text: Assembly, text_at: str, tc: Config,
          image_tokens: int) -> Assembly:
    """The tower, the projector and the language model under the base model's attributes."""
    p = "" if base else "model."
    a = Assembly(name)
    absorb(a, vision, f"{p}{vision_at}.", "vision tower", "vision")
    a.add("projector", "vision", [t.prefixed(p) for t in projector])
    absorb(a, text, f"{p}{text_at}.", "language model")
    if text.decoder is not None:
        a.decoder = replace(text.decoder, image_tokens=image_tokens)
    if not base:
        _head(a, c, tc, text_at)
    return a


def _language_model(c: Config, default_type: str, name: str) -> tuple[Config, Assembly]:
    kind, tc = _sub(c, "text_config", default_type)
    if kind == "pixtral" or not FAMILIES[kind].causal:
        raise SpecError(f"{c.where}: text_config has model_type {kind!r}, not a language model")
    return tc, FAMILIES[kind].build(kind, tc, name, True)


# --- PaliGemma ---------------------------------------------------------------------------------

@register("paligemma", {"projection_dim": 2048, "tie_word_embeddings": True}, causal=True,
          aliases={"image_token_id": "image_token_index"}, base_class="PaliGemmaModel")
def paligemma(family: str, c: Config, name: str, base: bool) -> Assembly:
    """PaliGemma: every patch becomes a token, projected to projection_dim (the top-level key,
    which transformers copies into the vision config)."""
    vkind, vc = _sub(c, "vision_config", "siglip_vision_model")
    if vkind == "pixtral":
        raise SpecError(f"{c.where}: vision_config has model_type 'pixtral', which PaliGemma "
                        f"does not take")
    tc, text = _language_model(c, "gemma", name)
    vision = FAMILIES[vkind].build(vkind, vc, name, True)
    projector = linear("multi_modal_projector.linear", c.int("projection_dim"),
                       vc.int("hidden_size"), True)
    return _join(c, name, base, vision, "vision_tower", projector, text, "language_model", tc,
                 patches(vc))


# --- Idefics3 and SmolVLM ----------------------------------------------------------------------

NAVIT = {"hidden_size": 1152, "intermediate_size": 3072, "num_hidden_layers": 12,
         "num_attention_heads": 16, "num_channels": 3, "image_size": 224, "patch_size": 32}


@register("idefics3_vision", NAVIT, causal=False, base_class="Idefics3VisionTransformer",
          prefix="Idefics3Vision")
@register("smolvlm_vision", NAVIT, causal=False, base_class="SmolVLMVisionTransformer",
          prefix="SmolVLMVision")
def navit(family: str, c: Config, name: str, base: bool) -> Assembly:
    """SigLIP's vision tower (patch conv with a bias, one position per patch), without its
    attention-pooling head."""
    a = Assembly(name)
    _vision_tower(a, Config({**c.data, "vision_use_head": False}, c.family, c.defaults,
                            where=c.where), "", True)
    return a


def _idefics3(family: str, c: Config, name: str, base: bool) -> Assembly:
    """The connector puts scale_factor^2 neighbouring patches side by side: one token of
    text width from hidden x s^2 values, no bias."""
    vc = _tower(c, "vision_config", f"{family}_vision")
    tc, text = _language_model(c, "llama", name)
    s = c.int("scale_factor")
    hv = vc.int("hidden_size")
    vision = FAMILIES[vc.family].build(vc.family, vc, name, True)
    projector = linear("connector.modality_projection.proj", tc.int("hidden_size"), hv * s * s)
    return _join(c, name, base, vision, "vision_model", projector, text, "text_model", tc,
                 patches(vc) // (s * s))


IDEFICS3 = {"scale_factor": 2, "tie_word_embeddings": False}
register("idefics3", IDEFICS3, causal=True, base_class="Idefics3Model")(_idefics3)
register("smolvlm", IDEFICS3, causal=True, base_class="SmolVLMModel")(_idefics3)


# --- Pixtral's vision encoder alone (LLaVA builds it as its tower, multimodal.py) -------------

@register("pixtral", PIXTRAL, causal=False, base_class="PixtralVisionModel")
def pixtral(family: str, c: Config, name: str, base: bool) -> Assembly:
    return _pixtral(c)


# --- InternVL ----------------------------------------------------------------------------------

INTERNVL_VISION = {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
                   "attention_bias": False, "use_qk_norm": False, "intermediate_size": 4096,
                   "norm_type": "layer_norm", "image_size": (448, 448), "patch_size": (14, 14),
                   "num_channels": 3, "use_mask_token": False,
                   "use_absolute_position_embeddings": True, "use_mean_pooling": True}


@register("internvl_vision", INTERNVL_VISION, causal=False, base_class="InternVLVisionModel")
def internvl_vision(family: str, c: Config, name: str, base: bool) -> Assembly:
    """InternViT: BEiT's layout (class token, layer scales lambda_1 / lambda_2) with optional
    RMS norms over all heads on queries and keys, and LayerNorm or RMSNorm layers."""
    h, inter = c.int("hidden_size"), c.int("intermediate_size")
    kind = c.value("norm_type")
    if kind not in ("layer_norm", "rms_norm"):
        raise SpecError(f"{c.where}: norm_type must be 'layer_norm' or 'rms_norm', got "
                        f"{shown(kind)}")
    biased_norms = kind == "layer_norm"
    qkv, qk_norm = c.bool("attention_bias"), c.bool("use_qk_norm")
    a = Assembly(name)
    emb = [Tensor("embeddings.cls_token", (1, 1, h), "embedding")]
    if c.bool("use_mask_token"):
        emb.append(Tensor("embeddings.mask_token", (1, 1, h), "embedding"))
    emb += conv("embeddings.patch_embeddings.projection", h, c.int("num_channels"), c)
    if c.bool("use_absolute_position_embeddings"):
        emb.append(Tensor("embeddings.position_embeddings", (1, patches(c) + 1, h), "embedding"))
    a.add("embeddings", "embedding", emb)

    def layer(i: int) -> Layer:
        attention = linear("attention.q_proj", h, h, qkv) + linear("attention.k_proj", h, h, qkv) \
            + linear("attention.v_proj", h, h, qkv) + \
            linear("attention.projection_layer", h, h, True)
        if qk_norm:
            attention += norm("attention.q_norm", h) + norm("attention.k_norm", h)
        return {"attention": attention,
                "mlp": linear("mlp.fc1", inter, h, True) + linear("mlp.fc2", h, inter, True),
                "norms": norm("layernorm_before", h, biased_norms) +
                norm("layernorm_after", h, biased_norms),
                "scales": [Tensor("lambda_1", (h,), "other"), Tensor("lambda_2", (h,), "other")]}

    a.stack("encoder.layer.", c.int("num_hidden_layers"), layer, title="vision layers")
    if not c.bool("use_mean_pooling"):
        a.add("final norm", "norm", norm("layernorm", h, True))
    return a


@register("internvl", {"image_seq_length": 256, "downsample_ratio": 0.5,
                       "tie_word_embeddings": True}, causal=True, base_class="InternVLModel")
def internvl(family: str, c: Config, name: str, base: bool) -> Assembly:
    """The projector reads int(1 / downsample_ratio)^2 patches side by side (pixel shuffle):
    a LayerNorm there, then linear_1 to the text width and linear_2, both biased."""
    vc = _tower(c, "vision_config", "internvl_vision")
    tc, text = _language_model(c, "qwen2", name)
    ratio = c.value("downsample_ratio")
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
        raise SpecError(f"{c.where}: downsample_ratio must be a number in (0, 1], got "
                        f"{shown(ratio)}")
    wide = vc.int("hidden_size") * int(1 / ratio) ** 2
    ht = tc.int("hidden_size")
    q = "multi_modal_projector"
    projector = norm(f"{q}.layer_norm", wide, True) + linear(f"{q}.linear_1", ht, wide, True) + \
        linear(f"{q}.linear_2", ht, ht, True)
    vision = internvl_vision("internvl_vision", vc, name, True)
    return _join(c, name, base, vision, "vision_tower", projector, text, "language_model", tc,
                 c.int("image_seq_length"))


# --- GLM-4.1V ----------------------------------------------------------------------------------

# GLM-4's layer (q, k, v biased, o not; gate and up fused; four RMS norms a layer), its head
# width hidden / heads whatever the config says
GLM4V_TEXT = Traits(head_dim=False, qkv_bias=True, o_bias=False, mlp="fused", norms=(
    "input_layernorm", "post_attention_layernorm", "post_self_attn_layernorm",
    "post_mlp_layernorm"))
register_traits("glm4v_text", GLM4V_TEXT, {
    "vocab_size": 151552, "hidden_size": 4096, "intermediate_size": 13696,
    "num_hidden_layers": 40, "num_attention_heads": 32, "num_key_value_heads": 2},
    aliases=None, base_class="Glm4vTextModel")

GLM4V_VISION = {"depth": 24, "hidden_size": 1536, "attention_bias": False, "num_heads": 12,
                "in_channels": 3, "image_size": 336, "patch_size": 14, "spatial_merge_size": 2,
                "temporal_patch_size": 2, "out_hidden_size": 4096, "intermediate_size": 13696}


@register("glm4v_vision", GLM4V_VISION, causal=False,
          aliases={"num_attention_heads": "num_heads", "num_hidden_layers": "depth"},
          base_class="Glm4vVisionModel")
def glm4v_vision(family: str, c: Config, name: str, base: bool) -> Assembly:
    """Patches of t x p x p (a conv with a bias), learned positions for (image / patch)^2,
    blocks of RMS norms, fused qkv and a gated MLP out_hidden_size wide; then an RMS norm, a
    s x s conv to out_hidden_size, and the merger (proj, LayerNorm, gated MLP
    intermediate_size wide)."""
    h, o, inter = c.int("hidden_size"), c.int("out_hidden_size"), c.int("intermediate_size")
    p, t, s = c.int("patch_size"), c.int("temporal_patch_size"), c.int("spatial_merge_size")
    qkv = c.bool("attention_bias")
    a = Assembly(name)
    a.add("patches", "embedding",
          embedding("embeddings.position_embedding", (c.int("image_size") // p) ** 2, h) +
          [Tensor("patch_embed.proj.weight", (h, c.int("in_channels"), t, p, p), "weight"),
           Tensor("patch_embed.proj.bias", (h,), "bias")])
    a.stack("blocks.", c.int("depth"), lambda i: {
        "attention": linear("attn.qkv", 3 * h, h, qkv) + linear("attn.proj", h, h),
        "mlp": linear("mlp.gate_proj", o, h) + linear("mlp.up_proj", o, h) +
        linear("mlp.down_proj", h, o),
        "norms": norm("norm1", h) + norm("norm2", h)}, title="vision blocks")
    a.add("merger", "vision", norm("post_layernorm", h) + norm("post_conv_layernorm", h) +
          [Tensor("downsample.weight", (o, h, s, s), "weight"),
           Tensor("downsample.bias", (o,), "bias")] +
          linear("merger.proj", o, o) + norm("merger.post_projection_norm", o, True) +
          linear("merger.gate_proj", inter, o) + linear("merger.up_proj", inter, o) +
          linear("merger.down_proj", o, inter))
    return a


@register("glm4v", {"tie_word_embeddings": False}, causal=True, base_class="Glm4vModel")
def glm4v(family: str, c: Config, name: str, base: bool) -> Assembly:
    """The vision model's merger ends in the text width (out_hidden_size): no projector of its
    own.  Image tokens: an image of image_size becomes (image / patch / merge)^2."""
    vc = _tower(c, "vision_config", "glm4v_vision")
    tc = _tower(c, "text_config", "glm4v_text")
    text = build_traits(GLM4V_TEXT, tc, name, True)
    vision = glm4v_vision("glm4v_vision", vc, name, True)
    side = vc.int("image_size") // vc.int("patch_size") // vc.int("spatial_merge_size")
    return _join(c, name, base, vision, "visual", [], text, "language_model", tc, side * side)

