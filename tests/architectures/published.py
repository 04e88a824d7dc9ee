"""Published config.json files, one per family (the keys that change the count), each with the
parameter count its publisher states, rounded as they state it.  The language models among them
are presets (nnsize.architectures.presets.LLMS), the rest are here.

name: (config, source URL, stated count, the unit the statement is rounded to)
"""

from __future__ import annotations

from typing import Any

from nnsize.architectures.presets import LLMS

HF = "https://huggingface.co/{}/blob/main/config.json"
M, B = 10**6, 10**9

PUBLISHED: dict[str, tuple[dict[str, Any], str, int, int]] = {
    # model card: "21B parameters with 3.6B active"; the paper (arXiv 2508.10925): 20.9B
    "gpt-oss-20b": (LLMS["gpt-oss-20b"][1],
                   HF.format("openai/gpt-oss-20b"), 209 * B // 10, B // 10),
    # model card: "1B active and 7B total parameters" (OLMoE paper: 6.9B total)
    "olmoe-1b-7b": (LLMS["olmoe-1b-7b"][1],
                   HF.format("allenai/OLMoE-1B-7B-0924"), 69 * B // 10, B // 10),
    # model card: "3B parameters"
    "smollm3-3b": (LLMS["smollm3-3b"][1],
                  HF.format("HuggingFaceTB/SmolLM3-3B"), 3 * B, B),
    # model card: "1.6 billion parameter"
    "stablelm-2-1.6b": (LLMS["stablelm-2-1.6b"][1],
                       HF.format("stabilityai/stablelm-2-1_6b"), 16 * B // 10, B // 10),
    # model card: "a 35 billion parameter" model
    "command-r": (LLMS["command-r"][1],
                 HF.format("CohereForAI/c4ai-command-r-v01"), 35 * B, B),
    # model card: "15.5B parameter models"
    "starcoder": (LLMS["starcoder"][1],
                 HF.format("bigcode/starcoder"), 155 * B // 10, B // 10),
    # model card: "42B total parameters" (6.6B active)
    "phi-3.5-moe": (LLMS["phi-3.5-moe"][1],
                   HF.format("microsoft/Phi-3.5-MoE-instruct"), 42 * B, B),
    # model card: "Mamba-130m"
    "mamba-130m": ({"model_type": "mamba", "architectures": ["MambaForCausalLM"],
                    "vocab_size": 50280, "hidden_size": 768, "num_hidden_layers": 24,
                    "state_size": 16, "expand": 2, "conv_kernel": 4},
                   HF.format("state-spaces/mamba-130m-hf"), 130 * M, 10 * M),
    # ViT paper (arXiv 2010.11929), table 1: ViT-Base 86M
    "vit-base": ({"model_type": "vit", "architectures": ["ViTModel"], "hidden_size": 768,
                  "num_hidden_layers": 12, "num_attention_heads": 12,
                  "intermediate_size": 3072, "image_size": 224, "patch_size": 16},
                 HF.format("google/vit-base-patch16-224"), 86 * M, M),
    # CLIP ViT-B/32: 151,277,313 parameters (the model card's safetensors count)
    "clip-vit-base-patch32": ({"model_type": "clip", "architectures": ["CLIPModel"],
                               "projection_dim": 512,
                               "text_config": {"vocab_size": 49408, "hidden_size": 512,
                                               "intermediate_size": 2048,
                                               "num_hidden_layers": 12,
                                               "num_attention_heads": 8,
                                               "max_position_embeddings": 77},
                               "vision_config": {"hidden_size": 768, "intermediate_size": 3072,
                                                 "num_hidden_layers": 12,
                                                 "num_attention_heads": 12, "image_size": 224,
                                                 "patch_size": 32}},
                              HF.format("openai/clip-vit-base-patch32"), 151_277_313, 1),
    # ALBERT paper (arXiv 1909.11942), table 1: ALBERT base 12M
    "albert-base-v2": ({"model_type": "albert", "architectures": ["AlbertModel"],
                        "vocab_size": 30000, "embedding_size": 128, "hidden_size": 768,
                        "num_hidden_layers": 12, "num_attention_heads": 12,
                        "intermediate_size": 3072},
                       HF.format("albert/albert-base-v2"), 12 * M, M),
    # DeBERTa-v3 model card: "86M backbone parameters ... 98M parameters in the Embedding
    # layer", 184M in all
    "deberta-v3-base": ({"model_type": "deberta-v2", "architectures": ["DebertaV2Model"],
                         "vocab_size": 128100, "hidden_size": 768, "num_hidden_layers": 12,
                         "num_attention_heads": 12, "intermediate_size": 3072,
                         "max_position_embeddings": 512, "relative_attention": True,
                         "position_buckets": 256, "norm_rel_ebd": "layer_norm",
                         "share_att_key": True, "pos_att_type": "p2c|c2p",
                         "position_biased_input": False, "type_vocab_size": 0,
                         "max_relative_positions": -1},
                        HF.format("microsoft/deberta-v3-base"), 184 * M, M),
    # model card: "ModernBERT-base ... 149 million parameters"
    "modernbert-base": ({"model_type": "modernbert", "architectures": ["ModernBertModel"],
                         "vocab_size": 50368, "hidden_size": 768, "intermediate_size": 1152,
                         "num_hidden_layers": 22, "num_attention_heads": 12},
                        HF.format("answerdotai/ModernBERT-base"), 149 * M, M),
    # Whisper model card table: small, 244M
    "whisper-small": ({"model_type": "whisper",
                       "architectures": ["WhisperForConditionalGeneration"],
                       "vocab_size": 51865, "d_model": 768, "encoder_layers": 12,
                       "decoder_layers": 12, "encoder_attention_heads": 12,
                       "decoder_attention_heads": 12, "encoder_ffn_dim": 3072,
                       "decoder_ffn_dim": 3072, "num_mel_bins": 80,
                       "max_source_positions": 1500, "max_target_positions": 448},
                      HF.format("openai/whisper-small"), 244 * M, M),
    # BART paper setup / model card: bart-large ~406M (400M rounded)
    "bart-large": ({"model_type": "bart", "architectures": ["BartModel"], "vocab_size": 50265,
                    "d_model": 1024, "encoder_layers": 12, "decoder_layers": 12,
                    "encoder_attention_heads": 16, "decoder_attention_heads": 16,
                    "encoder_ffn_dim": 4096, "decoder_ffn_dim": 4096,
                    "max_position_embeddings": 1024},
                   HF.format("facebook/bart-large"), 400 * M, 100 * M),
    # XLM-R paper (arXiv 1911.02116), table 7: XLM-R Base 270M
    "xlm-roberta-base": ({"model_type": "xlm-roberta", "architectures": ["XLMRobertaModel"],
                          "vocab_size": 250002, "hidden_size": 768, "num_hidden_layers": 12,
                          "num_attention_heads": 12, "intermediate_size": 3072,
                          "max_position_embeddings": 514, "type_vocab_size": 1},
                         HF.format("FacebookAI/xlm-roberta-base"), 280 * M, 10 * M),
    # model card: "Granite-3.1-8B-Instruct is a 8B parameter" model
    "granite-3.1-8b": (LLMS["granite-3.1-8b"][1],
                      HF.format("ibm-granite/granite-3.1-8b-instruct"), 8 * B, B),
    # model card: "GLM-4-9B-0414"
    "glm-4-9b": (LLMS["glm-4-9b"][1],
                HF.format("THUDM/GLM-4-9B-0414"), 9 * B, B),
    # model card: "LLaVA-1.5 7B"; its text_config gives only what differs from Llama's defaults
    "llava-1.5-7b": ({"model_type": "llava", "architectures": ["LlavaForConditionalGeneration"],
                      "text_config": {"model_type": "llama", "vocab_size": 32064},
                      "vision_config": {"model_type": "clip_vision_model", "hidden_size": 1024,
                                        "intermediate_size": 4096, "num_hidden_layers": 24,
                                        "num_attention_heads": 16, "image_size": 336,
                                        "patch_size": 14, "projection_dim": 768}},
                     HF.format("llava-hf/llava-1.5-7b-hf"), 7 * B, B),
    # model card: "12B active parameters and a total of 52B parameters across all experts"
    "jamba-v0.1": ({"model_type": "jamba", "architectures": ["JambaForCausalLM"],
                    "vocab_size": 65536, "hidden_size": 4096, "intermediate_size": 14336,
                    "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
                    "num_experts": 16, "num_experts_per_tok": 2, "use_mamba_kernels": False},
                   HF.format("ai21labs/Jamba-v0.1"), 52 * B, B),
    # model card: "9B (9.78B)"; 32 layers, attention at 9, 18 and 27, the rest Mamba-2 (64-wide
    # heads, N 128), vocabulary 128,256, untied
    "bamba-9b": ({"model_type": "bamba", "architectures": ["BambaForCausalLM"],
                  "vocab_size": 128256, "hidden_size": 4096, "intermediate_size": 14336,
                  "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
                  "attn_layer_indices": [9, 18, 27], "mamba_n_heads": 128, "mamba_d_head": 64,
                  "mamba_n_groups": 1, "mamba_d_state": 128, "mamba_d_conv": 4,
                  "mamba_expand": 2, "tie_word_embeddings": False},
                 HF.format("ibm-ai-platform/Bamba-9B"), 978 * B // 100, B // 100),
    # the paper (arXiv 2508.14444): "Nemotron-Nano-9B-v2"; 56 layers, 4 of them attention
    "nemotron-nano-9b-v2": ({"model_type": "nemotron_h", "architectures": ["NemotronHForCausalLM"],
                             "vocab_size": 131072, "hidden_size": 4480,
                             "intermediate_size": 15680, "num_hidden_layers": 56,
                             "num_attention_heads": 40, "num_key_value_heads": 8,
                             "head_dim": 128, "mamba_num_heads": 128, "mamba_head_dim": 80,
                             "n_groups": 8, "ssm_state_size": 128, "conv_kernel": 4,
                             "hybrid_override_pattern": "M-M-M-MM-M-M-M*-M-M-M*-M-M-M-M*-M-M-M-M*"
                                                        "-M-MM-M-M-M-M-M-",
                             "tie_word_embeddings": False},
                            HF.format("nvidia/NVIDIA-Nemotron-Nano-9B-v2"), 9 * B, B),
    # model card: "32B total / 9B active" (72 experts, 10 a token); layer_types: 36 Mamba-2
    # layers and 4 attention ones (where the 4 sit does not change the count)
    "granite-4.0-h-small": ({"model_type": "granitemoehybrid",
                             "architectures": ["GraniteMoeHybridForCausalLM"],
                             "vocab_size": 100352, "hidden_size": 4096,
                             "intermediate_size": 768, "shared_intermediate_size": 1536,
                             "num_hidden_layers": 40, "num_attention_heads": 32,
                             "num_key_value_heads": 8, "num_local_experts": 72,
                             "num_experts_per_tok": 10, "mamba_n_heads": 128,
                             "mamba_d_head": 64, "mamba_d_state": 128, "mamba_d_conv": 4,
                             "mamba_expand": 2, "tie_word_embeddings": True,
                             "layer_types": (["mamba"] * 9 + ["attention"]) * 4},
                            HF.format("ibm-granite/granite-4.0-h-small"), 32 * B, B),
    # Zyphra: "Zamba2-2.7B"; github.com/Zyphra/Zamba2 config.json (commit 89a404b) in
    # transformers' keys: 54 layers mapped m (Mamba-2) / g (hybrid), 2 shared blocks, LoRA rank
    # 128 on the shared MLPs, Mamba-2 heads 64 wide (80 of them), state 64
    "zamba2-2.7b": ({"model_type": "zamba2", "architectures": ["Zamba2ForCausalLM"],
                     "vocab_size": 32000, "hidden_size": 2560, "num_hidden_layers": 54,
                     "num_attention_heads": 32, "n_mamba_heads": 80, "mamba_d_state": 64,
                     "mamba_d_conv": 4, "mamba_expand": 2, "add_bias_linear": False,
                     "num_mem_blocks": 2, "adapter_rank": 128,
                     "use_shared_attention_adapter": False,
                     "layers_block_type": [{"m": "mamba", "g": "hybrid"}[x] for x in
                                           "m" + "mmmmmg" * 7 + "mmmmg" + "mmmg" + "mm"]},
                    "https://github.com/Zyphra/Zamba2/blob/89a404b0ae47c1081c2035ead555ae5acad7f891"
                    "/config.json", 27 * B // 10, B // 10),
    # "Falcon-H1-Tiny-90M": its config (as transcribed by its users: hidden 512, 24 layers, 8
    # and 2 heads of 64, MLP 768, vocabulary 32,768, tied; Mamba-2 d_ssm 768 in 24 heads of 32,
    # N 64, one group); the keys not transcribed take transformers' defaults
    "falcon-h1-tiny-90m": ({"model_type": "falcon_h1", "architectures": ["FalconH1ForCausalLM"],
                           "vocab_size": 32768, "hidden_size": 512, "intermediate_size": 768,
                           "num_hidden_layers": 24, "num_attention_heads": 8,
                           "num_key_value_heads": 2, "head_dim": 64, "mamba_d_ssm": 768,
                           "mamba_n_heads": 24, "mamba_d_head": 32, "mamba_d_state": 64,
                           "mamba_n_groups": 1, "mamba_d_conv": 4, "mamba_expand": 2,
                           "tie_word_embeddings": True},
                          HF.format("tiiuae/Falcon-H1-Tiny-90M-Base"), 90 * M, 10 * M),
    # model card: "Parameters 354,483,968", "16 (10 conv + 6 attn)" layers; the config in its
    # older keys (block_ff_dim, tie_embedding, full_attn_idxs)
    "lfm2-350m": ({"model_type": "lfm2", "architectures": ["Lfm2ForCausalLM"],
                   "vocab_size": 65536, "hidden_size": 1024, "num_hidden_layers": 16,
                   "num_attention_heads": 16, "num_key_value_heads": 8,
                   "full_attn_idxs": [2, 5, 8, 10, 12, 14], "block_ff_dim": 6656,
                   "block_multiple_of": 256, "block_ffn_dim_multiplier": 1.0,
                   "block_auto_adjust_ff_dim": True, "conv_L_cache": 3, "tie_embedding": True},
                  HF.format("LiquidAI/LFM2-350M"), 354_483_968, 1),
    # the LFM2 technical report: "8.3B total, 1.5B active"; 24 layers, attention at 2, 6, 10,
    # 14, 18 and 21, the first 2 dense, then 32 experts (4 a token)
    "lfm2-8b-a1b": ({"model_type": "lfm2_moe", "architectures": ["Lfm2MoeForCausalLM"],
                     "vocab_size": 65536, "hidden_size": 2048, "intermediate_size": 7168,
                     "moe_intermediate_size": 1792, "num_hidden_layers": 24,
                     "num_attention_heads": 32, "num_key_value_heads": 8,
                     "num_dense_layers": 2, "num_experts": 32, "num_experts_per_tok": 4,
                     "use_expert_bias": True, "conv_L_cache": 3,
                     "layer_types": ["full_attention" if i in (2, 6, 10, 14, 18, 21) else "conv"
                                     for i in range(24)]},
                    HF.format("LiquidAI/LFM2-8B-A1B"), 83 * B // 10, B // 10),
    # model card: "80B parameters in total, 3B activated"; 48 layers, every 4th gated
    # attention, the rest gated DeltaNet; 512 experts, 10 routed and 1 shared a token
    "qwen3-next-80b-a3b": ({"model_type": "qwen3_next",
                            "architectures": ["Qwen3NextForCausalLM"], "vocab_size": 151936,
                            "hidden_size": 2048, "intermediate_size": 5120,
                            "num_hidden_layers": 48, "num_attention_heads": 16,
                            "num_key_value_heads": 2, "head_dim": 256,
                            "full_attention_interval": 4, "linear_conv_kernel_dim": 4,
                            "linear_key_head_dim": 128, "linear_value_head_dim": 128,
                            "linear_num_key_heads": 16, "linear_num_value_heads": 32,
                            "num_experts": 512, "num_experts_per_tok": 10,
                            "moe_intermediate_size": 512,
                            "shared_expert_intermediate_size": 512, "decoder_sparse_step": 1,
                            "tie_word_embeddings": False},
                           HF.format("Qwen/Qwen3-Next-80B-A3B-Instruct"), 80 * B, B),
    # the paper (arXiv 2006.11477): BASE, 95M (its pre-training quantizer included)
    "wav2vec2-base": ({"model_type": "wav2vec2", "architectures": ["Wav2Vec2Model"],
                       "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
                       "intermediate_size": 3072},
                      HF.format("facebook/wav2vec2-base"), 95 * M, M),
    # model card: "17B active parameters, 109B total" (Llama 4 Scout, 16 experts)
    "llama-4-scout": ({"model_type": "llama4",
                       "architectures": ["Llama4ForConditionalGeneration"],
                       "text_config": {"vocab_size": 202048, "hidden_size": 5120,
                                       "intermediate_size": 8192,
                                       "intermediate_size_mlp": 16384, "num_hidden_layers": 48,
                                       "num_attention_heads": 40, "num_key_value_heads": 8,
                                       "head_dim": 128, "num_local_experts": 16,
                                       "num_experts_per_tok": 1, "interleave_moe_layer_step": 1},
                       "vision_config": {"hidden_size": 1408, "num_hidden_layers": 34,
                                         "num_attention_heads": 16, "intermediate_size": 5632,
                                         "image_size": 336, "patch_size": 14,
                                         "vision_output_dim": 4096, "projector_input_dim": 4096,
                                         "projector_output_dim": 4096}},
                      HF.format("meta-llama/Llama-4-Scout-17B-16E"), 109 * B, B),
    # DINOv2 paper (arXiv 2304.07193) and its repository's model table: ViT-B/14 distilled, 86M
    "dinov2-base": ({"model_type": "dinov2", "architectures": ["Dinov2Model"],
                     "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
                     "patch_size": 14, "image_size": 518},
                    HF.format("facebook/dinov2-base"), 86 * M, M),
    # PEGASUS paper (arXiv 1912.08777): PEGASUS-Large, L = 16, H = 1024, 568M parameters
    "pegasus-large": ({"model_type": "pegasus",
                       "architectures": ["PegasusForConditionalGeneration"], "d_model": 1024,
                       "encoder_layers": 16, "decoder_layers": 16,
                       "encoder_attention_heads": 16, "decoder_attention_heads": 16,
                       "encoder_ffn_dim": 4096, "decoder_ffn_dim": 4096, "vocab_size": 96103,
                       "max_position_embeddings": 1024},
                      HF.format("google/pegasus-large"), 568 * M, M),
}
