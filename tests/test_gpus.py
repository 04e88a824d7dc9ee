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
    # as people write them (issue 23)
    ("3090 Ti", "rtx-3090-ti"), ("P40", "p40"), ("Tesla P40", "p40"), ("H100 SXM", "h100-80gb"),
    ("A100 40GB", "a100-40gb"), ("M3 Max 40-core", "m3-max"), ("m3 max 30-core", "m3-max-30"),
    ("rtx 3060 12gb", "rtx-3060-12gb"), ("RTX 3060", "rtx-3060-12gb"), ("A40", "a40"),
    ("L40", "l40"), ("RTX 6000 Ada", "rtx-6000-ada"), ("H20", "h20"), ("MI325X", "mi325x"),
    ("Arc A770", "arc-a770"), ("7900 XTX", "rx-7900-xtx"), ("RTX PRO 6000", "rtx-pro-6000"),
    ("GeForce RTX 5090", "rtx-5090"), ("H100 NVL", "h100-nvl"), ("gb200", "gb200"),
    ("Apple M4 Max", "m4-max"), ("m1 ultra 48-core", "m1-ultra-48"), ("1080 ti", "gtx-1080-ti"),
])
def test_spellings_of_a_card(typed: str, name: str) -> None:
    assert find_gpu(typed).name == name


def test_a_size() -> None:
    gpu = find_gpu("24GiB")
    assert gpu.bytes == 24 * 2**30 and gpu.usable == 24 * 2**30 - RESERVED  # 1 GiB reserved


@pytest.mark.parametrize("typed, message", [
    ("24", "a size needs a unit"), ("4091", "a size needs a unit"),
    ("rtx 4095", "did you mean 'rtx-4090'"), ("h1000", "did you mean 'h100-80gb'"),
    # a name several cards share: every one of them, never one picked
    ("v100", "did you mean 'v100-16gb', 'v100-32gb'"),
    ("1GiB", "at most 1,073,741,824 bytes go to the CUDA context"), ("big", "unknown GPU"),
])
def test_what_is_refused_says_why_without_a_flag(typed: str, message: str) -> None:
    with pytest.raises(NnsizeError, match=message) as e:
        find_gpu(typed)
    assert "--" not in str(e.value)


def test_every_alias_names_a_card() -> None:
    from nnsize.gpus import ALIASES

    assert set(ALIASES.values()) <= set(GPUS)


def test_the_existing_ids_still_resolve() -> None:
    # the 40 ids of the catalogue before it moved to gpu_catalogue.json (issue 23)
    old = ("t4 v100-16gb v100-32gb a10 l4 l40s rtx-a6000 a100-40gb a100-80gb h100-80gb "
           "h100-pcie h200 b200 rtx-3090 rtx-4090 rtx-5090 mi300x mi250x rx-7900-xtx m1 m1-pro "
           "m1-max m1-ultra m2 m2-pro m2-pro-16 m2-max m2-max-30 m2-ultra m2-ultra-60 m3 m3-pro "
           "m3-max m3-ultra m4 m4-pro m4-max m4-max-32").split()
    assert all(find_gpu(name).name == name for name in old)
    # their figures are unchanged: an H100 SXM is 80 GiB, 3.35 TB/s, 989.4 dense bf16 TFLOP/s
    h100 = GPUS["h100-80gb"]
    assert (h100.bytes, h100.bandwidth, h100.peak("bf16")) == (80 * 2**30, 3350 * 10**9,
                                                               989_400_000_000_000)
    assert GPUS["h200"].bytes == 141 * 10**9  # "141GB": decimal, as NVIDIA writes it


def test_the_catalogue_covers_the_cards_people_own() -> None:
    wanted = ("p40 p100-pcie-16gb t4 v100-16gb v100-32gb rtx-2080-ti rtx-3060-12gb rtx-3090-ti "
              "rtx-4060-ti-16gb rtx-4080-super rtx-5080 a2 a10 a16 a30 a40 a100-40gb-pcie "
              "a100-80gb-pcie l4 l40 l40s h20 h100-nvl h200 b200 gb200 rtx-a4000 rtx-a5000 "
              "rtx-6000-ada rtx-pro-6000 mi100 mi210 mi250x mi300x mi325x mi350x mi355x "
              "rx-6800-xt rx-7900-xtx rx-9070-xt arc-a770 arc-b580 m1-7 m2-8 m3-pro-14 m4-pro-16"
              ).split()
    assert [name for name in wanted if name not in GPUS] == []
    assert len(GPUS) >= 150


def test_what_cuda_reports_where_a_log_shows_it() -> None:
    # vLLM's total_gpu_memory on an H100 80GB: 79.22 GiB, not 80 (vllm-project/vllm#10511)
    # 79.22 x 1,073,741,824 = 85,061,827,297.28: the whole bytes
    assert GPUS["h100-80gb"].reported == 85_061_827_297
    assert GPUS["h100-80gb"].cuda_source.startswith("https://github.com/vllm-project/vllm/")
    assert GPUS["a10"].reported == GPUS["a10"].bytes  # no log: the vendor's figure


ORDER = ("fp32", "tf32", "fp16", "fp8", "fp4")  # each at least the one before, where both exist


@pytest.mark.parametrize("name", list(GPUS))
def test_every_entry_is_consistent(name: str) -> None:
    g = GPUS[name]
    assert g.source.startswith("https://"), "every entry carries its source"
    assert (g.spec_source or g.source).startswith("https://")
    # memory: 4 GiB (a P4 has 8) to 512 GiB (an M3 Ultra); bandwidth 60 GB/s to 8.1 TB/s
    assert 4 * 2**30 <= g.bytes <= 512 * 2**30
    assert 60 * 10**9 <= g.bandwidth <= 8100 * 10**9
    # reading the whole memory once takes between 5 ms (HBM) and 3 s (an M3 Ultra's 512 GiB
    # take 0.67 s at 819 GB/s; a P4's 8 GiB 45 ms at 192 GB/s)
    assert 0.005 < g.bytes / g.bandwidth < 3
    peaks = dict(g.peaks)
    assert "fp32" in peaks or "bf16" in peaks, "a peak to compute in"
    present = [peaks[p] for p in ORDER if p in peaks]
    assert present == sorted(present), f"peaks by precision: {peaks}"
    if "bf16" in peaks and "fp32" in peaks:
        assert peaks["bf16"] >= peaks["fp32"]
    if "int8" in peaks and "fp16" in peaks:
        assert peaks["int8"] >= peaks["fp16"]
    assert all(10**11 <= v <= 2 * 10**16 for v in peaks.values())  # 0.1 to 20,000 TFLOP/s
    if g.cuda_bytes is not None:  # CUDA sees a little less than the chips hold, never more
        assert 0.95 * g.bytes < g.cuda_bytes <= g.bytes and g.cuda_source.startswith("https://")


def test_every_spelling_names_one_card() -> None:
    from nnsize.gpus import _index, _key

    index = _index()
    for name, gpu in GPUS.items():
        assert index[_key(name)] == name
        assert all(index[_key(alias)] == name for alias in gpu.aliases)
