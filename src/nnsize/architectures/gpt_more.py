"""More GPT-style decoders with layouts of their own: GPT-BigCode (StarCoder), GPT-Neo, CodeGen,
the first GPT, XGLM, BioGPT, MPT."""

from __future__ import annotations

from ..model import AttentionLayer, Decoder, Layers
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .gpt import GPT2_NAMES, conv1d, gpt_heads, lm_head
from .registry import QA, SEQ, TOKEN, register
from .seq2seq import stack_layer

Windows = tuple[tuple[tuple[int | None, ...], int], ...]  # runs: (a block of windows, repeats)


def _decoder(h: int, inter: int, v: int, heads: int, kv: int, layers: int,
             windows: Windows | None = None, positions: int = 0,
             masks_only: bool = False) -> Decoder:
    """positions: a learned position table's rows, the longest sequence (0: none);
    masks_only: the windows mask the attention, and transformers' cache keeps every token."""
    d = h // heads
    runs = windows if windows is not None else (((None,), layers),)
    return Decoder(h, inter, v, Layers(tuple(
        (tuple(AttentionLayer(heads, kv, d, d, w, window_masks_only=masks_only and w is not None)
               for w in block), n) for block, n in runs)),
        positions=positions)


@register("gpt_bigcode", {"vocab_size": 50257, "max_position_embeddings": 1024, "n_inner": None,
                          "multi_query": True, "tie_word_embeddings": True},
          aliases=GPT2_NAMES,
          base_class="GPTBigCodeModel", heads=gpt_heads(SEQ, TOKEN))
def gpt_bigcode(family: str, c: Config, name: str, base: bool) -> Assembly:
    """GPT-2's layout with nn.Linear (not Conv1D) and multi-query attention: one key and one
    value head, so c_attn is hidden + 2 x head_dim wide."""
    h, v, heads = c.int("hidden_size"), c.int("vocab_size"), c.int("num_attention_heads")
    inner = c.int("n_inner", None) or 4 * h
    mq = c.bool("multi_query")
    qkv = h + 2 * (h // heads) if mq else 3 * h
    p = "" if base else "transformer."
    layers = c.int("num_hidden_layers")
    a = Assembly(name)
    a.decoder = _decoder(h, inner, v, heads, 1 if mq else heads, layers,
                         positions=c.int("max_position_embeddings"))
    a.add("embeddings", "embedding", embedding(f"{p}wte", v, h) +
          embedding(f"{p}wpe", c.int("max_position_embeddings"), h))
    a.stack(f"{p}h.", layers, lambda i: {
        "attention": linear("attn.c_attn", qkv, h, True) + linear("attn.c_proj", h, h, True),
        "mlp": linear("mlp.c_fc", inner, h, True) + linear("mlp.c_proj", h, inner, True),
        "norms": norm("ln_1", h, True) + norm("ln_2", h, True)})
    a.add("final norm", "norm", norm(f"{p}ln_f", h, True))
    if not base:
        lm_head(a, c, v, h, "transformer.wte.weight")
    return a


def _neo_windows(c: Config, layers: int) -> Windows:
    """GPT-Neo's attention_types, [[["global", "local"], 12]]: runs of a block of kinds."""
    from ..errors import SpecError

    types = c.value("attention_types")
    if types is None:  # what the config class fills in
        types = [[["global", "local"], 12]]
    window = c.int("window_size")
    runs: list[tuple[tuple[int | None, ...], int]] = []
    count = 0
    if isinstance(types, list):
        for item in types:
            if isinstance(item, list) and len(item) == 2 and isinstance(item[0], list) and \
                    isinstance(item[1], int) and not isinstance(item[1], bool) and \
                    item[1] >= 0 and item[0] and len(item[0]) <= 64:
                runs.append((tuple(window if k == "local" else None for k in item[0]), item[1]))
                count += len(item[0]) * item[1]
            else:
                count = -1
                break
    if count != layers:
        raise SpecError(f"{c.where}: attention_types must name one attention kind for each of "
                        f"the {layers} layers, got {str(types)[:200]}")
    return tuple(runs)


@register("gpt_neo", {"vocab_size": 50257, "max_position_embeddings": 2048,
                      "attention_types": None, "intermediate_size": None,
                      "window_size": 256, "tie_word_embeddings": True},
          aliases={"num_attention_heads": "num_heads", "num_hidden_layers": "num_layers"},
          base_class="GPTNeoModel", heads=gpt_heads(SEQ, TOKEN, QA))
def gpt_neo(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, v, heads = c.int("hidden_size"), c.int("vocab_size"), c.int("num_heads")
    inner = c.int("intermediate_size", None) or 4 * h
    layers = c.int("num_layers")
    p = "" if base else "transformer."
    a = Assembly(name)
    # the local layers mask all but the last window_size tokens (GPTNeoSelfAttention), but
    # GPTNeoConfig has no sliding_window or layer_types, so transformers' DynamicCache keeps
    # every token on every layer (transformers 5.25, tests/architectures/test_windows.py)
    a.decoder = _decoder(h, inner, v, heads, heads, layers, _neo_windows(c, layers),
                         c.int("max_position_embeddings"), masks_only=True)
    a.add("embeddings", "embedding", embedding(f"{p}wte", v, h) +
          embedding(f"{p}wpe", c.int("max_position_embeddings"), h))
    a.stack(f"{p}h.", layers, lambda i: {
        "attention": linear("attn.attention.k_proj", h, h) + linear("attn.attention.v_proj", h, h)
        + linear("attn.attention.q_proj", h, h) + linear("attn.attention.out_proj", h, h, True),
        "mlp": linear("mlp.c_fc", inner, h, True) + linear("mlp.c_proj", h, inner, True),
        "norms": norm("ln_1", h, True) + norm("ln_2", h, True)})
    a.add("final norm", "norm", norm(f"{p}ln_f", h, True))
    if not base:
        lm_head(a, c, v, h, "transformer.wte.weight")
    return a


@register("codegen", {"vocab_size": 50400, "n_inner": None, "tie_word_embeddings": False},
          aliases=GPT2_NAMES,
          base_class="CodeGenModel")
def codegen(family: str, c: Config, name: str, base: bool) -> Assembly:
    """CodeGen: GPT-J's parallel block with one fused qkv_proj; a biased LM head."""
    h, v, heads = c.int("hidden_size"), c.int("vocab_size"), c.int("num_attention_heads")
    inner = c.int("n_inner", None) or 4 * h
    layers = c.int("num_hidden_layers")
    p = "" if base else "transformer."
    a = Assembly(name)
    a.decoder = _decoder(h, inner, v, heads, heads, layers)
    a.add("embeddings", "embedding", embedding(f"{p}wte", v, h))
    a.stack(f"{p}h.", layers, lambda i: {
        "attention": linear("attn.qkv_proj", 3 * h, h) + linear("attn.out_proj", h, h),
        "mlp": linear("mlp.fc_in", inner, h, True) + linear("mlp.fc_out", h, inner, True),
        "norms": norm("ln_1", h, True)})
    a.add("final norm", "norm", norm(f"{p}ln_f", h, True))
    if not base:
        lm_head(a, c, v, h, "transformer.wte.weight", bias=True)
    return a


@register("openai-gpt", {"vocab_size": 40478, "max_position_embeddings": 512,
                         "tie_word_embeddings": True}, aliases=GPT2_NAMES,
          base_class="OpenAIGPTModel", heads=gpt_heads(SEQ))
def openai_gpt(family: str, c: Config, name: str, base: bool) -> Assembly:
    """The first GPT: post-norm blocks of Conv1D layers, no final norm."""
    h, v, heads = c.int("hidden_size"), c.int("vocab_size"), c.int("num_attention_heads")
    layers = c.int("num_hidden_layers")
    p = "" if base else "transformer."
    a = Assembly(name)
    a.decoder = _decoder(h, 4 * h, v, heads, heads, layers,
                         positions=c.int("max_position_embeddings"))
    a.add("embeddings", "embedding", embedding(f"{p}tokens_embed", v, h) +
          embedding(f"{p}positions_embed", c.int("max_position_embeddings"), h))
    a.stack(f"{p}h.", layers, lambda i: {
        "attention": conv1d("attn.c_attn", h, 3 * h) + conv1d("attn.c_proj", h, h),
        "mlp": conv1d("mlp.c_fc", h, 4 * h) + conv1d("mlp.c_proj", 4 * h, h),
        "norms": norm("ln_1", h, True) + norm("ln_2", h, True)})
    if not base:
        lm_head(a, c, v, h, "transformer.tokens_embed.weight")
    return a


def _fairseq_decoder(a: Assembly, c: Config, p: str, h: int, ffn: int,
                     layers: str = "num_hidden_layers") -> None:
    """The BART decoder layer without cross-attention, as XGLM and BioGPT stack it."""
    layer: Layer = stack_layer(h, ffn, False)
    a.stack(f"{p}layers.", c.int(layers), lambda i: layer)
    a.add("final norm", "norm", norm(f"{p}layer_norm", h, True))


@register("xglm", {"vocab_size": 256008, "max_position_embeddings": 2048,
                   "tie_word_embeddings": True},
          aliases={"num_attention_heads": "attention_heads", "hidden_size": "d_model",
                   "num_hidden_layers": "num_layers"},
          base_class="XGLMModel")
def xglm(family: str, c: Config, name: str, base: bool) -> Assembly:
    """XGLM: sinusoidal positions (computed, no parameters), pre-norm fairseq layers."""
    h, v, ffn = c.int("d_model"), c.int("vocab_size"), c.int("ffn_dim")
    heads = c.int("attention_heads")
    p = "" if base else "model."
    a = Assembly(name)
    a.decoder = _decoder(h, ffn, v, heads, heads, c.int("num_layers"))
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", v, h))
    _fairseq_decoder(a, c, p, h, ffn, "num_layers")
    if not base:
        lm_head(a, c, v, h, "model.embed_tokens.weight")
    return a


@register("biogpt", {"vocab_size": 42384, "max_position_embeddings": 1024,
                     "tie_word_embeddings": True},
          base_class="BioGptModel", heads=gpt_heads(SEQ, TOKEN, model="biogpt"))
def biogpt(family: str, c: Config, name: str, base: bool) -> Assembly:
    """BioGPT: learned positions with BART's offset of 2 rows."""
    h, v, ffn = c.int("hidden_size"), c.int("vocab_size"), c.int("intermediate_size")
    heads = c.int("num_attention_heads")
    p = "" if base else "biogpt."
    a = Assembly(name)
    a.decoder = _decoder(h, ffn, v, heads, heads, c.int("num_hidden_layers"),
                         positions=c.int("max_position_embeddings"))
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", v, h) +
          embedding(f"{p}embed_positions", c.int("max_position_embeddings") + 2, h))
    _fairseq_decoder(a, c, p, h, ffn)
    if not base:
        lm_head(a, c, v, h, "biogpt.embed_tokens.weight", name="output_projection")
    return a


@register("mpt", {"vocab_size": 50368, "tie_word_embeddings": True},
          aliases={"num_attention_heads": "n_heads", "hidden_size": "d_model",
                   "num_hidden_layers": "n_layers"},
          base_class="MptModel", heads=gpt_heads(SEQ, TOKEN, QA))
def mpt(family: str, c: Config, name: str, base: bool) -> Assembly:
    """MPT as transformers builds it: no biases, ALiBi (no position table), a 4x MLP (whatever
    expansion_ratio says)."""
    h, v, heads = c.int("d_model"), c.int("vocab_size"), c.int("n_heads")
    layers = c.int("n_layers")
    p = "" if base else "transformer."
    a = Assembly(name)
    a.decoder = _decoder(h, 4 * h, v, heads, heads, layers)
    a.add("embeddings", "embedding", embedding(f"{p}wte", v, h))
    a.stack(f"{p}blocks.", layers, lambda i: {
        "attention": linear("attn.Wqkv", 3 * h, h) + linear("attn.out_proj", h, h),
        "mlp": linear("ffn.up_proj", 4 * h, h) + linear("ffn.down_proj", h, 4 * h),
        "norms": norm("norm_1", h) + norm("norm_2", h)})
    a.add("final norm", "norm", norm(f"{p}norm_f", h))
    if not base:
        lm_head(a, c, v, h, "transformer.wte.weight")
    return a
