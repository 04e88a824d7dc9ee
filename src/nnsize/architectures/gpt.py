"""GPT-style decoders with their own layouts: GPT-2, GPT-NeoX, GPT-J, OPT, BLOOM, Falcon."""

from __future__ import annotations

from ..model import AttentionLayer, Decoder, Layers, Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .heads import decoder_heads
from .registry import QA, SEQ, TOKEN, Head, register


def gpt_heads(*suffixes: str, model: str = "transformer") -> dict[str, Head]:
    """The GPT families' task heads: a score, a biased classifier for tokens, 2 qa_outputs."""
    return decoder_heads(*suffixes, model=model, token="classifier")


def _mha(hidden: int, inter: int, vocab: int, layers: int, heads: int, kv: int | None = None,
         head_dim: int | None = None, positions: int = 0) -> Decoder:
    d = head_dim or hidden // heads
    return Decoder(hidden, inter, vocab, Layers((((AttentionLayer(heads, kv or heads, d, d),),
                                                  layers),)), positions=positions)


GPT2_NAMES = {"n_embd": "hidden_size", "n_layer": "num_hidden_layers", "n_head":
              "num_attention_heads", "n_positions": "max_position_embeddings"}


def conv1d(name: str, in_features: int, out_features: int) -> list[Tensor]:
    """GPT-2's Conv1D: a linear layer whose weight is stored transposed (in x out)."""
    return [Tensor(f"{name}.weight", (in_features, out_features), "weight"),
            Tensor(f"{name}.bias", (out_features,), "bias")]


def lm_head(a: Assembly, c: Config, vocab: int, hidden: int, tied_to: str,
            bias: bool = False, name: str = "lm_head") -> None:
    """The language-model head, vocab x hidden; tied (tie_word_embeddings), its weight is the
    embedding tied_to."""
    head = linear(name, vocab, hidden, bias)
    tied = c.bool("tie_word_embeddings")
    if tied:
        head[0] = Tensor(f"{name}.weight", head[0].shape, "embedding", shared_with=tied_to)
    a.add("head" + (" (tied to the embeddings)" if tied else ""), "head", head)


@register("gpt2", {"vocab_size": 50257, "max_position_embeddings": 1024, "n_inner": None,
                   "tie_word_embeddings": True}, aliases=GPT2_NAMES,
          base_class="GPT2Model", heads={**gpt_heads(SEQ, TOKEN, QA),
                                              "DoubleHeadsModel": ("transformer", "double heads")})
def gpt2(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, v = c.int("hidden_size"), c.int("vocab_size")
    inner = c.int("n_inner", None) or 4 * h
    p = "" if base else "transformer."
    a = Assembly(name)
    a.decoder = _mha(h, inner, v, c.int("num_hidden_layers"), c.int("num_attention_heads"),
                     positions=c.int("max_position_embeddings"))
    a.add("embeddings", "embedding", embedding(f"{p}wte", v, h) +
          embedding(f"{p}wpe", c.int("max_position_embeddings"), h))

    def layer(i: int) -> Layer:
        return {"attention": conv1d("attn.c_attn", h, 3 * h) + conv1d("attn.c_proj", h, h),
                "mlp": conv1d("mlp.c_fc", h, inner) + conv1d("mlp.c_proj", inner, h),
                "norms": norm("ln_1", h, True) + norm("ln_2", h, True)}

    a.stack(f"{p}h.", c.int("num_hidden_layers"), layer)
    a.add("final norm", "norm", norm(f"{p}ln_f", h, True))
    if not base:
        lm_head(a, c, v, h, "transformer.wte.weight")
    return a


@register("gpt_neox", {"vocab_size": 50432, "tie_word_embeddings": False,
                       "attention_bias": True},
          base_class="GPTNeoXModel", heads=gpt_heads(SEQ, TOKEN, QA, model="gpt_neox"))
def gpt_neox(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, v, inter = c.int("hidden_size"), c.int("vocab_size"), c.int("intermediate_size")
    bias = c.bool("attention_bias")
    p = "" if base else "gpt_neox."
    a = Assembly(name)
    a.decoder = _mha(h, inter, v, c.int("num_hidden_layers"), c.int("num_attention_heads"))
    a.add("embeddings", "embedding", embedding(f"{p}embed_in", v, h))

    def layer(i: int) -> Layer:
        return {"attention": linear("attention.query_key_value", 3 * h, h, bias) +
                linear("attention.dense", h, h, bias),
                "mlp": linear("mlp.dense_h_to_4h", inter, h, True) +
                linear("mlp.dense_4h_to_h", h, inter, True),
                "norms": norm("input_layernorm", h, True) +
                norm("post_attention_layernorm", h, True)}

    a.stack(f"{p}layers.", c.int("num_hidden_layers"), layer)
    a.add("final norm", "norm", norm(f"{p}final_layer_norm", h, True))
    if not base:
        lm_head(a, c, v, h, "gpt_neox.embed_in.weight")
    return a


@register("gptj", {"vocab_size": 50400, "n_inner": None, "tie_word_embeddings": False},
          aliases=GPT2_NAMES,
          base_class="GPTJModel", heads=gpt_heads(SEQ, QA))
def gptj(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, v = c.int("hidden_size"), c.int("vocab_size")
    inner = c.int("n_inner", None) or 4 * h
    p = "" if base else "transformer."
    a = Assembly(name)
    a.decoder = _mha(h, inner, v, c.int("num_hidden_layers"), c.int("num_attention_heads"))
    a.add("embeddings", "embedding", embedding(f"{p}wte", v, h))

    def layer(i: int) -> Layer:
        return {"attention": linear("attn.k_proj", h, h) + linear("attn.v_proj", h, h) +
                linear("attn.q_proj", h, h) + linear("attn.out_proj", h, h),
                "mlp": linear("mlp.fc_in", inner, h, True) + linear("mlp.fc_out", h, inner, True),
                "norms": norm("ln_1", h, True)}

    a.stack(f"{p}h.", c.int("num_hidden_layers"), layer)
    a.add("final norm", "norm", norm(f"{p}ln_f", h, True))
    if not base:
        lm_head(a, c, v, h, "transformer.wte.weight", bias=True)
    return a


@register("opt", {"vocab_size": 50272, "max_position_embeddings": 2048,
                  "do_layer_norm_before": True, "_remove_final_layer_norm": False,
                  "enable_bias": True, "layer_norm_elementwise_affine": True,
                  "tie_word_embeddings": True},
          base_class="OPTModel", heads=decoder_heads(SEQ, QA))
def opt(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, v, ffn = c.int("hidden_size"), c.int("vocab_size"), c.int("ffn_dim")
    proj = c.int("word_embed_proj_dim", h)
    bias, affine = c.bool("enable_bias"), c.bool("layer_norm_elementwise_affine")
    p = "decoder." if base else "model.decoder."
    a = Assembly(name)
    a.decoder = _mha(h, ffn, v, c.int("num_hidden_layers"), c.int("num_attention_heads"),
                     positions=c.int("max_position_embeddings"))
    # OPT's learned positions keep 2 extra rows (an offset from its fairseq origins)
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", v, proj) +
          embedding(f"{p}embed_positions", c.int("max_position_embeddings") + 2, h))
    if proj != h:
        a.add("projections", "weight", linear(f"{p}project_out", proj, h) +
              linear(f"{p}project_in", h, proj))

    def layer_norm(n: str) -> list[Tensor]:
        return norm(n, h, bias=True) if affine else []

    def layer(i: int) -> Layer:
        return {"attention": linear("self_attn.k_proj", h, h, bias) +
                linear("self_attn.v_proj", h, h, bias) + linear("self_attn.q_proj", h, h, bias) +
                linear("self_attn.out_proj", h, h, bias),
                "mlp": linear("fc1", ffn, h, bias) + linear("fc2", h, ffn, bias),
                "norms": layer_norm("self_attn_layer_norm") + layer_norm("final_layer_norm")}

    a.stack(f"{p}layers.", c.int("num_hidden_layers"), layer)
    if c.bool("do_layer_norm_before") and not c.bool("_remove_final_layer_norm"):
        a.add("final norm", "norm", layer_norm(f"{p}final_layer_norm"))
    if not base:
        lm_head(a, c, v, proj, "model.decoder.embed_tokens.weight")
    return a


@register("bloom", {"vocab_size": 250880, "hidden_size": 64, "tie_word_embeddings": True},
          aliases={"n_embed": "hidden_size", "n_layer": "num_hidden_layers",
                   "n_head": "num_attention_heads"},
          base_class="BloomModel", heads=gpt_heads(SEQ, TOKEN, QA))
def bloom(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, v = c.int("hidden_size"), c.int("vocab_size")
    p = "" if base else "transformer."
    a = Assembly(name)
    a.decoder = _mha(h, 4 * h, v, c.int("num_hidden_layers"), c.int("num_attention_heads"))
    a.add("embeddings", "embedding", embedding(f"{p}word_embeddings", v, h) +
          norm(f"{p}word_embeddings_layernorm", h, True))

    def layer(i: int) -> Layer:
        return {"attention": linear("self_attention.query_key_value", 3 * h, h, True) +
                linear("self_attention.dense", h, h, True),
                "mlp": linear("mlp.dense_h_to_4h", 4 * h, h, True) +
                linear("mlp.dense_4h_to_h", h, 4 * h, True),
                "norms": norm("input_layernorm", h, True) +
                norm("post_attention_layernorm", h, True)}

    a.stack(f"{p}h.", c.int("num_hidden_layers"), layer)
    a.add("final norm", "norm", norm(f"{p}ln_f", h, True))
    if not base:
        lm_head(a, c, v, h, "transformer.word_embeddings.weight")
    return a


@register("falcon", {"vocab_size": 65024, "num_ln_in_parallel_attn": None,
                     "new_decoder_architecture": False, "multi_query": True,
                     "parallel_attn": True, "bias": False, "tie_word_embeddings": True},
          legacy_types=("RefinedWeb", "RefinedWebModel"),  # its first, remote-code configs
          aliases={"n_embed": "hidden_size", "n_layer": "num_hidden_layers",
                   "n_head": "num_attention_heads", "n_head_kv": "num_kv_heads"},
          base_class="FalconModel", heads=gpt_heads(SEQ, TOKEN, QA))
def falcon(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, v, heads = c.int("hidden_size"), c.int("vocab_size"), c.int("num_attention_heads")
    head_dim, bias = h // heads, c.bool("bias")
    ffn = c.int("ffn_hidden_size", None) or 4 * h
    new, parallel = c.bool("new_decoder_architecture"), c.bool("parallel_attn")
    if new:
        qkv = (2 * c.int("num_kv_heads", heads) + heads) * head_dim
    elif c.bool("multi_query"):
        qkv = h + 2 * head_dim  # one key and one value head shared by all queries
    else:
        qkv = 3 * h
    lns = c.int("num_ln_in_parallel_attn", None) or (2 if new else None)
    p = "" if base else "transformer."
    a = Assembly(name)
    kv = c.int("num_kv_heads", heads) if new else 1 if c.bool("multi_query") else heads
    a.decoder = _mha(h, ffn, v, c.int("num_hidden_layers"), heads, kv)
    a.add("embeddings", "embedding", embedding(f"{p}word_embeddings", v, h))

    def layer(i: int) -> Layer:
        if not parallel:
            norms = norm("post_attention_layernorm", h, True) + norm("input_layernorm", h, True)
        elif lns == 2:
            norms = norm("ln_attn", h, True) + norm("ln_mlp", h, True)
        else:
            norms = norm("input_layernorm", h, True)
        return {"attention": linear("self_attention.query_key_value", qkv, h, bias) +
                linear("self_attention.dense", h, h, bias),
                "mlp": linear("mlp.dense_h_to_4h", ffn, h, bias) +
                linear("mlp.dense_4h_to_h", h, ffn, bias),
                "norms": norms}

    a.stack(f"{p}h.", c.int("num_hidden_layers"), layer)
    a.add("final norm", "norm", norm(f"{p}ln_f", h, True))
    if not base:
        lm_head(a, c, v, h, "transformer.word_embeddings.weight")
    return a
