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

# 12 layers: three periods of 4 (OLMo 3, EXAONE 4, Cohere 2, CWM, Granite SWA), two of 6 (Gemma 3)
TINY = {"vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 12,
        "num_attention_heads": 4, "num_key_value_heads": 2, "pad_token_id": 0,
        "bos_token_id": 0, "eos_token_id": 0}


def _native_decoders() -> list[str]:
    """The families whose tiny config nnsize counts into a decoder record with attention
    layers, and whose transformers config is the text model itself (not a multimodal wrapper)."""
    found = []
    for family in sorted(families()):
        if family not in transformers.CONFIG_MAPPING:  # (its .get() answers None: lazy)
            continue
        try:
            report = nnsize.count({"model_type": family, **TINY})
        except NnsizeError:  # needs sizes of its own (encoder-decoders, multimodal towers)
            continue
        if report.decoder is not None and len(report.decoder.layers):
            found.append(family)
    return found


FAMILIES = _native_decoders()


def transformers_windows(family: str, data: dict[str, Any]) -> list[int | None] | None:
    """Each attention layer's window as transformers' DynamicCache keeps it: by layer_types,
    else every layer sliding when the config has a sliding_window (cache_utils)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cfg = transformers.CONFIG_MAPPING[family](**data)
        except Exception:  # transformers itself refuses this config (EXAONE 4 without a window)
            return None
    if cfg.get_text_config() is not cfg:
        return None
    # chunked attention (Llama 4) is cached as a sliding window attention_chunk_size long
    kept = {"sliding_attention": getattr(cfg, "sliding_window", None),
            "chunked_attention": getattr(cfg, "attention_chunk_size", None),
            "full_attention": None,
            "hybrid": None}  # Falcon-H1's and Zamba's layers that attend (beside a Mamba mixer)
    types = getattr(cfg, "layer_types", None)
    if types is None:
        return [kept["sliding_attention"]] * cfg.num_hidden_layers
    return [kept[t] for t in types if t in kept]  # state-space layers keep no tokens


@pytest.mark.parametrize("window", [5, None])
@pytest.mark.parametrize("family", FAMILIES)
def test_windows_against_transformers(family: str, window: int | None) -> None:
    cls = transformers.CONFIG_MAPPING[family]
    key = next((k for k in ("sliding_window", "attention_chunk_size") if hasattr(cls, k)), None)
    if key is None and window is not None:
        pytest.skip(f"{family}'s config class takes no window")
    data = {**TINY, key: window} if key else dict(TINY)
    expected = transformers_windows(family, data)
    if expected is None:
        pytest.skip(f"transformers builds no text config of {family} from {data}")
    d = nnsize.count({"model_type": family, **data}).decoder
    assert d is not None
    assert [layer.window for layer in d.layers] == expected


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
