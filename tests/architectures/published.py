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
    # --- issue 20: more vision, audio and image-text families.  The config.json files themselves
    # are not in reach; each entry says what its values were checked against (transformers'
    # conversion scripts wrote most of these files, so theirs are the values the files hold).
    # Swin paper (arXiv 2103.14030), table 1: Swin-T 28M.  Checked against transformers'
    # src/transformers/models/swin/convert_swin_timm_to_pytorch.py (get_swin_config, "tiny":
    # embed_dim 96, depths 2-2-6-2, heads 3-6-12-24; window and image size from the name; the
    # rest SwinConfig's defaults)
    "swin-tiny": ({"model_type": "swin", "architectures": ["SwinForImageClassification"],
                   "embed_dim": 96, "depths": [2, 2, 6, 2], "num_heads": [3, 6, 12, 24],
                   "window_size": 7, "mlp_ratio": 4.0, "qkv_bias": True, "patch_size": 4,
                   "image_size": 224, "num_channels": 3, "use_absolute_embeddings": False,
                   "num_labels": 1000},
                  HF.format("microsoft/swin-tiny-patch4-window7-224"), 28 * M, M),
    # timm's model card of the same network (timm/convnext_tiny.fb_in1k): "Params (M): 28.6"
    # (the ConvNeXt paper, arXiv 2201.03545, says 28M).  Checked against transformers'
    # src/transformers/models/convnext/convert_convnext_to_pytorch.py ("tiny": depths 3-3-9-3,
    # hidden_sizes 96-192-384-768, 1,000 labels for the "1k" checkpoint; the rest defaults)
    "convnext-tiny": ({"model_type": "convnext",
                       "architectures": ["ConvNextForImageClassification"],
                       "depths": [3, 3, 9, 3], "hidden_sizes": [96, 192, 384, 768],
                       "num_stages": 4, "patch_size": 4, "num_channels": 3,
                       "layer_scale_init_value": 1e-06, "num_labels": 1000},
                      HF.format("facebook/convnext-tiny-224"), 286 * M // 10, M // 10),
    # BEiT paper (arXiv 2106.08254), table 1: BEiT-B 86M.  The file's architectures is
    # BeitForImageClassification; it is replaced by BeitModel here to count the backbone the
    # paper's 86M counts.  Checked against transformers'
    # src/transformers/models/beit/convert_beit_unilm_to_pytorch.py (beit_base_patch16_224_pt22k_
    # ft22kto1k: "to1k" sets use_relative_position_bias, 1,000 labels; "base" keeps BeitConfig's
    # 768 / 12 / 12 / 3,072 and its defaults: no absolute positions, no shared bias, no mask
    # token, layer scale 0.1, mean pooling)
    "beit-base": ({"model_type": "beit", "architectures": ["BeitModel"], "hidden_size": 768,
                   "num_hidden_layers": 12, "num_attention_heads": 12,
                   "intermediate_size": 3072, "image_size": 224, "patch_size": 16,
                   "use_absolute_position_embeddings": False,
                   "use_relative_position_bias": True,
                   "use_shared_relative_position_bias": False, "layer_scale_init_value": 0.1,
                   "use_mean_pooling": True, "use_mask_token": False},
                  HF.format("microsoft/beit-base-patch16-224"), 86 * M, M),
    # DeiT paper (arXiv 2012.12877), table 5: DeiT-B with distillation 87M.  Checked against
    # transformers' src/transformers/models/deit/convert_deit_timm_to_pytorch.py (DeiTConfig's
    # base defaults, patch and image size from vit_deit_base_distilled_patch16_224, 1,000 labels)
    "deit-base-distilled": ({"model_type": "deit",
                             "architectures": ["DeiTForImageClassificationWithTeacher"],
                             "hidden_size": 768, "num_hidden_layers": 12,
                             "num_attention_heads": 12, "intermediate_size": 3072,
                             "image_size": 224, "patch_size": 16, "qkv_bias": True,
                             "num_labels": 1000},
                            HF.format("facebook/deit-base-distilled-patch16-224"), 87 * M, M),
    # model card: "our Conformer-based W2v-BERT 2.0 encoder ... 600M parameters".  Checked
    # against a copy of the file's keys in cairo-project/w2v-BERT-2.0_SV,
    # packages/w2vbert_speaker/artifacts/merged_encoder_config.json (transformers 4.37.0.dev0,
    # the same values for every key below)
    "w2v-bert-2.0": ({"model_type": "wav2vec2-bert", "architectures": ["Wav2Vec2BertModel"],
                      "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
                      "intermediate_size": 4096, "feature_projection_input_dim": 160,
                      "position_embeddings_type": "relative_key",
                      "left_max_position_embeddings": 64, "right_max_position_embeddings": 8,
                      "conv_depthwise_kernel_size": 31, "add_adapter": False,
                      "mask_time_prob": 0.05},
                     HF.format("facebook/w2v-bert-2.0"), 600 * M, 100 * M),
    # PaliGemma paper (arXiv 2407.07726): "a 3B VLM" (SigLIP-So400m and Gemma-2B).  Checked
    # against the copy of vidore/colpali-v1.2-merged's config.json (a PaliGemma-3B-pt-448) in
    # transformers' src/transformers/models/colpali/convert_colpali_weights_to_hf.py: the same
    # text_config and vision_config, at 448 px (this 224 px file leaves image_size to SigLIP's
    # default, 224); keras-hub's preset pali_gemma_3b_224 states 2,923,335,408, ours less the
    # 64 padding rows of the vocabulary (257,216 - 257,152 = 64, x 2,048 = 131,072)
    "paligemma-3b": ({"model_type": "paligemma",
                      "architectures": ["PaliGemmaForConditionalGeneration"],
                      "projection_dim": 2048, "hidden_size": 2048,
                      "text_config": {"model_type": "gemma", "hidden_size": 2048,
                                      "intermediate_size": 16384, "num_attention_heads": 8,
                                      "num_hidden_layers": 18, "num_key_value_heads": 1,
                                      "vocab_size": 257216},
                      "vision_config": {"model_type": "siglip_vision_model",
                                        "hidden_size": 1152, "intermediate_size": 4304,
                                        "num_attention_heads": 16, "num_hidden_layers": 27,
                                        "patch_size": 14, "projection_dim": 2048,
                                        "vision_use_head": False}},
                     HF.format("google/paligemma-3b-pt-224"), 3 * B, B),
    # model card: "Idefics3-8B" (Llama 3.1 8B and SigLIP-So400m), "169 visual tokens" for a
    # 364 x 364 image: (364 / 14)^2 / 2^2.  Values from the helper's memory, checked against
    # copies, not the published file: the vision tower against Modular MAX's Idefics3 tests
    # (max/tests/integration/architectures/idefics3/, here in rcghpge/modular: "Idefics3 Vision
    # Config (from HuggingFace)": 1,152 / 16 heads / 4,304 / 364 px / 14 / 27 layers), the text
    # model and scale_factor against FFAI's Swift Idefics3ConfigTests fixture (4,096 / 128,259
    # tokens / 32 layers / 32 and 8 heads / 14,336, scale_factor 2)
    "idefics3-8b": ({"model_type": "idefics3",
                     "architectures": ["Idefics3ForConditionalGeneration"], "scale_factor": 2,
                     "tie_word_embeddings": False,
                     "text_config": {"model_type": "llama", "hidden_size": 4096,
                                     "intermediate_size": 14336, "num_attention_heads": 32,
                                     "num_hidden_layers": 32, "num_key_value_heads": 8,
                                     "vocab_size": 128259},
                     "vision_config": {"model_type": "idefics3", "hidden_size": 1152,
                                       "image_size": 364, "intermediate_size": 4304,
                                       "num_attention_heads": 16, "num_hidden_layers": 27,
                                       "patch_size": 14}},
                    HF.format("HuggingFaceM4/Idefics3-8B-Llama3"), 8 * B, B),
    # the SmolVLM blog post (huggingface.co/blog/smolvlm): "SmolVLM, a 2B VLM".  Checked against
    # lablup/mlxcel's test config that "mirrors the released HuggingFaceTB/SmolVLM-Instruct
    # config.json": every key below, the vision tower's model_type "idefics3" included (it was
    # missing here), and the untied LM head its loader reads from the checkpoint
    "smolvlm-instruct": ({"model_type": "idefics3",
                          "architectures": ["Idefics3ForConditionalGeneration"],
                          "scale_factor": 3, "tie_word_embeddings": False,
                          "text_config": {"model_type": "llama", "hidden_size": 2048,
                                          "intermediate_size": 8192, "num_attention_heads": 32,
                                          "num_hidden_layers": 24, "num_key_value_heads": 32,
                                          "vocab_size": 49155},
                          "vision_config": {"model_type": "idefics3", "hidden_size": 1152,
                                            "image_size": 384, "intermediate_size": 4304,
                                            "num_attention_heads": 16, "num_hidden_layers": 27,
                                            "patch_size": 14}},
                         HF.format("HuggingFaceTB/SmolVLM-Instruct"), 2 * B, B),
    # the model's name, SmolVLM2 2.2B, and the SmolVLM paper (arXiv 2504.05299): SmolVLM-2.2B,
    # SigLIP-SO400M and SmolLM2-1.7B (2,246,784,880 here; with a tied LM head it would be 2.1B).
    # Values from SmolVLM-Instruct's (the same SmolLM2-1.7B and SigLIP towers, above) and the
    # SmolVLM2 family's 49,280-token vocabulary (the 256M and 500M configs), not checked
    # against the published file
    "smolvlm2-2.2b": ({"model_type": "smolvlm",
                       "architectures": ["SmolVLMForConditionalGeneration"], "scale_factor": 3,
                       "tie_word_embeddings": False,
                       "text_config": {"model_type": "llama", "hidden_size": 2048,
                                       "intermediate_size": 8192, "num_attention_heads": 32,
                                       "num_hidden_layers": 24, "num_key_value_heads": 32,
                                       "vocab_size": 49280},
                       "vision_config": {"hidden_size": 1152, "image_size": 384,
                                         "intermediate_size": 4304, "num_attention_heads": 16,
                                         "num_hidden_layers": 27, "patch_size": 14}},
                      HF.format("HuggingFaceTB/SmolVLM2-2.2B-Instruct"), 22 * B // 10, B // 10),
    # model card: InternVL3-1B, InternViT-300M-448px-V2_5 and Qwen2.5-0.5B.  The -hf file was
    # written by transformers' src/transformers/models/internvl/convert_internvl_weights_to_hf.py
    # from the original OpenGVLab/InternVL3-1B config (its vision_config, with qkv_bias and
    # qk_normalization renamed attention_bias and use_qk_norm, use_absolute_position_embeddings
    # set, the rest InternVLVisionConfig's defaults: mean pooling, no mask token).  The original
    # config, as printed in shivangjhalani/multicoco's InternVL3-1B_data.md, gives every size
    # below, norm_type layer_norm, qkv_bias true, qk_normalization false, and
    # "tie_word_embeddings": false (the LM head its own); the -hf file's own tie key not checked
    "internvl3-1b": ({"model_type": "internvl",
                      "architectures": ["InternVLForConditionalGeneration"],
                      "downsample_ratio": 0.5, "image_seq_length": 256,
                      "tie_word_embeddings": False,
                      "text_config": {"model_type": "qwen2", "hidden_size": 896,
                                      "intermediate_size": 4864, "num_attention_heads": 14,
                                      "num_hidden_layers": 24, "num_key_value_heads": 2,
                                      "vocab_size": 151674},
                      "vision_config": {"hidden_size": 1024, "intermediate_size": 4096,
                                        "num_attention_heads": 16, "num_hidden_layers": 24,
                                        "image_size": [448, 448], "patch_size": [14, 14],
                                        "norm_type": "layer_norm", "use_qk_norm": False,
                                        "attention_bias": True, "use_mean_pooling": True,
                                        "use_absolute_position_embeddings": True}},
                     HF.format("OpenGVLab/InternVL3-1B-hf"), 1 * B, B),
    # issue 20's families.  ESM-2 model card table (mirrored in MadryLab/rla,
    # esm_model_150/README.md): esm2_t33_650M_UR50D 650M, esm2_t6_8M_UR50D 8M
    "esm2-650m": ({"model_type": "esm", "architectures": ["EsmForMaskedLM"], "vocab_size": 33,
                   "hidden_size": 1280, "num_hidden_layers": 33, "num_attention_heads": 20,
                   "intermediate_size": 5120, "max_position_embeddings": 1026,
                   "position_embedding_type": "rotary", "emb_layer_norm_before": False,
                   "token_dropout": True, "pad_token_id": 1, "mask_token_id": 32},
                  HF.format("facebook/esm2_t33_650M_UR50D"), 650 * M, 10 * M),
    "esm2-8m": ({"model_type": "esm", "architectures": ["EsmForMaskedLM"], "vocab_size": 33,
                 "hidden_size": 320, "num_hidden_layers": 6, "num_attention_heads": 20,
                 "intermediate_size": 1280, "max_position_embeddings": 1026,
                 "position_embedding_type": "rotary", "emb_layer_norm_before": False,
                 "token_dropout": True, "pad_token_id": 1, "mask_token_id": 32},
                HF.format("facebook/esm2_t6_8M_UR50D"), 8 * M, M),
    # model card: "21B total parameters and 3B activated" (see TRUNCATED in test_published.py)
    "ernie-4.5-21b-a3b": ({"model_type": "ernie4_5_moe",
                           "architectures": ["Ernie4_5_MoeForCausalLM"], "hidden_size": 2560,
                           "intermediate_size": 12288, "num_hidden_layers": 28,
                           "num_attention_heads": 20, "num_key_value_heads": 4, "head_dim": 128,
                           "vocab_size": 103424, "tie_word_embeddings": True, "use_bias": False,
                           "moe_num_experts": 64, "moe_num_shared_experts": 2, "moe_k": 6,
                           "moe_intermediate_size": 1536, "moe_layer_start_index": 1,
                           "moe_layer_end_index": 27, "moe_layer_interval": 1},
                          HF.format("baidu/ERNIE-4.5-21B-A3B-PT"), 21 * B, B),
    # model card: "MiniCPM3-4B"; transformers' MiniCPM3Config defaults are this checkpoint's
    "minicpm3-4b": ({"model_type": "minicpm3", "architectures": ["MiniCPM3ForCausalLM"],
                     "hidden_size": 2560, "num_hidden_layers": 62, "num_attention_heads": 40,
                     "num_key_value_heads": 40, "intermediate_size": 6400, "vocab_size": 73448,
                     "q_lora_rank": 768, "kv_lora_rank": 256, "qk_nope_head_dim": 64,
                     "qk_rope_head_dim": 32, "tie_word_embeddings": True},
                    HF.format("openbmb/MiniCPM3-4B"), 4 * B, B),
    # LayoutLM paper (arXiv 1912.13318): LayoutLM BASE, 113M parameters
    "layoutlm-base": ({"model_type": "layoutlm", "architectures": ["LayoutLMModel"],
                       "vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12,
                       "num_attention_heads": 12, "intermediate_size": 3072,
                       "max_position_embeddings": 512, "max_2d_position_embeddings": 1024,
                       "type_vocab_size": 2},
                      HF.format("microsoft/layoutlm-base-uncased"), 113 * M, M),
    # I-BERT is RoBERTa-base quantized (its tensors unchanged): fairseq's RoBERTa README table,
    # roberta.base, 125M params
    "ibert-roberta-base": ({"model_type": "ibert", "architectures": ["IBertForMaskedLM"],
                            "vocab_size": 50265, "hidden_size": 768, "num_hidden_layers": 12,
                            "num_attention_heads": 12, "intermediate_size": 3072,
                            "max_position_embeddings": 514, "type_vocab_size": 1,
                            "quant_mode": True},
                           HF.format("kssteven/ibert-roberta-base"), 125 * M, M),
    # mT5 paper (arXiv 2010.11934), table: mT5-Small 300M (see UNTIED in test_published.py)
    "mt5-small": ({"model_type": "mt5", "architectures": ["MT5ForConditionalGeneration"],
                   "vocab_size": 250112, "d_model": 512, "d_kv": 64, "d_ff": 1024,
                   "num_layers": 8, "num_decoder_layers": 8, "num_heads": 6,
                   "feed_forward_proj": "gated-gelu", "tie_word_embeddings": False},
                  HF.format("google/mt5-small"), 300 * M, 10 * M),
    # karpathy/nanochat README: the d20 speedrun model, 561M parameters; its transformers
    # config as nanochat-students/nanochat-d20 publishes it (20 layers, 1,280 wide, 10 heads)
    "nanochat-d20": ({"model_type": "nanochat", "architectures": ["NanoChatForCausalLM"],
                      "vocab_size": 65536, "hidden_size": 1280, "intermediate_size": 5120,
                      "num_hidden_layers": 20, "num_attention_heads": 10,
                      "num_key_value_heads": 10, "max_position_embeddings": 2048,
                      "tie_word_embeddings": False},
                     HF.format("nanochat-students/nanochat-d20"), 561 * M, M),
    # Adept's blog (adept.ai/blog/persimmon-8b): "the most powerful fully permissively-licensed
    # language model with <10 billion parameters".  The config.json at the Hub's revision
    # 94dc4e0b (as transcribed in a public snapshot of it): 4,096 wide, 36 layers of 64 heads,
    # MLP 16,384, relu2, qk_layernorm, 262,144 tokens untied; the rest PersimmonConfig's
    # defaults.  9,397,175,296, of which 2 x 262,144 x 4,096 = 2,147,483,648 embeddings
    "persimmon-8b": ({"model_type": "persimmon", "architectures": ["PersimmonForCausalLM"],
                      "vocab_size": 262144, "hidden_size": 4096, "intermediate_size": 16384,
                      "num_hidden_layers": 36, "num_attention_heads": 64,
                      "num_key_value_heads": 64, "hidden_act": "relu2",
                      "max_position_embeddings": 16384, "qk_layernorm": True,
                      "tie_word_embeddings": False},
                     HF.format("adept/persimmon-8b-base"), 10 * B, 10 * B),
    # DeepSeek's own name for the config: inference/config_671B_v3.2.json (see TRUNCATED in
    # test_published.py).  Its values, copied from the copy in awesome-mini-project/DeepSeek-V3.2-
    # Exp@09c734b6488d3c7764c50313a53e6013a344c582, in config.json's keys: dim 7,168, inter_dim
    # 18,432, moe_inter_dim 2,048, 61 layers (3 dense), 128 heads, 256 experts (1 shared, 8 a
    # token, 8 groups, 4 chosen), q / kv LoRA ranks 1,536 / 512, heads 128 + 64 (values 128),
    # 129,280 tokens; the indexer: 64 heads of 128, top 2,048.  The multi-token-prediction
    # layer transformers does not build is not counted: 671,877,929,216
    "deepseek-v3.2-exp": ({"model_type": "deepseek_v32",
                           "architectures": ["DeepseekV32ForCausalLM"], "vocab_size": 129280,
                           "hidden_size": 7168, "intermediate_size": 18432,
                           "moe_intermediate_size": 2048, "num_hidden_layers": 61,
                           "first_k_dense_replace": 3, "num_attention_heads": 128,
                           "num_key_value_heads": 128, "n_routed_experts": 256,
                           "n_shared_experts": 1, "num_experts_per_tok": 8, "n_group": 8,
                           "topk_group": 4, "q_lora_rank": 1536, "kv_lora_rank": 512,
                           "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
                           "index_n_heads": 64, "index_head_dim": 128, "index_topk": 2048,
                           "tie_word_embeddings": False},
                          HF.format("deepseek-ai/DeepSeek-V3.2-Exp"), 671 * B, B),
    # The count in the name, Qwen3-VL-235B-A22B (see TRUNCATED in test_published.py).  Copied
    # from NVIDIA's copy of the file: ai-dynamo/aiconfigurator@51ecbbbc3aede81fd2325b6e24cfa3189
    # defc26a, src/aiconfigurator/model_configs/Qwen--Qwen3-VL-235B-A22B-Thinking_config.json
    # (every key that sizes a tensor; the text model qwen3_vl_moe_text, 94 layers, 128 experts)
    "qwen3-vl-235b-a22b": ({"model_type": "qwen3_vl_moe",
                            "architectures": ["Qwen3VLMoeForConditionalGeneration"],
                            "tie_word_embeddings": False,
                            "text_config": {"model_type": "qwen3_vl_moe_text",
                                            "attention_bias": False, "decoder_sparse_step": 1,
                                            "head_dim": 128, "hidden_size": 4096,
                                            "intermediate_size": 12288, "mlp_only_layers": [],
                                            "moe_intermediate_size": 1536,
                                            "num_attention_heads": 64, "num_experts": 128,
                                            "num_experts_per_tok": 8, "num_hidden_layers": 94,
                                            "num_key_value_heads": 4, "vocab_size": 151936},
                            "vision_config": {"depth": 27, "hidden_size": 1152, "num_heads": 16,
                                              "intermediate_size": 4304, "patch_size": 14,
                                              "out_hidden_size": 4096, "spatial_merge_size": 2,
                                              "temporal_patch_size": 2, "in_channels": 3}},
                           HF.format("Qwen/Qwen3-VL-235B-A22B-Thinking"), 235 * B, B),
    # Pixtral 12B's vision encoder: Mistral's model card, "12B parameter Multimodal Decoder +
    # 400M parameter Vision Encoder".  Its vision_config as candle hard-codes it for this
    # checkpoint (huggingface/candle@067e3b1bcb5315fd89c1914e4f3d4d4a4913c6ed, candle-
    # transformers/src/models/pixtral/vision_model.rs, Config::pixtral_12b_2409, read from the
    # file's keys): 1,024 wide, 24 layers of 16 heads, MLP 4,096, 1,024 px in 16 px patches, 3
    # channels.  403,489,792
    "pixtral-12b-vision": ({"model_type": "pixtral", "architectures": ["PixtralVisionModel"],
                            "hidden_size": 1024, "num_channels": 3, "image_size": 1024,
                            "patch_size": 16, "rope_theta": 10000.0, "intermediate_size": 4096,
                            "num_hidden_layers": 24, "num_attention_heads": 16, "head_dim": 64},
                           HF.format("mistral-community/pixtral-12b"), 400 * M, 100 * M),
    # The count in the name, Gemma 4 31B (its text model: 30,697,345,280).  Its text_config as
    # transformers 5.7.0 printed google/gemma-4-31B-it's config in a public model report (the
    # repository not named by the search index), with the module tree beside it, whose shapes
    # agree: 60 layers, five sliding (32 heads and 16 KV heads of 256) then one full (4 KV
    # heads of 512, keys doubling as values: no v_proj), MLP 21,504, 262,144 tokens tied
    "gemma-4-31b-text": ({"model_type": "gemma4_text", "architectures": ["Gemma4ForCausalLM"],
                         "attention_bias": False, "attention_k_eq_v": True,
                         "enable_moe_block": False, "global_head_dim": 512, "head_dim": 256,
                         "hidden_size": 5376, "hidden_size_per_layer_input": 0,
                         "intermediate_size": 21504,
                         "layer_types": (["sliding_attention"] * 5 + ["full_attention"]) * 10,
                         "num_attention_heads": 32, "num_global_key_value_heads": 4,
                         "num_hidden_layers": 60, "num_key_value_heads": 16,
                         "num_kv_shared_layers": 0, "tie_word_embeddings": True,
                         "use_double_wide_mlp": False, "vocab_size": 262144,
                         "vocab_size_per_layer_input": 262144},
                        HF.format("google/gemma-4-31B-it"), 31 * B, B),
    # The checkpoints transformers' config classes take their defaults from (each class's
    # docstring names it), with the count in the name: Mistral Small 4 119B (its text model),
    # Param2-17B-A2.4B, Jais-2-8B.  Mistral Small 4: the published file wraps this text model
    # (mistral4) with a Pixtral vision tower (mistral3), not in reach here; the text model's
    # values are borne out by Mistral's announcement ("Introducing Mistral Small 4", as quoted
    # at mastodawn.com/explore/tag/LocalLLaMA: 128 experts, 4 active, "119B total parameters,
    # with 6B active parameters per token"): here
    # 118,972,826,624 and, less the two 131,072 x 4,096 embedding tables, 5,558,846,464; see
    # test_stated_active_parameters) and by a public architecture card (colaberry.ai: "6.63B
    # active", this model's 6,632,588,288 with its embeddings; 36 MLA layers; "KV cache: 22.5
    # KiB/token" = 36 x (256 + 64) x 2 bytes = 23,040)
    "mistral-small-4-119b": ({"model_type": "mistral4",
                              "architectures": ["Mistral4ForCausalLM"], "vocab_size": 131072,
                              "hidden_size": 4096, "intermediate_size": 12288,
                              "moe_intermediate_size": 2048, "num_hidden_layers": 36,
                              "num_attention_heads": 32, "num_key_value_heads": 32,
                              "n_routed_experts": 128, "n_shared_experts": 1,
                              "num_experts_per_tok": 4, "first_k_dense_replace": 0,
                              "kv_lora_rank": 256, "q_lora_rank": 1024, "qk_rope_head_dim": 64,
                              "qk_nope_head_dim": 64, "v_head_dim": 128,
                              "tie_word_embeddings": False},
                             HF.format("mistralai/Mistral-Small-4-119B-2603"), 119 * B, B),
    # Param2: the published checkpoint's logits are 128,008 wide (a public benchmark script
    # asserts it on the checkpoint loaded from the Hub, EXPECTED_VOCAB_SIZE = 128008; its
    # repository not named by the search index), not Param2MoEConfig's default 128,000: 8 x
    # 2,048 = 16,384 more, 17,151,140,480.  The rest are Param2MoEConfig's defaults, not checked
    # against the published file
    "param2-17b-a2.4b": ({"model_type": "param2moe", "architectures": ["Glm4MoeForCausalLM"],
                          "vocab_size": 128008, "hidden_size": 2048, "intermediate_size": 9216,
                          "moe_intermediate_size": 2048, "num_hidden_layers": 21,
                          "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64,
                          "n_routed_experts": 64, "n_shared_experts": 2,
                          "num_experts_per_tok": 6, "first_k_dense_replace": 1,
                          "use_qk_norm": True, "tie_word_embeddings": True},
                         HF.format("bharatgenai/Param2-17B-A2.4B-Thinking"), 17 * B, B),
    # Jais-2-8B: 8,090,401,280 parameters, which the checkpoint's size bears out: its four
    # safetensors shards, as a public download script lists them (its repository not named by
    # the search index), hold 4,988,455,440 + 4,963,153,816 + 4,874,521,632 + 1,354,730,176 =
    # 16,180,861,064 bytes = 2 (bfloat16) x 8,090,401,280 + 58,504 bytes of headers (113 a
    # tensor for its 516 tensors); 2 KV heads instead of 26 would be 1.3 GB less
    "jais-2-8b": ({"model_type": "jais2", "architectures": ["Jais2ForCausalLM"],
                   "vocab_size": 150272, "hidden_size": 3328, "intermediate_size": 26624,
                   "num_hidden_layers": 32, "num_attention_heads": 26, "attention_bias": True,
                   "mlp_bias": True, "tie_word_embeddings": False},
                  HF.format("inceptionai/Jais-2-8B-Chat"), 8 * B, B),
    # --- issue 20: the last families without a published config.
    # Tencent's model card (tencent/Hy3-preview, README; mirrored at
    # cnb.cool/ai-models/tencent/Hy3-preview): "295B ... 21B active parameters and 3.8B MTP layer
    # parameters"; its table: 80 layers (the MTP layer apart), 64 heads (8 KV heads of 128),
    # hidden 4,096, intermediate 13,312, 120,832 tokens, 192 experts (top 8).  The expert width
    # (1,536), the one shared expert and the one dense first layer are not in the table: taken
    # from a C port's constants for this checkpoint (HY3_MOE_INTERMED 1536, HY3_N_SHARED 1,
    # HY3_N_LAYER_DENSE 1, every other constant equal to the table), the same as HYV3Config's
    # defaults, whose docstring names this checkpoint.  transformers does not build the MTP
    # layer: 295,033,528,320
    "hy3-preview": ({"model_type": "hy_v3", "architectures": ["HYV3ForCausalLM"],
                     "vocab_size": 120832, "hidden_size": 4096, "intermediate_size": 13312,
                     "moe_intermediate_size": 1536, "num_hidden_layers": 80,
                     "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 128,
                     "num_experts": 192, "num_experts_per_tok": 8, "num_shared_experts": 1,
                     "first_k_dense_replace": 1, "tie_word_embeddings": False},
                    "https://huggingface.co/tencent/Hy3-preview", 295 * B, B),
    # Sarvam's docs (docs.sarvam.ai .../models/sarvam-30b): "30B total parameters, 2.4B active".
    # The values: NVIDIA's copy of sarvamai/sarvam-30b's config.json keys in Megatron-Bridge's
    # tests (NVIDIA-NeMo/Megatron-Bridge@f0d9107976fff62368f7c8131738607ac29bbb4b,
    # tests/unit_tests/models/sarvam/test_sarvam_moe_bridge.py, sarvam_moe_config_dict_small: 19
    # layers, 4,096 wide, 64 heads and 4 KV heads of 64, dense MLP 8,192 in the first layer,
    # then 128 experts of 1,024 (6 a token) and 1 shared, 262,144 tokens), agreeing with a
    # quantized copy's model card (19 layers, 1 dense + 18 MoE, 128 routed + 1 shared, top 6, 4
    # KV heads), with a public tokenizer comparison (sarvam-30b: 262,144 tokens) and with
    # SarvamMoeConfig's defaults (its docstring names this checkpoint).  32,152,648,064: the
    # Hub's "32B" for the checkpoint, as a public model survey quotes its card; Sarvam's 30B and
    # 2.4B leave out the two embedding tables (NO_EMBEDDINGS in test_published.py)
    # The file names its remote-code class, SarvamMoEForCausalLM; transformers builds the family
    # with GLM-4 MoE's classes (test_sarvam_remote_class_names counts both names alike)
    "sarvam-30b": ({"model_type": "sarvam_moe", "architectures": ["Glm4MoeForCausalLM"],
                    "vocab_size": 262144, "hidden_size": 4096, "intermediate_size": 8192,
                    "moe_intermediate_size": 1024, "num_hidden_layers": 19,
                    "num_attention_heads": 64, "num_key_value_heads": 4, "head_dim": 64,
                    "num_experts": 128, "num_experts_per_tok": 6, "num_shared_experts": 1,
                    "first_k_dense_replace": 1, "tie_word_embeddings": False},
                   "https://huggingface.co/sarvamai/sarvam-30b", 30 * B, B),
    # Megatron-Bridge's examples README (sarvamai/sarvam-105b: "105B total, 10.3B active") and
    # Sarvam's release blog (sarvam.ai/blogs/sarvam-30b-105b).  The values: NVIDIA's copy in
    # Megatron-Bridge@46703b1b73d69610e5974aefc404dc4ae6245e91, tests/unit_tests/models/sarvam/
    # test_sarvam_mla_bridge.py (sarvam_mla_config_dict: 32 layers, 4,096 wide, 64 heads, dense
    # MLP 16,384 in the first layer, 128 experts of 2,048 (8 a token) and 1 shared, 262,144
    # tokens, MLA with KV rank 512 and no query rank, heads 128 + 64, values 128), equal to
    # SarvamMLAConfig's defaults (its docstring names this checkpoint).  106,031,763,456 (the
    # Hub's safetensors count, 106.0B); active less the embeddings, 10,267,414,528, is the 10.3B
    # SarvamMLAForCausalLM in the file; transformers builds it with DeepSeek-V3's classes
    "sarvam-105b": ({"model_type": "sarvam_mla", "architectures": ["DeepseekV3ForCausalLM"],
                     "vocab_size": 262144, "hidden_size": 4096, "intermediate_size": 16384,
                     "moe_intermediate_size": 2048, "num_hidden_layers": 32,
                     "num_attention_heads": 64, "num_experts": 128, "num_experts_per_tok": 8,
                     "num_shared_experts": 1, "first_k_dense_replace": 1,
                     "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
                     "v_head_dim": 128, "tie_word_embeddings": False},
                    "https://huggingface.co/sarvamai/sarvam-105b", 105 * B, B),
    # The count in the name, Qwen3-VL-4B-Instruct.  The config.json as vendored ("Vendored copy
    # of the Qwen3-VL-4B-Instruct config.json") in kohya-ss/musubi-tuner@7c1cf7275b83d641c87dbb
    # ade14aad8abe6c6546, src/musubi_tuner/krea2/krea2_encoder.py: every key that sizes a tensor.
    # 4,437,815,808; its text model alone (qwen3_vl_text, below) 4,022,468,096
    "qwen3-vl-4b": ({"model_type": "qwen3_vl", "architectures": ["Qwen3VLForConditionalGeneration"],
                     "tie_word_embeddings": True,
                     "text_config": {"model_type": "qwen3_vl_text", "attention_bias": False,
                                     "head_dim": 128, "hidden_size": 2560,
                                     "intermediate_size": 9728, "num_attention_heads": 32,
                                     "num_hidden_layers": 36, "num_key_value_heads": 8,
                                     "tie_word_embeddings": True, "vocab_size": 151936},
                     "vision_config": {"deepstack_visual_indexes": [5, 11, 17], "depth": 24,
                                       "hidden_size": 1024, "in_channels": 3,
                                       "intermediate_size": 4096, "num_heads": 16,
                                       "num_position_embeddings": 2304, "out_hidden_size": 2560,
                                       "patch_size": 16, "spatial_merge_size": 2,
                                       "temporal_patch_size": 2}},
                    HF.format("Qwen/Qwen3-VL-4B-Instruct"), 4 * B, B),
    # FlexOlmo's README (allenai/FlexOlmo, as forked in ryanyxw/FlexOlmo@01c80f894621a277b886f31b
    # 723812d49ff194ae): "FlexOlmo-7x7B-1T ... a Mixture-of-Experts with 33B total parameters".
    # The values: FlexOlmoConfig's defaults, whose docstring names this checkpoint, and the
    # paper's (arXiv 2507.07024) OLMo 2 7B experts (32 layers, 4,096 wide, 32 heads, MLP
    # 11,008, 100,352 tokens), with 7 experts and 7 a token as a public write-up transcribes the
    # file (its repository not named by the search index): not checked against the file itself.
    # 33,270,665,216
    "flexolmo-7x7b-1t": ({"model_type": "flex_olmo", "architectures": ["FlexOlmoForCausalLM"],
                          "vocab_size": 100352, "hidden_size": 4096, "intermediate_size": 11008,
                          "num_hidden_layers": 32, "num_attention_heads": 32,
                          "num_key_value_heads": 32, "num_experts": 7, "num_experts_per_tok": 7,
                          "tie_word_embeddings": False},
                         HF.format("allenai/FlexOlmo-7x7B-1T"), 33 * B, B),
    # The count in the name, Zamba-7B-v1.  Its config.json as a public "Transformers Audit:
    # zamba" transcribes it (its repository not named by the search index): 76 layers, 13 of
    # them hybrid (2, 7, 13, ..., 73: ZambaConfig's default placement), 3,712 wide, 16 heads and
    # 16 KV heads, MLP 14,848, Mamba expand 2 in 2 heads, state 16, conv 4, dt rank 232, 32,000
    # tokens tied; ZambaConfig's defaults (its docstring names this checkpoint) are the same.
    # 7,232,490,496
    "zamba-7b-v1": ({"model_type": "zamba", "architectures": ["ZambaForCausalLM"],
                     "vocab_size": 32000, "hidden_size": 3712, "num_hidden_layers": 76,
                     "num_attention_heads": 16, "num_key_value_heads": 16,
                     "intermediate_size": 14848, "mamba_expand": 2, "n_mamba_heads": 2,
                     "mamba_d_state": 16, "mamba_d_conv": 4, "mamba_dt_rank": 232,
                     "attn_layer_period": 6, "attn_layer_offset": 4, "tie_word_embeddings": True},
                    HF.format("Zyphra/Zamba-7B-v1"), 7 * B, B),
    # The count in the name, DiffLlama-1B (kajuma).  Its config.json as DinoML's public
    # "DiffLlama Transformers Audit" tabulates the Hub snapshot it saved (its repository not
    # named by the search index): 102,400 tokens, 2,048 wide, 16 layers, 32 heads and 8 KV heads
    # of 64, MLP 8,192, untied.  1,392,580,608
    "diffllama-1b": ({"model_type": "diffllama", "architectures": ["DiffLlamaForCausalLM"],
                      "vocab_size": 102400, "hidden_size": 2048, "num_hidden_layers": 16,
                      "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64,
                      "intermediate_size": 8192, "tie_word_embeddings": False},
                     HF.format("kajuma/DiffLlama-1B"), 1 * B, B),
}

PUBLISHED.update({
    # The vision towers on their own, as their own families (the sub-configs of the entries
    # above): SAM ViT-H's image encoder, segment-anything.com's FAQ: "The image encoder
    # has 632M parameters" (see DIFFERENT in test_published.py); the keys of facebook/sam-vit-
    # huge's vision_config, as tests/architectures/test_sam.py cites them.  637,026,048
    "sam-vit-huge-vision": ({"model_type": "sam_vision_model",
                             "architectures": ["SamVisionModel"], "hidden_size": 1280,
                             "num_hidden_layers": 32, "num_attention_heads": 16, "mlp_dim": 5120,
                             "global_attn_indexes": [7, 15, 23, 31], "window_size": 14,
                             "image_size": 1024, "patch_size": 16, "output_channels": 256},
                            HF.format("facebook/sam-vit-huge"), 632 * M, M),
    # InternVL3-1B's vision tower, InternViT-300M-448px-V2_5 (the model card's name): the
    # vision_config of "internvl3-1b" above.  304,012,288
    "internvit-300m": ({**PUBLISHED["internvl3-1b"][0]["vision_config"],
                        "model_type": "internvl_vision"},
                       HF.format("OpenGVLab/InternVL3-1B-hf"), 300 * M, 10 * M),
    # Idefics3-8B's and SmolVLM2's vision towers: SigLIP-So400m (the model cards and the SmolVLM
    # paper, arXiv 2504.05299, "SigLIP-SO400M"), as idefics3_vision and smolvlm_vision: the
    # vision_config of "idefics3-8b" and "smolvlm2-2.2b" above.  412,926,192 (364 px) and
    # 412,987,248 (384 px: 27 x 27 positions against 26 x 26)
    "idefics3-8b-vision": ({**PUBLISHED["idefics3-8b"][0]["vision_config"],
                            "model_type": "idefics3_vision"},
                           HF.format("HuggingFaceM4/Idefics3-8B-Llama3"), 400 * M, 100 * M),
    "smolvlm2-2.2b-vision": ({**PUBLISHED["smolvlm2-2.2b"][0]["vision_config"],
                              "model_type": "smolvlm_vision"},
                             HF.format("HuggingFaceTB/SmolVLM2-2.2B-Instruct"), 400 * M, 100 * M),
})

_QWEN_IMAGE = ("https://github.com/kohya-ss/musubi-tuner/blob/b3154ae17fdb813b9afdccf4d49d85f30628"
               "67db/src/musubi_tuner/qwen_image/qwen_image_utils.py")
_QWEN25VL_TEXT = {"model_type": "qwen2_5_vl_text", "hidden_size": 3584,
                  "intermediate_size": 18944, "num_attention_heads": 28, "num_hidden_layers": 28,
                  "num_key_value_heads": 4, "vocab_size": 152064, "tie_word_embeddings": False}

# Published configs whose publisher states no parameter count: checked against transformers only
# (test_published.py).  name: (config, source)
UNSTATED: dict[str, tuple[dict[str, Any], str]] = {
    # kajuma/DiffLlama-0.3B-handcut, the checkpoint DiffLlamaConfig's docstring names: its
    # config.json as the same DinoML audit tabulates it (as "diffllama-1b" in PUBLISHED, with
    # 128,256 tokens tied).  The "0.3B" in its name is not its count: 1,235,818,496 (973,150,208
    # without the embeddings)
    "diffllama-0.3b-handcut": ({"model_type": "diffllama",
                                "architectures": ["DiffLlamaForCausalLM"], "vocab_size": 128256,
                                "hidden_size": 2048, "num_hidden_layers": 16,
                                "num_attention_heads": 32, "num_key_value_heads": 8,
                                "head_dim": 64, "intermediate_size": 8192,
                                "tie_word_embeddings": True},
                               HF.format("kajuma/DiffLlama-0.3B-handcut")),
    # Qwen3-VL-4B-Instruct's text model alone, as its own family (qwen3_vl_text): the
    # text_config of "qwen3-vl-4b" in PUBLISHED (same source); Qwen state no count for it.
    # 4,022,468,096
    "qwen3-vl-4b-text": ({**PUBLISHED["qwen3-vl-4b"][0]["text_config"],
                          "architectures": ["Qwen3VLTextModel"]},
                         "https://github.com/kohya-ss/musubi-tuner/blob/7c1cf7275b83d641c87dbbade"
                         "14aad8abe6c6546/src/musubi_tuner/krea2/krea2_encoder.py"),
    # google/umt5-small: Google's own t5x gin files for the umT5 checkpoints (google-research/t5x
    # @79909538d7d98a46966cc683ec7fa606b0f7cf78, t5x/examples/scalable_t5/umt5/pretrain_small.gin
    # includes mt5/small.gin: emb_dim 512, 6 heads of 64, 8 + 8 layers, mlp_dim 1,024, gated
    # GELU, untied; umt5/vocab.gin: VOCAB_SIZE 256,384).  The UniMax paper (arXiv 2304.09151)
    # names the sizes only.  transformers builds 175,333,376 (its output layer tied, as for mT5)
    # google/gemma-3n-E4B's text model.  Its config.json was written by transformers'
    # src/transformers/models/gemma3n/convert_gemma3n_weights.py (huggingface/transformers@
    # f360a89bb3a0ed8267b47b5d0e2523516ae69211): the gemma3n_e4b variant is Gemma3nTextConfig()
    # as it is, whose values are spelled out here (35 layers, 2,048 wide, MLP 16,384, 8 and 2
    # heads of 256, the last 15 layers sharing KV, 262,400 + 262,144 x 35 x 256 per-layer
    # embeddings, LAuReL rank 64, 4 AltUp inputs).  The model card's "8B raw parameters" counts
    # the vision and audio towers too; transformers builds 6,835,235,568 for the text model
    "gemma-3n-e4b-text": ({"model_type": "gemma3n_text", "architectures": ["Gemma3nForCausalLM"],
                           "vocab_size": 262400, "vocab_size_per_layer_input": 262144,
                           "hidden_size": 2048, "hidden_size_per_layer_input": 256,
                           "intermediate_size": 16384, "num_hidden_layers": 35,
                           "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 256,
                           "laurel_rank": 64, "altup_num_inputs": 4, "num_kv_shared_layers": 15,
                           "activation_sparsity_pattern": [0.95] * 10 + [0.0] * 25},
                          "https://github.com/huggingface/transformers/blob/f360a89bb3a0ed8267b47b5"
                          "d0e2523516ae69211/src/transformers/models/gemma3n/convert_gemma3n_weights"
                          ".py"),
    # zai-org/GLM-4.1V-9B-Thinking (the "9B" is its GLM-4-9B language model; transformers
    # builds 10,292,777,472 with the vision tower).  The values the GLM team's converter writes
    # into config.json for this checkpoint (its fallbacks), not checked against the published
    # file: transformers' src/transformers/models/glm4v/convert_glm4v_mgt_weights_to_hf.py
    # (huggingface/transformers@00b0d9dc53525aecd42a0d3e5653b5b9f68df569): text 4,096 wide, 40
    # layers, 32 and 2 heads, MLP 13,696, QKV bias, 151,552 tokens untied, half-rotary; vision
    # 1,536 wide, 24 blocks of 12 heads, MLP 13,696, 336 px in 14 px patches, merge 2, output
    # 4,096
    "glm-4.1v-9b-thinking": ({"model_type": "glm4v",
                              "architectures": ["Glm4vForConditionalGeneration"],
                              "text_config": {"model_type": "glm4v_text", "attention_bias": True,
                                              "hidden_size": 4096, "intermediate_size": 13696,
                                              "num_attention_heads": 32,
                                              "num_hidden_layers": 40, "num_key_value_heads": 2,
                                              "vocab_size": 151552, "tie_word_embeddings": False,
                                              "partial_rotary_factor": 0.5},
                              "vision_config": {"hidden_size": 1536, "depth": 24, "num_heads": 12,
                                                "attention_bias": False,
                                                "intermediate_size": 13696, "image_size": 336,
                                                "patch_size": 14, "out_hidden_size": 4096,
                                                "spatial_merge_size": 2,
                                                "temporal_patch_size": 2}},
                             "https://github.com/huggingface/transformers/blob/00b0d9dc53525aecd42a0d3"
                             "e5653b5b9f68df569/src/transformers/models/glm4v/convert_glm4v_mgt_wei"
                             "ghts_to_hf.py"),
    # Qwen/Qwen2-VL-7B-Instruct (its text model qwen2_vl_text).  Not the file: the module tree
    # transformers printed for the published checkpoint, in zhenhua32/Qwen2-VL@bec99eb7106e49029e
    # b180c560bb3f3d60db925d, READ.md (vision: 32 blocks 1,280 wide, MLP 5,120, 14 px patches x 2
    # frames, merger 5,120 -> 3,584; text: 152,064 x 3,584, 28 layers, q 3,584 and k / v 512 with
    # bias (28 and 4 heads of 128), MLP 18,944, its own lm_head).  8,291,375,616
    "qwen2-vl-7b": ({"model_type": "qwen2_vl", "architectures": ["Qwen2VLForConditionalGeneration"],
                     "tie_word_embeddings": False,
                     "text_config": {"model_type": "qwen2_vl_text", "vocab_size": 152064,
                                     "hidden_size": 3584, "intermediate_size": 18944,
                                     "num_hidden_layers": 28, "num_attention_heads": 28,
                                     "num_key_value_heads": 4, "tie_word_embeddings": False},
                     "vision_config": {"depth": 32, "embed_dim": 1280, "hidden_size": 3584,
                                       "mlp_ratio": 4, "num_heads": 16, "in_channels": 3,
                                       "patch_size": 14, "spatial_merge_size": 2,
                                       "temporal_patch_size": 2}},
                    "https://github.com/zhenhua32/Qwen2-VL/blob/bec99eb7106e49029eb180c560bb3f3d60d"
                    "b925d/READ.md"),
    "umt5-small": ({"model_type": "umt5", "architectures": ["UMT5ForConditionalGeneration"],
                    "vocab_size": 256384, "d_model": 512, "d_kv": 64, "d_ff": 1024,
                    "num_layers": 8, "num_decoder_layers": 8, "num_heads": 6,
                    "feed_forward_proj": "gated-gelu", "tie_word_embeddings": False},
                   "https://github.com/google-research/t5x/blob/79909538d7d98a46966cc683ec7fa606b0f"
                   "7cf78/t5x/examples/scalable_t5/umt5/pretrain_small.gin"),
    # Qwen/Qwen-Image's text encoder, a Qwen2.5-VL-7B-Instruct: its config.json as vendored in
    # kohya-ss/musubi-tuner@b3154ae17fdb813b9afdccf4d49d85f3062867db, src/musubi_tuner/
    # qwen_image/qwen_image_utils.py (QWEN2_5_VL_CONFIG_JSON, saved by transformers 4.53.1,
    # which the loader fills from the checkpoint with strict=True): text 3,584 wide, 28 layers,
    # 28 and 4 heads, MLP 18,944, 152,064 tokens untied; vision 32 blocks 1,280 wide, MLP 3,420,
    # 16 heads, 14 px patches x 2 frames, output 3,584.  Qwen state no count for it ("7B" is the
    # language model's class).  8,292,166,656; its text model alone (qwen2_5_vl_text, the base
    # class: no LM head) 7,070,619,136
    "qwen-image-text-encoder": ({"model_type": "qwen2_5_vl",
                                 "architectures": ["Qwen2_5_VLForConditionalGeneration"],
                                 "tie_word_embeddings": False, "text_config": _QWEN25VL_TEXT,
                                 "vision_config": {"depth": 32, "hidden_size": 1280,
                                                   "intermediate_size": 3420, "num_heads": 16,
                                                   "in_channels": 3, "out_hidden_size": 3584,
                                                   "patch_size": 14, "spatial_merge_size": 2,
                                                   "temporal_patch_size": 2,
                                                   "fullatt_block_indexes": [7, 15, 23, 31],
                                                   "window_size": 112}},
                                _QWEN_IMAGE),
    "qwen-image-text-encoder-text": ({**_QWEN25VL_TEXT, "architectures": ["Qwen2_5_VLTextModel"]},
                                     _QWEN_IMAGE),
}
# GLM-4.1V-9B-Thinking's vision tower on its own (glm4v_vision): the vision_config of
# "glm-4.1v-9b-thinking" above, from the same source.  892,498,432
UNSTATED["glm-4.1v-9b-thinking-vision"] = (
    {**UNSTATED["glm-4.1v-9b-thinking"][0]["vision_config"], "model_type": "glm4v_vision"},
    UNSTATED["glm-4.1v-9b-thinking"][1])
