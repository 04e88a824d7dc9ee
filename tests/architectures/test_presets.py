from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hf import compare

import nnsize
from nnsize.architectures.presets import (
    DERIVED,
    LANGUAGE_MODELS,
    LLMS,
    RECONSTRUCTED,
    config,
    find,
)

# Parameter counts the models' publishers (or transformers' model cards) state, for the models
# whose configs the presets copy: a second, independent check of each copied config.
PUBLISHED = {
    "llama-2-7b": 6_738_415_616, "llama-2-13b": 13_015_864_320, "llama-2-70b": 68_976_648_192,
    "llama-3.1-8b": 8_030_261_248, "llama-3.1-70b": 70_553_706_496,
    "llama-3.1-405b": 405_853_388_800, "llama-3.2-1b": 1_235_814_400,
    "llama-3.2-3b": 3_212_749_824, "mistral-7b": 7_241_732_096,
    "mixtral-8x7b": 46_702_792_704, "mixtral-8x22b": 140_620_634_112,
    "qwen2.5-7b": 7_615_616_512, "qwen3-8b": 8_190_735_360, "qwen3-30b-a3b": 30_532_122_624,
    "qwen3-235b-a22b": 235_093_634_560, "gemma-7b": 8_537_680_896, "gemma-2-9b": 9_241_705_984,
    "gemma-2-27b": 27_227_128_320, "gemma-3-1b": 999_885_952, "phi-3-mini": 3_821_079_552,
    "phi-4": 14_659_507_200, "deepseek-v3": 671_026_404_352, "tinyllama-1.1b": 1_100_048_384,
    "smollm2-135m": 134_515_008, "falcon-7b": 6_921_720_704, "gpt2": 124_439_808,
    "bert-base": 109_514_298, "roberta-base": 124_697_433, "distilbert-base": 66_985_530,
    "t5-small": 60_506_624, "t5-base": 222_903_552, "gpt-neox-20b": 20_554_567_680,
    # the parameters in Qwen2.5-72B-Instruct's safetensors, as the page its config is read from
    # (https://github.com/gogongxt/python/blob/ec9962697819add8f24ce1b180cf98ca6a53c40f/
    # scripts/models/qwen2.5_72b_instruct.md) sums them
    "qwen2.5-72b": 72_706_203_648,
}


@pytest.mark.parametrize("name", sorted(LLMS))
def test_presets_match_transformers(name: str) -> None:
    compare(LLMS[name][1])


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_presets_match_the_published_counts(name: str) -> None:
    assert nnsize.count(name).total_params == PUBLISHED[name]


def test_at_least_forty_presets() -> None:
    assert len(LLMS) >= 40


def test_mixture_of_experts_active_parameters() -> None:
    # Mixtral 8x7B: 2 of 8 experts per token.  Experts: 32 layers x 8 x 3 x 14,336 x 4,096;
    # active = everything else + a quarter of them.
    report = nnsize.count("mixtral-8x7b")
    experts = 32 * 8 * 3 * 14336 * 4096
    assert report.active_params == report.total_params - experts + experts // 4
    assert report.to_dict()["active_params"] == report.active_params


def test_preset_names_are_case_insensitive_and_listed(capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    assert nnsize.count("Llama-3.1-8B").total_params == 8_030_261_248
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "llama-3.1-8b" in out and "huggingface.co/meta-llama/Llama-3.1-8B" in out
    assert main(["llama-3.1-9b"]) == 2
    assert "llama-3.1-8b" in capsys.readouterr().err


# --- the presets are the published config.json files ------------------------------------------

FOLDER = Path(nnsize.__file__).parent / "architectures" / "preset_configs"


def _plan_lines(report: nnsize.Report, context: int) -> list[tuple[str, int]]:
    from nnsize.memory import Setup, plan

    return [(line.part, line.bytes) for line in plan(report, Setup(context=context)).lines]


def test_every_language_model_has_its_file_and_no_file_is_left_over() -> None:
    assert sorted(p.stem for p in FOLDER.glob("*.json")) == sorted(LANGUAGE_MODELS)


@pytest.mark.parametrize("name", sorted(LANGUAGE_MODELS))
def test_a_preset_is_its_config_file_counted(name: str) -> None:
    # The preset and its stored file counted as any config.json: the same tensors, and the same
    # plan, line by line, at 32,768 tokens and at the model's longest context.
    preset = nnsize.count(name)
    from_file = nnsize.count(str(FOLDER / f"{name}.json"))
    assert list(preset.named_tensors()) == list(from_file.named_tensors())
    assert preset.total_params == from_file.total_params
    if preset.decoder is None:
        return
    for context in {32_768, _longest(config(name))}:
        assert _plan_lines(preset, context) == _plan_lines(from_file, context), context


def _longest(c: dict[str, Any]) -> int:
    """The longest context the config names (its text model's, for an image-text model)."""
    text = c.get("text_config") or {}
    for key in ("max_position_embeddings", "n_positions"):
        for where in (c, text):
            if isinstance(where.get(key), int):
                return int(where[key])
    return 32_768


@pytest.mark.parametrize("name", sorted(LANGUAGE_MODELS))
def test_each_preset_says_where_its_file_comes_from(name: str) -> None:
    _, repo, copy = LANGUAGE_MODELS[name]
    assert repo.count("/") == 1
    # a copy on GitHub at a commit, or the publisher's own page on the Hub: the repository, or
    # its name before the organisation it moved to (huggingface.co/roberta-large)
    hub = (f"https://huggingface.co/{repo}/", f"https://huggingface.co/{repo.split('/')[1]}/")
    # or, where no copy was found, the published sources its values are derived from
    derived = copy.removeprefix(DERIVED)
    assert copy == RECONSTRUCTED or copy.startswith(("https://github.com/", *hub)) or (
        derived != copy and derived.startswith("https://"))
    shown = find(name).source
    assert repo in shown and ("reconstructed" in shown) == (copy == RECONSTRUCTED)


def _kv(name: str, context: int) -> int:
    from nnsize.memory import Setup, plan

    lines = plan(nnsize.count(name), Setup(context=context)).lines
    return next(line.bytes for line in lines if line.part == "kv_cache")


def test_gemma_2_9b_keeps_4096_tokens_on_every_other_layer() -> None:
    # 42 layers, alternately a 4,096-token window (which keeps 4,095 past tokens) and the whole
    # context; 8 key-value heads x 256 x (key + value) = 4,096 values a token, 2 bytes each
    assert _kv("gemma-2-9b", 8192) == 21 * 4095 * 4096 * 2 + 21 * 8192 * 4096 * 2 == 2_113_757_184


@pytest.mark.parametrize("context", [65_536, 131_072])
def test_gemma_3_27b_keeps_1024_tokens_on_five_layers_of_six(context: int) -> None:
    # 62 layers: every sixth attends to the whole context (10 of them), the other 52 through a
    # 1,024-token window; 16 key-value heads x 128 x 2 = 4,096 values a token, 2 bytes each
    # (10.41 GiB at 131,072 tokens, where every layer counted whole would make 62 GiB)
    expected = 52 * 1023 * 4096 * 2 + 10 * context * 4096 * 2
    assert _kv("gemma-3-27b", context) == expected
    assert expected == {65_536: 5_804_490_752, 131_072: 11_173_199_872}[context]


def test_gemma_3_27b_fits_an_h100_at_64k_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    # weights 54,864,813,280 B (51.10 GiB) + KV 5,804,490,752 B (5.41 GiB) + the rest: 67 GiB,
    # where every layer keeping the whole context made it 91.81 GiB, "does not fit"
    from nnsize.cli import main

    assert main(["fit", "gemma-3-27b", "--gpu", "h100-80gb", "--context", "65536"]) == 0
    assert "): fits, 67.00 GiB needed." in capsys.readouterr().out


OPENED = """
import sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
import nnsize
{}
print([p.rsplit("/", 1)[-1] for p in opened if "preset_configs" in p])
"""


@pytest.mark.parametrize(("code", "files"), [
    ("", []),
    ("nnsize.count('10-20-20-20-2')", []),
    ("from nnsize.architectures.presets import presets; presets()", []),
    ("nnsize.count('llama-3.1-8b')", ["llama-3.1-8b.json"]),
])
def test_presets_read_only_the_file_asked_for(code: str, files: list[str]) -> None:
    import os
    import subprocess
    import sys

    src = str(Path(nnsize.__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run([sys.executable, "-c", OPENED.format(code)], env=env, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == repr(files)


# --- the derived presets: each value against the source its publisher published ---------------
#
# For the presets whose config.json could not be read (DERIVED in presets.py), a facts file per
# preset (tests/data/preset_sources/NAME.json) holds each value a source gives, in the source's
# own name, with the source's URL.  Below, each source's names are mapped to the config keys they
# mean; a fact is checked against the model transformers builds from the preset's file (so a key
# the file leaves out is checked at transformers' default for it, as every reader of the file
# takes it), or against the file itself ("file:KEY"), or against the preset's count ("count:"),
# or against its longest context as vLLM reads it from the file ("limit:", nnsize.limits).

SOURCES = Path(__file__).resolve().parents[1] / "data" / "preset_sources"
DERIVED_PRESETS = sorted(p.stem for p in SOURCES.glob("*.json"))
_GEMMA3_LAYER_KINDS = {"LOCAL_SLIDING": "sliding_attention", "GLOBAL": "full_attention"}
_SAME = ""  # the source's name is the config key


def _same(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, _SAME)


# source: {the source's name: the config key it means (dotted into sub-configs)}
MAPPING: dict[str, dict[str, str]] = {
    # google/gemma_pytorch's GemmaConfig uses transformers' names for most fields
    "gemma_pytorch": {
        **_same("vocab_size", "max_position_embeddings", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "hidden_size", "intermediate_size",
                "head_dim", "rms_norm_eps"),
        "logits_from_embedder": "tie_word_embeddings",
    },
    "gemma_pytorch_v3": {
        **{k: "text_config." + k for k in (
            "max_position_embeddings", "num_hidden_layers", "num_attention_heads",
            "num_key_value_heads", "hidden_size", "intermediate_size", "head_dim", "rms_norm_eps",
            "final_logit_softcapping", "attn_logit_softcapping", "query_pre_attn_scalar")},
        "sliding_window_size": "text_config.sliding_window",
        "attn_types": "text_config.layer_types",
        "rope_wave_length[LOCAL_SLIDING]":
            "text_config.rope_parameters.sliding_attention.rope_theta",
        "rope_wave_length[GLOBAL]": "text_config.rope_parameters.full_attention.rope_theta",
        "rope_scaling_factor": "text_config.rope_parameters.full_attention.factor",
        "vocab_size": "text_config.vocab_size",
        "logits_from_embedder": "text_config.tie_word_embeddings",
    },
    "gemma_pytorch_siglip": {
        "num_hidden_layers": "vision_config.num_hidden_layers",
        "embedding_dim": "vision_config.hidden_size",
        "image_size": "vision_config.image_size",
        "conv2d_patch_size": "vision_config.patch_size",
        "num_attention_heads": "vision_config.num_attention_heads",
        "intermediate_size": "vision_config.intermediate_size",
        "layer_norm_eps": "vision_config.layer_norm_eps",
        "encoding_sequence_length": "mm_tokens_per_image",
    },
    # transformers' conversion script builds Gemma3Config with transformers' names; transformers
    # 5 keeps the rope settings per layer kind in rope_parameters
    "hf_gemma3_convert": {
        **{f"text_config.{k}": _SAME for k in (
            "vocab_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
            "hidden_size", "intermediate_size", "head_dim", "sliding_window",
            "query_pre_attn_scalar")},
        **{f"vision_config.{k}": _SAME for k in (
            "vision_use_head", "hidden_size", "intermediate_size", "num_hidden_layers",
            "num_attention_heads", "image_size", "patch_size")},
        "text_config.rope_scaling.rope_type":
            "text_config.rope_parameters.full_attention.rope_type",
        "text_config.rope_scaling.factor": "text_config.rope_parameters.full_attention.factor",
        "text_config.rope_theta": "text_config.rope_parameters.full_attention.rope_theta",
        "text_config.rope_local_base_freq":
            "text_config.rope_parameters.sliding_attention.rope_theta",
        "architectures": _SAME,
        "image_seq_length": "mm_tokens_per_image",
        "image_token": "image_token_index",
        "boi_token": "boi_token_index",
        "eoi_token": "eoi_token_index",
        "text_dtype": "file:torch_dtype",
    },
    # transformers' config classes: their defaults, under their own names
    "transformers_config": _same(
        "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
        "num_attention_heads", "num_key_value_heads", "head_dim", "tie_word_embeddings",
        "use_qk_norm", "attention_bias", "logit_scale", "layer_norm_eps", "rms_norm_eps",
        "num_local_experts", "num_experts_per_tok", "max_position_embeddings"),
    # the publisher's README (THUDM/GLM-4): the GLM-4-0414 models' native context
    "glm4_readme": {"native_context_length": "max_position_embeddings"},
    "model_doc": {
        "parameters_billions": "count:total",
        "active_parameters_billions": "count:active",
        "context_length": "limit:",  # the longest context, as vLLM reads it from the file
    },
    # quantized copies of a publisher's file, which keep its keys (naming it as _name_or_path)
    "publisher_copy": {**_same("max_position_embeddings", "model_max_length", "bos_token_id",
                               "eos_token_id", "pad_token_id"),
                       "rope_theta": "rope_parameters.rope_theta"},
    "bigcode_config": _same(
        "vocab_size", "n_embd", "n_layer", "n_head", "n_inner", "n_positions", "multi_query",
        "activation_function", "layer_norm_epsilon", "bos_token_id", "eos_token_id", "model_type",
        "architectures"),
    "starcoder_paper": {
        "parameters_billions": "count:total",
        "context_length": "n_positions",
        "multi_query": "multi_query",
    },
}


def _facts(name: str) -> dict[str, Any]:
    import json

    loaded: dict[str, Any] = json.loads((SOURCES / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def _built(name: str) -> dict[str, Any]:
    """The preset's file as transformers builds it: every key it reads, defaults included."""
    import transformers

    data = dict(config(name))
    built: dict[str, Any] = transformers.AutoConfig.for_model(data.pop("model_type"),
                                                              **data).to_dict()
    return built


def _at(where: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        where = where[part]
    return where


def _key(fact: dict[str, Any]) -> str:
    name = fact["name"]
    target = MAPPING[fact["source"]][name]
    return name if target == _SAME else target


def _expected(name: str, fact: dict[str, Any], built: dict[str, Any]) -> Any:
    """The value the fact means for the config key it maps to."""
    value, key = fact["value"], _key(fact)
    if fact["source"] == "gemma_pytorch_v3" and fact["name"] == "attn_types":
        # the pattern repeats over the layers: 5 sliding-window layers, then a global one
        layers = built["text_config"]["num_hidden_layers"]
        return [_GEMMA3_LAYER_KINDS[value[i % len(value)]] for i in range(layers)]
    if fact["source"] == "gemma_pytorch_v3" and fact["name"] == "vocab_size":
        # Google's embedder has 262,144 rows; the conversion to transformers' files appends 64
        # (convert_gemma3_weights_orbax_to_hf.py: "resize to avoid bugs", the image soft token
        # 262,144 among them): 262,144 + 64 = 262,208
        return value + 64
    if key == "num_key_value_heads" and value is None:
        return built["num_attention_heads"]  # CohereConfig: None means one per attention head
    return value


def _actual(name: str, key: str, built: dict[str, Any], value: Any) -> Any:
    if key.startswith("file:"):
        return _at(config(name), key[len("file:"):])
    if key == "limit:":
        return nnsize.count(name).stored["context_limit"]["tokens"]
    if key.startswith("count:"):
        report = nnsize.count(name)
        params = report.total_params if key == "count:total" else report.active_params
        # a published count in billions, compared at the digits it is given with
        # (34,980,831,232 is "35B"; 15,706,484,224 is "15.7B")
        digits = len(str(value).split(".")[1]) if isinstance(value, float) else 0
        return round(params / 1e9, digits)
    return _at(built, key)


@pytest.mark.parametrize("name", DERIVED_PRESETS)
def test_a_derived_preset_holds_every_value_its_sources_give(name: str) -> None:
    facts = _facts(name)
    assert facts["preset"] == name
    built = _built(name)
    wrong = []
    for fact in facts["facts"]:
        assert fact["url"].startswith("https://"), fact
        key = _key(fact)
        expected = _expected(name, fact, built)
        actual = _actual(name, key, built, fact["value"])
        if actual != expected:
            wrong.append((fact["source"], fact["name"], key, expected, actual))
    assert not wrong, wrong


def _leaves(where: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in where.items():
        if isinstance(value, dict):
            keys += _leaves(value, f"{prefix}{key}.")
        else:
            keys.append(prefix + key)
    return keys


@pytest.mark.parametrize("name", DERIVED_PRESETS)
def test_every_value_of_a_derived_preset_has_a_source_or_says_why_not(name: str) -> None:
    # Each key the preset's file names is a source's fact (the key a fact maps to, or the fact's
    # own name where the source is a config written with transformers' names) or is listed as
    # unsourced, with its value and why.  model_type names the class the facts are read through.
    facts = _facts(name)
    covered = {_key(f).removeprefix("file:") for f in facts["facts"]}
    covered |= {f["name"] for f in facts["facts"]}
    unsourced = {u["key"]: u for u in facts["unsourced"]}
    file = config(name)
    for key in _leaves(file):
        if key.rsplit(".", 1)[-1] == "model_type" or key in covered:
            continue
        assert key in unsourced, f"{name}: {key} has no source and is not listed as unsourced"
        assert unsourced[key]["why"] and unsourced[key]["value"] == _at(file, key), key
    for key, entry in unsourced.items():
        assert entry["why"], key


@pytest.mark.parametrize("name", DERIVED_PRESETS)
def test_a_derived_preset_says_where_its_published_file_was_looked_for(name: str) -> None:
    # No copy of the file was found: the facts file lists where one was looked for (the places,
    # the strings searched, and the near misses with why each is not the file), so a search is
    # not repeated blind, and a copy found later replaces the derived file.
    searched = _facts(name)["searched"]
    assert searched and all(isinstance(line, str) and line for line in searched)


def test_the_derived_presets_are_the_ones_marked_derived() -> None:
    marked = sorted(n for n, (_, _, copy) in LANGUAGE_MODELS.items() if copy.startswith(DERIVED))
    assert marked == DERIVED_PRESETS
    for name in marked:
        assert "derived from" in find(name).source and "reconstructed" not in find(name).source
