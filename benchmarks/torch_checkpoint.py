"""Reading a PyTorch checkpoint's tensors (names, shapes, dtypes): nnsize against torch.load.

Writes a ~1 GB checkpoint with torch.save (a Llama-shaped state_dict in bfloat16: 32 layers of
9 tensors, embeddings and head), then reads it in fresh processes, interleaved:

    nnsize          nnsize.count(path): the zip's directory and data.pkl, no torch import
    torch.load      torch.load(path, weights_only=True): every byte of tensor data read
    torch.load mmap torch.load(path, weights_only=True, mmap=True): data mapped, not read

and prints the median time of the read itself and of the whole process (imports included),
the peak resident memory (VmHWM), and each against nnsize.  The file stays in the page cache
between runs (all three read it warm); --legacy adds the same state_dict in the legacy format
(_use_new_zipfile_serialization=False), which torch cannot map.

    python benchmarks/torch_checkpoint.py [--gb 1] [--runs 5] [--legacy]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")
READERS = {
    "nnsize": "import nnsize\nstart = time.perf_counter()\n"
              "n = nnsize.count(PATH).total_params\n",
    "torch.load": "import torch\nstart = time.perf_counter()\n"
                  "sd = torch.load(PATH, weights_only=True)\n"
                  "n = sum(t.numel() for t in sd.values())\n",
    "torch.load mmap": "import torch\nstart = time.perf_counter()\n"
                       "sd = torch.load(PATH, weights_only=True, mmap=True)\n"
                       "n = sum(t.numel() for t in sd.values())\n",
}
SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
PATH = sys.argv[1]
{reader}
read = time.perf_counter() - start
with open("/proc/self/status") as f:
    peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))
print(json.dumps({{"read": read, "peak": peak, "params": n, "imports": start - t0}}))
"""


def write_checkpoint(path: Path, gb: float, legacy: bool) -> int:
    """A Llama-shaped bf16 state_dict of about gb GB: hidden h, 32 layers, vocab 32,000."""
    import torch

    layers, vocab = 32, 32_000
    # per layer 4 h^2 (attention) + 3 x h x 2.7h (mlp) ~ 12 h^2 values of 2 bytes
    h = int((gb * 1e9 / 2 / (layers * 12.1)) ** 0.5) // 64 * 64
    inter = h * 27 // 10 // 64 * 64
    sd = {"model.embed_tokens.weight": torch.empty(vocab, h, dtype=torch.bfloat16)}
    for i in range(layers):
        p = f"model.layers.{i}."
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            sd[f"{p}self_attn.{name}.weight"] = torch.empty(h, h, dtype=torch.bfloat16)
        sd[f"{p}mlp.gate_proj.weight"] = torch.empty(inter, h, dtype=torch.bfloat16)
        sd[f"{p}mlp.up_proj.weight"] = torch.empty(inter, h, dtype=torch.bfloat16)
        sd[f"{p}mlp.down_proj.weight"] = torch.empty(h, inter, dtype=torch.bfloat16)
        sd[f"{p}input_layernorm.weight"] = torch.empty(h, dtype=torch.bfloat16)
        sd[f"{p}post_attention_layernorm.weight"] = torch.empty(h, dtype=torch.bfloat16)
    sd["model.norm.weight"] = torch.empty(h, dtype=torch.bfloat16)
    sd["lm_head.weight"] = torch.empty(vocab, h, dtype=torch.bfloat16)
    torch.save(sd, path, _use_new_zipfile_serialization=not legacy)
    return sum(t.numel() for t in sd.values())


def run(reader: str, path: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(reader=READERS[reader]),
                          str(path)], env=env, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - start
    return result


def table(path: Path, expected: int, runs: int, readers: list[str]) -> None:
    results: dict[str, list[dict[str, float]]] = {r: [] for r in readers}
    for _ in range(runs):
        for r in readers:
            results[r].append(run(r, path))
    for r in readers:
        assert all(x["params"] == expected for x in results[r]), (r, results[r][0])

    def median(r: str, key: str) -> float:
        return statistics.median(x[key] for x in results[r])

    print(f"{path.name}: {path.stat().st_size:,} bytes, {expected:,} parameters, "
          f"median of {runs} fresh processes each")
    print(f"{'reader':<17}{'read ms':>10}{'x nnsize':>10}{'process ms':>12}{'x nnsize':>10}"
          f"{'peak MiB':>10}{'x nnsize':>10}")
    for r in readers:
        ratios = [median(r, k) / median("nnsize", k) for k in ("read", "process", "peak")]
        print(f"{r:<17}{median(r, 'read') * 1e3:>10.1f}{ratios[0]:>10.1f}"
              f"{median(r, 'process') * 1e3:>12.1f}{ratios[1]:>10.1f}"
              f"{median(r, 'peak') / 2**20:>10.1f}{ratios[2]:>10.1f}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--legacy", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pytorch_model.bin"
        expected = write_checkpoint(path, args.gb, legacy=False)
        table(path, expected, args.runs, list(READERS))
        if args.legacy:
            legacy = Path(folder) / "legacy.bin"
            write_checkpoint(legacy, args.gb, legacy=True)
            path.unlink()
            table(legacy, expected, args.runs, ["nnsize", "torch.load"])


if __name__ == "__main__":
    main()
