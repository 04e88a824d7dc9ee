"""A plain GPT of the papers, for the models that have no config.json: --layers --hidden
--heads [--kv-heads --ffn --vocab] on memory, fit, speed, train-time and layout, and "gpt" in
the API.

The Megatron-LM GPT layer: q, k, v and o projections with biases (grouped-query where kv_heads
< heads), an MLP of two matrices with biases and GELU (ffn 4 x hidden unless given), two
LayerNorms with biases, a final LayerNorm, the vocabulary embedding tied to the output layer
(vocab 51,200 unless given).  StarCoder 2's layer is that layer tensor for tensor, so the shape
is counted as a Starcoder2 config like any other (the tests build it in transformers), and
parallel.shape.from_report of its report is parallel.shape.gpt's shape.  The shape states no
longest context, so the report has none; it is marked gpt_shape, which keeps the papers'
dropout masks in the parallel activation model."""

from __future__ import annotations

from typing import Any

from ..errors import NnsizeError
from ..model import Report

VOCAB = 51200  # the papers' GPT vocabulary (Megatron-LM's GPT-2 BPE, padded)


def check(layers: int, hidden: int, heads: int, kv_heads: int = 0) -> None:
    """Refuse a shape that cannot be built, naming the number that does not fit."""
    for what, value in (("layers", layers), ("hidden", hidden), ("heads", heads)):
        if value < 1:
            raise NnsizeError(f"a GPT shape needs {what} of at least 1, got {value}")
    if hidden % heads:
        raise NnsizeError(f"hidden {hidden:,} does not divide by heads {heads:,}: every head "
                          f"is hidden / heads wide")
    kv = kv_heads or heads
    if kv < 1 or heads % kv:
        raise NnsizeError(f"heads {heads:,} do not divide by KV heads {kv:,}")


def name(layers: int, hidden: int, heads: int) -> str:
    return f"GPT {layers} x {hidden:,} ({heads} heads)"


def config(layers: int, hidden: int, heads: int, kv_heads: int = 0, ffn: int = 0,
           vocab: int = VOCAB) -> dict[str, Any]:
    """The shape as a Starcoder2 config.json."""
    check(layers, hidden, heads, kv_heads)
    return {"model_type": "starcoder2", "architectures": ["Starcoder2ForCausalLM"],
            "num_hidden_layers": layers, "hidden_size": hidden, "num_attention_heads": heads,
            "num_key_value_heads": kv_heads or heads, "intermediate_size": ffn or 4 * hidden,
            "vocab_size": vocab, "use_bias": True, "tie_word_embeddings": True,
            "hidden_act": "gelu_pytorch_tanh", "norm_epsilon": 1e-5, "sliding_window": None}


def report(layers: int, hidden: int, heads: int, kv_heads: int = 0, ffn: int = 0,
           vocab: int = VOCAB) -> Report:
    """The shape's report: its config counted, named as the papers' GPT, with no longest
    context, marked gpt_shape."""
    from ..records import replace
    from . import count_config

    numbers = {"layers": layers, "hidden": hidden, "heads": heads, "kv_heads": kv_heads,
               "ffn": ffn, "vocab": vocab}
    counted = count_config(config(layers, hidden, heads, kv_heads, ffn, vocab))
    stored = {k: v for k, v in counted.stored.items() if k != "context_limit"}
    return replace(counted, source=name(layers, hidden, heads),
                   stored={**stored, "gpt_shape": numbers})
