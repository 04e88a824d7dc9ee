"""LoRA's trainable parameters as PEFT resolves its targets (issue 21).

PEFT's all-linear (peft.tuners.tuners_utils._maybe_include_all_linear_layers,
https://github.com/huggingface/peft/blob/831fd03e04033a49a2523b4012970e1499b7b5c6/src/peft/tuners/tuners_utils.py)
adapts every torch.nn.Linear by its base name, less the output embedding's
(model.get_output_embeddings(): lm_head).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import nnsize
from nnsize.errors import NnsizeError
from nnsize.memory import Setup, plan

LLAMA = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 1000,
         "hidden_size": 128, "intermediate_size": 344, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
         "max_position_embeddings": 512, "tie_word_embeddings": False}


def _lora(source: Any, rank: int = 16, targets: tuple[str, ...] = ("all-linear",)) -> int:
    lines = {line.part: line for line in plan(nnsize.count(source), Setup(
        train=True, lora_rank=rank, lora_targets=targets)).lines}
    return lines["lora"].terms.params


def test_llama_31_8b_all_linear_leaves_the_head() -> None:
    # 32 layers x 16 x (q, o: 2 x (4,096 + 4,096) + k, v: 2 x (4,096 + 1,024)
    #                   + gate, up, down: 3 x (4,096 + 14,336)) = 32 x 1,310,720 = 41,943,040
    # (44,060,672 before: the head's 16 x (4,096 + 128,256) = 2,117,632 adapted too)
    assert _lora("llama-3.1-8b") == 41_943_040


def test_named_targets_unchanged() -> None:
    # 32 x 16 x (q: 8,192 + v: 5,120) = 6,815,744
    assert _lora("llama-3.1-8b", targets=("q_proj", "v_proj")) == 6_815_744


def test_all_linear_on_fused_experts_is_refused() -> None:
    with pytest.raises(NnsizeError, match="fused experts"):
        _lora("mixtral-8x7b")


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("rank", [8, 16])
def test_against_peft(tied: bool, rank: int) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    peft = pytest.importorskip("peft")
    config = {**LLAMA, "tie_word_embeddings": tied}
    hf = transformers.LlamaConfig(**{k: v for k, v in config.items()
                                     if k not in ("model_type", "architectures")})
    torch.manual_seed(0)
    with warnings.catch_warnings():  # peft 0.21 reads transformers' deprecated names
        warnings.simplefilter("ignore", FutureWarning)
        model = peft.get_peft_model(transformers.LlamaForCausalLM(hf),
                                    peft.LoraConfig(r=rank, target_modules="all-linear"))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    # 2 layers x rank x (2 x 256 + 2 x 192 + 3 x 472) = rank x 4,624: at 16, 73,984
    assert _lora(config, rank) == trainable == rank * 4_624


# Activations over a frozen base (issue 21): what autograd saves for a tiny Llama with PEFT's
# adapters on the CPU, against the plan's decoder_activations line.  PEFT's defaults: dropout
# 0 (no mask); over a 16-bit base, fp32 adapters (autocast_adapter_dtype) — nnsize's autocast
# mode; its bf16 mode trains bf16 adapters (autocast_adapter_dtype=False).
BATCH, CONTEXT = 2, 128
MODES = ["fp32", "bf16", "autocast"]
TARGETS = [("q_proj", "v_proj"), ("all-linear",)]


def _peft_step(mode: str, targets: tuple[str, ...], checkpointing: bool) -> Any:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    peft = pytest.importorskip("peft")
    from measure import measure

    config = {**LLAMA, "rms_norm_eps": 1e-6, "use_cache": False}
    hf = transformers.LlamaConfig(**{k: v for k, v in config.items()
                                     if k not in ("model_type", "architectures")})
    hf._attn_implementation = "sdpa"
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(hf).to(torch.float32 if mode == "fp32"
                                                 else torch.bfloat16)
    if checkpointing:
        model.activation_checkpointing_enable()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model = peft.get_peft_model(model, peft.LoraConfig(
            r=16, target_modules="all-linear" if targets == ("all-linear",) else list(targets)),
            autocast_adapter_dtype=mode == "autocast")
    model.train()
    ids = torch.randint(0, LLAMA["vocab_size"], (BATCH, CONTEXT))
    return measure(model, ids, autocast=mode == "autocast")


def _lines(mode: str, targets: tuple[str, ...], checkpointing: bool) -> dict[str, int]:
    setup = Setup(dtype="fp32" if mode == "fp32" else "bf16",
                  mixed="autocast" if mode == "autocast" else "none", batch=BATCH,
                  context=CONTEXT, train=True, checkpointing=checkpointing, lora_rank=16,
                  lora_targets=targets)
    return {line.part: line.bytes for line in plan(nnsize.count(LLAMA), setup).lines}


def test_lora_activations_to_the_byte_bf16() -> None:
    """Per token, a = 2 bytes, h 128, i 344, rank 16, q_proj and v_proj adapted:
    a later layer: input norm's fp32 input and rsqrt 4 x 128 + 4 = 516, its output once (both
    adapters read it) 2 x 128 = 256, SDPA's q, k, v, output 2 x (128 + 64 + 64 + 128) + 4 heads
    x 4 = 784, B's inputs 2 x 2 x 16 = 64, post norm 516 (no adapter reads its output: gate and
    up are frozen and keep nothing), MLP 3 x 2 x 344 = 2,064 (down_proj frozen: the product is
    not kept) = 4,200; the first layer 4,200 - 516 = 3,684 (its input needs no gradient); the
    head 516 + 4 x 1,000 = 4,516: (4,200 + 3,684 + 4,516) x 256 tokens = 3,174,400.  Measured
    beside it: the rotary cos / sin 2 x 128 x 32 x 2, the labels 2 x 128 x 8 and the loss 4:
    18,436.  (Full fine-tuning's formula: 4,150,272, 1.31x.)"""
    measured = _peft_step("bf16", ("q_proj", "v_proj"), False)
    lines = _lines("bf16", ("q_proj", "v_proj"), False)
    assert lines["decoder_activations"] == 3_174_400
    assert measured.saved == 3_174_400 + 18_436


@pytest.mark.parametrize("checkpointing", [False, True])
@pytest.mark.parametrize("targets", TARGETS)
@pytest.mark.parametrize("mode", MODES)
def test_lora_activations_against_peft(mode: str, targets: tuple[str, ...],
                                       checkpointing: bool) -> None:
    """The activation line within 10% of what autograd saves, and the step's peak (the weights'
    gradients and autocast's cached adapter copies apart) within 10% of the plan's."""
    measured = _peft_step(mode, targets, checkpointing)
    lines = _lines(mode, targets, checkpointing)
    if checkpointing:
        assert lines["decoder_activations"] == pytest.approx(measured.peak - measured.casts,
                                                             rel=0.10)
    else:
        assert lines["decoder_activations"] == pytest.approx(measured.saved, rel=0.10)
        assert lines["decoder_activations"] + lines["loss_backward"] == \
            pytest.approx(measured.peak - measured.casts, rel=0.10)
