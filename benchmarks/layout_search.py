"""How long the layout search takes over 4,096 GPUs (issue 22 asks under a second).

    PYTHONPATH=src python3 benchmarks/layout_search.py
"""

from __future__ import annotations

import time

from nnsize import sources
from nnsize.parallel.interconnect import links
from nnsize.parallel.search import search
from nnsize.parallel.shape import from_report, gpt


def main() -> None:
    for shape in (gpt(96, 12288, 96, name="GPT-3 175B"),
                  from_report(sources.count("llama-3.1-405b"))):
        start = time.perf_counter()
        found = search(shape, 4096, 4096, 8192, 79 * 2**30, 989_400_000_000_000,
                       links("NVLink 4"))
        took = time.perf_counter() - start
        print(f"{shape.name}: {len(found):,} layouts fit of 4,096 GPUs in {took:.3f} s")


if __name__ == "__main__":
    main()
