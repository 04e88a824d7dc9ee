from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hf import compare

import nnsize
from nnsize.architectures.presets import LANGUAGE_MODELS, LLMS, RECONSTRUCTED, config, find

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
    assert copy == RECONSTRUCTED or copy.startswith(("https://github.com/", *hub))
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
