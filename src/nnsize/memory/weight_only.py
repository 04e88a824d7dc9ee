"""Which tensors a weight-only quantizer really quantizes, as each library does by default.

gptq    GPTQModel / AutoGPTQ: the linear layers inside the decoder blocks, per model family
        (q, k, v, o, gate, up, down and each expert's); the MoE router, the embeddings, the
        norms and lm_head stay at 16 bits (lm_head=False by default).
awq     AutoAWQ: the same linear layers; routers are in its modules_to_not_convert.
nf4     transformers' bitsandbytes integration (replace_with_bnb_linear): every module whose
        type is exactly torch.nn.Linear, except get_keys_to_not_convert(model): the output
        embedding (lm_head), tied weights and the last module.  In transformers 5 a MoE top-k
        router and the fused experts are not nn.Linear, so they stay at 16 bits (a shared
        expert's one-output gate is an nn.Linear, and is quantized); measured with
        bitsandbytes 0.50.2 on tiny Mixtral, Qwen2-MoE and Qwen3-MoE models, to the byte
        (tests/memory/test_lora.py test_qlora_moe_weights_to_the_byte).
fp8     transformers' FineGrainedFP8 (the format of DeepSeek-V3 and Qwen3 FP8 checkpoints) and
        llm-compressor's FP8 scheme with ignore=["lm_head"]: every linear layer and the experts;
        lm_head, embeddings, norms and the router stay at 16 bits.

Biases stay at 16 bits under all four.  A tensor is described by its full transformers name
and its shape; the rules read names as transformers writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import NnsizeError, suggest

if TYPE_CHECKING:
    from ..model import Report, Shape

Rule = Callable[[str, "Shape"], bool]
RULES: dict[str, Rule] = {}

# module names of a MoE router (transformers' spellings)
_ROUTERS = (".mlp.gate.", ".block_sparse_moe.gate.", ".shared_expert_gate.", ".router.")


def register(name: str) -> Callable[[Rule], Rule]:
    def add(rule: Rule) -> Rule:
        if name in RULES:
            raise ValueError(f"weight-only rule {name!r} registered twice")
        RULES[name] = rule
        return rule
    return add


def _in_block(name: str) -> bool:
    return ".layers." in name or name.startswith("layers.")


def _router(name: str) -> bool:
    return any(key in f".{name}" for key in _ROUTERS)


def _expert(name: str, shape: Shape) -> bool:
    """A fused expert tensor (E, out, in), as transformers 5 stores them."""
    return len(shape) == 3 and ".experts." in name


def _linear_weight(name: str, shape: Shape) -> bool:
    return len(shape) == 2 and name.endswith(".weight") and "embed" not in name and \
        "norm" not in name


@register("gptq")
@register("awq")
def _blocks(name: str, shape: Shape) -> bool:
    """Linear layers and experts inside the decoder blocks, routers excepted."""
    return _in_block(name) and not _router(name) and \
        (_linear_weight(name, shape) or _expert(name, shape))


@register("nf4")
def _bnb(name: str, shape: Shape) -> bool:
    """Exactly nn.Linear, lm_head excepted: not the top-k routers (mlp.gate) or fused experts of
    transformers 5; a shared expert's gate (Qwen2-MoE's shared_expert_gate) is an nn.Linear."""
    return _linear_weight(name, shape) and not name.startswith("lm_head") and \
        not any(key in f".{name}" for key in (".mlp.gate.", ".block_sparse_moe.gate."))


@register("fp8")
def _fp8(name: str, shape: Shape) -> bool:
    """Every linear layer and the experts; lm_head and the router stay."""
    return not name.startswith("lm_head") and not _router(name) and \
        (_linear_weight(name, shape) or _expert(name, shape))


def quantized(method: str, name: str, shape: Shape) -> bool:
    if method not in RULES:
        raise NnsizeError(f"unknown weight-only method {method!r}"
                          f"{suggest(method, list(RULES))}; one of {', '.join(RULES)}")
    return RULES[method](name, shape)


def split(report: Report, method: str) -> tuple[int, int]:
    """(parameters quantized, parameters kept at 16 bits) of a model under method."""
    q = kept = 0
    for row in report.rows:
        for t in row.tensors:
            if t.buffer or t.shared_with:
                continue
            for name in t.names():
                full = name if row.qualified or not row.name else f"{row.name}.{name}"
                n = t.numel // t.copies
                if quantized(method, full, t.shape):
                    q += n * row.repeat
                else:
                    kept += n * row.repeat
    return q, kept
