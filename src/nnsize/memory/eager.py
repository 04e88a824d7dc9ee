"""The attention transformers runs a family with by default, for the training plan.

transformers builds a model with SDPA unless asked otherwise, except where the family's
PreTrainedModel sets _supports_sdpa = False: then it falls back to eager attention
(PreTrainedModel.get_correct_attn_implementation: "Sdpa is the default, so we try it and
fallback to eager otherwise when not possible"), and a training step keeps the attention
probabilities, heads x keys per token.  The families below are those of transformers 5.25.0
whose model class says so, each with the line that does (SDPA has no logit softcapping and no
attention sinks); every other family trains with SDPA by default.
"""

from __future__ import annotations

_AT = "https://github.com/huggingface/transformers/blob/v5.25.0/src/transformers/models/"
# model_type: the source line that makes it eager
EAGER: dict[str, str] = {
    "gemma2": _AT + "gemma2/modeling_gemma2.py#L353 (sdpa does not support softcapping)",
    "vaultgemma": _AT + "vaultgemma/modeling_vaultgemma.py#L344 (softcapping)",
    "gpt_oss": _AT + "gpt_oss/modeling_gpt_oss.py#L378 (attention sinks)",
    "mimo_v2_flash": _AT + "mimo_v2_flash/modeling_mimo_v2_flash.py#L460 (attention sinks)",
    "flint": _AT + "flint/modeling_flint.py#L364 (attention sinks)",
    "deepseek_v4": _AT + "deepseek_v4/modeling_deepseek_v4.py#L1224",
    "granite_swa": _AT + "granite_swa/modeling_granite_swa.py#L309",
    "granitemoe_swa": _AT + "granitemoe_swa/modeling_granitemoe_swa.py#L410",
    "hy_v4": _AT + "hy_v4/modeling_hy_v4.py#L722",
    "inkling2": _AT + "inkling2/modeling_inkling2.py#L1321",
    "inkling2_text": _AT + "inkling2/modeling_inkling2.py#L1321",
}


def default_attention(model_type: str) -> str:
    """eager for the families above, sdpa for every other."""
    return "eager" if model_type in EAGER else "sdpa"
