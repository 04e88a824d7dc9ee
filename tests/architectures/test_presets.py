from __future__ import annotations

import pytest
from hf import compare

import nnsize
from nnsize.architectures.presets import LLMS

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
