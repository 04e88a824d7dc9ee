"""Training activations traced on fake tensors against real steps on tiny transformers models.

    python benchmarks/traced.py

For BERT, T5, BART, Whisper and ViT (the configs of tests/memory/test_traced.py), in fp32 and under
torch.autocast, batch 2 x 64: nnsize's traced saved bytes and step peak over what a real step
on the CPU keeps (saved_tensors_hooks, one count per storage; the peak of live storages, the
weights, their gradients and autocast's weight copies apart).  docs/training.md shows the table.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import torch  # noqa: E402
from measure import measure  # noqa: E402
from test_traced import BART, BERT, T5, VIT, WHISPER  # noqa: E402

from nnsize.memory.traced import _trace_config, config_model  # noqa: E402


def main() -> None:
    print(f"{'model':<9}{'mode':<10}{'saved':>12}{'measured':>12}{'ratio':>7}"
          f"{'peak':>12}{'measured':>12}{'ratio':>7}")
    for name, config in (("BERT", BERT), ("T5", T5), ("BART", BART), ("Whisper", WHISPER),
                         ("ViT", VIT)):
        for mode in ("fp32", "autocast"):
            traced = _trace_config(config, 2, 64, 0, "", mode, False)
            torch.manual_seed(0)
            model, inputs, _ = config_model(config, 2, 64, 0, "")
            model.train()
            m = measure(model, inputs, mode == "autocast")
            peak = m.peak - m.casts
            print(f"{name:<9}{mode:<10}{traced.saved:>12,}{m.saved:>12,}"
                  f"{traced.saved / m.saved:>7.3f}{traced.peak:>12,}{peak:>12,}"
                  f"{traced.peak / peak:>7.3f}")


if __name__ == "__main__":
    main()
