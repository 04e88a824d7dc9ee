"""A language model's own longest context, from its config or its GGUF, and fit stopping there."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import nnsize
from nnsize.limits import context_limit
from nnsize.memory import Setup, plan
from nnsize.memory.fit import fit
from nnsize.memory.lines import PastPositionsNote

# meta-llama/Llama-3.1-8B config.json (huggingface.co/meta-llama/Llama-3.1-8B): 131,072
# positions, llama3 rope scaling (already the stretched length: factor 8 x 8,192 original)
LLAMA_31_8B: dict[str, Any] = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256,
    "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
    "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 131072,
    "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "tie_word_embeddings": False}
# Qwen/Qwen3-30B-A3B config.json: max_position_embeddings 40,960, rope_scaling null
QWEN3_30B_A3B = {"max_position_embeddings": 40960, "rope_scaling": None}
# Qwen/Qwen2.5-7B-Instruct's README: add rope_scaling {"factor": 4.0,
# "original_max_position_embeddings": 32768, "type": "yarn"} for 131,072 tokens (4 x 32,768)
QWEN25_YARN = {"max_position_embeddings": 32768, "rope_scaling": {
    "factor": 4.0, "original_max_position_embeddings": 32768, "type": "yarn"}}


@pytest.mark.parametrize("config, tokens, source", [
    (LLAMA_31_8B, 131_072, "max_position_embeddings"),
    (QWEN3_30B_A3B, 40_960, "max_position_embeddings"),
    (QWEN25_YARN, 131_072, "rope_scaling yarn: factor 4.0 x original_max_position_embeddings"),
    ({"n_positions": 1024}, 1024, "n_positions"),  # GPT-2
    ({"text_config": {"max_position_embeddings": 8192}}, 8192, "max_position_embeddings"),
])
def test_context_limit_as_vllm_reads_it(config: dict[str, Any], tokens: int,
                                        source: str) -> None:
    assert context_limit(config) == (tokens, source)


# CohereForAI/c4ai-command-r-v01's config.json, as its quantized copies hold it
# (huggingface.co/TechxGenus/c4ai-command-r-v01-AWQ/blame/0e9e54b.../config.json, _name_or_path
# CohereForAI/c4ai-command-r-v01): 8,192 positions and a model_max_length of 131,072, which vLLM
# takes over the smallest length key
COMMAND_R = {"model_type": "cohere", "max_position_embeddings": 8192,
             "model_max_length": 131072, "rope_theta": 8000000.0}
# google/gemma-3-27b-pt: no length in the text config (Gemma3TextConfig's default, 131,072, is
# already the scaled length: vLLM skips the linear factor 8 for every gemma3 model type)
GEMMA_3 = {"model_type": "gemma3", "text_config": {
    "model_type": "gemma3_text", "rope_scaling": {"factor": 8.0, "rope_type": "linear"}}}


@pytest.mark.parametrize("config, tokens, source", [
    (COMMAND_R, 131_072, "model_max_length"),
    (GEMMA_3, 131_072, "max_position_embeddings, its config class's default"),
    # tiiuae/falcon-7b's file names no length: FalconConfig's default, 2,048
    ({"model_type": "falcon"}, 2048, "max_position_embeddings, its config class's default"),
    # the smallest of the keys a config has: 1,024 of n_positions over 2,048
    ({"max_position_embeddings": 2048, "n_positions": 1024}, 1024, "n_positions"),
    # linear scaling stretches the positions: 4,096 x 2 = 8,192
    ({"max_position_embeddings": 4096, "rope_scaling": {"type": "linear", "factor": 2.0}},
     8192, "max_position_embeddings x rope_scaling linear factor 2.0"),
    # transformers 5 nests rope_parameters by layer type; a YaRN starts from its original
    ({"max_position_embeddings": 4096, "rope_parameters": {
        "full_attention": {"rope_type": "yarn", "factor": 4.0,
                           "original_max_position_embeddings": 32768},
        "sliding_attention": {"rope_type": "default"}}},
     131_072, "rope_scaling yarn: factor 4.0 x original_max_position_embeddings"),
])
def test_context_limit_with_vllms_other_rules(config: dict[str, Any], tokens: int,
                                              source: str) -> None:
    assert context_limit(config) == (tokens, source)


def test_no_length_and_no_known_family_is_no_limit() -> None:
    assert context_limit({"hidden_size": 64}) is None
    assert context_limit({"model_type": "t5", "d_model": 64}) is None  # T5Config names none


def test_the_class_defaults_are_transformers() -> None:
    # each family nnsize builds: the length keys its config class (its text config's) defaults
    transformers = pytest.importorskip("transformers")
    from nnsize.architectures import families
    from nnsize.limits import CLASS_LENGTHS, LENGTH_KEYS, _class_lengths

    for model_type in families():
        if families()[model_type].code:  # no transformers class: its publisher's, below
            continue
        text = transformers.AutoConfig.for_model(model_type).get_text_config()
        expected = {k: getattr(text, k) for k in LENGTH_KEYS
                    if isinstance(getattr(text, k, None), int)
                    and not isinstance(getattr(text, k), bool)}
        assert _class_lengths(model_type) == expected, model_type
    assert set(CLASS_LENGTHS) <= set(families())
    # InternLM2Config's own default, max_position_embeddings=2048 (its configuration_internlm2.py,
    # https://github.com/InternLM/InternEvo-HFModels/blob/4c80f4995e7d5682e5cfd81c3e85a60978648ab8/
    # huggingface_model/internlm/internlm2_7b/configuration_internlm2.py)
    assert _class_lengths("internlm2") == {"max_position_embeddings": 2048}
    # MiMo's config class was not read: no default, a config without a length has none
    assert _class_lengths("mimo") == {}
    assert {f for f in families() if families()[f].code} == {"internlm2", "mimo"}


def test_fit_stops_at_the_models_maximum_unless_told() -> None:
    # issue 21: fit said 319,832 on an 80 GB card at Q4_K_M, where Llama 3.1 stops at 131,072
    report = nnsize.count(LLAMA_31_8B)
    assert report.stored["context_limit"] == {"tokens": 131_072,
                                              "from": "max_position_embeddings"}
    usable = 79 * 2**30
    capped = fit(report, Setup(dtype="q4_k_m"), usable)
    assert capped.longest_context == 131_072 and capped.positions == 131_072
    free = fit(report, Setup(dtype="q4_k_m", beyond_context=True), usable)
    assert free.longest_context is not None and free.longest_context > 131_072
    past = plan(report, Setup(context=200_000))  # planned as asked, and noted
    note = [n.terms for n in past.notes if n.key == "past_positions"]
    assert note == [PastPositionsNote(131_072, 200_000, "max_position_embeddings")]


def test_a_gguf_gives_its_context_length(tmp_path: Path) -> None:
    gguf = pytest.importorskip("gguf")
    import numpy as np

    path = tmp_path / "tiny.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_context_length(4096)  # llama.context_length
    w.add_tensor("token_embd.weight", np.zeros((10, 64), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    report = nnsize.count(str(path))
    assert report.stored["context_limit"] == {"tokens": 4096,
                                              "from": "GGUF llama.context_length"}


def _nested() -> tuple[int, int]:
    from nnsize import child

    # asked for inside a child: runs there, in the same process, under that child's limits
    return os.getpid(), child.run(os.getpid, memory=2**30, seconds=5, what="nested")


def test_work_asked_for_in_a_child_runs_there_not_in_a_grandchild() -> None:
    from nnsize import child

    outer, inner = child.run(_nested, memory=2**31, seconds=30, what="outer")
    assert outer == inner != os.getpid()
