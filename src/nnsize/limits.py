"""A language model's own longest context, read from its config as transformers and vLLM read it.

transformers sizes rotary tables and masks by ``max_position_embeddings``; vLLM's
``_get_and_verify_max_len`` (vllm/config, the serving limit ``max_model_len`` defaults to) takes
the first of the length keys a config has, and where ``rope_scaling`` stretches the positions
(``yarn``, ``dynamic``, ``linear``: not ``llama3`` or ``longrope``, whose
``max_position_embeddings`` is already the stretched length) multiplies by the scaling
``factor`` (YaRN from ``original_max_position_embeddings``).  Only keys the config holds are
read: a config that names no length gives no limit (never transformers' class default).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


# vLLM's possible_keys, in its order
LENGTH_KEYS = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length",
               "model_max_length", "max_sequence_length", "max_seq_length", "seq_len")
STRETCHED = ("yarn", "dynamic", "linear")  # rope types whose factor lengthens the context


def context_limit(config: dict[str, Any]) -> tuple[int, str] | None:
    """(tokens, how it was read) for a config dict; None where it names no length."""
    text = config.get("text_config")
    if isinstance(text, dict) and not any(k in config for k in LENGTH_KEYS):
        config = text  # an image-text model: its language model's length
    for key in LENGTH_KEYS:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            tokens, how = value, key
            break
    else:
        return None
    rope = config.get("rope_scaling") or config.get("rope_parameters")
    if isinstance(rope, dict):
        kind = rope.get("rope_type") or rope.get("type")
        factor = rope.get("factor")
        if kind in STRETCHED and isinstance(factor, (int, float)) and factor > 1:
            original = rope.get("original_max_position_embeddings") \
                or config.get("original_max_position_embeddings")
            if kind == "yarn" and isinstance(original, int) and original > 0:
                return int(original * factor), \
                    f"rope_scaling {kind}: factor {factor} x original_max_position_embeddings"
            return int(tokens * factor), f"{how} x rope_scaling {kind} factor {factor}"
    return tokens, how


# the families whose config class declares n_positions (a learned position table's rows): in
# transformers 5.25 only configuration_{clvp,codegen,ctrl,decision_transformer,gpt2,gpt_bigcode,
# gptj,imagegpt,openai}.py do.  Elsewhere the key is a leftover the model never reads: T5's
# published config.json says "n_positions": 512, but T5Config takes no such argument and T5
# attends through relative position buckets, with no table to run out of
N_POSITIONS = ("clvp", "codegen", "ctrl", "decision_transformer", "gpt2", "gpt_bigcode", "gptj",
               "imagegpt", "openai-gpt")


def reads_n_positions(model_type: object) -> bool:
    """Whether a config's n_positions bounds the tokens its model reads (N_POSITIONS)."""
    return model_type in N_POSITIONS


# families whose position ids start after the padding index (fairseq's make_positions):
# transformers' create_position_ids_from_input_ids returns cumsum + padding_idx, so a table of
# max_position_embeddings rows holds max_position_embeddings - pad_token_id - 1 tokens
# (RoBERTa: 514 - 1 - 1 = 512), https://github.com/huggingface/transformers/blob/v5.25.0/src/
# transformers/models/roberta/modeling_roberta.py (create_position_ids_from_input_ids)
PADDED_POSITIONS = ("roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "data2vec-text",
                    "roberta-prelayernorm", "xmod", "ibert", "longformer", "luke", "mpnet")


def padded_positions(data: dict[str, Any]) -> int:
    """The rows of a position table before a family's first position (pad_token_id + 1; 0 for
    the families that start at 0).  A config without pad_token_id is built with its class's
    default, 1 in every family above (transformers 5.25's RobertaConfig() and the others)."""
    pad = data.get("pad_token_id", 1)
    if data.get("model_type") in PADDED_POSITIONS and isinstance(pad, int) and pad >= 0:
        return pad + 1
    return 0
