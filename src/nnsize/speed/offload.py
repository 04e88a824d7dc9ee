"""Decode with llama.cpp's -ngl split: some layers on the GPU, the rest in the CPU's RAM.

`-ngl N` puts N repeating layers (their weights and KV cache) on the GPU, and the output layer
too when N is the layer count + 1 (memory.serving.offload: the most N that fits).  A decode
step then reads each side's bytes from its own memory, one after the other:

    GPU  bytes on the GPU / (bandwidth x the engine's share) + N x its cost per layer
    CPU  bytes in RAM / the CPU's RAM bandwidth

The GPU side takes the engine's fitted figures for the card (speed.engines); the CPU side is
its roofline (no CPU measurement is fitted: an upper bound on the CPU's speed, said in the
output).  The CPU's RAM bandwidth is --cpu-bandwidth, or a desktop's dual-channel DDR5-5600:
2 channels x 64 bits x 5,600 MT/s / 8 = 89.6 GB/s (CPU_BANDWIDTH, CPU_SOURCE).  Prefill at a
split is not modelled (llama.cpp copies the CPU layers' weights to the GPU for large batches,
ggml-org/llama.cpp#6083): the prefill shown is the whole model on the GPU.
"""

from __future__ import annotations

from typing import Any

from ..errors import NnsizeError
from .inference import Speed
from .split import Split

__all__ = ["CPU_BANDWIDTH", "CPU_SOURCE", "Split", "fit_split", "split"]

CPU_BANDWIDTH = 89_600_000_000  # 2 channels x 64 bits x 5,600 MT/s / 8 bytes
CPU_SOURCE = ("a desktop's dual-channel DDR5-5600: 2 x 64 bits x 5,600 MT/s / 8 = 89.6 GB/s "
              "(https://calculator-cloud.com/other/memory-bandwidth); --cpu-bandwidth changes it")


def split(s: Speed, ngl: int, cpu_bandwidth: int | None = None) -> Split:
    """The decode step of s with -ngl ngl (llama.cpp on one card)."""
    if s.engine.name != "llama.cpp":
        raise NnsizeError(f"--ngl is llama.cpp's -ngl: give --engine llama.cpp (or a GGUF type), "
                          f"not {s.engine.name}")
    if s.hardware.gpus != 1:
        raise NnsizeError("--ngl splits a model between one GPU and the CPU: give --gpus 1")
    if ngl < 0:
        raise NnsizeError(f"--ngl must be at least 0, got {ngl}")
    if cpu_bandwidth is not None and cpu_bandwidth <= 0:
        raise NnsizeError(f"--cpu-bandwidth must be above 0 bytes/s, got {cpu_bandwidth}")
    band = CPU_BANDWIDTH if cpu_bandwidth is None else cpu_bandwidth
    source = CPU_SOURCE if cpu_bandwidth is None else "--cpu-bandwidth"
    d, e, hw = s.decode, s.engine, s.hardware
    layers = s.layers
    on_gpu = min(ngl, layers)
    output = ngl > layers
    repeating = d.bytes - s.head_bytes  # every layer's weights and KV cache: even shares
    gpu_bytes = repeating * on_gpu // layers + (s.head_bytes if output else 0)
    cpu_bytes = d.bytes - gpu_bytes
    return Split(ngl, on_gpu, layers, output, gpu_bytes, cpu_bytes,
                 gpu_bytes / (hw.bandwidth * e.bandwidth_share), on_gpu * e.layer_overhead_s,
                 cpu_bytes / band, band, source, s.batch)


def fit_split(report: Any, gpu: Any, memory: Any, gpu_layers: int) -> Speed | None:
    """`fit --engine llama.cpp`'s speed: decode with -ngl at the most layers that fit
    (memory.serving.offload's gpu_layers), at the setup's precision, batch and context, on the
    CPU side the default RAM bandwidth.  None where the card has no bandwidth known (a size
    given as --gpu) or the setup is not one sequence stream on one card."""
    from dataclasses import replace

    from .hardware import hardware
    from .inference import speed
    from .weights import weights_dtype

    if not gpu.bandwidth or not gpu.peaks:
        return None
    dtype, published = weights_dtype(report, memory.dtype)  # as the plan took it
    s = speed(report, hardware(gpu, dtype), dtype, memory.kv_dtype, memory.batch,
              memory.context, engine="llama.cpp", latent=memory.latent, keep=memory.keep,
              published=published, swa_full=memory.swa_full)
    return replace(s, offload=split(s, gpu_layers))
