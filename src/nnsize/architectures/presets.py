"""Every named model nnsize counts offline: language models from their published config.json
values (LLMS, below), and the classic networks built from nnsize's own layer kinds (classic.py).

Each preset keeps only the keys that change the count (and model_type / architectures); the
source is the config.json it was copied from.  Tests check every preset against transformers
and against the model's published parameter count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError, suggest
from ..model import Report

HF = "https://huggingface.co/{}/blob/main/config.json"


def _llama(vocab: int, hidden: int, inter: int, layers: int, heads: int, kv: int,
           tie: bool = False, head_dim: int | None = None, model_type: str = "llama",
           **extra: Any) -> dict[str, Any]:
    arch = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
            "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM", "gemma": "GemmaForCausalLM",
            "gemma2": "Gemma2ForCausalLM", "gemma3_text": "Gemma3ForCausalLM",
            "phi3": "Phi3ForCausalLM", "olmo2": "Olmo2ForCausalLM",
            "mixtral": "MixtralForCausalLM", "qwen3_moe": "Qwen3MoeForCausalLM",
            "qwen2_moe": "Qwen2MoeForCausalLM", "deepseek_v3": "DeepseekV3ForCausalLM",
            "deepseek_v2": "DeepseekV2ForCausalLM"}[model_type]
    c = {"model_type": model_type, "architectures": [arch], "vocab_size": vocab,
         "hidden_size": hidden, "intermediate_size": inter, "num_hidden_layers": layers,
         "num_attention_heads": heads, "num_key_value_heads": kv, "tie_word_embeddings": tie}
    if head_dim is not None:
        c["head_dim"] = head_dim
    return {**c, **extra}


# name: (source repository, config, what it is)
LLMS: dict[str, tuple[str, dict[str, Any], str]] = {
    "llama-2-7b": ("meta-llama/Llama-2-7b-hf", _llama(32000, 4096, 11008, 32, 32, 32),
                   "Llama 2 7B"),
    "llama-2-13b": ("meta-llama/Llama-2-13b-hf", _llama(32000, 5120, 13824, 40, 40, 40),
                    "Llama 2 13B"),
    "llama-2-70b": ("meta-llama/Llama-2-70b-hf", _llama(32000, 8192, 28672, 80, 64, 8),
                    "Llama 2 70B"),
    "llama-3-8b": ("meta-llama/Meta-Llama-3-8B", _llama(128256, 4096, 14336, 32, 32, 8),
                   "Llama 3 8B"),
    "llama-3-70b": ("meta-llama/Meta-Llama-3-70B", _llama(128256, 8192, 28672, 80, 64, 8),
                    "Llama 3 70B"),
    "llama-3.1-8b": ("meta-llama/Llama-3.1-8B", _llama(128256, 4096, 14336, 32, 32, 8),
                     "Llama 3.1 8B"),
    "llama-3.1-70b": ("meta-llama/Llama-3.1-70B", _llama(128256, 8192, 28672, 80, 64, 8),
                      "Llama 3.1 70B"),
    "llama-3.1-405b": ("meta-llama/Llama-3.1-405B",
                       _llama(128256, 16384, 53248, 126, 128, 8), "Llama 3.1 405B"),
    "llama-3.2-1b": ("meta-llama/Llama-3.2-1B",
                     _llama(128256, 2048, 8192, 16, 32, 8, True, 64), "Llama 3.2 1B"),
    "llama-3.2-3b": ("meta-llama/Llama-3.2-3B",
                     _llama(128256, 3072, 8192, 28, 24, 8, True, 128), "Llama 3.2 3B"),
    "llama-3.3-70b": ("meta-llama/Llama-3.3-70B-Instruct",
                      _llama(128256, 8192, 28672, 80, 64, 8), "Llama 3.3 70B Instruct"),
    "tinyllama-1.1b": ("TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T",
                       _llama(32000, 2048, 5632, 22, 32, 4), "TinyLlama 1.1B"),
    "smollm2-135m": ("HuggingFaceTB/SmolLM2-135M",
                     _llama(49152, 576, 1536, 30, 9, 3, True), "SmolLM2 135M"),
    "smollm2-360m": ("HuggingFaceTB/SmolLM2-360M",
                     _llama(49152, 960, 2560, 32, 15, 5, True), "SmolLM2 360M"),
    "smollm2-1.7b": ("HuggingFaceTB/SmolLM2-1.7B",
                     _llama(49152, 2048, 8192, 24, 32, 32, True), "SmolLM2 1.7B"),
    "mistral-7b": ("mistralai/Mistral-7B-v0.1",
                   _llama(32000, 4096, 14336, 32, 32, 8, model_type="mistral"), "Mistral 7B"),
    "mixtral-8x7b": ("mistralai/Mixtral-8x7B-v0.1",
                     _llama(32000, 4096, 14336, 32, 32, 8, model_type="mixtral",
                            num_local_experts=8, num_experts_per_tok=2), "Mixtral 8x7B"),
    "mixtral-8x22b": ("mistralai/Mixtral-8x22B-v0.1",
                      _llama(32000, 6144, 16384, 56, 48, 8, model_type="mixtral",
                             num_local_experts=8, num_experts_per_tok=2), "Mixtral 8x22B"),
    "qwen2.5-0.5b": ("Qwen/Qwen2.5-0.5B",
                     _llama(151936, 896, 4864, 24, 14, 2, True, model_type="qwen2"),
                     "Qwen2.5 0.5B"),
    "qwen2.5-1.5b": ("Qwen/Qwen2.5-1.5B",
                     _llama(151936, 1536, 8960, 28, 12, 2, True, model_type="qwen2"),
                     "Qwen2.5 1.5B"),
    "qwen2.5-3b": ("Qwen/Qwen2.5-3B",
                   _llama(151936, 2048, 11008, 36, 16, 2, True, model_type="qwen2"),
                   "Qwen2.5 3B"),
    "qwen2.5-7b": ("Qwen/Qwen2.5-7B",
                   _llama(152064, 3584, 18944, 28, 28, 4, model_type="qwen2"), "Qwen2.5 7B"),
    "qwen2.5-14b": ("Qwen/Qwen2.5-14B",
                    _llama(152064, 5120, 13824, 48, 40, 8, model_type="qwen2"), "Qwen2.5 14B"),
    "qwen2.5-32b": ("Qwen/Qwen2.5-32B",
                    _llama(152064, 5120, 27648, 64, 40, 8, model_type="qwen2"), "Qwen2.5 32B"),
    "qwen2.5-72b": ("Qwen/Qwen2.5-72B",
                    _llama(152064, 8192, 29568, 80, 64, 8, model_type="qwen2"), "Qwen2.5 72B"),
    "qwen3-0.6b": ("Qwen/Qwen3-0.6B",
                   _llama(151936, 1024, 3072, 28, 16, 8, True, 128, "qwen3"), "Qwen3 0.6B"),
    "qwen3-1.7b": ("Qwen/Qwen3-1.7B",
                   _llama(151936, 2048, 6144, 28, 16, 8, True, 128, "qwen3"), "Qwen3 1.7B"),
    "qwen3-4b": ("Qwen/Qwen3-4B",
                 _llama(151936, 2560, 9728, 36, 32, 8, True, 128, "qwen3"), "Qwen3 4B"),
    "qwen3-8b": ("Qwen/Qwen3-8B",
                 _llama(151936, 4096, 12288, 36, 32, 8, False, 128, "qwen3"), "Qwen3 8B"),
    "qwen3-14b": ("Qwen/Qwen3-14B",
                  _llama(151936, 5120, 17408, 40, 40, 8, False, 128, "qwen3"), "Qwen3 14B"),
    "qwen3-32b": ("Qwen/Qwen3-32B",
                  _llama(151936, 5120, 25600, 64, 64, 8, False, 128, "qwen3"), "Qwen3 32B"),
    "qwen3-30b-a3b": ("Qwen/Qwen3-30B-A3B",
                      _llama(151936, 2048, 6144, 48, 32, 4, False, 128, "qwen3_moe",
                             moe_intermediate_size=768, num_experts=128, num_experts_per_tok=8,
                             decoder_sparse_step=1, mlp_only_layers=[]),
                      "Qwen3 30B-A3B (mixture of experts)"),
    "qwen3-235b-a22b": ("Qwen/Qwen3-235B-A22B",
                        _llama(151936, 4096, 12288, 94, 64, 4, False, 128, "qwen3_moe",
                               moe_intermediate_size=1536, num_experts=128,
                               num_experts_per_tok=8, decoder_sparse_step=1, mlp_only_layers=[]),
                        "Qwen3 235B-A22B (mixture of experts)"),
    "qwen1.5-moe-a2.7b": ("Qwen/Qwen1.5-MoE-A2.7B",
                          _llama(151936, 2048, 5632, 24, 16, 16, model_type="qwen2_moe",
                                 moe_intermediate_size=1408, shared_expert_intermediate_size=5632,
                                 num_experts=60, num_experts_per_tok=4, decoder_sparse_step=1),
                          "Qwen1.5 MoE A2.7B (mixture of experts)"),
    "gemma-2b": ("google/gemma-2b",
                 _llama(256000, 2048, 16384, 18, 8, 1, True, 256, "gemma"), "Gemma 2B"),
    "gemma-7b": ("google/gemma-7b",
                 _llama(256000, 3072, 24576, 28, 16, 16, True, 256, "gemma"), "Gemma 7B"),
    "gemma-2-2b": ("google/gemma-2-2b",
                   _llama(256000, 2304, 9216, 26, 8, 4, True, 256, "gemma2"), "Gemma 2 2B"),
    "gemma-2-9b": ("google/gemma-2-9b",
                   _llama(256000, 3584, 14336, 42, 16, 8, True, 256, "gemma2"), "Gemma 2 9B"),
    "gemma-2-27b": ("google/gemma-2-27b",
                    _llama(256000, 4608, 36864, 46, 32, 16, True, 128, "gemma2"), "Gemma 2 27B"),
    "gemma-3-1b": ("google/gemma-3-1b-pt",
                   _llama(262144, 1152, 6912, 26, 4, 1, True, 256, "gemma3_text"), "Gemma 3 1B"),
    "gemma-3-4b": ("google/gemma-3-4b-pt (text_config)",
                   _llama(262208, 2560, 10240, 34, 8, 4, True, 256, "gemma3_text"),
                   "Gemma 3 4B, language model only"),
    "gemma-3-12b": ("google/gemma-3-12b-pt (text_config)",
                    _llama(262208, 3840, 15360, 48, 16, 8, True, 256, "gemma3_text"),
                    "Gemma 3 12B, language model only"),
    "gemma-3-27b": ("google/gemma-3-27b-pt (text_config)",
                    _llama(262208, 5376, 21504, 62, 32, 16, True, 128, "gemma3_text"),
                    "Gemma 3 27B, language model only"),
    "phi-3-mini": ("microsoft/Phi-3-mini-4k-instruct",
                   _llama(32064, 3072, 8192, 32, 32, 32, model_type="phi3"), "Phi-3 mini"),
    "phi-3-medium": ("microsoft/Phi-3-medium-4k-instruct",
                     _llama(32064, 5120, 17920, 40, 40, 10, model_type="phi3"), "Phi-3 medium"),
    "phi-4": ("microsoft/phi-4",
              _llama(100352, 5120, 17920, 40, 40, 10, model_type="phi3"), "Phi-4"),
    "phi-2": ("microsoft/phi-2", {"model_type": "phi", "architectures": ["PhiForCausalLM"],
                                  "vocab_size": 51200, "hidden_size": 2560,
                                  "intermediate_size": 10240, "num_hidden_layers": 32,
                                  "num_attention_heads": 32, "num_key_value_heads": 32,
                                  "tie_word_embeddings": False}, "Phi-2"),
    "olmo-2-7b": ("allenai/OLMo-2-1124-7B",
                  _llama(100352, 4096, 11008, 32, 32, 32, model_type="olmo2"), "OLMo 2 7B"),
    "olmo-2-13b": ("allenai/OLMo-2-1124-13B",
                   _llama(100352, 5120, 13824, 40, 40, 40, model_type="olmo2"), "OLMo 2 13B"),
    "deepseek-v3": ("deepseek-ai/DeepSeek-V3",
                    _llama(129280, 7168, 18432, 61, 128, 128, model_type="deepseek_v3",
                           moe_intermediate_size=2048, n_routed_experts=256, n_shared_experts=1,
                           num_experts_per_tok=8, first_k_dense_replace=3, q_lora_rank=1536,
                           kv_lora_rank=512, qk_rope_head_dim=64, qk_nope_head_dim=128,
                           v_head_dim=128, n_group=8, topk_group=4),
                    "DeepSeek-V3 (mixture of experts, latent attention; without the MTP layer)"),
    "deepseek-v2-lite": ("deepseek-ai/DeepSeek-V2-Lite",
                         _llama(102400, 2048, 10944, 27, 16, 16, model_type="deepseek_v2",
                                moe_intermediate_size=1408, n_routed_experts=64,
                                n_shared_experts=2, num_experts_per_tok=6,
                                first_k_dense_replace=1, q_lora_rank=None, kv_lora_rank=512,
                                qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128),
                         "DeepSeek-V2-Lite"),
    "falcon-7b": ("tiiuae/falcon-7b", {"model_type": "falcon",
                                       "architectures": ["FalconForCausalLM"],
                                       "vocab_size": 65024, "hidden_size": 4544,
                                       "num_hidden_layers": 32, "num_attention_heads": 71,
                                       "multi_query": True, "parallel_attn": True,
                                       "bias": False, "new_decoder_architecture": False},
                  "Falcon 7B"),
    "falcon-40b": ("tiiuae/falcon-40b", {"model_type": "falcon",
                                         "architectures": ["FalconForCausalLM"],
                                         "vocab_size": 65024, "hidden_size": 8192,
                                         "num_hidden_layers": 60, "num_attention_heads": 128,
                                         "num_kv_heads": 8, "new_decoder_architecture": True,
                                         "parallel_attn": True, "bias": False},
                   "Falcon 40B"),
    "gpt-neox-20b": ("EleutherAI/gpt-neox-20b", {"model_type": "gpt_neox",
                                                 "architectures": ["GPTNeoXForCausalLM"],
                                                 "vocab_size": 50432, "hidden_size": 6144,
                                                 "intermediate_size": 24576,
                                                 "num_hidden_layers": 44,
                                                 "num_attention_heads": 64,
                                                 "tie_word_embeddings": False},
                     "GPT-NeoX 20B"),
}


def _gpt2(n_embd: int, n_layer: int, n_head: int) -> dict[str, Any]:
    return {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 50257,
            "n_positions": 1024, "n_embd": n_embd, "n_layer": n_layer, "n_head": n_head}


def _bert(model_type: str, vocab: int, hidden: int, layers: int, heads: int, positions: int,
          type_vocab: int) -> dict[str, Any]:
    arch = {"bert": "BertForMaskedLM", "roberta": "RobertaForMaskedLM"}[model_type]
    return {"model_type": model_type, "architectures": [arch], "vocab_size": vocab,
            "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
            "intermediate_size": 4 * hidden, "max_position_embeddings": positions,
            "type_vocab_size": type_vocab}


LLMS.update({
    "gpt2": ("openai-community/gpt2", _gpt2(768, 12, 12), "GPT-2 (124M)"),
    "gpt2-medium": ("openai-community/gpt2-medium", _gpt2(1024, 24, 16), "GPT-2 medium"),
    "gpt2-large": ("openai-community/gpt2-large", _gpt2(1280, 36, 20), "GPT-2 large"),
    "gpt2-xl": ("openai-community/gpt2-xl", _gpt2(1600, 48, 25), "GPT-2 XL"),
    "bert-base": ("google-bert/bert-base-uncased", _bert("bert", 30522, 768, 12, 12, 512, 2),
                  "BERT base (uncased), masked-LM head"),
    "bert-large": ("google-bert/bert-large-uncased",
                   _bert("bert", 30522, 1024, 24, 16, 512, 2),
                   "BERT large (uncased), masked-LM head"),
    "roberta-base": ("FacebookAI/roberta-base", _bert("roberta", 50265, 768, 12, 12, 514, 1),
                     "RoBERTa base, masked-LM head"),
    "roberta-large": ("FacebookAI/roberta-large",
                      _bert("roberta", 50265, 1024, 24, 16, 514, 1),
                      "RoBERTa large, masked-LM head"),
    "distilbert-base": ("distilbert/distilbert-base-uncased",
                        {"model_type": "distilbert", "architectures": ["DistilBertForMaskedLM"],
                         "vocab_size": 30522, "dim": 768, "n_layers": 6, "n_heads": 12,
                         "hidden_dim": 3072, "max_position_embeddings": 512},
                        "DistilBERT base (uncased), masked-LM head"),
    "t5-small": ("google-t5/t5-small",
                 {"model_type": "t5", "architectures": ["T5ForConditionalGeneration"],
                  "vocab_size": 32128, "d_model": 512, "d_kv": 64, "d_ff": 2048,
                  "num_layers": 6, "num_heads": 8}, "T5 small"),
    "t5-base": ("google-t5/t5-base",
                {"model_type": "t5", "architectures": ["T5ForConditionalGeneration"],
                 "vocab_size": 32128, "d_model": 768, "d_kv": 64, "d_ff": 3072,
                 "num_layers": 12, "num_heads": 12}, "T5 base"),
})


# Families beyond Llama's, each checked against transformers and against the count its publisher
# states (tests/architectures/test_published.py).
def _decoder(model_type: str, arch: str, vocab: int, hidden: int, inter: int, layers: int,
             heads: int, kv: int, tie: bool, **extra: Any) -> dict[str, Any]:
    return {"model_type": model_type, "architectures": [arch], "vocab_size": vocab,
            "hidden_size": hidden, "intermediate_size": inter, "num_hidden_layers": layers,
            "num_attention_heads": heads, "num_key_value_heads": kv, "tie_word_embeddings": tie,
            **extra}


LLMS.update({
    "gpt-oss-20b": ("openai/gpt-oss-20b", _decoder(
        "gpt_oss", "GptOssForCausalLM", 201088, 2880, 2880, 24, 64, 8, False, head_dim=64,
        num_local_experts=32, num_experts_per_tok=4, attention_bias=True, sliding_window=128,
        layer_types=["sliding_attention", "full_attention"] * 12),
        "gpt-oss 20B (mixture of experts)"),
    "olmoe-1b-7b": ("allenai/OLMoE-1B-7B-0924", _decoder(
        "olmoe", "OlmoeForCausalLM", 50304, 2048, 1024, 16, 16, 16, False, num_experts=64,
        num_experts_per_tok=8), "OLMoE 1B-7B (mixture of experts)"),
    "smollm3-3b": ("HuggingFaceTB/SmolLM3-3B", _decoder(
        "smollm3", "SmolLM3ForCausalLM", 128256, 2048, 11008, 36, 16, 4, True), "SmolLM3 3B"),
    "stablelm-2-1.6b": ("stabilityai/stablelm-2-1_6b", _decoder(
        "stablelm", "StableLmForCausalLM", 100352, 2048, 5632, 24, 32, 32, False,
        use_qkv_bias=True, qk_layernorm=False, use_parallel_residual=False), "StableLM 2 1.6B"),
    "command-r": ("CohereForAI/c4ai-command-r-v01", _decoder(
        "cohere", "CohereForCausalLM", 256000, 8192, 22528, 40, 64, 64, True, use_qk_norm=False),
        "Command R (35B)"),
    "phi-3.5-moe": ("microsoft/Phi-3.5-MoE-instruct", _decoder(
        "phimoe", "PhimoeForCausalLM", 32064, 4096, 6400, 32, 32, 8, False, num_local_experts=16,
        num_experts_per_tok=2, attention_bias=True, lm_head_bias=True),
        "Phi-3.5 MoE (mixture of experts)"),
    "granite-3.1-8b": ("ibm-granite/granite-3.1-8b-instruct", _decoder(
        "granite", "GraniteForCausalLM", 49155, 4096, 12800, 40, 32, 8, True),
        "Granite 3.1 8B Instruct"),
    "glm-4-9b": ("THUDM/GLM-4-9B-0414", _decoder(
        "glm4", "Glm4ForCausalLM", 151552, 4096, 13696, 40, 32, 2, False, head_dim=128,
        attention_bias=True), "GLM-4 9B (0414)"),
    "starcoder": ("bigcode/starcoder",
                  {"model_type": "gpt_bigcode", "architectures": ["GPTBigCodeForCausalLM"],
                   "vocab_size": 49152, "n_embd": 6144, "n_layer": 40, "n_head": 48,
                   "n_positions": 8192, "n_inner": 24576, "multi_query": True},
                  "StarCoder (15.5B)"),
})


def source_url(repo: str) -> str:
    return HF.format(repo.split(" ")[0])


# --- the presets: every named model ------------------------------------------------------------

@dataclass(frozen=True)
class Preset:
    name: str
    kind: str  # "language model" or "classic network"
    description: str
    source: str
    build: Callable[[str | None, dict[str, Any]], Report]

    def count(self, convention: str | None = None, **options: Any) -> Report:
        return self.build(convention, options)


def _llm(name: str, repo: str, config: dict[str, Any], description: str) -> Preset:
    def build(convention: str | None, options: dict[str, Any]) -> Report:
        from dataclasses import replace

        from . import count_config

        return replace(count_config(config, name, bool(options.get("base"))), source=name)

    return Preset(name, "language model", description, source_url(repo), build)


def presets() -> dict[str, Preset]:
    from .classic import CLASSICS

    table = {name: _llm(name, *entry) for name, entry in LLMS.items()}
    for name, (source, description, builder) in CLASSICS.items():
        table[name] = Preset(name, "classic network", description, source, _classic(builder))
    return table


def _classic(builder: Callable[..., Report]) -> Callable[[str | None, dict[str, Any]], Report]:
    def build(convention: str | None, options: dict[str, Any]) -> Report:
        return builder(convention, **{k: v for k, v in options.items() if k == "actions"})
    return build


_SHAPED = re.compile(r"[A-Za-z][A-Za-z0-9._\-]*[A-Za-z0-9]")


def find(name: str) -> Preset:
    """The preset of this name (any case); a SpecError naming the closest ones otherwise."""
    table = presets()
    found = table.get(name.lower())
    if found is None:
        raise SpecError(f"no preset {name!r}{suggest(name.lower(), list(table))}")
    return found


def find_preset(text: str) -> Preset | None:
    """The preset named text (any case), None for text that is not a preset-like name, and a
    SpecError with the closest names for one that looks like a preset but is not."""
    import os

    if not _SHAPED.fullmatch(text) or text[0].isdigit() or os.path.exists(text):
        return None
    table = presets()
    key = text.lower()
    if key in table:
        return table[key]
    from ..importers import SUFFIXES
    from ..spec import SPEC_SUFFIXES

    if key.endswith(SPEC_SUFFIXES + SUFFIXES):
        return None
    raise SpecError(f"{text!r} is not a shorthand, a file or a preset{suggest(key, list(table))}"
                    f"; 'nnsize presets' lists the presets")
