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
    return int(lines["lora"].terms["params"])


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
