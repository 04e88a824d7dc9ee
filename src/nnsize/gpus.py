"""Accelerators and their memory: the vendor's number, and what a program can use of it.

Usable memory is the vendor's capacity less 1 GiB for the CUDA (or ROCm) context and the
allocator's reserve: an assumption, stated in every answer that uses it.  On Apple's unified
memory the GPU may use what macOS recommends, Metal's recommendedMaxWorkingSetSize: 3/4 of the
memory above 36 GiB, 2/3 at or below (a 32 GiB M1 Max reports 21,845.34 MiB = 2/3 x 32 GiB:
ggml-org/llama.cpp#2011 and ollama/ollama#434; a 128 GiB Mac about 96 GiB = 3/4,
https://stencel.io/posts/apple-silicon-limitations-with-usage-on-local-llm%20.html); more
only with `sudo sysctl iogpu.wired_limit_mb`.  Also an assumption, stated.  Capacities are the
vendors' published specifications (binary GiB where the vendor means 2^30, decimal GB where it
says GB: an H100's "80GB" HBM3 is 80 GiB of memory chips, an H200's "141GB" is 141 x 10^9 bytes).

For the speed estimates each card also carries its peak memory bandwidth (bytes per second) and
its dense peak FLOPs per second per precision (tensor or matrix cores, without 2:4 sparsity: a
vendor figure marked "with sparsity" is halved), from the page named in spec_source, and the
link between cards that tensor parallelism would use.  Apple's M-series: memory bandwidth from
Apple; GPU FLOPs are Apple's where Apple publishes them (M1, M2 families), otherwise GPU cores x
128 FP32 lanes x 2 (a fused multiply-add) x the GPU clock, said so in the card's note.  Apple GPUs
run fp16 at the fp32 rate.  Memory is each chip's largest configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import NnsizeError

RESERVED = 2**30  # the CUDA context and the allocator's reserve
APPLE_SMALL = 36 * 2**30  # at or below: macOS lets the GPU wire 2/3 of memory, above: 3/4


@dataclass(frozen=True)
class Link:
    """The link tensor parallelism all-reduces over: bytes per second each way, per card."""

    name: str
    bandwidth: int
    source: str


@dataclass(frozen=True)
class GPU:
    name: str
    bytes: int
    source: str
    bandwidth: int = 0  # peak memory bandwidth, bytes per second; 0: not known
    peaks: tuple[tuple[str, int], ...] = ()  # (precision, dense peak FLOP/s)
    spec_source: str = ""  # where bandwidth and peaks come from, if not `source`
    link: Link | None = None  # between cards of one machine, for tensor parallelism
    note: str = ""  # how a figure was derived, where it is not the vendor's number
    unified: bool = False  # Apple's unified memory: macOS caps what the GPU may wire

    @property
    def usable(self) -> int:
        """What a program may use: capacity less the CUDA context, or on Apple's unified memory
        macOS's recommendedMaxWorkingSetSize (3/4 above 36 GiB, 2/3 at or below)."""
        if self.unified:
            return self.bytes * 3 // 4 if self.bytes > APPLE_SMALL else self.bytes * 2 // 3
        return self.bytes - RESERVED

    def peak(self, precision: str) -> int | None:
        """Dense peak FLOP/s at precision ('bf16', 'fp8'...), or None where the card has none."""
        return dict(self.peaks).get(precision)


GiB, GB = 2**30, 10**9
GBps, TF = 10**9, 10**12  # a GB/s, a TFLOP/s
NVIDIA = "https://www.nvidia.com/en-us/data-center/{}/"


def _tf(**peaks: float) -> tuple[tuple[str, int], ...]:
    """Dense TFLOP/s per precision as exact FLOP/s: _tf(bf16=989.4) -> (('bf16', 989.4e12),)."""
    from decimal import Decimal

    return tuple((k, int(Decimal(str(v)) * TF)) for k, v in peaks.items())


# Links, one direction per card.  NVLink figures are the vendors' totals (both directions) / 2.
PCIE4 = Link("PCIe 4.0 x16", 32 * GBps, "https://pcisig.com/specifications (16 GT/s x 16 lanes)")
PCIE5 = Link("PCIe 5.0 x16", 64 * GBps, "https://pcisig.com/specifications (32 GT/s x 16 lanes)")
NVLINK2 = Link("NVLink 2 (300 GB/s both ways)", 150 * GBps, NVIDIA.format("v100"))
NVLINK3 = Link("NVLink 3 (600 GB/s both ways)", 300 * GBps, NVIDIA.format("a100"))
NVLINK4 = Link("NVLink 4 (900 GB/s both ways)", 450 * GBps, NVIDIA.format("h100"))
NVLINK5 = Link("NVLink 5 (1.8 TB/s both ways)", 900 * GBps, NVIDIA.format("dgx-b200"))
INFINITY = Link("Infinity Fabric (896 GB/s peer to peer in total, both ways)", 448 * GBps,
                "https://www.amd.com/en/products/accelerators/instinct/mi300/mi300x.html")

AMPERE = ("https://www.nvidia.com/content/PDF/"
          "nvidia-ampere-ga-102-gpu-architecture-whitepaper-v2.pdf")
ADA = "https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf"
BLACKWELL = ("https://images.nvidia.com/aem-dam/Solutions/geforce/blackwell/"
             "nvidia-rtx-blackwell-gpu-architecture.pdf")
GEFORCE = "GeForce tensor peaks with fp32 accumulation (as PyTorch and cuBLAS use them)"
SPARSE = "the vendor's tensor figures are with sparsity; these are half, dense"
_A100 = _tf(fp32=19.5, tf32=156, bf16=312, fp16=312, int8=624)
_H100 = _tf(fp32=67, tf32=494.7, bf16=989.4, fp16=989.4, fp8=1978.9, int8=1978.9)


def _apple(name: str, memory: int, bandwidth_gbps: float, cores: int, clock_ghz: str,
           source: str, published: str = "") -> GPU:
    """An M-series GPU: FP32 = cores x 128 lanes x 2 x clock; fp16 at the same rate."""
    from decimal import Decimal

    flops = int(cores * 128 * 2 * Decimal(clock_ghz) * 10**9)
    how = (f"{cores} GPU cores x 128 x 2 x {clock_ghz} GHz = {flops / TF:.1f} TFLOP/s"
           + (f" ({published})" if published else
              ": an estimate, Apple publishes no TFLOPs or GPU clock for it"))
    return GPU(name, memory * GiB, source, int(Decimal(str(bandwidth_gbps)) * GBps),
               (("fp32", flops), ("fp16", flops), ("bf16", flops)), note=how, unified=True)


APPLE = "https://www.apple.com/newsroom/{}/"
M2_CLOCK = "the clock from Apple's 3.6 TFLOPs for the 10-core M2"
GPUS = {g.name: g for g in (
    GPU("t4", 16 * GiB, NVIDIA.format("tesla-t4"), 320 * GBps,
        _tf(fp32=8.1, fp16=65, int8=130, int4=260), link=PCIE4),
    GPU("v100-16gb", 16 * GiB, NVIDIA.format("v100"), 900 * GBps, _tf(fp32=15.7, fp16=125),
        link=NVLINK2, note="the SXM2 card"),
    GPU("v100-32gb", 32 * GiB, NVIDIA.format("v100"), 900 * GBps, _tf(fp32=15.7, fp16=125),
        link=NVLINK2, note="the SXM2 card"),
    GPU("a10", 24 * GiB, NVIDIA.format("products/a10-gpu"), 600 * GBps,
        _tf(fp32=31.2, tf32=62.5, bf16=125, fp16=125, int8=250, int4=500), link=PCIE4,
        note=SPARSE),
    GPU("l4", 24 * GiB, NVIDIA.format("l4"), 300 * GBps,
        _tf(fp32=30.3, tf32=60, bf16=121, fp16=121, fp8=242.5, int8=242.5), link=PCIE4,
        note=SPARSE),
    GPU("l40s", 48 * GiB, NVIDIA.format("l40s"), 864 * GBps,
        _tf(fp32=91.6, tf32=183, bf16=362.05, fp16=362.05, fp8=733, int8=733), link=PCIE4,
        note=SPARSE),
    # 48 GB GDDR6 (24 chips of 2 GiB), 768 GB/s; tensor peaks of the GA102 whitepaper's RTX
    # A6000 column, dense (the datasheet's 309.7 "Tensor TFLOPS" is fp16 with sparsity); the
    # pro card runs fp16 / bf16 with fp32 accumulation at the full rate
    GPU("rtx-a6000", 48 * GiB, "https://www.nvidia.com/en-us/design-visualization/rtx-a6000/",
        768 * GBps, _tf(fp32=38.7, tf32=77.4, bf16=154.8, fp16=154.8, int8=309.7, int4=619.4),
        AMPERE, PCIE4, "PCIe between cards (its 2-way NVLink bridge, 112.5 GB/s both ways, "
        "joins two only)"),
    GPU("a100-40gb", 40 * GiB, NVIDIA.format("a100"), 1555 * GBps, _A100, link=NVLINK3,
        note="the SXM card; " + SPARSE),
    GPU("a100-80gb", 80 * GiB, NVIDIA.format("a100"), 2039 * GBps, _A100, link=NVLINK3,
        note="the SXM card; " + SPARSE),
    GPU("h100-80gb", 80 * GiB, NVIDIA.format("h100"), 3350 * GBps, _H100, link=NVLINK4,
        note="the SXM card; " + SPARSE),
    GPU("h100-pcie", 80 * GiB, NVIDIA.format("h100"), 2000 * GBps,
        _tf(fp32=51, tf32=378, bf16=756, fp16=756, fp8=1513, int8=1513), link=PCIE5,
        note="the PCIe card; " + SPARSE),
    GPU("h200", 141 * GB, NVIDIA.format("h200"), 4800 * GBps, _H100, link=NVLINK4,
        note="the SXM card; " + SPARSE),
    GPU("b200", 180 * GB, NVIDIA.format("dgx-b200"), 8000 * GBps,
        _tf(fp32=75, tf32=1125, bf16=2250, fp16=2250, fp8=4500, int8=4500, fp4=9000),
        "https://www.nvidia.com/en-us/data-center/hgx/", NVLINK5,
        "per card: the HGX B200's eight-card totals / 8; " + SPARSE),
    GPU("rtx-3090", 24 * GiB, "https://www.nvidia.com/en-us/geforce/graphics-cards/30-series/",
        936 * GBps, _tf(fp32=35.6, tf32=35.6, bf16=71, fp16=71, int8=284, int4=568), AMPERE,
        PCIE4, GEFORCE),
    GPU("rtx-4090", 24 * GiB, "https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/",
        1008 * GBps, _tf(fp32=82.6, tf32=82.6, bf16=165.2, fp16=165.2, fp8=330.3, int8=660.6,
                         int4=1321.2), ADA, PCIE4, GEFORCE),
    GPU("rtx-5090", 32 * GiB, "https://www.nvidia.com/en-us/geforce/graphics-cards/50-series/",
        1792 * GBps, _tf(fp32=104.8, tf32=104.8, bf16=209.5, fp16=209.5, fp8=419, int8=838,
                         fp4=1676), BLACKWELL, PCIE5, GEFORCE),
    GPU("mi300x", 192 * GiB, "https://www.amd.com/en/products/accelerators/instinct/mi300/"
                             "mi300x.html", 5300 * GBps,
        _tf(fp32=163.4, tf32=653.7, bf16=1307.4, fp16=1307.4, fp8=2614.9, int8=2614.9),
        link=INFINITY, note="dense matrix peaks (the vendor's sparse figures are twice these)"),
    GPU("mi250x", 128 * GiB, "https://www.amd.com/en/products/accelerators/instinct/mi200/"
                             "mi250x.html", 3277 * GBps,
        _tf(fp32=95.7, bf16=383, fp16=383, int8=383), link=INFINITY,
        note="both dies together (the system sees two GPUs of 64 GiB and half of each figure)"),
    GPU("rx-7900-xtx", 24 * GiB, "https://www.amd.com/en/products/graphics/desktops/radeon/"
                                 "7000-series/amd-radeon-rx-7900xtx.html", 960 * GBps,
        _tf(fp32=61.4, fp16=122.8), link=PCIE4),
    _apple("m1", 16, 68.25, 8, "1.278", APPLE.format("2020/11/apple-unleashes-m1"),
           "Apple: 2.6 TFLOPs"),
    _apple("m1-pro", 32, 200, 16, "1.278", APPLE.format(
        "2021/10/introducing-m1-pro-and-m1-max-the-most-powerful-chips-apple-has-ever-built"),
        "Apple: 5.2 TFLOPs"),
    _apple("m1-max", 64, 400, 32, "1.278", APPLE.format(
        "2021/10/introducing-m1-pro-and-m1-max-the-most-powerful-chips-apple-has-ever-built"),
        "Apple: 10.4 TFLOPs"),
    _apple("m1-ultra", 128, 800, 64, "1.278", APPLE.format(
        "2022/03/apple-unveils-m1-ultra-the-worlds-most-powerful-chip-for-a-personal-computer"),
        "Apple: 21 TFLOPs"),
    _apple("m2", 24, 100, 10, "1.398", APPLE.format(
        "2022/06/apple-unveils-m2-with-breakthrough-performance-and-capabilities"),
        "Apple: 3.6 TFLOPs"),
    _apple("m2-pro", 32, 200, 19, "1.398", APPLE.format(
        "2023/01/apple-unveils-m2-pro-and-m2-max-next-generation-chips-for-next-level-workflows"),
        M2_CLOCK),
    _apple("m2-pro-16", 32, 200, 16, "1.398", APPLE.format(
        "2023/01/apple-unveils-m2-pro-and-m2-max-next-generation-chips-for-next-level-workflows"),
        M2_CLOCK),
    _apple("m2-max", 96, 400, 38, "1.398", APPLE.format(
        "2023/01/apple-unveils-m2-pro-and-m2-max-next-generation-chips-for-next-level-workflows"),
        M2_CLOCK),
    _apple("m2-max-30", 96, 400, 30, "1.398", APPLE.format(
        "2023/01/apple-unveils-m2-pro-and-m2-max-next-generation-chips-for-next-level-workflows"),
        M2_CLOCK),
    _apple("m2-ultra", 192, 800, 76, "1.398", APPLE.format(
        "2023/06/apple-introduces-m2-ultra"), "Apple: 27.2 TFLOPs"),
    _apple("m2-ultra-60", 192, 800, 60, "1.398", APPLE.format(
        "2023/06/apple-introduces-m2-ultra"), M2_CLOCK),
    _apple("m3", 24, 100, 10, "1.398", APPLE.format(
        "2023/10/apple-unveils-m3-m3-pro-and-m3-max-the-most-advanced-chips-for-a-personal-"
        "computer")),
    _apple("m3-pro", 36, 150, 18, "1.398", APPLE.format(
        "2023/10/apple-unveils-m3-m3-pro-and-m3-max-the-most-advanced-chips-for-a-personal-"
        "computer")),
    _apple("m3-max", 128, 400, 40, "1.398", APPLE.format(
        "2023/10/apple-unveils-m3-m3-pro-and-m3-max-the-most-advanced-chips-for-a-personal-"
        "computer")),
    _apple("m3-ultra", 512, 819, 80, "1.398", "https://www.apple.com/mac-studio/specs/"),
    _apple("m4", 32, 120, 10, "1.578", APPLE.format("2024/05/apple-introduces-m4-chip")),
    _apple("m4-pro", 64, 273, 20, "1.578", APPLE.format(
        "2024/10/apple-introduces-m4-pro-and-m4-max")),
    _apple("m4-max", 128, 546, 40, "1.578", APPLE.format(
        "2024/10/apple-introduces-m4-pro-and-m4-max")),
    _apple("m4-max-32", 36, 410, 32, "1.578", APPLE.format(
        "2024/10/apple-introduces-m4-pro-and-m4-max")),
)}


# Names people write for a catalogue entry where the catalogue has one card of that name, or
# where one memory size is the one sold today (an A100 or H100 is the 80 GB card unless the name
# says 40gb): the answer always names the entry it used, so nothing is guessed silently.
ALIASES = {"h100": "h100-80gb", "a100": "a100-80gb", "h200-141gb": "h200", "b200-180gb": "b200",
           "mi300": "mi300x"}
# Words that brands put around a model number: "NVIDIA GeForce RTX 4090", "Tesla T4".
_BRANDS = ("nvidia", "geforce", "tesla", "amd", "instinct", "radeon")


def _key(text: str) -> str:
    """'NVIDIA GeForce RTX 4090' -> 'rtx4090', 'H100 80GB' -> 'h10080gb': letters and digits."""
    words = text.lower().replace("-", " ").replace("_", " ").split()
    return "".join(w for w in words if w not in _BRANDS)


def _index() -> dict[str, str]:
    """Every spelling find_gpu accepts, as a _key, and the catalogue name it means."""
    index: dict[str, str] = {}
    for name in GPUS:
        index[_key(name)] = name
        if name.startswith("rtx-"):  # the model number alone: 4090
            index[_key(name[4:])] = name
    for alias, name in ALIASES.items():
        index[_key(alias)] = name
    return index


def find_gpu(text: str) -> GPU:
    """A catalogue name (rtx-4090, h100-80gb...), a spelling of one (RTX 4090, 4090, h100), or
    a size (24GiB, 80 GB)."""
    key = text.strip().lower()
    if key in GPUS:
        return GPUS[key]
    name = _index().get(_key(text))
    if name is not None:
        return GPUS[name]
    if key[:1].isdigit() and not key.isdigit():
        from .units import parse_bytes

        size = parse_bytes(text, "GPU memory")
        size, name = _as_sold(size, text.strip())
        if size <= RESERVED:
            raise NnsizeError(f"GPU memory {text!r}: at most {RESERVED:,} bytes go to the CUDA "
                              f"context; give more memory than that")
        return GPU(name, size, "the size given")
    if key.isdigit():
        raise NnsizeError(f"GPU {text!r}: no card has that model number here, and a size needs "
                          f"a unit (24GiB, 80GB); the cards: {', '.join(GPUS)}")
    import difflib

    index = _index()
    close = difflib.get_close_matches(_key(text), list(index), n=1, cutoff=0.6)
    hint = f" (did you mean {index[close[0]]!r}?)" if close else ""
    raise NnsizeError(f"unknown GPU {text!r}{hint}; give a size such as 24GiB, or one of "
                      f"{', '.join(GPUS)}")


def _as_sold(size: int, text: str) -> tuple[int, str]:
    """A size in decimal GB that a catalogue card is sold as ("48 GB": an L40S, whose 48 GB are
    48 GiB of memory chips) is read as that card's memory, and the name says so."""
    if size % GB or not text.lower().replace(" ", "").endswith("gb"):
        return size, text
    cards = [g for g in GPUS.values() if g.bytes == size // GB * GiB]
    if not cards:
        return size, text
    names = ", ".join(g.name for g in cards)
    which = f"the cards sold as {size // GB} GB ({names}), all" if len(cards) > 1 else \
        f"a card sold as {size // GB} GB ({names})"
    return cards[0].bytes, (f"{text} (read as the memory of {which} {cards[0].bytes:,} bytes; "
                            f"write {size // GB}000MB for {size:,})")
