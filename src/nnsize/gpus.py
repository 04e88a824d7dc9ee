"""Accelerators and their memory: the vendor's number, and what a program can use of it.

Usable memory is the vendor's capacity less 1 GiB for the CUDA (or ROCm) context and the
allocator's reserve: an assumption, stated in every answer that uses it.  Capacities are the
vendors' published specifications (binary GiB where the vendor means 2^30, decimal GB where it
says GB: an H100's "80GB" HBM3 is 80 GiB of memory chips, an H200's "141GB" is 141 x 10^9 bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import NnsizeError

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
        if size <= RESERVED:
            raise NnsizeError(f"GPU memory {text!r}: at most {RESERVED:,} bytes go to the CUDA "
                              f"context; give more memory than that")
        return GPU(text.strip(), size, "the size given")
    if key.isdigit():
        raise NnsizeError(f"GPU {text!r}: no card has that model number here, and a size needs "
                          f"a unit (24GiB, 80GB); the cards: {', '.join(GPUS)}")
    import difflib

    index = _index()
    close = difflib.get_close_matches(_key(text), list(index), n=1, cutoff=0.6)
    hint = f" (did you mean {index[close[0]]!r}?)" if close else ""
    raise NnsizeError(f"unknown GPU {text!r}{hint}; give a size such as 24GiB, or one of "
                      f"{', '.join(GPUS)}")
