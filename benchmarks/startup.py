"""Whole-process time of nnsize's first call, as a ratio to a bare `python -c pass`.

Installs nnsize as a user would (a wheel, not editable, into a fresh virtual environment with
its one dependency, PyYAML; `python -m compileall` over it), then runs, interleaved and paired
on the same machine: `python -c pass`, `nnsize 10-20-20-20-2` and `nnsize llama-3.1-405b
--json`, each with the environment's own interpreter.  Prints the median of each and the median
of the paired ratios (each run of a command over the bare run beside it), in wall time and in
CPU time (user + system: less sensitive to a busy machine), with the targets of issue 25 (2.5x
and 3x, in wall time) and the machine's load (`uptime`: wall ratios mean little on a busy one).
`--torchinfo` adds torchinfo's summary() of the same MLP, run by this interpreter.  The rows
"argparse program" and "... + json" are the floor of any command-line tool written the same way:
what a console script's launcher (it imports re), an argparse parser that parses one argument
(argparse, gettext, locale; its width found without shutil, as nnsize's parser does) and, for
the second, the json module cost before the tool does anything of its own.

    python benchmarks/startup.py [--runs 30] [--venv DIR] [--torchinfo]

Bytecode is written at install and compiled again by compileall, as for an installed package.
`python -X importtime ENV/bin/nnsize ...` shows what each import costs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"nnsize 10-20-20-20-2": 2.5, "nnsize llama-3.1-405b --json": 3.0}
FLOOR = """
import re, sys, argparse
re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
class Parser(argparse.ArgumentParser):
    def _get_formatter(self):
        return self.formatter_class(prog=self.prog, width=80)
parser = Parser()
parser.add_argument("x")
parser.parse_args(["1"])
"""
TORCHINFO = """
import torch, torchinfo
model = torch.nn.Sequential(torch.nn.Linear(10, 20), torch.nn.Linear(20, 20),
                            torch.nn.Linear(20, 20), torch.nn.Linear(20, 2))
torchinfo.summary(model, input_size=(1, 10))
"""


def install(venv: Path) -> Path:
    """A fresh environment with nnsize installed from a wheel; its python."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    wheels = venv / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(wheels), str(ROOT)], check=True)
    wheel = max(wheels.glob("nnsize-*.whl"), key=lambda p: p.stat().st_mtime)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--force-reinstall",
                    "-c", str(ROOT / "constraints.txt"), str(wheel)], check=True)
    site = subprocess.run([str(python), "-c", "import nnsize, os; "
                           "print(os.path.dirname(nnsize.__file__))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert site.startswith(str(venv)), f"nnsize imported from {site}, not the environment"
    subprocess.run([str(python), "-m", "compileall", "-q", site], check=True)
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--venv", type=Path, help="the environment to install into (default: "
                        "a temporary one, removed after)")
    parser.add_argument("--torchinfo", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        python = install(args.venv or Path(tmp) / "venv")
        nnsize = str(python.parent / "nnsize")
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
        commands = {
            "python -c pass": [str(python), "-c", "pass"],
            "argparse program (the floor)": [str(python), "-c", FLOOR],
            "argparse program + json": [str(python), "-c", FLOOR + "import json\n"],
            "nnsize 10-20-20-20-2": [nnsize, "10-20-20-20-2"],
            "nnsize llama-3.1-405b --json": [nnsize, "llama-3.1-405b", "--json"],
        }
        if args.torchinfo:
            commands["torchinfo.summary (same MLP)"] = [sys.executable, "-c", TORCHINFO]
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():  # warm the page cache once
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
        for _ in range(args.runs):
            for name, cmd in commands.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
                times[name].append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime -
                                 before.ru_stime)
    bare, bare_cpu = times["python -c pass"], cpu["python -c pass"]
    print(f"{'command':30} {'wall ms':>8} {'x python':>9} {'CPU ms':>7} {'x python':>9}  target")
    for name, ts in times.items():
        # the median of the paired ratios: each run over the bare run beside it
        ratio = statistics.median(t / b for t, b in zip(ts, bare))
        cpu_ratio = statistics.median(c / max(b, 1e-6) for c, b in zip(cpu[name], bare_cpu))
        target = f"<= {TARGETS[name]}" if name in TARGETS else ""
        print(f"{name:30} {statistics.median(ts) * 1000:8.1f} {ratio:9.2f} "
              f"{statistics.median(cpu[name]) * 1000:7.1f} {cpu_ratio:9.2f}  {target}")
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"\n{args.runs} runs each, interleaved; {sys.platform}, {os.cpu_count()} CPUs; "
          f"uptime: {load}")


if __name__ == "__main__":
    main()
