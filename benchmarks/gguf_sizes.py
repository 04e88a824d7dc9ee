"""GGUF file sizes: nnsize's llama.cpp mixes against llama.cpp's published Llama-3.1-8B table.

    python benchmarks/gguf_sizes.py

llama.cpp's tools/quantize/README.md (ggml-org/llama.cpp 311c2c9) publishes, per named mix of
meta-llama/Llama-3.1-8B, the bits per weight llama-bench reports.  This prints nnsize's
prediction (the per-tensor types of llama_tensor_get_type, bytes from GGML_QUANT_SIZES, and
the 256-byte rope_freqs tensor the converter adds), the bits a single-type estimate gives
(every tensor at the mix's base type, as calculators that multiply parameters by bits do), and
both ratios to the published figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import nnsize  # noqa: E402
from nnsize.memory import gguf_mix  # noqa: E402

PUBLISHED = {"Q2_K": 3.1593, "Q3_K_S": 3.6429, "Q3_K_L": 4.2979, "Q4_K_S": 4.6672,
             "Q4_K_M": 4.8944, "Q5_K_S": 5.5704, "Q5_K_M": 5.7036, "Q6_K": 6.5633,
             "Q8_0": 8.5008, "IQ4_XS": 4.4597, "IQ4_NL": 4.6818, "IQ3_M": 3.7628}


def main() -> None:
    report = nnsize.count("llama-3.1-8b")
    tensors = gguf_mix.report_tensors(report) + [("rope_freqs.weight", (64,))]
    hp = gguf_mix.hparams(report)
    params = report.total_params + 64
    print(f"{'mix':<8}{'published':>10}{'nnsize':>10}{'ratio':>8}{'one type':>10}{'ratio':>8}")
    for ftype, bpw in PUBLISHED.items():
        mix = gguf_mix.assign(tensors, ftype, hp, float_type="F16")
        ours = sum(t.bytes for t in mix) * 8 / params
        block, size = gguf_mix.TYPE_SIZES[gguf_mix.FTYPES[ftype]]
        naive = size * 8 / block
        print(f"{ftype:<8}{bpw:>10.4f}{ours:>10.4f}{ours / bpw:>8.4f}{naive:>10.4f}"
              f"{naive / bpw:>8.4f}")
    files()


def files() -> None:
    """Published GGUF file sizes (tests/data/gguf_file_sizes.json, with their sources) against
    `nnsize memory MODEL --dtype TYPE`'s weights line."""
    import json

    from nnsize.memory import Setup, plan

    data = json.loads((Path(__file__).resolve().parents[1] / "tests" / "data" /
                       "gguf_file_sizes.json").read_text())
    print(f"\n{'model':<14}{'type':<8}{'published GB':>14}{'nnsize GB':>11}{'ratio':>8}  source")
    for m in data["models"]:
        for ftype, gb in m.get("gb", {}).items():
            ours = plan(nnsize.count(m["model"]), Setup(dtype=ftype)).lines[0].bytes / 1e9
            print(f"{m['model']:<14}{ftype:<8}{gb:>14.2f}{ours:>11.3f}{ours / gb:>8.4f}  "
                  f"{m['repo']}")


if __name__ == "__main__":
    main()
