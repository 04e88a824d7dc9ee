from __future__ import annotations

import pytest

import nnsize
from nnsize.cli import run
from nnsize.render.numbers import in_unit, unit_for

import paths

GOLDEN = paths.GOLDEN
CNN = paths.GOLDEN / "cnn.yaml"

CASES = {
    "mlp.txt": ["10-20-20-20-2"],
    "mlp_explain.txt": ["10-20-20-20-2", "--explain"],
    "mlp.md": ["10-20-20-20-2", "--format", "markdown"],
    "mlp.csv": ["10-20-20-20-2", "--format", "csv"],
    "mlp.json": ["10-20-20-20-2", "--json"],
    "repeated.txt": ["784-512x1000000-10"],
    "compare.txt": ["compare", "10-20-20-20-2", "64-128-64-10", "100-50-50-1",
                    "256-256-256-128-64-10"],
    "cnn.txt": [str(CNN)],
    "cnn_keras_explain.txt": [str(CNN), "--convention", "keras", "--explain"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_output(name: str, overwrite: bool) -> None:
    out = run(CASES[name]).replace(str(CNN), "cnn.yaml") + "\n"
    path = GOLDEN / name
    if overwrite:
        path.write_text(out)
    assert out == path.read_text(), f"{name} changed; rerun with --overwrite if intended"


@pytest.mark.parametrize("nbytes, binary, text", [
    (4_000_000, True, "3.81 MiB"), (4_000_000, False, "4.00 MB"),
    (125_000, False, "0.125 MB"), (1023, True, "1,023 B"), (1024, True, "1.00 KiB"),
    (10**30, False, "1,000,000.00 YB"), (2**90, True, "1,024.00 YiB"),
])
def test_units(nbytes: int, binary: bool, text: str) -> None:
    unit = 2 if nbytes in (4_000_000, 125_000) else unit_for(nbytes, binary)
    assert in_unit(nbytes, unit, binary) == text


def test_rows_sum_to_the_totals_torch_counts() -> None:
    """The rows' sums against totals from an independent path: torch's own parameters() and
    buffers() of the same network built in PyTorch (not the sums the Report is made of)."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32),
                          nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    spec = {"input_shape": [3, 32, 32], "layers": [
        {"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
        {"type": "BatchNorm2d"}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "Conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1},
        {"type": "BatchNorm2d"}, {"type": "ReLU"},
        {"type": "AdaptiveAvgPool2d", "output_size": 1}, {"type": "Flatten"},
        {"type": "Linear", "out_features": 10}]}
    report = nnsize.count(spec)
    params = list(model.named_parameters())
    # (16 x 3 x 3 x 3 + 16) + 2 x 16 + (32 x 16 x 3 x 3 + 32) + 2 x 32 + (32 x 10 + 10)
    # = 448 + 32 + 4,640 + 64 + 330 = 5,514
    assert sum(r.params for r in report.rows) == sum(p.numel() for _, p in params) == 5_514
    assert sum(r.weights for r in report.rows) == \
        sum(p.numel() for name, p in params if name.endswith("weight") and p.dim() > 1)
    assert sum(r.biases for r in report.rows) == \
        sum(p.numel() for name, p in params if name in ("0.bias", "4.bias", "9.bias"))
    # running_mean, running_var (16 + 32 each) and two num_batches_tracked scalars: 98
    assert sum(r.buffers for r in report.rows) == \
        sum(b.numel() for b in model.buffers()) == 98


def test_a_models_longest_context_is_said_once_and_no_empty_section() -> None:
    """A preset's text says the longest context its config allows (olmoe-1b-7b's published
    max_position_embeddings: 4,096), and a report whose stored contents say nothing in text
    leaves no second blank line."""
    from nnsize import count
    from nnsize.render.report import text

    out = text(count("olmoe-1b-7b"))
    assert "Longest context: 4,096 tokens (the model's max_position_embeddings)" in out
    assert "\n\n\n" not in out and "\n\n\n" not in text(count("10-20-20-20-2"))
