"""One card's roofline: memory bandwidth, and peak FLOP/s at the precision the matmuls run at."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import NnsizeError, suggest
from ..gpus import GPU, Link

FLOATS = ("fp32", "tf32", "bf16", "fp16")
PEAKS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4", "fp4")  # what a card lists


@dataclass(frozen=True)
class Hardware:
    """What the roofline needs of one card, and how many of them split the model."""

    name: str
    bandwidth: int  # bytes per second, per card
    peak_flops: int  # FLOP/s at the compute precision, per card
    compute: str  # the precision the matrix multiplications run at
    gpus: int = 1
    link: Link | None = None
    source: str = ""
    interconnect: str = ""  # --interconnect: the link tensor parallelism crosses, if not the card's
    gpu_class: str = ""  # GPU_CLASSES' key: whose fitted engine figures apply ("" none)


GPU_CLASSES = {  # the classes an engine's figures are fitted per (speed.fitting)
    "apple": "Apple silicon (unified memory, Metal)",
    "geforce": "NVIDIA GeForce and TITAN cards",
    "datacenter": "NVIDIA datacenter and workstation cards (Tesla, A/H/L/B series, RTX Ada...)",
}


def gpu_class(gpu: GPU) -> str:
    """The class of card an engine's speed figures are fitted per; "" for a card of none (AMD,
    Intel, a card given by --bandwidth and --tflops): the figures over all cards apply."""
    if gpu.unified or gpu.vendor == "apple":
        return "apple"
    if gpu.vendor != "nvidia":
        return ""
    title = gpu.title or gpu.name
    return "geforce" if title.startswith(("GeForce", "TITAN")) else "datacenter"


def weights_kind(dtype: str) -> str:
    """"float" for 16/32-bit float weights, "quantized" for anything stored smaller (a GGUF
    mix, int8, int4, fp8...): prefill runs different kernels on them."""
    from ..memory.plan import gguf_mix_name
    from ..precision import find

    if gguf_mix_name(dtype):
        return "quantized"
    return "float" if find(dtype).name in FLOATS else "quantized"


def compute_precision(dtype: str, gpu: GPU) -> str:
    """The precision the matmuls run at: a float dtype's own; fp8 where the card has fp8;
    weight-only formats (int8, int4, GGUF, NF4...) dequantize to bf16 (fp16 on cards without
    bf16, fp32 on cards without either)."""
    from ..memory.plan import gguf_mix_name
    from ..precision import find

    name = "gguf" if gguf_mix_name(dtype) else find(dtype).name
    if name in FLOATS:
        wanted = name
    elif name.startswith("fp8") and gpu.peak("fp8"):
        wanted = "fp8"
    else:
        wanted = "bf16"
    if gpu.peaks and gpu.peak(wanted) is None and wanted != "fp32":
        for fallback in ("bf16", "fp16", "fp32"):
            if gpu.peak(fallback):
                return fallback
    return wanted


def hardware(gpu: GPU, dtype: str, gpus: int = 1, bandwidth: int | None = None,
             tflops: float | None = None, compute: str | None = None,
             need_bandwidth: bool = True) -> Hardware:
    """A card of the catalogue, or any card given by --bandwidth (bytes/s) and --tflops.
    Training time needs no bandwidth (need_bandwidth=False)."""
    if gpus < 1:
        raise NnsizeError(f"--gpus must be at least 1, got {gpus}")
    if compute is not None and compute not in PEAKS:
        raise NnsizeError(f"--compute-dtype {compute!r}{suggest(compute, PEAKS)}: one of "
                          f"{', '.join(PEAKS)}")
    precision = compute or compute_precision(dtype, gpu)
    band = bandwidth if bandwidth is not None else gpu.bandwidth
    if band <= 0 and need_bandwidth:
        raise NnsizeError(f"--gpu {gpu.name}: no memory bandwidth known; give --bandwidth, "
                          f"e.g. --bandwidth 1008GB/s")
    if tflops is not None:
        if not 0 < tflops <= 1e9:
            raise NnsizeError(f"--tflops is a card's peak in TFLOP/s, above 0 and at most a "
                              f"billion, got {tflops}")
        peak = int(tflops * 10**12)
        if peak < 1:  # 5e-324 passes 0 < tflops and rounds to no FLOP/s at all
            raise NnsizeError(f"--tflops {tflops}: less than one FLOP/s; a card's peak is at "
                              f"least 1e-12 TFLOP/s")
    else:
        found = gpu.peak(precision)
        if found is None:
            have = ", ".join(k for k, _ in gpu.peaks) or "none"
            raise NnsizeError(f"--gpu {gpu.name}: no {precision} peak known (it lists {have}); "
                              f"give --tflops, the dense peak TFLOP/s at {precision}")
        peak = found
    return Hardware(gpu.name, band, peak, precision, gpus, gpu.link if gpus > 1 else None,
                    gpu.spec_source or gpu.source, gpu_class=gpu_class(gpu))


def parse_bandwidth(text: str, flag: str = "--bandwidth") -> int:
    """Bytes per second from '3.35TB/s', '1008 GB/s', '800GiB/s'."""
    from ..units import parse_bytes

    body = text.strip()
    if not body.lower().endswith("/s"):
        raise NnsizeError(f"{flag} {text!r}: give bytes per second, e.g. 1008GB/s or "
                          f"3.35TB/s")
    return parse_bytes(body[:-2], flag)
