"""Whole-process time of `nnsize 10-20-20-20-2` next to the tools people use instead.

Runs, in one session and interleaved: a bare `python -c pass`, the nnsize command, and
torchinfo's summary() of the same 10-20-20-20-2 model in PyTorch.  Prints the median wall time
of each and the ratios, and which nnsize modules the command imports (each command imports
only what it needs: `python -X importtime -m nnsize 10-20-20-20-2` shows the cost of each).
Target: nnsize within 1.5x of the bare interpreter (issue #10 asks 2.5x at most).

    python benchmarks/startup.py [--runs 30]

Bytecode caching is left on (PYTHONDONTWRITEBYTECODE removed), as for an installed package.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

TORCHINFO = """
import torch, torchinfo
model = torch.nn.Sequential(torch.nn.Linear(10, 20), torch.nn.Linear(20, 20),
                            torch.nn.Linear(20, 20), torch.nn.Linear(20, 2))
torchinfo.summary(model, input_size=(1, 10))
"""


def nnsize_command() -> list[str]:
    script = os.path.join(sys.prefix, "bin", "nnsize")
    if not os.path.exists(script):  # e.g. Windows, or not installed with pip
        found = shutil.which("nnsize")
        return [found] if found else [sys.executable, "-m", "nnsize"]
    return [sys.executable, script]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "nnsize 10-20-20-20-2": [*nnsize_command(), "10-20-20-20-2"],
        "torchinfo.summary (same MLP)": [sys.executable, "-c", TORCHINFO],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():  # warm the caches and write bytecode once
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    for _ in range(args.runs):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["python -c pass"])
    ours = statistics.median(times["nnsize 10-20-20-20-2"])
    print(f"{'command':32} {'median ms':>10} {'x python':>9} {'x nnsize':>9}")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"{name:32} {m * 1000:10.1f} {m / base:9.2f} {m / ours:9.2f}")
    print(f"\nnnsize / bare python = {ours / base:.2f} (target <= 1.5; issue #10: <= 2.5); "
          f"torchinfo / nnsize = "
          f"{statistics.median(times['torchinfo.summary (same MLP)']) / ours:.1f}")
    trace = subprocess.run([sys.executable, "-X", "importtime", "-m", "nnsize", "10-20-20-20-2"],
                           env=env, capture_output=True, text=True, check=True).stderr
    modules = sorted({line.rsplit("|", 1)[-1].strip() for line in trace.splitlines()
                      if line.rsplit("|", 1)[-1].strip().startswith("nnsize")})
    print(f"\nnnsize modules the command imports by import statements ({len(modules)}; "
          f"importtime does not trace importlib.import_module, which loads the command's own "
          f"module and the layer families): {', '.join(modules)}")


if __name__ == "__main__":
    main()
