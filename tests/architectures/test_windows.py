"""Each native decoder family's sliding windows against the layout transformers' config class
fills in when a config leaves layer_types out (the KV cache, compute and speed read them):
every family nnsize builds with attention layers, with a window of 5 where its config class
takes one, and with none."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import nnsize
from nnsize.architectures import families
from nnsize.errors import NnsizeError

transformers = pytest.importorskip("transformers")
StrictDataclassError = pytest.importorskip("huggingface_hub.errors").StrictDataclassError

# 12 layers: three periods of 4 (OLMo 3, EXAONE 4, Cohere 2, CWM, Granite SWA), two of 6 (Gemma 3)
TINY = {"vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 12,
        "num_attention_heads": 4, "num_key_value_heads": 2, "pad_token_id": 0,
        "bos_token_id": 0, "eos_token_id": 0}
# the keys a family's tiny config needs besides TINY, where transformers' default is None (or
# sized for another model) and both nnsize and the family's model need a value
NEEDS: dict[str, dict[str, Any]] = {
    "ministral": {"head_dim": 8}, "hunyuan_v1_dense": {"head_dim": 8},
    "hunyuan_v1_moe": {"head_dim": 8}, "opt": {"ffn_dim": 48}, "xglm": {"ffn_dim": 48},
    "dots1": {"n_routed_experts": 4, "num_experts_per_tok": 2, "n_shared_experts": 1},
    # 6 periods of a global and a local layer: 12 layers (the default says 12 periods)
    "gpt_neo": {"attention_types": [[["global", "local"], 6]]},
    # Mamba inner size 2 x 32 = 64 = 4 heads of 16 (the default 128 heads do not divide it)
    # and three attention layers among the Mamba ones (the defaults have none)
    "bamba": {"mamba_n_heads": 4, "mamba_d_head": 16, "attn_layer_indices": [1, 5, 9]},
    "granitemoehybrid": {"mamba_n_heads": 4, "mamba_d_head": 16,
                         "layer_types": ["mamba", "attention", "mamba", "mamba"] * 3},
    "lfm2_moe": {"layer_types": ["conv", "full_attention", "conv"] * 4, "num_dense_layers": 1},
    "zamba2": {"layers_block_type": ["mamba", "hybrid", "mamba"] * 4},
    # 2 of the 12 layers reuse an earlier layer's keys and values (the default 15 are too many)
    "gemma3n_text": {"num_kv_shared_layers": 2},
}
# the config class transformers reads a family's tiny config with: a gemma3 config without a
# text_config is Gemma 3's text model to nnsize (its first configs said gemma3)
CONFIG_CLASS = {"gemma3": "gemma3_text"}
# the key that sets a family's window, in the order looked for on its config class
WINDOW_KEYS = ("sliding_window", "attention_chunk_size", "window_size")
# config classes that refuse a null window (a strict int field, or EXAONE 4's layout divides
# by its period, 0 without a window): these families are checked with a window only
NO_NULL_WINDOW = {"cwm": StrictDataclassError, "exaone_moe": StrictDataclassError,
                  "gemma3n_text": StrictDataclassError, "gemma4_text": StrictDataclassError,
                  "exaone4": ZeroDivisionError,
                  "kolibri1": StrictDataclassError,  # its sliding layers need a window
                  "mimo_v2_flash": StrictDataclassError}
# GPT-Neo: window_size is the local layers' mask (modeling_gpt_neo.py), which a null breaks
NO_NULL_WINDOW_IN_NNSIZE = {"gpt_neo"}
# families nnsize counts without a decoder record of attention layers (encoders, vision and
# speech towers, state-space models), or whose config is a multimodal wrapper that needs its
# towers' sizes: no windows to compare
NOT_DECODERS = {
    "albert", "bart", "beit", "bert", "blenderbot", "blenderbot-small", "camembert", "clip",
    "clip_text_model", "clip_vision_model", "convnext", "data2vec-text", "deberta-v2",
    "deit", "dinov2", "distilbert", "electra", "ernie", "esm", "falcon_mamba",
    "glm4v", "glm4v_vision", "hubert", "ibert", "idefics3", "idefics3_vision", "internvl",
    "internvl_vision", "layoutlm", "llama4", "llava", "m2m_100", "mamba", "mamba2", "marian",
    "mbart", "megatron-bert", "mistral3", "mllama", "modernbert", "mpnet", "mt5", "paligemma",
    "pegasus",
    "pixtral", "plbart", "qwen2_5_vl", "qwen2_vl", "roberta", "roberta-prelayernorm", "sam",
    "sam_vision_model", "seamless_m4t", "seamless_m4t_v2", "siglip", "siglip_text_model",
    "siglip_vision_model", "smolvlm", "smolvlm_vision", "swin", "t5", "umt5", "vit", "wav2vec2",
    "wav2vec2-bert", "whisper", "xlm-roberta", "xlm-roberta-xl"}


def tiny(family: str) -> dict[str, Any]:
    return {**TINY, **NEEDS.get(family, {})}


def config_class(family: str) -> Any:
    return transformers.CONFIG_MAPPING[CONFIG_CLASS.get(family, family)]


def _native_decoders() -> list[str]:
    """The families whose tiny config nnsize counts into a decoder record with attention
    layers: every native family transformers has a config class of, less NOT_DECODERS
    (test_the_families_left_out_are_those_named checks that list)."""
    return sorted(f for f in families()
                  if f in transformers.CONFIG_MAPPING and f not in NOT_DECODERS)


FAMILIES = _native_decoders()


def window_key(family: str) -> str | None:
    return next((k for k in WINDOW_KEYS if hasattr(config_class(family), k)), None)


def _cases() -> list[Any]:
    """(family, window): a window of 5 where the family's config class takes one, and none
    where it takes a null (decided here, so that nothing is collected to be skipped)."""
    cases = []
    for family in FAMILIES:
        key = window_key(family)
        windows: list[int | None] = [None] if key is None else \
            [5] if family in NO_NULL_WINDOW or family in NO_NULL_WINDOW_IN_NNSIZE else [5, None]
        cases += [pytest.param(family, w, id=f"{family}-{w}") for w in windows]
    return cases


def transformers_windows(family: str, data: dict[str, Any]) -> list[int | None]:
    """Each attention layer's window as transformers' DynamicCache keeps it: by layer_types,
    else every layer sliding when the config has a sliding_window (cache_utils); GPT-Neo's as
    its model masks them (its local layers attend to the last window_size tokens)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = config_class(family)(**data)
    assert cfg.get_text_config() is cfg, f"{family}'s config class is a multimodal wrapper"
    if family == "gpt_neo":
        return [cfg.window_size if kind == "local" else None for kind in cfg.attention_layers]
    # chunked attention (Llama 4) is cached as a sliding window attention_chunk_size long
    kept = {"sliding_attention": getattr(cfg, "sliding_window", None),
            "chunked_attention": getattr(cfg, "attention_chunk_size", None),
            "full_attention": None,
            "indexed_attention": None,  # DeepSeek Sparse Attention (DynamicIndexedLayer)
            "hybrid": None}  # Falcon-H1's and Zamba's layers that attend (beside a Mamba mixer)
    types = getattr(cfg, "layer_types", None)
    if types is None:
        return [kept["sliding_attention"]] * cfg.num_hidden_layers
    return [kept[t] for t in types if t in kept]  # state-space layers keep no tokens


@pytest.mark.parametrize(("family", "window"), _cases())
def test_windows_against_transformers(family: str, window: int | None) -> None:
    key = window_key(family)
    data = {**tiny(family), key: window} if key else tiny(family)
    expected = transformers_windows(family, data)
    d = nnsize.count({"model_type": family, **data}).decoder
    assert d is not None
    assert [layer.window for layer in d.layers] == expected


def test_the_families_left_out_are_those_named() -> None:
    """NOT_DECODERS is what nnsize counts into no decoder of attention layers from a tiny
    config, or refuses without its towers' sizes: a family that gains one is compared."""
    left = set()
    for family in sorted(families()):
        if family not in transformers.CONFIG_MAPPING:
            continue
        try:
            report = nnsize.count({"model_type": family, **tiny(family)})
        except NnsizeError:  # needs sizes of its own (encoder-decoders, multimodal towers)
            left.add(family)
            continue
        if report.decoder is None or not len(report.decoder.layers):
            left.add(family)
    assert left == NOT_DECODERS


@pytest.mark.parametrize("family", sorted(NO_NULL_WINDOW))
def test_the_families_checked_with_a_window_only_refuse_a_null(family: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(NO_NULL_WINDOW[family]):
            config_class(family)(**{**tiny(family), "sliding_window": None})


def test_the_period_can_be_spelled_in_letters() -> None:
    # EXAONE 4's sliding_window_pattern "LGG": local, global, global, from layer 0 on;
    # 7 layers = 2 periods + 1: 5 G 5 G G 5 ... -> L G G L G G L
    d = nnsize.count({"model_type": "exaone4", **TINY, "num_hidden_layers": 7,
                      "sliding_window": 5, "sliding_window_pattern": "LGG"}).decoder
    assert d is not None
    assert [layer.window for layer in d.layers] == [5, None, None, 5, None, None, 5]


def test_a_long_period_stays_a_few_runs() -> None:
    # OLMo-style period of 1,000 from cohere2's key: 2,500 layers = 2 periods + 500 sliding
    d = nnsize.count({"model_type": "cohere2", **TINY, "num_hidden_layers": 2500,
                      "sliding_window": 5, "sliding_window_pattern": 1000}).decoder
    assert d is not None
    windows = [layer.window for layer in d.layers]
    assert windows.count(None) == 2 and windows[999] is None and windows[1999] is None
    assert len(d.layers.runs) <= 5


def test_llama4_chunks_where_no_rope_layers_say_1() -> None:
    d = nnsize.count({"model_type": "llama4_text", **TINY, "num_hidden_layers": 3,
                      "attention_chunk_size": 5, "no_rope_layers": [1, 0, 1]}).decoder
    assert d is not None
    assert [layer.window for layer in d.layers] == [5, None, 5]


@pytest.mark.parametrize("pattern", ["LLXG", ""])
def test_a_pattern_of_other_letters_is_refused(pattern: str) -> None:
    with pytest.raises(NnsizeError, match="sliding_window_pattern"):
        nnsize.count({"model_type": "exaone4", **TINY, "sliding_window": 5,
                      "sliding_window_pattern": pattern})


@pytest.mark.parametrize(("family", "config_class"), [
    ("mistral", "MistralConfig"), ("ministral", "MinistralConfig"),
    ("gemma2", "Gemma2Config"), ("gemma3_text", "Gemma3TextConfig")])
def test_a_window_left_out_is_the_config_classs_own(family: str, config_class: str) -> None:
    """A config without sliding_window has the window its config class fills in (4,096 in
    transformers 5.25), not none: Mistral-7B-v0.1's published config.json says 4,096 too."""
    from nnsize.architectures.decoder import DEFAULTS
    from nnsize.architectures.decoder_families import DEFAULTS as MORE

    transformers = pytest.importorskip("transformers")
    expected = getattr(transformers, config_class)().sliding_window
    assert {**DEFAULTS, **MORE}[family]["sliding_window"] == expected == 4096


def test_gpt_neo_caches_every_token_in_transformers() -> None:
    """GPT-Neo's local layers mask all but the last window_size tokens, but GPTNeoConfig has no
    sliding_window or layer_types, so transformers' DynamicCache keeps every token on every
    layer (measured: 20 tokens through a window of 8, each of 4 layers caches keys and values
    of shape (1, 4, 20, 16)).  The KV line for the transformers engine: 4 layers x 20 tokens x
    2 x 64 values x 4 bytes = 40,960; the engines nnsize plans by their own allocation keep
    window - 1 tokens on the local layers (vLLM has no GPT-Neo; its 16-token blocks page 20
    tokens as 32): 2 x (32 + 7) x 128 x 4 = 39,936, not 4 x 32 x 128 x 4 = 65,536."""
    torch = pytest.importorskip("torch")
    from nnsize.memory import Setup, plan

    data = {"vocab_size": 100, "hidden_size": 64, "num_layers": 4, "num_heads": 4,
            "attention_types": [[["global", "local"], 2]], "window_size": 8,
            "max_position_embeddings": 64}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = transformers.GPTNeoForCausalLM(transformers.GPTNeoConfig(**data)).eval()
        with torch.no_grad():
            cache = model(torch.zeros(1, 20, dtype=torch.long), use_cache=True).past_key_values
    shapes = [(tuple(layer.keys.shape), tuple(layer.values.shape)) for layer in cache.layers]
    assert shapes == [((1, 4, 20, 16), (1, 4, 20, 16))] * 4
    measured = sum(layer.keys.nbytes + layer.values.nbytes for layer in cache.layers)
    report = nnsize.count({"model_type": "gpt_neo", **data})

    def kv(engine: str) -> int:
        lines = plan(report, Setup(dtype="fp32", context=20, engine=engine)).lines
        return next(line.bytes for line in lines if line.part == "kv_cache")

    assert kv("transformers") == measured == 40_960
    assert kv("vllm") == 39_936
