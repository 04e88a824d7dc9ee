from __future__ import annotations

from pathlib import Path

import pytest

import nnsize
from nnsize.cli import run
from nnsize.render import in_unit, unit_for

GOLDEN = Path(__file__).parent / "golden"
CNN = Path(__file__).parent / "golden" / "cnn.yaml"

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


def test_rows_sum_to_the_totals() -> None:
    report = nnsize.count(str(CNN))
    assert sum(r.params for r in report.rows) == report.total_params
    assert sum(r.weights for r in report.rows) == report.weights
    assert report.weights + report.biases + report.other_trainable == report.trainable_params
