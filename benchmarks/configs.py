"""Counting from a config: nnsize next to transformers building the model on the meta device
(what accelerate's `estimate-memory` does), as whole processes in one run.

Prints the wall time and peak resident memory of each and the ratios, for Llama-3.1-405B and
DeepSeek-V3 (nnsize's presets, written out as config.json files first).  Target: nnsize at least
30x faster and under 50 MiB peak.  Then a safetensors file of 1, 4 and 16 GiB (sparse on disk:
the data is never written, and never read) shows that reading a checkpoint takes the time of its
header, not of its size.

    python benchmarks/configs.py
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile

NNSIZE = r"""
import json, resource, sys, time
start = time.perf_counter()
import nnsize
report = nnsize.count(sys.argv[1])
print(json.dumps({"params": report.total_params, "seconds": time.perf_counter() - start,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
TRANSFORMERS = r"""
import json, resource, sys, time, warnings
start = time.perf_counter()
warnings.simplefilter("ignore")
import torch, transformers
config = transformers.AutoConfig.from_pretrained(sys.argv[1])
with torch.device("meta"):
    model = transformers.AutoModelForCausalLM.from_config(config)
params = sum(p.numel() for p in model.parameters())
print(json.dumps({"params": params, "seconds": time.perf_counter() - start,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, arg: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True,
                          check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    from nnsize.architectures.presets import LLMS

    folder = tempfile.mkdtemp()
    print(f"{'model':16} {'tool':13} {'parameters':>18} {'seconds':>8} {'peak MiB':>9}")
    for name in ("llama-3.1-405b", "deepseek-v3"):
        path = os.path.join(folder, name)
        os.makedirs(path)
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(LLMS[name][1], f)
        ours = run(NNSIZE, os.path.join(path, "config.json"))
        theirs = run(TRANSFORMERS, path)
        for tool, r in (("nnsize", ours), ("transformers", theirs)):
            print(f"{name:16} {tool:13} {int(r['params']):>18,} {r['seconds']:>8.3f} "
                  f"{r['peak_mib']:>9.0f}")
        print(f"{'':16} transformers / nnsize: {theirs['seconds'] / ours['seconds']:.0f}x the "
              f"time, {theirs['peak_mib'] / ours['peak_mib']:.1f}x the memory")
    print(f"\n{'safetensors file':16} {'seconds':>8}")
    for gib in (1, 4, 16):
        path = os.path.join(folder, f"{gib}gib.safetensors")
        elements = gib * 2**30 // 4
        header = json.dumps({"w": {"dtype": "F32", "shape": [elements],
                                   "data_offsets": [0, elements * 4]}}).encode()
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(header)) + header)
            f.truncate(8 + len(header) + elements * 4)  # sparse: no data written
        r = run(NNSIZE, path)
        print(f"{gib:>4} GiB {'':7} {r['seconds']:>8.3f}")
        os.unlink(path)


if __name__ == "__main__":
    main()
