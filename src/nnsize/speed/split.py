"""One decode step at llama.cpp's -ngl split, each side's bytes and seconds (speed.offload
computes it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Split:
    """One decode step at -ngl gpu_layers: each side's bytes and seconds."""

    ngl: int  # as given (llama.cpp takes any N; past layers + 1 it is all of them)
    gpu_layers: int  # repeating layers on the GPU
    layers: int
    output_on_gpu: bool
    gpu_bytes: int
    cpu_bytes: int
    gpu_s: float  # gpu_bytes / (bandwidth x share)
    overhead_s: float  # gpu_layers x the engine's cost per layer
    cpu_s: float  # cpu_bytes / cpu_bandwidth
    cpu_bandwidth: int
    cpu_source: str
    batch: int

    @property
    def expected_s(self) -> float:
        return self.gpu_s + self.overhead_s + self.cpu_s

    @property
    def tokens_per_s(self) -> float:
        return self.batch / self.expected_s
