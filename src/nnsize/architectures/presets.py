"""Every named model nnsize counts offline: language models from the config.json their
publishers publish (LANGUAGE_MODELS, below; the files themselves in preset_configs/, one per
model, read only when that model is asked for), and the classic networks built from nnsize's own
layer kinds (classic.py).

Each language model's file is the whole published config.json (sliding windows, layer types,
rope scaling, the longest context, the tied head...), copied as its source publishes it; the
record says where the copy was read.  Tests check every preset against the file counted as a
config file, against transformers, and against the model's published parameter count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from ..errors import SpecError, suggest
from ..model import Report
from ..records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HF = "https://huggingface.co/{}/blob/main/config.json"
CONFIGS = "preset_configs"  # NAME.json beside this module: the config.json each preset publishes
RECONSTRUCTED = ""  # no copy of the published file was found to read: its values as known
# no copy of the published file was found to read: each value derived from a source its publisher
# (or the model's contributors to transformers) published, value by value, in
# tests/data/preset_sources/NAME.json, each fact with its URL (tests/architectures/test_presets.py
# checks the file against every one)
DERIVED = "derived from "
GEMMA_PT = ("https://github.com/google/gemma_pytorch/blob/014acb7ac4563a5f77c76d7ff98f31b568c16508/"
            "gemma/config.py, {} (Google's PyTorch Gemma)")
GEMMA3_HF = ("https://github.com/huggingface/transformers/blob/"
             "58827fc9025aaffb9f9939678e77d1ab031af782/src/transformers/models/gemma3/"
             "convert_gemma3_weights_orbax_to_hf.py, _VARIANTS[{!r}]")
TF_CONFIG = ("https://github.com/huggingface/transformers/blob/{}/src/transformers/models/{}, "
             "the class's defaults")
# mlc-llm keeps copies of published config.json files; these are the ones read unaltered
MLC = ("https://github.com/mlc-ai/mlc-llm/blob/79d603f085f50500e9509fa01785ffa7ecfaaa93/"
       "python/mlc_llm/model/model_preset.py, MODEL_PRESETS[{!r}]")
# NVIDIA's aiconfigurator keeps published config.json files unaltered, one file a model
AIC = ("https://github.com/ai-dynamo/aiconfigurator/blob/095f58a51c4ca8e61b66ec108d86f223f8d559ce/"
       "aic-core/src/aiconfigurator_core/model_configs/{}_config.json")
AIC_2025 = ("https://github.com/ai-dynamo/aiconfigurator/blob/f577ab8432dfc9970fea27853a24861a6d3076cf/"
            "src/aiconfigurator/model_configs/meta-llama--Llama-3.3-70B-Instruct_config.json")
# a profiling study's list of the published files it ran, each under the model's name
PROF = ("https://github.com/citsjtu2020/LLM-Prof/blob/8434c8d19c396b2f95d92a67845a7c0a0e0dd512/"
        "sglang/Model_Config.md, under {}")
# Scale's llm-engine tests hold published config.json files as Python dicts (None for null)
SCALE_HW = ("https://github.com/scaleapi/llm-engine/blob/a82369619a365b79a45e49ef6af1045653102615/"
            "model-engine/tests/unit/domain/test_llm_use_cases.py, test_infer_hardware, the config "
            "given for {!r}")
# fusion_bench's test builds Mistral 7B from the published file, quoted whole as a Python dict
FUSION = ("https://github.com/tanganke/fusion_bench/blob/54c9e8c9d9621620c720452cd8533332a32d3689/"
          "tests/test_depth_upscaling.py, the MistralConfig's keyword arguments")
# ML.NET's GenAI packages embed published config.json files unaltered, one file a model
DOTNET = ("https://github.com/dotnet/machinelearning/blob/{}/"
          "src/Microsoft.ML.GenAI.Phi/Resource/Config/{}-config.json")
# OME's model-config parser tests (sgl-project/ome) keep published config.json files, one a model
OME = ("https://github.com/sgl-project/ome/blob/17b77edad23bae262e0c9adb7f12039397a5d33d/"
       "pkg/hfutil/modelconfig/testdata/{}")
# pytorchKQI's evaluation script builds each model from its published config.json, quoted whole
# as a Python dict (None for null), one variable a model
KQI = ("https://github.com/Girafboy/pytorchKQI/blob/963269026663521e774249c3828f9e000bb2a405/"
       "example/evaluate.py, {}")
ABRIDGED = ", abridged there (of the keys transformers reads, only defaults are left out)"

# name: (what it is, the Hugging Face repository whose config.json it is, where the copy in
# preset_configs/ was read: a file at a commit; DERIVED, its values from published sources; or
# RECONSTRUCTED)
LANGUAGE_MODELS: dict[str, tuple[str, str, str]] = {
    "llama-2-7b": ("Llama 2 7B", "meta-llama/Llama-2-7b-hf",
                   KQI.format("Llama_2_7b_hf")),
    "llama-2-13b": ("Llama 2 13B", "meta-llama/Llama-2-13b-hf",
                    KQI.format("Llama_2_13b_hf")),
    "llama-2-70b": ("Llama 2 70B", "meta-llama/Llama-2-70b-hf",
                    KQI.format("Llama_2_70b_hf")),
    "llama-3-8b": ("Llama 3 8B", "meta-llama/Meta-Llama-3-8B",
                   KQI.format("Meta_Llama_3_8B")),
    "llama-3-70b": ("Llama 3 70B", "meta-llama/Meta-Llama-3-70B",
                    SCALE_HW.format("llama-3-70b") + ABRIDGED),
    "llama-3.1-8b": ("Llama 3.1 8B", "meta-llama/Llama-3.1-8B",
                    AIC.format("meta-llama--Meta-Llama-3.1-8B")),
    "llama-3.1-70b": ("Llama 3.1 70B", "meta-llama/Llama-3.1-70B",
                     AIC.format("meta-llama--Meta-Llama-3.1-70B")),
    "llama-3.1-405b": ("Llama 3.1 405B", "meta-llama/Llama-3.1-405B",
                      AIC.format("meta-llama--Meta-Llama-3.1-405B")),
    "llama-3.2-1b": ("Llama 3.2 1B", "meta-llama/Llama-3.2-1B-Instruct", MLC.format("llama3_2_1b")),
    "llama-3.2-3b": ("Llama 3.2 3B", "meta-llama/Llama-3.2-3B", PROF.format("Llama-3.2-3B")),
    "llama-3.3-70b": ("Llama 3.3 70B Instruct", "meta-llama/Llama-3.3-70B-Instruct", AIC_2025),
    "tinyllama-1.1b": ("TinyLlama 1.1B", "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
                      MLC.format("tinyllama_1b_chat_v1.0")),
    "smollm2-135m": ("SmolLM2 135M", "HuggingFaceTB/SmolLM2-135M-Instruct",
                    MLC.format("smollm2_135m")),
    "smollm2-360m": ("SmolLM2 360M", "HuggingFaceTB/SmolLM2-360M-Instruct",
                    MLC.format("smollm2_360m")),
    # the instruction-tuned repository's file (the base one's was not found): the same tensors
    "smollm2-1.7b": ("SmolLM2 1.7B Instruct", "HuggingFaceTB/SmolLM2-1.7B-Instruct",
                     "https://huggingface.co/HuggingFaceTB/SmolLM2-1.7B-Instruct/blob/"
                     "dfc017ec3d4e0eaed394f8bf2a0fd2ff24f8b2cd/config.json, the file at commit"
                     " a587c08 (737 bytes)"),
    "mistral-7b": ("Mistral 7B", "mistralai/Mistral-7B-v0.1", FUSION),
    "mixtral-8x7b": ("Mixtral 8x7B", "mistralai/Mixtral-8x7B-v0.1",
                    AIC.format("mistralai--Mixtral-8x7B-v0.1")),
    "mixtral-8x22b": ("Mixtral 8x22B", "mistralai/Mixtral-8x22B-v0.1",
                     AIC.format("mistralai--Mixtral-8x22B-v0.1")),
    "qwen2.5-0.5b": ("Qwen2.5 0.5B", "Qwen/Qwen2.5-0.5B",
                     "https://github.com/chtho-like/rosellm/blob/"
                     "6ab3b433834ac09c95bd3090a68957f9d7961c31/rosellm/models/pretrained_config.py,"
                     " the file at the Hub's commit 060db6499f32faf8b98477b0a26969ef7d8b9987 as"
                     " its docstring prints it (less the loader's _commit_hash)"),
    "qwen2.5-1.5b": ("Qwen2.5 1.5B", "Qwen/Qwen2.5-1.5B",
                     KQI.format("Qwen2_5_1_5B")),
    "qwen2.5-3b": ("Qwen2.5 3B", "Qwen/Qwen2.5-3B", PROF.format("Qwen2.5-3B")),
    "qwen2.5-7b": ("Qwen2.5 7B", "Qwen/Qwen2.5-7B", PROF.format("Qwen2.5-7B")),
    "qwen2.5-14b": ("Qwen2.5 14B", "Qwen/Qwen2.5-14B", PROF.format("Qwen2.5-14B")),
    "qwen2.5-32b": ("Qwen2.5 32B", "Qwen/Qwen2.5-32B", PROF.format("Qwen2.5-32B")),
    # the instruction-tuned repository's file (the base one's was not found): the same tensors;
    # it names 32,768 positions where the base names 131,072
    "qwen2.5-72b": ("Qwen2.5 72B Instruct", "Qwen/Qwen2.5-72B-Instruct",
                    "https://github.com/gogongxt/python/blob/"
                    "ec9962697819add8f24ce1b180cf98ca6a53c40f/scripts/models/"
                    "qwen2.5_72b_instruct.md, the file of a download of the repository quoted"
                    " whole under its \"original config.json\" heading"),
    "qwen3-0.6b": ("Qwen3 0.6B", "Qwen/Qwen3-0.6B", AIC.format("Qwen--Qwen3-0.6B")),
    "qwen3-1.7b": ("Qwen3 1.7B", "Qwen/Qwen3-1.7B", AIC.format("Qwen--Qwen3-1.7B")),
    "qwen3-4b": ("Qwen3 4B", "Qwen/Qwen3-4B", PROF.format("Qwen3-4B")),
    "qwen3-8b": ("Qwen3 8B", "Qwen/Qwen3-8B", AIC.format("Qwen--Qwen3-8B")),
    "qwen3-14b": ("Qwen3 14B", "Qwen/Qwen3-14B", PROF.format("Qwen3-14B")),
    "qwen3-32b": ("Qwen3 32B", "Qwen/Qwen3-32B", AIC.format("Qwen--Qwen3-32B")),
    "qwen3-30b-a3b": ("Qwen3 30B-A3B (mixture of experts)", "Qwen/Qwen3-30B-A3B",
                     AIC.format("Qwen--Qwen3-30B-A3B")),
    "qwen3-235b-a22b": ("Qwen3 235B-A22B (mixture of experts)", "Qwen/Qwen3-235B-A22B",
                       AIC.format("Qwen--Qwen3-235B-A22B")),
    "qwen1.5-moe-a2.7b": ("Qwen1.5 MoE A2.7B (mixture of experts)", "Qwen/Qwen1.5-MoE-A2.7B-Chat",
                         MLC.format("qwen2moe")),
    "gemma-2b": ("Gemma 2B", "google/gemma-2b", MLC.format("gemma_2b")),
    # the copy is named gemma_7b.json, read by its tests as "Gemma 7B"; it does not say whether it
    # is google/gemma-7b's file or gemma-7b-it's (the same tensors)
    "gemma-7b": ("Gemma 7B", "google/gemma-7b",
                 OME.format("gemma_7b.json") + ", Gemma 7B's file (added in ome@9a27959)"),
    "gemma-2-2b": ("Gemma 2 2B", "google/gemma-2-2b-it", MLC.format("gemma2_2b")),
    "gemma-2-9b": ("Gemma 2 9B", "google/gemma-2-9b", MLC.format("gemma2_9b")),
    "gemma-2-27b": ("Gemma 2 27B", "google/gemma-2-27b", MLC.format("gemma2_27b")),
    "gemma-3-1b": ("Gemma 3 1B", "google/gemma-3-1b-it", MLC.format("gemma3_1b_it")),
    # Gemma 3 4B-27B: text_config names only what differs from transformers' Gemma3TextConfig
    # defaults, as the conversion script that writes the published files leaves them
    "gemma-3-4b": ("Gemma 3 4B (image-text: SigLIP vision tower and language model)",
                  "google/gemma-3-4b-pt", DERIVED + GEMMA_PT.format("get_config_for_4b")
                  + " and " + GEMMA3_HF.format("gemma3_4b")),
    "gemma-3-12b": ("Gemma 3 12B (image-text: SigLIP vision tower and language model)",
                   "google/gemma-3-12b-pt", DERIVED + GEMMA_PT.format("get_config_for_12b")
                   + " and " + GEMMA3_HF.format("gemma3_12b")),
    # the copy is named gemma3.json, read by its tests as Gemma 3 27B (62 layers,
    # query_pre_attn_scalar 168); it does not say whether it is the -pt or the -it repository's
    # file (the same tensors), and it is byte for byte the file the derived preset was
    # (gemma_pytorch and transformers' conversion script)
    "gemma-3-27b": ("Gemma 3 27B (image-text: SigLIP vision tower and language model)",
                   "google/gemma-3-27b-pt",
                   OME.format("gemma3.json") + ", Gemma 3 27B's file (added in ome@9a27959)"),
    "phi-3-mini": ("Phi-3 mini", "microsoft/Phi-3-mini-4k-instruct",
                   KQI.format("Phi_3_mini_4k_instruct")),
    "phi-3-medium": ("Phi-3 medium", "microsoft/Phi-3-medium-4k-instruct",
                     DOTNET.format("17b689af77151463cf3b24100c32d558f779c620",
                                   "phi-3-medium-4k-instruct")),
    "phi-4": ("Phi-4", "microsoft/phi-4",
              "https://huggingface.co/microsoft/phi-4/blob/refs%2Fpr%2F10/config.json, the file as"
              " that revision of the repository holds it"),
    "phi-2": ("Phi-2", "microsoft/phi-2",
              DOTNET.format("6d1f7e2bf83e260ceb4f07ad1ae9fe3257033d49", "phi-2")),
    "olmo-2-7b": ("OLMo 2 7B", "allenai/OLMo-2-1124-7B",
                  MLC.format("olmo2_7b") + ABRIDGED),
    "olmo-2-13b": ("OLMo 2 13B", "allenai/OLMo-2-1124-13B",
                   MLC.format("olmo2_13b") + ABRIDGED),
    "deepseek-v3": ("DeepSeek-V3 (mixture of experts, latent attention; without the MTP layer)",
                   "deepseek-ai/DeepSeek-V3", AIC.format("deepseek-ai--DeepSeek-V3")),
    # KTransformers' SFT package kept a DeepSeek-V2-Lite repository's config.json beside its
    # configuration_deepseek.py (its scripts load DeepSeek-V2-Lite-Chat): every key, tab-indented;
    # the copy does not say whether it is the base or the chat repository's file (the same
    # tensors; transformers_version 4.33.1, as mlc-llm's abridged deepseek_v2_lite copy)
    "deepseek-v2-lite": ("DeepSeek-V2-Lite", "deepseek-ai/DeepSeek-V2-Lite",
                         "https://github.com/kvcache-ai/ktransformers/blob/"
                         "95009ea6856c0799e517e93cb12be5e8494bc7ce/archive/kt-sft/ktransformers/"
                         "configs/model_config/config.json, a DeepSeek-V2-Lite file (added in"
                         " ktransformers@7bfe11a as KT-SFT/ktransformers/configs/model_config/)"),
    # the instruction-tuned repository's file (the base one's was not found): the same tensors
    "falcon-7b": ("Falcon 7B Instruct", "tiiuae/falcon-7b-instruct",
                  "https://huggingface.co/tiiuae/falcon-7b-instruct/blob/refs%2Fpr%2F126/"
                  "config.json, the file at commit cf4b3c4 (1.05 kB)"),
    "falcon-40b": ("Falcon 40B", "tiiuae/falcon-40b",
                   "https://huggingface.co/tiiuae/falcon-40b/blob/refs%2Fpr%2F111/config.json,"
                   " the file at commit 4a70170 (1.05 kB)"),
    "gpt-neox-20b": ("GPT-NeoX 20B", "EleutherAI/gpt-neox-20b",
                     "https://github.com/QiushengSong/Mamba_for_Named_Entity_Recoginition/blob/"
                     "626e582996aad783aa7fa1e063b13e4ff1550812/EleutherAI/gpt-neox-20b/"
                     "config.json, the repository's files as downloaded"),
    "gpt2": ("GPT-2 (124M)", "openai-community/gpt2", MLC.format("gpt2")),
    "gpt2-medium": ("GPT-2 medium", "openai-community/gpt2-medium", MLC.format("gpt2_medium")),
    # the file at commit 897ad54, its last change in the repository's history
    # (https://huggingface.co/openai-community/gpt2-large/commits/refs%2Fpr%2F7/config.json)
    "gpt2-large": ("GPT-2 large", "openai-community/gpt2-large",
                   "https://huggingface.co/openai-community/gpt2-large/blob/refs%2Fpr%2F1/"
                   "config.json, the file at commit 897ad54 (666 bytes)"),
    "gpt2-xl": ("GPT-2 XL", "openai-community/gpt2-xl",
                "https://huggingface.co/openai-community/gpt2-xl/blob/main/config.json, the file at"
                " commit cefd64e (689 bytes)"),
    "bert-base": ("BERT base (uncased), masked-LM head", "google-bert/bert-base-uncased",
                  KQI.format("bert_base_uncased")),
    "bert-large": ("BERT large (uncased), masked-LM head", "google-bert/bert-large-uncased",
                   KQI.format("bert_large_uncased")),
    # the file's last change (commit 47a52b9, the newest on its history page
    # https://huggingface.co/FacebookAI/roberta-base/commits/a7bf0580bc6f27340160108ed925ef00a55bd70a/config.json)
    # as the commit's page shows it: 21 lines, of which the page folds the unchanged lines 1-2
    # and 11 ("{", "architectures": [, and the one key sorting between hidden_size and
    # intermediate_size: initializer_range 0.02, as roberta-large's file of the same series has it)
    "roberta-base": ("RoBERTa base, masked-LM head", "FacebookAI/roberta-base",
                     "https://huggingface.co/roberta-base/commit/"
                     "47a52b98637fc8df2bf37a7b785cea13ad81ba94, the file after the commit"),
    "roberta-large": ("RoBERTa large, masked-LM head", "FacebookAI/roberta-large",
                      "https://huggingface.co/roberta-large/blob/main/config.json, the repository"
                      " under its name before the FacebookAI organisation"),
    "distilbert-base": ("DistilBERT base (uncased), masked-LM head",
                       "distilbert/distilbert-base-uncased",
                       "https://huggingface.co/distilbert/distilbert-base-uncased/blame/main/"
                       "config.json, the file after its last change, commit b22dbc4 (483 bytes)"),
    "t5-small": ("T5 small", "google-t5/t5-small",
                 KQI.format("t5_small")),
    "t5-base": ("T5 base", "google-t5/t5-base",
                KQI.format("t5_base")),
    "gpt-oss-20b": ("gpt-oss 20B (mixture of experts)", "openai/gpt-oss-20b",
                   AIC.format("openai--gpt-oss-20b")),
    "olmoe-1b-7b": ("OLMoE 1B-7B (mixture of experts)", "allenai/OLMoE-1B-7B-0924",
                    "https://huggingface.co/allenai/OLMoE-1B-7B-0924/blob/"
                    "c1b31da0c8e885c688902634d444982ca419aa33/config.json, the file at commit"
                    " 83792c6 (759 bytes)"),
    # an automated copy of the Hub repository's files (its model_files.json: source_url
    # https://huggingface.co/HuggingFaceTB/SmolLM3-3B, generated_at 2025-07-14T14:41:31Z; its README
    # the repository's model card): the file as published that day, 1,884 bytes (the Hub lists
    # 1.92 kB since a later "Update config.json" not found to read)
    "smollm3-3b": ("SmolLM3 3B", "HuggingFaceTB/SmolLM3-3B",
                   "https://github.com/fetchwiki/HuggingFaceTB-SmolLM3-3B/blob/"
                   "24f7882f92998ee0e691d105ade637afc3e5171f/config.json, the Hub repository's file"
                   " as fetched on 2025-07-14 (1,884 bytes)"),
    "stablelm-2-1.6b": ("StableLM 2 1.6B", "stabilityai/stablelm-2-zephyr-1_6b",
                       MLC.format("stablelm-2-zephyr-1_6b")),
    "command-r": ("Command R (35B)", "CohereForAI/c4ai-command-r-v01",
                  DERIVED + TF_CONFIG.format("032b32abfb07ba36e8fc1a8e5251514523edce34",
                                             "cohere/configuration_cohere.py")
                  + " (CohereConfig, copyright the Cohere team)"),
    # the file with "_name_or_path": "Phi-3.5-MoE-instruct" (4,526 bytes): longrope scaling with
    # 64 long and 64 short factors from 4,096 positions, a 131,072-token sliding window
    "phi-3.5-moe": ("Phi-3.5 MoE (mixture of experts)", "microsoft/Phi-3.5-MoE-instruct",
                    OME.format("phimoe.json") + ", the file of Phi-3.5-MoE-instruct (added in"
                    " ome@9a27959)"),
    "granite-3.1-8b": ("Granite 3.1 8B Instruct", "ibm-granite/granite-3.1-8b-instruct",
                      "https://huggingface.co/ibm-granite/granite-3.1-8b-instruct/blame/"
                      "96fedcdf5764b7e36d2737d129bc07caff913e72/config.json, the file at commit"
                      " 96fedcd (789 bytes)"),
    "glm-4-9b": ("GLM-4 9B (0414)", "THUDM/GLM-4-9B-0414",
                 DERIVED + TF_CONFIG.format("008e574391258935f3ecc3035c882e73bbcac419",
                                            "glm4/configuration_glm4.py")
                 + " (Glm4Config, copyright the GLM4 & ZhipuAI team and Hugging Face) and the"
                 " native 32K context of https://github.com/THUDM/GLM-4/blob/"
                 "3f79b543647b792aa167c712cd327475ec423f7b/README.md (GLM-4-0414 series)"),
    "starcoder": ("StarCoder (15.5B)", "bigcode/starcoder",
                  DERIVED + "https://huggingface.co/bigcode/starcoder-co-format/blame/main/"
                  "config.json, commit 7f6ca2d (bigcode's file for a model trained from"
                  " bigcode/starcoder) and https://arxiv.org/abs/2305.06161"),
}


def config(name: str) -> dict[str, Any]:
    """The config.json of the language model preset name, read from the package's data."""
    import json
    import os

    # read by the package's own loader (from a directory or a zip), as pkgutil.get_data does,
    # without importing pkgutil (which imports typing: a fifth of a bare interpreter's start)
    loader: Any = __spec__.loader
    try:
        data = loader.get_data(os.path.join(os.path.dirname(__file__), CONFIGS, f"{name}.json"))
    except OSError:
        raise SpecError(f"preset {name!r}: its config file is missing from the package") \
            from None
    loaded: dict[str, Any] = json.loads(data.decode("utf-8"))
    return loaded


def source(name: str) -> str:
    """Where the preset's config comes from: the published file, and the copy that was read."""
    _, repo, copy = LANGUAGE_MODELS[name]
    if copy == RECONSTRUCTED:
        return f"{HF.format(repo)} (reconstructed: no copy of the file was found to read)"
    if copy.startswith(DERIVED):
        return f"{HF.format(repo)} (not read: its values {copy})"
    return f"{HF.format(repo)} (as {copy})"


class _Llms(Mapping[str, tuple[str, dict[str, "Any"], str]]):
    """name: (repository, config, what it is), each config read when asked for."""

    def __getitem__(self, name: str) -> tuple[str, dict[str, Any], str]:
        description, repo, _ = LANGUAGE_MODELS[name]
        return repo, config(name), description

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGE_MODELS)

    def __len__(self) -> int:
        return len(LANGUAGE_MODELS)


LLMS = _Llms()


# --- the presets: every named model ------------------------------------------------------------

@record
class Preset:
    name: str
    kind: str  # "language model" or "classic network"
    description: str
    source: str
    build: Callable[[str | None, dict[str, Any]], Report]

    def count(self, convention: str | None = None, **options: Any) -> Report:
        return self.build(convention, options)


def _llm(name: str) -> Preset:
    def build(convention: str | None, options: dict[str, Any]) -> Report:
        from ..records import replace
        from . import count_config

        return replace(count_config(config(name), name, bool(options.get("base"))), source=name)

    return Preset(name, "language model", LANGUAGE_MODELS[name][0], source(name), build)


def presets() -> dict[str, Preset]:
    """Every preset, language models first."""
    return {name: _preset(name) for name in _names()}


def _preset(key: str) -> Preset:
    """The preset of this name (lower case), built alone: a language model's from its record,
    a classic network's from classic.py (imported only for one); KeyError if none."""
    if key in LANGUAGE_MODELS:
        return _llm(key)
    from .classic import CLASSICS

    origin, description, builder = CLASSICS[key]
    return Preset(key, "classic network", description, origin, _classic(builder))


def _names() -> list[str]:
    from .classic import CLASSICS

    return [*LANGUAGE_MODELS, *CLASSICS]


def _classic(builder: Callable[..., Report]) -> Callable[[str | None, dict[str, Any]], Report]:
    def build(convention: str | None, options: dict[str, Any]) -> Report:
        return builder(convention, **{k: v for k, v in options.items() if k == "actions"})
    return build


_NAME_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def _shaped(text: str) -> bool:
    """A preset-like name: ASCII letters, digits, '.', '_' and '-', starting with a letter and
    ending with a letter or digit.  (str methods, not a regex: its compile would cost more than
    the count, at every start.)"""
    return len(text) >= 2 and text.isascii() and text[0].isalpha() and text[-1].isalnum() and \
        all(c in _NAME_CHARACTERS for c in text)


def find(name: str) -> Preset:
    """The preset of this name (any case); a SpecError naming the closest ones otherwise."""
    try:
        return _preset(name.lower())
    except KeyError:
        raise SpecError(f"no preset {name!r}{suggest(name.lower(), _names())}") from None


def find_preset(text: str) -> Preset | None:
    """The preset named text (any case), None for text that is not a preset-like name, and a
    SpecError with the closest names for one that looks like a preset but is not."""
    import os

    if not _shaped(text) or os.path.exists(text):
        return None
    key = text.lower()
    try:
        return _preset(key)
    except KeyError:
        pass
    from ..importers import SUFFIXES
    from ..spec import SPEC_SUFFIXES

    if key.endswith(SPEC_SUFFIXES + SUFFIXES):
        return None
    raise SpecError(f"{text!r} is not a shorthand, a file or a preset{suggest(key, _names())}"
                    f"; 'nnsize presets' lists the presets")
