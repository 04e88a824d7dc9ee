"""The planner's training memory against what a real step keeps, on tiny transformers models.

    python benchmarks/activations.py

For each mode (fp32, pure bf16, torch.autocast over fp32 weights; SDPA and eager attention;
a 32,000-token vocabulary; a Mixtral-shaped MoE and a Qwen2-MoE with a shared expert;
activation checkpointing) it runs one training step on the CPU, batch 2 x 128 tokens, and
prints nnsize's activation line over the bytes autograd keeps for backward
(saved_tensors_hooks, one count per storage) or, with checkpointing, over the step's peak of
live storages (a TorchDispatchMode), the weights' gradients apart (autocast's weight copies,
a line of their own, counted on both sides).  The same measurements are the tests in
tests/memory/test_activations.py; issue #15 measured the previous model at 0.05 - 0.93.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from measure import measure  # noqa: E402

import nnsize  # noqa: E402
from nnsize.memory import Setup, plan  # noqa: E402

LLAMA = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 1000,
         "hidden_size": 128, "intermediate_size": 344, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
         "max_position_embeddings": 512, "tie_word_embeddings": False, "use_cache": False}
BIG_VOCAB = {**LLAMA, "vocab_size": 32_000, "hidden_size": 64, "head_dim": 16}
MIXTRAL = {**LLAMA, "model_type": "mixtral", "architectures": ["MixtralForCausalLM"],
           "num_local_experts": 4, "num_experts_per_tok": 2}
QWEN_MOE = {**LLAMA, "model_type": "qwen2_moe", "architectures": ["Qwen2MoeForCausalLM"],
            "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 64,
            "shared_expert_intermediate_size": 32}
CONFIGS = {"mixtral": "MixtralConfig", "qwen2_moe": "Qwen2MoeConfig", "llama": "LlamaConfig"}
MODES = {"fp32": (torch.float32, False), "bf16": (torch.bfloat16, False),
         "autocast": (torch.float32, True)}


def run(config: dict, mode: str, attention: str, checkpointing: bool) -> tuple[int, int]:
    dtype, autocast = MODES[mode]
    cls = getattr(transformers, CONFIGS[config["model_type"]])
    hf = cls(**{k: v for k, v in config.items() if k not in ("model_type", "architectures")})
    hf._attn_implementation = attention
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(hf).to(dtype)
    model.train()
    if checkpointing:
        model.activation_checkpointing_enable()
    m = measure(model, torch.randint(0, config["vocab_size"], (2, 128)), autocast)
    setup = Setup(dtype="fp32" if mode == "fp32" else "bf16",
                  mixed="autocast" if mode == "autocast" else "none", batch=2, context=128,
                  train=True, attention=attention, checkpointing=checkpointing)
    lines = {line.part: line.bytes for line in plan(nnsize.count(config), setup).lines}
    if checkpointing:  # the peak, with autocast's copies (one layer's twice) on both sides
        return lines["decoder_activations"] + lines.get("autocast_copies", 0), m.peak
    return lines["decoder_activations"], m.saved


def main() -> None:
    rows = []
    for name, config in (("Llama, vocab 1,000", LLAMA), ("Llama, vocab 32,000", BIG_VOCAB),
                         ("Mixtral-shaped MoE", MIXTRAL), ("Qwen2-MoE, shared expert", QWEN_MOE)):
        for mode in MODES:
            for attention in ("sdpa", "eager") if config is LLAMA else ("sdpa",):
                planned, measured = run(config, mode, attention, False)
                rows.append((name, mode, attention, "saved", planned, measured))
    for mode in MODES:
        planned, measured = run(LLAMA, mode, "sdpa", True)
        rows.append(("Llama, vocab 1,000", mode, "sdpa", "checkpointed peak", planned, measured))
    print(f"{'model':<26}{'mode':<10}{'attention':<10}{'what':<19}{'nnsize':>12}"
          f"{'measured':>12}{'ratio':>7}")
    for name, mode, attention, what, planned, measured in rows:
        print(f"{name:<26}{mode:<10}{attention:<10}{what:<19}{planned:>12,}{measured:>12,}"
              f"{planned / measured:>7.3f}")


if __name__ == "__main__":
    main()
