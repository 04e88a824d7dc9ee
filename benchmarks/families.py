"""One model of each native family: nnsize (transformers never imported) next to transformers
building the same config on the meta device (the fallback, and what accelerate's
`estimate-memory` does).

Each family's model is its transformers config class's default configuration, written out as
save_pretrained writes it (config.to_dict()), counted as its base model (AutoModel).  Prints, per
family, both counts, the time each took inside one warm process, and the ratio; then the totals,
and nnsize's whole-process time for all of them.

    python benchmarks/families.py [--only llama,bert,...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

NNSIZE = r"""
import json, sys, time
start = time.perf_counter()
import nnsize
from nnsize.architectures import count_config, families
t = time.perf_counter()
families()  # the family tables load once, on the first count
load = time.perf_counter() - t
configs = json.load(open(sys.argv[1]))
out = {}
for name, config in configs.items():
    t = time.perf_counter()
    try:
        params = count_config(config, base=True).total_params
    except nnsize.NnsizeError as e:
        params = str(e)
    out[name] = [params, time.perf_counter() - t]
heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
print(json.dumps({"counts": out, "process_seconds": time.perf_counter() - start, "load": load,
                  "heavy_imports": heavy}))
"""


def transformers_counts(types: list[str]) -> tuple[dict[str, dict], dict[str, list]]:
    """The default config of each type, and transformers' meta-device count and seconds."""
    import torch
    import transformers

    configs, counts = {}, {}
    for name in types:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                config = transformers.CONFIG_MAPPING[name]()
                start = time.perf_counter()
                with torch.device("meta"):
                    model = transformers.AutoModel.from_config(config)
                params = sum(p.numel() for p in model.parameters())
                counts[name] = [params, time.perf_counter() - start]
            except Exception as e:  # noqa: BLE001 - a family transformers cannot build bare
                counts[name] = [f"{type(e).__name__}", 0.0]
                continue
        data = config.to_dict()
        data.pop("architectures", None)
        configs[name] = data
    return configs, counts


def show(p: object) -> str:
    return f"{p:>18,}" if isinstance(p, int) else f"{str(p)[:18]:>18}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated model types")
    args = parser.parse_args()
    from nnsize.architectures import families

    types = sorted(families()) if not args.only else args.only.split(",")
    configs, theirs = transformers_counts(types)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(configs, f)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", NNSIZE, f.name], capture_output=True, text=True,
                          check=True, env=env)
    os.unlink(f.name)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    ours = result["counts"]
    print(f"{'model_type':26} {'nnsize':>18} {'transformers':>18} {'nnsize ms':>10} "
          f"{'meta ms':>9} {'ratio':>7}  same")
    total_ours = total_theirs = 0.0
    same = built = 0
    for name in types:
        t_params, t_sec = theirs[name]
        o_params, o_sec = ours.get(name, ["not built by transformers", 0.0])
        ok = isinstance(o_params, int) and o_params == t_params
        same += ok
        built += isinstance(t_params, int)
        if isinstance(t_params, int):
            total_ours += o_sec
            total_theirs += t_sec
        ratio = f"{t_sec / o_sec:7.0f}" if o_sec and isinstance(t_params, int) else "      -"
        print(f"{name:26} {show(o_params)} {show(t_params)} {o_sec * 1000:10.2f} "
              f"{t_sec * 1000:9.1f} {ratio}  "
              f"{'yes' if ok else 'NO' if isinstance(t_params, int) else 'n/a'}")
    print(f"\n{same} of the {built} families transformers builds from its default config counted "
          f"the same ({len(types) - built} it cannot build bare: n/a).")
    print(f"Counting time, all families: nnsize {total_ours * 1000:.1f} ms, transformers on the "
          f"meta device {total_theirs:.1f} s ({total_theirs / max(total_ours, 1e-9):.0f}x).")
    print(f"Loading nnsize's family tables, once: {result['load'] * 1000:.0f} ms.")
    print(f"nnsize's whole process (start, import, every count): "
          f"{result['process_seconds'] * 1000:.0f} ms; heavy modules imported: "
          f"{', '.join(result['heavy_imports']) or 'none'}.")


if __name__ == "__main__":
    main()
