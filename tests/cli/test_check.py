from __future__ import annotations

import pytest

from nnsize.cli import main
from nnsize.errors import NnsizeError
from nnsize.units import parse_bytes, parse_count


@pytest.mark.parametrize("text, value", [
    ("24GiB", 24 * 2**30), ("24GB", 24 * 10**9), ("80 GB", 80 * 10**9), ("512MiB", 512 * 2**20),
    ("1.5GB", 1_500_000_000), ("100B", 100), ("4kB", 4000), ("4KiB", 4096),
])
def test_sizes_keep_their_true_meaning(text: str, value: int) -> None:
    assert parse_bytes(text) == value


@pytest.mark.parametrize("text, message", [
    ("24G", "ambiguous"), ("24", "no unit"), ("24 parsecs", "unknown unit"), ("GB", "not a number"),
    ("1.3B", "whole number of bytes"), ("-4GB", "not a number"),
])
def test_bad_sizes(text: str, message: str) -> None:
    with pytest.raises(NnsizeError, match=message):
        parse_bytes(text)


@pytest.mark.parametrize("text, value", [("10M", 10_000_000), ("1.5B", 1_500_000_000),
                                         ("7_000", 7000), ("1102", 1102), ("2k", 2000)])
def test_counts(text: str, value: int) -> None:
    assert parse_count(text) == value


def test_check_passes_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "10-20-20-20-2", "--max-params", "10M", "--max-memory", "8GiB"]) == 0
    assert "ok   parameters 1,102 <= 10,000,000" in capsys.readouterr().out
    # 1,102 parameters > 1,000
    assert main(["check", "10-20-20-20-2", "--max-params", "1K"]) == 1
    assert "OVER parameters 1,102 > 1,000" in capsys.readouterr().out
    # 4,408 bytes at fp32 > 4kB; 2,204 at fp16 fits
    assert main(["check", "10-20-20-20-2", "--max-memory", "4kB"]) == 1
    assert main(["check", "10-20-20-20-2", "--max-memory", "4kB", "--dtype", "fp16"]) == 0


@pytest.mark.parametrize("argv", [
    ["check", "10-2"], ["check", "10-2", "--max-memory", "8G"],
    ["check", "10-2", "--max-params", "lots"], ["check", "10-2", "--max-params", "1", "--dtype",
                                                "fp7"],
])
def test_check_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.count("\n") == 1
