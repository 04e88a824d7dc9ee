"""nnsize's speed figures next to published measurements (tests/data/speed_measurements.json).

For each measurement: the tokens per second measured, nnsize's roofline bound (never below the
measurement) and its expected value for that engine, and the ratio expected / measured.  The
docs/methods.md's table is this script's output (--markdown).  --fit refits each engine's figures
on the training points (every 5th measurement of an engine held out), per GPU class and weights
(nnsize.speed.fitting): decode by a share of peak bandwidth and a cost per layer per step,
prefill by a share of peak FLOP/s and a cost per token per layer, and per engine a cost per
prefill call and per decode sequence where its points identify them; --write stores them in
src/nnsize/engines.py.

    python benchmarks/speed_vs_measurements.py [--markdown] [--fit [--write]]
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


FITTED = {"llama.cpp": "LLAMA_CPP", "mlc": "MLC", "exllama": "EXLLAMA", "exllamav2": "EXLLAMAV2",
          "mlx": "MLX",
          "gpt-fast": "GPT_FAST", "vllm": "VLLM", "transformers": "TRANSFORMERS",
          "sglang": "SGLANG", "tensorrt-llm": "TENSORRT_LLM",
          "transformers-eager": "TRANSFORMERS_EAGER",
          "transformers-compile": "TRANSFORMERS_COMPILE"}  # engine: its name in
# src/nnsize/engines.py; an engine with fewer training points than MIN_POINTS is not fitted
MIN_POINTS = 3
ENGINES_PY = Path(__file__).resolve().parent.parent / "src" / "nnsize" / "engines.py"
BEGIN, END = "# BEGIN FITTED\n", "# END FITTED\n"


def _us(seconds: float) -> str:
    return f"{round(seconds * 1e6, 3):g}e-6" if seconds else "0.0"


def _efficiency(engine: str, f: Any, where: str) -> str:
    """Efficiency(...)'s arguments for one group's figures."""
    args = f"{f.bandwidth_share:g}, {f.compute_share:g}, {_us(f.layer_overhead_s)}, " \
        f"fitted(\"{engine}\", {f.decode_points}, {f.prefill_points}" + \
        (f", \"{where}\")" if where else ")")
    return args + (f", {_us(f.token_overhead_s)}" if f.token_overhead_s else "") + \
        (f",\n    call_overhead_s={_us(f.call_overhead_s)}" if f.call_overhead_s else "") + \
        (f",\n    sequence_overhead_s={_us(f.sequence_overhead_s)}" if f.sequence_overhead_s
         else "")  # the engine's, over all cards: on its first line's group only


def fitted_block() -> str:
    """The fitted figures as src/nnsize/engines.py stores them (between its FITTED marks)."""
    from nnsize.speed.fitting import fit, points

    rows = json.loads(DATA.read_text())["measurements"]
    pts = points(rows)
    out = []
    for engine, name in FITTED.items():
        figures = fit(pts, engine)
        overall = figures[""]
        if overall.decode_points < MIN_POINTS:
            raise SystemExit(f"{engine}: {overall.decode_points} training decode points, "
                             f"fewer than {MIN_POINTS}: not fitted")
        classes = "".join(f"\n    (\"{k}\", Efficiency(\n        {_efficiency(engine, f, k)})),"
                          for k, f in figures.items() if k)
        out.append(f"{name} = Efficiency(\n    {_efficiency(engine, overall, '')}" +
                   (f", classes=({classes}))" if classes else ")"))
    return "\n".join(out) + "\n"


def fit(write: bool) -> None:
    block = fitted_block()
    print(block, end="")
    if write:
        text = ENGINES_PY.read_text()
        head, rest = text.split(BEGIN)
        _, tail = rest.split(END)
        ENGINES_PY.write_text(head + BEGIN + block + END + tail)
        print(f"written to {ENGINES_PY}")


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
        fit("--write" in sys.argv)
        return
    print(table("--markdown" in sys.argv))
    ratios = [rates(m)[1] / m["tokens_per_s"] for m in measurements()]
    within = sum(1 for r in ratios if 0.7 <= r <= 1.3)
    print(f"\nexpected within 30% of the measurement: {within} of {len(ratios)}; "
          f"median expected / measured {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
