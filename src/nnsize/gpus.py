"""Accelerators and their memory: the vendor's number, and what a program can use of it.

Usable memory is the vendor's capacity less 1 GiB for the CUDA (or ROCm) context and the
allocator's reserve: an assumption, stated in every answer that uses it.  Capacities are the
vendors' published specifications (binary GiB where the vendor means 2^30, decimal GB where it
says GB: an H100's "80GB" HBM3 is 80 GiB of memory chips, an H200's "141GB" is 141 x 10^9 bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import NnsizeError, suggest

RESERVED = 2**30  # the CUDA context and the allocator's reserve


@dataclass(frozen=True)
class GPU:
    name: str
    bytes: int
    source: str

    @property
    def usable(self) -> int:
        return self.bytes - RESERVED


GiB, GB = 2**30, 10**9
NVIDIA = "https://www.nvidia.com/en-us/data-center/{}/"
GPUS = {g.name: g for g in (
    GPU("t4", 16 * GiB, NVIDIA.format("tesla-t4")),
    GPU("v100-16gb", 16 * GiB, NVIDIA.format("v100")),
    GPU("v100-32gb", 32 * GiB, NVIDIA.format("v100")),
    GPU("a10", 24 * GiB, NVIDIA.format("products/a10-gpu")),
    GPU("l4", 24 * GiB, NVIDIA.format("l4")),
    GPU("l40s", 48 * GiB, NVIDIA.format("l40s")),
    GPU("a100-40gb", 40 * GiB, NVIDIA.format("a100")),
    GPU("a100-80gb", 80 * GiB, NVIDIA.format("a100")),
    GPU("h100-80gb", 80 * GiB, NVIDIA.format("h100")),
    GPU("h200", 141 * GB, NVIDIA.format("h200")),
    GPU("b200", 180 * GB, NVIDIA.format("dgx-b200")),
    GPU("rtx-3090", 24 * GiB, "https://www.nvidia.com/en-us/geforce/graphics-cards/30-series/"),
    GPU("rtx-4090", 24 * GiB, "https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/"),
    GPU("rtx-5090", 32 * GiB, "https://www.nvidia.com/en-us/geforce/graphics-cards/50-series/"),
    GPU("mi300x", 192 * GiB, "https://www.amd.com/en/products/accelerators/instinct/mi300/"
                             "mi300x.html"),
)}


def find_gpu(text: str) -> GPU:
    """A catalogue name (rtx-4090, h100-80gb...) or a size (24GiB, 80 GB)."""
    key = text.strip().lower()
    if key in GPUS:
        return GPUS[key]
    if key[:1].isdigit():
        from .units import parse_bytes

        size = parse_bytes(text, "--gpu")
        size, name = _as_sold(size, text.strip())
        if size <= RESERVED:
            raise NnsizeError(f"--gpu {text!r}: at most {RESERVED:,} bytes go to the CUDA "
                              f"context; give more memory than that")
        return GPU(name, size, "the size given")
    raise NnsizeError(f"unknown GPU {text!r}{suggest(key, list(GPUS))}; give a size such as "
                      f"24GiB, or one of {', '.join(GPUS)}")


def _as_sold(size: int, text: str) -> tuple[int, str]:
    """A size in decimal GB that a catalogue card is sold as ("48 GB": an L40S, whose 48 GB are
    48 GiB of memory chips) is read as that card's memory, and the name says so."""
    if size % GB or not text.lower().replace(" ", "").endswith("gb"):
        return size, text
    cards = [g for g in GPUS.values() if g.bytes == size // GB * GiB]
    if not cards:
        return size, text
    names = ", ".join(g.name for g in cards)
    return cards[0].bytes, (f"{text} (read as the memory of a card sold as {size // GB} GB, "
                            f"{names}: {cards[0].bytes:,} bytes; write {size // GB}000MB for "
                            f"{size:,})")
