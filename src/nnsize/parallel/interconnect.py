"""The links collectives cross: inside a node (NVLink / NVSwitch, PCIe, Infinity Fabric) and
between nodes (InfiniBand, RoCE, Ethernet), each with its bandwidth per GPU, one direction, and
a source.  A collective over g ranks of one link costs (the ring algorithm, NCCL's for large
messages): all-reduce 2 (g - 1) / g x bytes / bandwidth; all-gather and reduce-scatter
(g - 1) / g x bytes / bandwidth; all-to-all (g - 1) / g x bytes / bandwidth; plus a latency
per collective, latency + hop x log2(g) (NCCL's tree and low-latency protocols for small
messages).

The NVLink latency figures (10 us + 6 us x log2 g) are fitted to gpt-fast's tensor-parallel
decode of Llama-2-7B on A100-80GB over NVLink (104.9, 168.84, 254.02 and 328.43 tokens/s on
1, 2, 4 and 8 GPUs, https://github.com/pytorch-labs/gpt-fast#tensor-parallelism): 64
all-reduces a token take what the weights' read does not.  The network figures (5 us + 3 us
a hop) are an assumption of the same form, stated in every answer that uses them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..errors import NnsizeError, suggest

GBps = 10**9
US = 1e-6


@dataclass(frozen=True)
class Interconnect:
    """A link: bytes per second one GPU sends one way, latency per collective and per hop."""

    name: str
    bandwidth: int
    source: str
    within_node: bool
    latency_s: float = 10 * US
    hop_s: float = 6 * US

    def latency(self, ranks: int) -> float:
        return self.latency_s + self.hop_s * math.log2(ranks) if ranks > 1 else 0.0

    def all_reduce(self, nbytes: float, ranks: int) -> float:
        if ranks < 2:
            return 0.0
        return 2 * (ranks - 1) / ranks * nbytes / self.bandwidth + self.latency(ranks)

    def gather(self, nbytes: float, ranks: int) -> float:
        """All-gather or reduce-scatter of nbytes (the whole, gathered), and all-to-all."""
        if ranks < 2:
            return 0.0
        return (ranks - 1) / ranks * nbytes / self.bandwidth + self.latency(ranks)

    def send(self, nbytes: float) -> float:
        """Point to point, one pipeline stage to the next."""
        return nbytes / self.bandwidth + self.latency_s


NV = "https://www.nvidia.com/en-us/data-center/{}/"
IBTA = "https://www.infinibandta.org/infiniband-roadmap/"


def _net(name: str, bandwidth: int, source: str) -> Interconnect:
    """A network link: 5 us a collective and 3 us a hop (an assumption, stated)."""
    return Interconnect(name, bandwidth, source, False, 5 * US, 3 * US)


CATALOGUE = {i.name: i for i in (
    Interconnect("nvlink2", 150 * GBps, NV.format("v100") + " (300 GB/s both ways)", True),
    Interconnect("nvlink3", 300 * GBps, NV.format("a100") + " (600 GB/s both ways)", True),
    Interconnect("nvlink4", 450 * GBps, NV.format("h100") + " (900 GB/s both ways)", True),
    Interconnect("nvlink5", 900 * GBps, NV.format("dgx-b200") + " (1.8 TB/s both ways)", True),
    Interconnect("pcie3", 16 * GBps, "https://pcisig.com/specifications (8 GT/s x 16 lanes)",
                 True),
    Interconnect("pcie4", 32 * GBps, "https://pcisig.com/specifications (16 GT/s x 16 lanes)",
                 True),
    Interconnect("pcie5", 64 * GBps, "https://pcisig.com/specifications (32 GT/s x 16 lanes)",
                 True),
    Interconnect("infinity-fabric", 448 * GBps, "https://www.amd.com/en/products/accelerators/"
                 "instinct/mi300/mi300x.html (896 GB/s peer to peer, both ways)", True),
    _net("ib-hdr", 25 * GBps, IBTA + " (HDR 200 Gb/s a port; DGX A100: one port a "
                 "GPU)"),
    _net("ib-ndr", 50 * GBps, IBTA + " (NDR 400 Gb/s a port; DGX H100: one ConnectX-7 "
                 "a GPU)"),
    _net("ib-xdr", 100 * GBps, IBTA + " (XDR 800 Gb/s a port)"),
    _net("roce-400g", 50 * GBps, "https://www.ieee802.org/3/bs/ (400GbE, RDMA over "
                 "Converged Ethernet, one port a GPU)"),
    _net("ethernet-100g", int(12.5 * GBps), "https://www.ieee802.org/3/ba/ (100GbE, one "
                 "port a node, shared by its GPUs)"),
)}
# the card's own link (gpus.py names it) -> this catalogue's; the network a board ships with
BY_LINK = {"NVLink 2": "nvlink2", "NVLink 3": "nvlink3", "NVLink 4": "nvlink4",
           "NVLink 5": "nvlink5", "PCIe 3.0": "pcie3", "PCIe 4.0": "pcie4",
           "PCIe 5.0": "pcie5",
           "Infinity Fabric": "infinity-fabric"}
NETWORK = {"nvlink3": "ib-hdr", "nvlink4": "ib-ndr", "nvlink5": "ib-ndr",
           "infinity-fabric": "ib-ndr"}


def find_interconnect(name: str) -> Interconnect:
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key in CATALOGUE:
        return CATALOGUE[key]
    raise NnsizeError(f"unknown interconnect {name!r}{suggest(key, list(CATALOGUE))}; one of "
                      f"{', '.join(CATALOGUE)}")


@dataclass(frozen=True)
class Links:
    """The link inside a node and the one between nodes."""

    node: Interconnect
    network: Interconnect


def _lanes(card_link: str) -> int:
    """The lanes of a PCIe link gpus.py names ('PCIe 4.0 x8' -> 8); 16 for any other."""
    head, _, lanes = card_link.rpartition(" x")
    return int(lanes) if head.startswith("PCIe") and lanes.isdigit() else 16


def links(card_link: str | None, override: str = "") -> Links:
    """The links of a card whose own link gpus.py names (card_link: 'NVLink 4 (900 GB/s...)'),
    or the one --interconnect names: a network link given is the one between nodes; a link
    inside a node, the node's (its network then the board's usual one).  A card wired
    narrower than x16 ('PCIe 4.0 x8') gets its generation's link at its lanes' share."""
    node = next((CATALOGUE[v] for k, v in BY_LINK.items()
                 if card_link and card_link.startswith(k)), CATALOGUE["pcie4"])
    lanes = _lanes(card_link or "")
    if lanes < 16 and card_link and node.name.startswith("pcie"):  # a card wired x8 or x4
        node = replace(node, name=f"{node.name}x{lanes}", bandwidth=node.bandwidth * lanes // 16,
                       source=node.source.replace("x 16 lanes", f"x {lanes} lanes"))
    network = CATALOGUE[NETWORK.get(node.name, "ethernet-100g")]
    if override:
        given = find_interconnect(override)
        if given.within_node:
            node, network = given, CATALOGUE[NETWORK.get(given.name, "ethernet-100g")]
        else:
            network = given
    return Links(node, network)
