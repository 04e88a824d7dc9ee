"""Golden files for every command's output, as text and as JSON: tests/golden/commands/.

A change to any command's output shows here as a diff of a file; after an intended change,
`pytest tests/test_golden.py --overwrite` rewrites them (as test_render's and test_speed's).
Every command of nnsize.cli.COMMANDS but serve (a server, tested under tests/web) has both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nnsize.cli import COMMANDS, BudgetExceeded, run

GOLDEN = Path(__file__).parent / "golden" / "commands"

# command: its arguments (each run as text, and again with --json)
CASES = {
    "count": ["10-20-20-20-2"],
    "compare": ["compare", "10-20-20-20-2", "llama-3.1-8b", "mixtral-8x7b"],
    "check": ["check", "llama-3.1-8b", "--max-params", "8B", "--max-memory", "24GiB", "--dtype",
              "bf16"],
    "presets": ["presets"],
    "diff": ["diff", "10-20-20-20-2", "10-20-30-2"],
    "search": ["search", "mlp", "--inputs", "784", "--outputs", "10", "--depth", "1:3",
               "--width", "16:256:16", "--max-params", "100K"],
    "growth": ["growth", "10-20x3-2", "--width", "8:64:8", "--depth", "1:4"],
    "init": ["init", "784-512x4-10", "--nonlinearity", "relu"],
    "sparsity": ["sparsity", "784-512x4-10", "--sparsity", "0.9", "--layer", "0=0.5"],
    "memory": ["memory", "llama-3.1-8b", "--train", "--batch", "8", "--context", "4096",
               "--checkpointing"],
    "fit": ["fit", "mixtral-8x7b", "--gpu", "h100-80gb", "--dtype", "fp8", "--context", "32768"],
    "compute": ["compute", "deepseek-v3", "--context", "8192"],
    "speed": ["speed", "llama-3.1-70b", "--gpu", "h100-80gb", "--gpus", "4", "--batch", "8"],
    "train-time": ["train-time", "qwen3-30b-a3b", "--gpu", "b200", "--gpus", "64"],
    "layout": ["layout", "llama-3.1-8b", "--gpu", "h100-80gb", "--gpus", "64", "--tokens", "1T",
               "--global-batch", "1024", "--context", "8192", "--limit", "8"],
}
# more of one command, as text: name: arguments
MORE = {
    "diff_lm.txt": ["diff", "qwen3-0.6b", "qwen2.5-0.5b"],
    "memory_engines.txt": ["memory", "llama-3.1-8b", "--dtype", "q4_k_m", "--context", "32768",
                           "--engine", "llama.cpp"],
    "memory_lora.txt": ["memory", "llama-3.1-8b", "--train", "--qlora", "--lora-rank", "16"],
    "fit_vllm.txt": ["fit", "llama-3.1-8b", "--gpu", "rtx-4090", "--engine", "vllm"],
    "memory_dtypes.txt": ["memory", "--list-dtypes"],
    "speed_gpus.txt": ["speed", "--list-gpus"],
    "layout_serve.txt": ["layout", "llama-3.1-70b", "--serve", "--gpu", "a100-80gb", "--gpus",
                         "8", "--context", "8192"],
    "fit_tp_vllm.txt": ["fit", "llama-2-70b", "--gpu", "a100-80gb", "--gpus", "4", "--sharding",
                        "tp", "--engine", "vllm", "--context", "4096"],
}
FILES = {**{f"{c}.txt": a for c, a in CASES.items()},
         **{f"{c}.json": [*a, "--json"] for c, a in CASES.items()}, **MORE}


def _output(argv: list[str]) -> str:
    try:
        return run(argv) + "\n"
    except BudgetExceeded as e:  # check and diff: exit 1, with the same text
        return f"{e}\n"


@pytest.mark.parametrize("name", sorted(FILES))
def test_golden_output(name: str, overwrite: bool) -> None:
    out = _output(FILES[name])
    path = GOLDEN / name
    if overwrite:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(out)
    assert path.is_file(), f"no {path}: run pytest {__file__} --overwrite"
    assert out == path.read_text(), f"{name} changed; rerun with --overwrite if intended"


def test_every_command_has_a_golden_text_and_json() -> None:
    assert set(CASES) == set(COMMANDS) - {"serve"}
