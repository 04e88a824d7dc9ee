"""Image-text language models: a vision tower, a projector into the text model's width, and a
decoder language model.  LLaVA, Mistral 3 (Pixtral vision), Gemma 3.

    model.vision_tower.* -> model.multi_modal_projector.* -> model.language_model.* -> lm_head

Each tower is built by its own family's builder (vision.py, decoder.py) from the sub-config;
the report has a row group per tower, the projector, and the total.  A tower left out of the
config entirely is refused (the composite config classes fill it with sizes of their own).
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ..model import Tensor
from ..records import replace
from .assembly import Assembly, _row, linear, norm
from .config import Config
from .registry import FAMILIES, register
from .vision import _pair

# Sizes a sub-config's own class fills in (transformers' defaults, checked in the tests): a
# publisher's config often gives only what differs, e.g. llava-1.5's text_config.
NESTED: dict[str, dict[str, Any]] = {
    "llama": {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008,
              "num_hidden_layers": 32, "num_attention_heads": 32},
    "mistral": {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336,
                "num_hidden_layers": 32, "num_attention_heads": 32},
    "gemma": {"vocab_size": 256000, "hidden_size": 3072, "intermediate_size": 24576,
              "num_hidden_layers": 28, "num_attention_heads": 16},
    "gemma3_text": {"vocab_size": 262208, "hidden_size": 2304, "intermediate_size": 9216,
                    "num_hidden_layers": 26, "num_attention_heads": 8},
    "qwen2": {"vocab_size": 151936, "hidden_size": 4096, "intermediate_size": 22016,
              "num_hidden_layers": 32, "num_attention_heads": 32},
    "llama4_text": {"vocab_size": 202048, "hidden_size": 5120, "intermediate_size": 8192,
                    "num_hidden_layers": 48, "num_attention_heads": 40},
}
PIXTRAL = {"hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24,
           "num_attention_heads": 16, "num_channels": 3, "image_size": 1024, "patch_size": 16}


def _sub(c: Config, key: str, default_type: str) -> tuple[str, Config]:
    data = c.value(key, None)
    if data is None:
        raise SpecError(f"{c.where}: missing {key!r}; nnsize counts a {c.family} model from the "
                        f"{key} its config.json gives")
    if not isinstance(data, dict):
        raise SpecError(f"{c.where}: {key} must be an object, got {data!r}")
    kind = data.get("model_type", default_type)
    if not isinstance(kind, str):
        raise SpecError(f"{c.where}: {key}.model_type must be a name, got {kind!r}")
    if kind == "pixtral":
        return kind, Config(data, kind, PIXTRAL, where=f"{c.where}: {key}")
    family = FAMILIES.get(kind)
    if family is None:
        raise SpecError(f"{c.where}: {key} has model_type {kind!r}, which nnsize does not build")
    return kind, Config(data, kind, {**NESTED.get(kind, {}), **family.defaults}, family.aliases,
                        f"{c.where}: {key}")


def absorb(a: Assembly, part: Assembly, prefix: str, title: str,
           component: str | None = None) -> None:
    """Append part's rows under prefix (tied names too), labelled with the part's title (and
    all of one component, where given)."""
    for row in part.rows:
        tensors = [replace(t, name=prefix + t.name,
                           shared_with=prefix + t.shared_with if t.shared_with else "")
                   for t in row.tensors]
        a.rows.append(_row(f"{title}: {row.label}", component or row.type, tensors,
                           row.active_each, len(a.rows)))


def _pixtral(c: Config) -> Assembly:
    """Pixtral's vision encoder: RMS pre-norms, a gated MLP, no biases anywhere."""
    h, inter = c.int("hidden_size"), c.int("intermediate_size")
    ph, pw = _pair(c, "patch_size")
    a = Assembly("pixtral")
    a.add("patches", "embedding",
          [Tensor("patch_conv.weight", (h, c.int("num_channels"), ph, pw), "weight")] +
          norm("ln_pre", h))
    a.stack("transformer.layers.", c.int("num_hidden_layers"), lambda i: {
        "attention": linear("attention.k_proj", h, h) + linear("attention.v_proj", h, h) +
        linear("attention.q_proj", h, h) + linear("attention.o_proj", h, h),
        "mlp": linear("feed_forward.gate_proj", inter, h) + linear("feed_forward.up_proj", inter, h)
        + linear("feed_forward.down_proj", h, inter),
        "norms": norm("attention_norm", h) + norm("ffn_norm", h)}, title="vision layers")
    return a


def image_tokens(family: str, c: Config, vc: Config) -> int:
    """Feature tokens one image becomes in the language model's context (the marker tokens a
    processor puts around or between them not included).

    LLaVA: every patch ("default" drops the class token: (336 / 14)^2 = 576); Gemma 3:
    mm_tokens_per_image (256, pooled); Mistral 3: the patches of an image of image_size, merged
    spatial_merge_size^2 to one (images of other sizes differ).
    """
    from .vision import patches

    if family == "gemma3":
        return c.int("mm_tokens_per_image")
    n = patches(vc)
    if family == "mistral3":
        s = c.int("spatial_merge_size")
        return n // (s * s)
    full = c.value("vision_feature_select_strategy", "default") == "full"
    return n + 1 if full and vc.family != "pixtral" else n  # Pixtral has no class token


def _feature_layers(c: Config) -> int:
    """How many vision layers' outputs the projector takes, side by side."""
    layer = c.value("vision_feature_layer")
    return len(layer) if isinstance(layer, list) else 1


def _build(family: str, c: Config, name: str, base: bool) -> Assembly:
    vkind, vc = _sub(c, "vision_config", {"llava": "clip_vision_model", "mistral3": "pixtral",
                                          "gemma3": "siglip_vision_model"}[family])
    tkind, tc = _sub(c, "text_config", {"llava": "llama", "mistral3": "mistral",
                                        "gemma3": "gemma3_text"}[family])
    vision = _pixtral(vc) if vkind == "pixtral" else FAMILIES[vkind].build(vkind, vc, name, True)
    text = FAMILIES[tkind].build(tkind, tc, name, True)
    hv, ht = vc.int("hidden_size"), tc.int("hidden_size")
    p = "" if base else "model."
    a = Assembly(name)
    # the vision rows are of the component "vision": they run once an image, not once a token
    absorb(a, vision, f"{p}vision_tower.", "vision tower", "vision")
    q = f"{p}multi_modal_projector"
    if family == "gemma3":  # an RMS norm on the image tokens, then one projection matrix
        projector = [Tensor(f"{q}.mm_input_projection_weight", (hv, ht), "weight")] + \
            norm(f"{q}.mm_soft_emb_norm", hv)
    else:
        bias = c.bool("multimodal_projector_bias")
        width = hv * _feature_layers(c)
        projector = []
        if family == "mistral3":  # merge each s x s block of patches into one token
            s = c.int("spatial_merge_size")
            projector = norm(f"{q}.norm", hv) + \
                linear(f"{q}.patch_merger.merging_layer", hv, hv * s * s)
        projector += linear(f"{q}.linear_1", ht, width, bias) + linear(f"{q}.linear_2", ht, ht,
                                                                       bias)
    a.add("projector", "vision", projector)
    absorb(a, text, f"{p}language_model.", "language model")
    if text.decoder is not None:
        a.decoder = replace(text.decoder, image_tokens=image_tokens(family, c, vc))
    if not base:
        v = tc.int("vocab_size")
        # LLaVA's config class takes a tie saved in text_config (older saves) when its own is off
        tied = c.bool("tie_word_embeddings") or (
            family == "llava" and tc.bool("tie_word_embeddings", False))
        head = Tensor("lm_head.weight", (v, ht), "embedding",
                      shared_with="model.language_model.embed_tokens.weight") if tied else \
            Tensor("lm_head.weight", (v, ht), "weight")
        a.add("head" + (" (tied to the embeddings)" if tied else ""), "head", [head])
    return a


register("llava", {"vision_feature_layer": -2, "vision_feature_select_strategy": "default",
                   "multimodal_projector_bias": True,
                   "tie_word_embeddings": False}, causal=True,
         aliases={"image_token_id": "image_token_index"}, base_class="LlavaModel")(_build)
register("mistral3", {"vision_feature_layer": -1, "multimodal_projector_bias": False,
                      "spatial_merge_size": 2, "tie_word_embeddings": True}, causal=True,
         aliases={"image_token_id": "image_token_index"}, base_class="Mistral3Model")(_build)
register("gemma3", {"mm_tokens_per_image": 256, "tie_word_embeddings": True}, causal=True,
         aliases={"image_token_id": "image_token_index", "boi_token_id": "boi_token_index",
                  "eoi_token_id": "eoi_token_index"}, base_class="Gemma3Model")(_build)


LLAMA4_VISION = {"hidden_size": 768, "num_hidden_layers": 34, "num_attention_heads": 16,
                 "num_channels": 3, "intermediate_size": 5632, "image_size": 448,
                 "patch_size": 14, "vision_output_dim": 7680, "projector_input_dim": 4096,
                 "projector_output_dim": 4096}


# transformers has no Llama4Model: AutoModel builds Llama4ForConditionalGeneration
@register("llama4", {"tie_word_embeddings": False}, causal=True, prefix="Llama4")
def llama4(family: str, c: Config, name: str, base: bool) -> Assembly:
    """Llama 4: a vision transformer over unfolded patches with a pixel-shuffle adapter, one
    projection into the text width, and Llama 4's language model of experts (its own LM head).

    vision_model.* -> multi_modal_projector.linear_1 -> language_model.model.*, .lm_head
    """
    data = c.value("vision_config", None)
    if not isinstance(data, dict):
        raise SpecError(f"{c.where}: vision_config must be an object, got {data!r}")
    vc = Config(data, "llama4_vision_model", LLAMA4_VISION, where=f"{c.where}: vision_config")
    _, tc = _sub(c, "text_config", "llama4_text")
    h, inter = vc.int("hidden_size"), vc.int("intermediate_size")
    ph, pw = _pair(vc, "patch_size")
    from .vision import patches

    vision = Assembly(name)
    vision.add("patches", "embedding", [
        Tensor("class_embedding", (h,), "embedding"),
        Tensor("positional_embedding_vlm", (patches(vc) + 1, h), "embedding")] +
        linear("patch_embedding.linear", h, vc.int("num_channels") * ph * pw) +
        norm("layernorm_pre", h, True) + norm("layernorm_post", h, True))
    vision.stack("model.layers.", vc.int("num_hidden_layers"), lambda i: {
        "attention": linear("self_attn.q_proj", h, h, True) + linear("self_attn.k_proj", h, h, True)
        + linear("self_attn.v_proj", h, h, True) + linear("self_attn.o_proj", h, h, True),
        "mlp": linear("mlp.fc1", inter, h, True) + linear("mlp.fc2", h, inter, True),
        "norms": norm("input_layernorm", h, True) + norm("post_attention_layernorm", h, True)},
        title="vision layers")
    out = vc.int("projector_output_dim")
    vision.add("pixel-shuffle adapter", "vision",
               linear("vision_adapter.mlp.fc1", vc.int("projector_input_dim"), inter) +
               linear("vision_adapter.mlp.fc2", out, out))
    text = FAMILIES["llama4_text"].build("llama4_text", tc, name, False)
    a = Assembly(name)
    absorb(a, vision, "vision_model.", "vision model", "vision")
    a.add("projector", "vision", linear("multi_modal_projector.linear_1", tc.int("hidden_size"),
                                        vc.int("vision_output_dim")))
    absorb(a, text, "language_model.", "language model")
    a.decoder = text.decoder
    return a
