"""GPU names as people write them, and the sizes the catalogue holds."""

from __future__ import annotations

import pytest

from nnsize.errors import NnsizeError
from nnsize.gpus import GPUS, RESERVED, find_gpu


@pytest.mark.parametrize("typed, name", [
    ("rtx-4090", "rtx-4090"), ("RTX 4090", "rtx-4090"), ("4090", "rtx-4090"),
    ("NVIDIA GeForce RTX 4090", "rtx-4090"), ("h100", "h100-80gb"), ("H100 80GB", "h100-80gb"),
    ("a100", "a100-80gb"), ("a100-40gb", "a100-40gb"), ("a10", "a10"), ("Tesla T4", "t4"),
    ("mi300", "mi300x"), ("h200", "h200"),
])
def test_spellings_of_a_card(typed: str, name: str) -> None:
    assert find_gpu(typed).name == name


def test_a_size() -> None:
    gpu = find_gpu("24GiB")
    assert gpu.bytes == 24 * 2**30 and gpu.usable == 24 * 2**30 - RESERVED  # 1 GiB reserved


@pytest.mark.parametrize("typed, message", [
    ("24", "a size needs a unit"), ("4091", "a size needs a unit"),
    ("rtx 4080", "did you mean 'rtx-4090'"), ("h1000", "did you mean 'h100-80gb'"),
    ("1GiB", "at most 1,073,741,824 bytes go to the CUDA context"), ("big", "unknown GPU"),
])
def test_what_is_refused_says_why_without_a_flag(typed: str, message: str) -> None:
    with pytest.raises(NnsizeError, match=message) as e:
        find_gpu(typed)
    assert "--" not in str(e.value)


def test_every_alias_names_a_card() -> None:
    from nnsize.gpus import ALIASES

    assert set(ALIASES.values()) <= set(GPUS)
