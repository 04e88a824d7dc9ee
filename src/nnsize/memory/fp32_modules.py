"""The tensors transformers keeps in float32 when it loads a model at bf16 or fp16.

A model class names them in _keep_in_fp32_modules_strict (kept in fp32 at bf16 and at fp16) and
_keep_in_fp32_modules (at fp16 only: "only used to avoid bf16 -> fp16 casting precision
issues"); from_pretrained turns them into a dtype plan (PreTrainedModel._get_dtype_plan) and
casts each checkpoint tensor whose name the plan's patterns match, searched anywhere in the
name, "*" any run of characters and "." any character (core_model_loading.py:
build_glob_alternation, dtype_policy_alt.search).  The same loader keeps a tensor the model's
code creates in float32 in float32 ("empty_param.dtype != _dtype": the model's own dtype), so
such tensors are listed beside the strict ones.  from_config applies no plan: there only what
the code creates in float32 stays so (DeepSeek-V3's router creates both of its tensors in
float32, so there the two paths agree).

Read from transformers 5.25.0 (the pinned version), one entry a model_type nnsize builds, with
the line that says so; a model_type transformers builds with another family's class (Param2MoE
and Sarvam-MoE with Glm4MoeForCausalLM, Sarvam-MLA with DeepseekV3ForCausalLM) takes that
class's entry.  The names are matched against nnsize's tensor names, which are transformers'
less the base model's prefix ("model."): no pattern here names that prefix.  A model_type
without an entry that nnsize counts by having transformers build it takes what that build
recorded of the model itself (architectures.fallback: stored keeps_fp32), matched the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model.contents import kept_in_fp32

if TYPE_CHECKING:
    from ..model import Report
    from ..precision import Precision

_AT = "https://github.com/huggingface/transformers/blob/v5.25.0/src/transformers/models/"
ROUTER = ("e_score_correction_bias", "gate.weight")  # the DeepSeek-V3-style router's two


@dataclass(frozen=True)
class Kept:
    """always: kept in fp32 at bf16 and fp16 (the strict list, and what the code creates in
    float32); fp16: at fp16 only (the plain list); source: the lines that say so."""

    always: tuple[str, ...]
    fp16: tuple[str, ...]
    source: str


KEPT: dict[str, Kept] = {
    "deepseek_v2": Kept(("gate.weight",), (),
                        _AT + "deepseek_v2/modeling_deepseek_v2.py#L467"),
    "deepseek_v3": Kept(ROUTER, (), _AT + "deepseek_v3/modeling_deepseek_v3.py#L535"),
    "deepseek_v32": Kept(ROUTER, ("indexer.weights_proj",),
                         _AT + "deepseek_v32/modeling_deepseek_v32.py#L648-L650"),
    "dots1": Kept(ROUTER, (), _AT + "dots1/modeling_dots1.py#L442"),
    "ernie4_5_moe": Kept(ROUTER, (), _AT + "ernie4_5_moe/modeling_ernie4_5_moe.py#L462"),
    "exaone_moe": Kept(ROUTER, (), _AT + "exaone_moe/modeling_exaone_moe.py#L396"),
    "glm4_moe": Kept(ROUTER, (), _AT + "glm4_moe/modeling_glm4_moe.py#L460"),
    "glm4_moe_lite": Kept(ROUTER, (), _AT + "glm4_moe_lite/modeling_glm4_moe_lite.py#L546"),
    "glm_moe_dsa": Kept(ROUTER, ("indexer.weights_proj",),
                        _AT + "glm_moe_dsa/modeling_glm_moe_dsa.py#L622-L624"),
    "gpt_oss": Kept((), ("post_attention_layernorm", "input_layernorm", "norm"),
                    _AT + "gpt_oss/modeling_gpt_oss.py#L388"),
    "hy_v3": Kept(ROUTER, (), _AT + "hy_v3/modeling_hy_v3.py#L430"),
    "kolibri1": Kept(("e_score_correction_bias",), (),
                     _AT + "kolibri1/modeling_kolibri1.py#L382"),
    # expert_bias = nn.Buffer(torch.zeros(num_experts, dtype=torch.float32)): created so
    "lfm2_moe": Kept(("expert_bias",), (), _AT + "lfm2_moe/modeling_lfm2_moe.py#L205"),
    "mimo_v2_flash": Kept(("e_score_correction_bias", "mlp.gate.weight"), (),
                          _AT + "mimo_v2_flash/modeling_mimo_v2_flash.py#L471"),
    "mt5": Kept((), ("wo",), _AT + "mt5/modeling_mt5.py#L553"),
    "nemotron_h": Kept(ROUTER, (), _AT + "nemotron_h/modeling_nemotron_h.py#L1106"),
    "solar_open": Kept(ROUTER, (), _AT + "solar_open/modeling_solar_open.py#L383"),
    "t5": Kept((), ("wo",), _AT + "t5/modeling_t5.py#L542"),
    "umt5": Kept((), ("wo",), _AT + "umt5/modeling_umt5.py#L525"),
    # A_log = nn.Parameter(torch.log(torch.arange(..., dtype=torch.float32) ...)): created so
    "zamba": Kept(("mamba.A_log",), (), _AT + "zamba/modeling_zamba.py#L553-L555"),
}
KEPT["param2moe"] = KEPT["sarvam_moe"] = KEPT["glm4_moe"]  # Glm4MoeForCausalLM
KEPT["sarvam_mla"] = KEPT["deepseek_v3"]  # DeepseekV3ForCausalLM
# Kimi-K2.5's text_config says kimi_k2, which Kimi_K25Config makes deepseek_v3 (v5.25.0 models/
# kimi_k25/configuration_kimi_k25.py#L85-L86); the composite model gathers its children's lists
# (PreTrainedModel.post_init, v5.25.0 src/transformers/modeling_utils.py#L1318-L1322)
KEPT["kimi_k2"] = KEPT["deepseek_v3"]


@dataclass(frozen=True)
class Fp32:
    """The patterns transformers keeps in fp32 for one model at one dtype, and whose they are."""

    model_type: str
    patterns: tuple[str, ...]

    def matches(self, name: str) -> bool:
        """transformers' own test: any pattern searched in the name, "*" as ".*"."""
        return kept_in_fp32(self.patterns, name)

    def words(self) -> str:
        return f"transformers keeps {self.model_type}'s {', '.join(self.patterns)} in fp32"


def fp32_kept(report: Report, precision: Precision) -> Fp32 | None:
    """What transformers keeps in fp32 of a model counted from a config (its model_type, or
    its text_config's) when it loads it at precision; None where nothing is (fp32, a
    weight-only format, a family without a list or none of its tensors, a report not of a
    config).  A family the table has no entry for, which nnsize counted by having transformers
    build it (architectures.fallback), takes what that build recorded (stored keeps_fp32)."""
    if precision.name not in ("bf16", "fp16"):
        return None
    source = report.traceable or ("",)
    if source[0] != "config" or not isinstance(source[1], dict):
        return None
    text = source[1].get("text_config")
    found = None
    for config in (source[1], text if isinstance(text, dict) else {}):
        kept = KEPT.get(str(config.get("model_type", "")))
        if kept is not None:
            patterns = kept.always + (kept.fp16 if precision.name == "fp16" else ())
            found = Fp32(str(config["model_type"]), patterns)
            break
    built = report.stored.get("keeps_fp32")
    if found is None and built is not None:
        found = Fp32(str(source[1].get("model_type", "")), tuple(
            built["strict"] + built["created"] + (built["fp16"] if precision.name == "fp16"
                                                  else [])))
    if found is None or not found.patterns:
        return None
    named = any(found.matches(t.name) for r in report.rows for t in r.tensors)
    return found if named else None
