"""Accelerators and their memory: the vendor's number, and what a program can use of it.

The facts live in gpu_catalogue.json beside this file (docs/gpus.md): every card's memory,
bandwidth, dense peaks per precision, link, and the page each comes from; this module reads it
and resolves the names people write ("RTX 4090", "4090", "3090 Ti", "H100 SXM", "M3 Max
40-core").

Usable memory is the vendor's capacity less 1 GiB for the CUDA (or ROCm) context and the
allocator's reserve: an assumption, stated in every answer that uses it.  On Apple's unified
memory the GPU may use what macOS recommends, Metal's recommendedMaxWorkingSetSize (what
llama.cpp takes as the device's total): where a log of the card's largest configuration shows it,
that figure (`runtime.metal_mib` in the catalogue, with the log; an M2 Max 96 GB's 73,728.00 MiB,
ggml-org/llama.cpp#3213); elsewhere the rule apple_working_set: 2/3 of the memory at or below
36 GiB, 3/4 above.  The rule rests on 7 logs (tests/data/apple_working_sets.json) that match it
to the printed 0.01 MiB at 16, 32, 64, 96 and 192 GiB (2/3 x 32 GiB = 21,845.33 MiB, logged as
21,845.34: ggml-org/llama.cpp#2011, ollama/ollama#434; 3/4 x 96 GiB = 73,728 MiB), all from
2023, before macOS 26; where the 36 GiB step falls between 32 and 64 GiB no log shows.  macOS 26
gives the GPU more: 0.74 of 16 GiB on an M3 (AlexsJones/llmfit#754), 0.84 of 128 GiB on an M5
Max (antirez/ds4#893); two sizes are too few for a rule, so there the rule is a floor, and the
answer says which it used.  More only with `sudo sysctl iogpu.wired_limit_mb`.  Capacities are the
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
from typing import Any

from .errors import NnsizeError

RESERVED = 2**30  # the CUDA context and the allocator's reserve
APPLE_SMALL = 36 * 2**30  # at or below: macOS lets the GPU wire 2/3 of memory, above: 3/4


def apple_working_set(memory: int) -> int:
    """Metal's recommendedMaxWorkingSetSize on a Mac of that memory before macOS 26, as 7 logs
    show it (module docstring): 2/3 at or below 36 GiB (32 GiB: 21,845.33 MiB), 3/4 above
    (96 GiB: 73,728 MiB)."""
    return memory * 3 // 4 if memory > APPLE_SMALL else memory * 2 // 3


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
    title: str = ""  # the name as the vendor writes it: "GeForce RTX 3090 Ti"
    vendor: str = ""
    cuda_bytes: int | None = None  # the total CUDA reports (torch.cuda.mem_get_info), if known
    cuda_source: str = ""  # the log that shows it
    aliases: tuple[str, ...] = ()
    verified: bool = False  # the figures were compared with the stored page in source
    checked: str = ""  # what matched, what was changed, what the page did not show
    metal_bytes: int | None = None  # recommendedMaxWorkingSetSize as a log shows it (Apple)
    metal_source: str = ""  # that log

    @property
    def reported(self) -> int:
        """The memory the runtime reports, which vLLM's gpu_memory_utilization multiplies: the
        figure a log shows where the catalogue has one (an H100 80GB: 79.22 GiB), otherwise the
        vendor's capacity."""
        return self.cuda_bytes or self.bytes

    @property
    def usable(self) -> int:
        """What a program may use: what the runtime reports (reported: a CUDA total where the
        catalogue has one, the vendor's capacity otherwise) less the CUDA context, or on Apple's
        unified memory Metal's recommendedMaxWorkingSetSize: as a log shows it where the
        catalogue has one (metal_bytes), otherwise apple_working_set's rule (3/4 above 36 GiB,
        2/3 at or below)."""
        if self.unified:
            return self.metal_bytes or apple_working_set(self.bytes)
        return self.reported - RESERVED

    def peak(self, precision: str) -> int | None:
        """Dense peak FLOP/s at precision ('bf16', 'fp8'...), or None where the card has none."""
        return dict(self.peaks).get(precision)


GiB, GB, MiB = 2**30, 10**9, 2**20
GBps, TF = 10**9, 10**12  # a GB/s, a TFLOP/s
CATALOGUE = "gpu_catalogue.json"


def _decimal(value: float | int | str) -> Any:
    from decimal import Decimal

    return Decimal(str(value))


def _memory(text: str) -> int:
    """'24GiB' -> 24 x 2^30, '141GB' -> 141 x 10^9: the vendor's unit, exactly."""
    for unit, scale in (("GiB", GiB), ("GB", GB)):
        if text.endswith(unit):
            return int(_decimal(text[:-len(unit)]) * scale)
    raise ValueError(f"{CATALOGUE}: memory {text!r} is neither GiB nor GB")


def _apple_peaks(cores: int, clock: str, published: str) -> tuple[tuple[tuple[str, int], ...],
                                                                  str]:
    """An M-series GPU: FP32 = cores x 128 lanes x 2 x clock; fp16 and bf16 at the same rate."""
    flops = int(cores * 128 * 2 * _decimal(clock) * 10**9)
    how = (f"{cores} GPU cores x 128 x 2 x {clock} GHz = {flops / TF:.1f} TFLOP/s"
           + (f" ({published})" if published else
              ": an estimate, Apple publishes no TFLOPs or GPU clock for it"))
    return (("fp32", flops), ("fp16", flops), ("bf16", flops)), how


def _load() -> tuple[dict[str, GPU], dict[str, str]]:
    """The catalogue as GPUs by id, and every alias it lists (alias -> id)."""
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).parent / CATALOGUE).read_text(encoding="utf-8"))
    links = {k: Link(v["name"], int(v["gbps"]) * GBps, v["source"])
             for k, v in data["links"].items()}
    gpus: dict[str, GPU] = {}
    aliases: dict[str, str] = {}
    for e in data["gpus"]:
        note = e.get("note", "")
        if e.get("unified"):
            peaks, note = _apple_peaks(e["gpu_cores"], e["tflops"]["clock_ghz"], note)
        else:
            peaks = tuple((k, int(_decimal(v) * TF)) for k, v in e["tflops"].items())
        runtime = e.get("runtime", {})
        cuda = (int(runtime["cuda_bytes"]) if "cuda_bytes" in runtime  # a deviceQuery's bytes
                else int(_decimal(runtime["cuda_gib"]) * GiB) if "cuda_gib" in runtime else None)
        metal = int(_decimal(runtime["metal_mib"]) * MiB) if "metal_mib" in runtime else None
        gpu = GPU(e["id"], _memory(e["memory"]), e["source"],
                  int(_decimal(e["bandwidth_gbps"]) * GBps), peaks, e.get("spec_source", ""),
                  links[e["link"]] if "link" in e else None, note, bool(e.get("unified")),
                  e["name"], e["vendor"], cuda, runtime.get("source", "") if cuda else "",
                  tuple(e.get("aliases", ())), bool(e.get("verified")), e.get("checked", ""),
                  metal, runtime.get("source", "") if metal else "")
        gpus[gpu.name] = gpu
        for alias in gpu.aliases:
            aliases[alias] = gpu.name
    return gpus, aliases


GPUS, ALIASES = _load()
# Words that brands put around a model number: "NVIDIA GeForce RTX 4090", "Tesla T4".
_BRANDS = ("nvidia", "geforce", "tesla", "amd", "instinct", "radeon", "intel", "apple",
           "graphics", "gpu", "chip")


def _key(text: str) -> str:
    """'NVIDIA GeForce RTX 4090' -> 'rtx4090', 'H100 80GB' -> 'h10080gb': letters and digits,
    without the brands' words."""
    words = "".join(c if c.isalnum() else " " for c in text.lower()).split()
    return "".join(w for w in words if w not in _BRANDS)


def _spellings(gpu: GPU) -> list[str]:
    """The ways people write one card: its id, its vendor's name, its aliases, the model
    number alone (4090, 3090 Ti, 7900 XTX), an Apple chip with its GPU cores (M3 Max 40-core)."""
    out = [gpu.name, gpu.title, *gpu.aliases]
    for prefix in ("rtx-", "gtx-", "rx-", "arc-"):
        if gpu.name.startswith(prefix):
            out.append(gpu.name[len(prefix):])
    if gpu.unified:
        chip = gpu.name.rstrip("0123456789").rstrip("-")
        cores = len(gpu.title) and gpu.title.split("(")[1].split("-")[0]
        out += [f"{chip} {cores}-core", f"{chip} {cores}"]
    return out


def _index() -> dict[str, str]:
    """Every spelling find_gpu accepts, as a _key, and the catalogue name it means (a spelling
    two cards share means neither: it is left to the suggestions)."""
    index: dict[str, str] = {}
    shared: set[str] = set()
    for gpu in GPUS.values():
        for spelling in _spellings(gpu):
            key = _key(spelling)
            if index.get(key, gpu.name) != gpu.name:
                shared.add(key)
            index[key] = gpu.name
    for key in shared:
        del index[key]
    for alias, name in ALIASES.items():  # an alias the catalogue lists always wins
        index[_key(alias)] = name
    return index


def find_gpu(text: str) -> GPU:
    """A catalogue name (rtx-4090, h100-80gb...), a spelling of one (RTX 4090, 4090, h100,
    3090 Ti, M3 Max 40-core), or a size (24GiB, 80 GB)."""
    key = text.strip().lower()
    if key in GPUS:
        return GPUS[key]
    index = _index()
    name = index.get(_key(text))
    if name is not None:
        return GPUS[name]
    sized = _with_size(text, index)
    if sized is not None:
        return sized
    if key[:1].isdigit() and not key.isdigit() and not _names_a_card(_key(text), index):
        from .units import parse_bytes

        size = parse_bytes(text, "GPU memory")
        size, name = _as_sold(size, text.strip())
        if size <= RESERVED:
            raise NnsizeError(f"GPU memory {text!r}: at most {RESERVED:,} bytes go to the CUDA "
                              f"context; give more memory than that")
        return GPU(name, size, "the size given")
    close = suggest_gpus(text, index)
    hint = f" (did you mean {close}?)" if close else ""
    if key.isdigit():
        raise NnsizeError(f"GPU {text!r}: no card has that model number here{hint}, and a "
                          f"size needs a unit (24GiB, 80GB); {_CARDS}")
    raise NnsizeError(f"unknown GPU {text!r}{hint}; give a size such as 24GiB, or {_CARDS}")


def _with_size(text: str, index: dict[str, str]) -> GPU | None:
    """A card named with its memory, as people write it ("RTX 4080 16GB", "RTX 6000 Ada
    48GB"): the card the rest names, where its memory is that size (GB or GiB)."""
    import re

    match = re.fullmatch(r"(.+?)[\s-]*(\d+)\s*gi?b", text.strip().lower())
    if match is None:
        return None
    name = GPUS.get(match.group(1)) or GPUS.get(index.get(_key(match.group(1)), ""))
    size = int(match.group(2))
    if name is not None and name.bytes in (size * GiB, size * GB):
        return name
    return None


_CARDS = (f"a card of the catalogue ({len(GPUS)} of them, such as rtx-4090, h100-80gb, "
          f"mi300x, m3-max; the GPU list shows all)")


def _numbers(index: dict[str, str]) -> set[str]:
    """Model numbers that start with a digit (3090ti, 7900xtx): a name, not a size."""
    return {k for k in index if k[:1].isdigit()}


def _names_a_card(key: str, index: dict[str, str]) -> bool:
    """A model number, or the start of one that several cards share ('4060ti': the 8 GB and
    16 GB cards), is a name to match, not a size to parse ('4060 Ti' is not 4,060 'Ti')."""
    return any(k == key or k.startswith(key) for k in _numbers(index))


def suggest_gpus(text: str, index: dict[str, str] | None = None) -> str:
    """The nearest real cards, quoted: every card whose name begins with what was typed
    ('v100': the V100s of each memory size and form), else the closest spellings."""
    import difflib

    index = index if index is not None else _index()
    key = _key(text)
    names: list[str] = []
    if len(key) >= 2:
        names = [n for k, n in index.items() if k.startswith(key) and len(k) > len(key)]
    if not names:
        names = [index[k] for k in difflib.get_close_matches(key, list(index), n=6,
                                                             cutoff=0.6)]
    unique = list(dict.fromkeys(names))[:6]
    return " or ".join(", ".join(f"{n!r}" for n in unique).rsplit(", ", 1)) if unique else ""


def _as_sold(size: int, text: str) -> tuple[int, str]:
    """A size in decimal GB that a catalogue card is sold as ("48 GB": an L40S, whose 48 GB are
    48 GiB of memory chips) is read as that card's memory, and the name says so."""
    if size % GB or not text.lower().replace(" ", "").endswith("gb"):
        return size, text
    cards = [g for g in GPUS.values() if g.bytes == size // GB * GiB]
    if not cards:
        return size, text
    names = ", ".join(g.name for g in cards[:4]) + \
        (f" and {len(cards) - 4} more" if len(cards) > 4 else "")
    which = f"the cards sold as {size // GB} GB ({names}), all" if len(cards) > 1 else \
        f"a card sold as {size // GB} GB ({names})"
    return cards[0].bytes, (f"{text} (read as the memory of {which} {cards[0].bytes:,} bytes; "
                            f"write {size // GB}000MB for {size:,})")
