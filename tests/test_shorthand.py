from __future__ import annotations

import pytest
import torch
from torch import nn

import nnsize
from nnsize.errors import SpecError
from nnsize.shorthand import from_counts, parse


def torch_mlp(sizes: list[int]) -> nn.Sequential:
    return nn.Sequential(*[nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])


# The four networks of the original page's example table, whose printed values were wrong.
@pytest.mark.parametrize("text", ["10-20-20-20-2", "64-128-64-10", "100-50-50-1",
                                  "256-256-256-128-64-10"])
def test_the_original_example_table_against_pytorch(text: str) -> None:
    model = torch_mlp([int(s) for s in text.split("-")])
    report = nnsize.count(text)
    assert report.total_params == sum(p.numel() for p in model.parameters())
    assert report.weights == sum(p.numel() for n, p in model.named_parameters() if "weight" in n)
    assert report.biases == sum(p.numel() for n, p in model.named_parameters() if "bias" in n)
    ours = {name: t.shape for name, t in report.named_tensors()}
    assert ours == {name: tuple(p.shape) for name, p in model.named_parameters()}


def test_the_worked_example() -> None:
    # 10-20-20-20-2: 220 + 420 + 420 + 42 = 1,102
    report = nnsize.count("10-20-20-20-2")
    assert [r.params for r in report.rows] == [220, 420, 420, 42]
    assert (report.weights, report.biases, report.total_params) == (1040, 62, 1102)
    assert [r.label for r in report.rows] == [
        "Input -> Hidden 1", "Hidden 1 -> Hidden 2", "Hidden 2 -> Hidden 3", "Hidden 3 -> Output"]


def test_repeated_hidden_layers_against_pytorch() -> None:
    # 784-512x4-10 is 784-512-512-512-512-10
    model = torch_mlp([784, 512, 512, 512, 512, 10])
    report = nnsize.count("784-512x4-10")
    assert report.total_params == sum(p.numel() for p in model.parameters()) == 1_195_018
    assert {n: t.shape for n, t in report.named_tensors()} == \
        {n: tuple(p.shape) for n, p in model.named_parameters()}
    assert len(report.rows) == 3  # the three 512 -> 512 layers are one row, x3


def test_exact_at_any_size() -> None:
    # (10^6 x 10^6 + 10^6) x 2
    assert nnsize.count("1000000-1000000-1000000").total_params == 2_000_002_000_000
    huge = 10**40
    assert nnsize.count(f"{huge}-{huge}").total_params == huge * huge + huge


def test_a_billion_hidden_layers_in_constant_time() -> None:
    report = nnsize.count("10-20x1000000000-2")
    # 220 + (10^9 - 1) x 420 + 42
    assert report.total_params == 220 + (10**9 - 1) * 420 + 42
    assert len(report.rows) == 3 and report.rows[1].repeat == 10**9 - 1


def test_calculator_inputs() -> None:
    assert from_counts(10, 3, 20, 2) == "10-20-20-20-2"
    assert from_counts(10, 0, 20, 2) == "10-2"
    assert from_counts(10, 100, 20, 2) == "10-20x100-2"
    assert nnsize.mlp(10, 3, 20, 2).total_params == 1102


@pytest.mark.parametrize("text, message", [
    ("10--20", "token 2: empty size"),
    ("10-0-2", "token 2 '0': the layer width must be at least 1"),
    ("-5-3", "token 1: empty size.*cannot be negative"),
    ("10-abc", "token 2 'abc': the layer width 'abc' is not a whole number"),
    ("10-20x-2", "token 2 '20x': the repeat count after 'x' is missing"),
    ("10-20x0-2", "token 2 '20x0': the repeat count after 'x' must be at least 1"),
    ("", "empty network"),
    ("10", "needs at least an input and an output"),
    ("10x2-5", "only hidden layers repeat"),
    ("1" * 101 + "-2", "more than 100 digits"),
    ("10-2.5", "not a whole number"),
    ("10-²", "not a whole number"),
])
def test_bad_shorthand(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse(text)
    with pytest.raises(nnsize.NnsizeError):
        nnsize.count(text)


def test_torch_is_the_reference_here() -> None:
    assert torch.__version__  # the differential tests above need the real framework
