"""A plain GPT of the papers (--layers --hidden --heads [--kv-heads --ffn --vocab]) on every
command that plans a language model: memory, fit, speed, train-time and layout read the same
shape (issue 22's interface), counted as the config architectures.gpt_shape writes."""

from __future__ import annotations

import json

import pytest

from nnsize.architectures.gpt_shape import config as gpt_config
from nnsize.architectures.gpt_shape import report as gpt_report
from nnsize.cli import main
from nnsize.parallel.shape import from_report, gpt

GPT3 = ("--layers", "96", "--hidden", "12288", "--heads", "96")


def test_the_config_is_the_papers_gpt() -> None:
    # GPT-3 175B: 96 layers of 12h^2 + 13h (h 12,288: 1,811,939,328 + 159,744 = 1,812,099,072),
    # the final LayerNorm's 2h = 24,576 and the tied 51,200 x 12,288 = 629,145,600 embedding:
    # 96 x 1,812,099,072 + 24,576 + 629,145,600 = 174,590,681,088
    report = gpt_report(96, 12288, 96)
    assert report.total_params == 96 * 1_812_099_072 + 24_576 + 629_145_600 == 174_590_681_088
    assert report.source == "GPT 96 x 12,288 (96 heads)"
    assert "context_limit" not in report.stored  # the shape states no longest context
    for numbers in ((96, 12288, 96), (80, 8192, 64, 8, 28672, 128256), (24, 2048, 16)):
        assert from_report(gpt_report(*numbers)) == gpt(*numbers)  # dropout masks kept too


@pytest.mark.parametrize("numbers", [(2, 256, 8), (3, 384, 12, 4, 1000, 5000)])
def test_transformers_builds_the_same_tensors(numbers: tuple[int, ...]) -> None:
    pytest.importorskip("transformers")
    from hf import built

    config = gpt_config(*numbers)
    model = built(config)
    report = gpt_report(*numbers)
    assert report.total_params == model.total
    # every parameter under every name (the tied head under both), and each shape
    ours = {name: tuple(t.shape) for name, t in report.named_tensors() if not t.buffer}
    theirs = {name: shape for name, (_, shape) in model.parameters.items()}
    assert ours == theirs


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [
    ("memory", "--dtype", "bf16"), ("fit", "--gpu", "h100-80gb"),
    ("speed", "--gpu", "h100-80gb"), ("train-time", "--gpu", "a100-80gb", "--tokens", "300B")])
def test_every_planning_command_takes_the_shape(capsys: pytest.CaptureFixture[str],
                                                command: tuple[str, ...]) -> None:
    code, out, _ = _run(capsys, *command, *GPT3, "--json")
    assert code == 0
    assert "GPT 96 x 12,288 (96 heads)" in out or json.loads(out)


def test_train_time_and_layout_give_one_answer(capsys: pytest.CaptureFixture[str]) -> None:
    # the same shape and layout on both surfaces: the same rank memory (one mechanism,
    # from_report(gpt_report(...)))
    flags = (*GPT3, "--gpu", "a100-80gb", "--gpus", "1024", "--tp", "8", "--pp", "16",
             "--micro-batch", "1", "--global-batch", "1536", "--context", "2048",
             "--recompute", "full", "--sp", "--json")
    code, out, _ = _run(capsys, "train-time", *flags)
    assert code == 0
    run = json.loads(out)
    code, out, _ = _run(capsys, "layout", *flags, "--vp", "1", "--zero", "0")
    assert code == 0
    rows = json.loads(out)["layouts"]
    same = [r for r in rows if r["memory_per_gpu_bytes"] == run["memory_per_gpu_bytes"]]
    assert same, (run["memory_per_gpu_bytes"], [r["memory_per_gpu_bytes"] for r in rows])
    assert any(r["step_time_s"] == pytest.approx(run["step_time_s"]) for r in same)


@pytest.mark.parametrize("argv, says", [
    (("memory", "llama-3.1-8b", "--layers", "3"), "not both"),
    (("fit", "--gpu", "h100-80gb"), "give a model"),
    (("memory", "--layers", "3", "--hidden", "10", "--heads", "3"), "does not divide"),
    (("train-time", "--layers", "2", "--hidden", "64", "--heads", "4", "--kv-heads", "3"),
     "do not divide"),
])
def test_a_wrong_shape_is_refused_by_name(capsys: pytest.CaptureFixture[str],
                                          argv: tuple[str, ...], says: str) -> None:
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert says in err
