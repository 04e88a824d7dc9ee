"""nnsize's speed figures next to published measurements (tests/data/speed_measurements.json).

For each measurement: the tokens per second measured, nnsize's roofline bound (never below the
measurement) and its expected value for that engine, and the ratio expected / measured.  The
docs/methods.md's table is this script's output (--markdown).  --fit refits each engine's figures:
decode step times by least squares on bytes / bandwidth and layers (a share of peak bandwidth
and a cost per layer per step), prefill by the median share of peak FLOP/s.

    python benchmarks/speed_vs_measurements.py [--markdown] [--fit]
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "speed_measurements.json"



def _keep(m: dict[str, Any]) -> tuple[str, ...] | None:
    """A measurement's keep: given for bare formats, absent for llama.cpp's files (their own
    types) and floats."""
    return tuple(m["keep"]) if "keep" in m else None

def measurements() -> list[dict[str, Any]]:
    """The measurements nnsize can size: a card of its catalogue (one the catalogue lacks is
    null, named in gpu_name), one GPU, an engine nnsize knows."""
    from nnsize.engines import ENGINES

    return [m for m in json.loads(DATA.read_text())["measurements"]
            if m["gpu"] is not None and m.get("gpus", 1) == 1 and m["engine"] in ENGINES]


def predict(m: dict[str, Any], engine: str | None = None) -> Any:
    """nnsize's Speed for measurement m (one sequence, its context or prompt)."""
    import nnsize
    from nnsize.gpus import GPUS
    from nnsize.speed import hardware, speed

    hw = hardware(GPUS[m["gpu"]], m["dtype"])
    return speed(nnsize.count(m["model"]), hw, m["dtype"], batch=m["batch"],
                 context=m.get("context", 512), prompt=m.get("prompt", 512),
                 engine=engine or m["engine"], keep=_keep(m))


def rates(m: dict[str, Any]) -> tuple[float, float]:
    """(roofline, expected) tokens per second for m's phase."""
    s = predict(m)
    return s.decode_tokens_per_s if m["phase"] == "decode" else s.prefill_tokens_per_s


def fit() -> None:
    from nnsize.speed.engines import fit_decode

    for engine in sorted({m["engine"] for m in measurements()}):
        decode, shares = [], []
        for m in measurements():
            if m["engine"] != engine:
                continue
            s = predict(m, "roofline")
            if m["phase"] == "decode":
                decode.append((s.decode.memory_s, s.layers, 1 / m["tokens_per_s"]))
            else:
                shares.append(s.prefill.compute_s / (m["prompt"] / m["tokens_per_s"]))
        if len({round(d[0], 12) for d in decode}) < 2:
            print(f"{engine}: {len(decode)} decode point(s) of one size; two figures need two "
                  f"sizes: not fitted")
            continue
        share, cost = fit_decode(decode)
        print(f"{engine}: bandwidth share {share:.3f}, cost per layer {cost * 1e6:.1f} us "
              f"({len(decode)} decode points)", end="")
        print(f"; compute share {statistics.median(shares):.3f} (median of {len(shares)} "
              f"prefill points)" if shares else "; no prefill points")


def table(markdown: bool) -> str:
    head = ["model", "GPU", "engine", "dtype", "phase", "measured t/s", "roofline t/s",
            "expected t/s", "expected / measured"]
    lines = []
    for m in measurements():
        roofline, expected = rates(m)
        lines.append([m["model"], m["gpu"], m["engine"], m["dtype"], m["phase"],
                      f"{m['tokens_per_s']:,.1f}", f"{roofline:,.1f}", f"{expected:,.1f}",
                      f"{expected / m['tokens_per_s']:.2f}"])
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(row) + " |" for row in lines]
        return "\n".join(out)
    widths = [max(len(r[i]) for r in [head, *lines]) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in [head, *lines])


def main() -> None:
    if "--fit" in sys.argv:
        fit()
        return
    print(table("--markdown" in sys.argv))
    ratios = [rates(m)[1] / m["tokens_per_s"] for m in measurements()]
    within = sum(1 for r in ratios if 0.7 <= r <= 1.3)
    print(f"\nexpected within 30% of the measurement: {within} of {len(ratios)}; "
          f"median expected / measured {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
