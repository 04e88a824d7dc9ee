"""A 60-shard model on a loopback Hugging Face Hub, counted three ways: nnsize (config.json and
each shard's header by HTTP range), huggingface_hub's get_safetensors_metadata (the first
100 kB of each shard), and downloading the files (what accelerate's estimate-memory and
transformers' from_pretrained start with).  Prints the time and the bytes the server sent for
each, and the ratios.

    python benchmarks/hub.py [--shards 60] [--runs 3]

The Hub is tests/hub/loopback_hub.py (a real HTTP server on 127.0.0.1); the repo is a Llama of
60 layers written by transformers' save_pretrained, one shard a layer.  Every run starts from
an empty cache, except nnsize's second run, answered from its cache.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "hub"))


def make_repo(folder: Path, layers: int) -> None:
    import torch
    import transformers

    config = transformers.LlamaConfig(hidden_size=128, intermediate_size=352,
                                      num_hidden_layers=layers, num_attention_heads=4,
                                      vocab_size=1000, pad_token_id=0, bos_token_id=0,
                                      eos_token_id=0)
    # one layer: 4 x 128^2 + 3 x 128 x 352 + 256 = 200,960 values, 803,840 bytes in fp32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = transformers.LlamaForCausalLM(config)
        with torch.no_grad():
            model.save_pretrained(folder, max_shard_size="900KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=60, help="layers, one shard each")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from loopback_hub import Hub

    work = Path(tempfile.mkdtemp(prefix="nnsize-hub-bench-"))
    hub = Hub()
    os.environ["HF_ENDPOINT"] = hub.url  # before huggingface_hub reads it at import
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ.pop("HF_TOKEN", None)
    make_repo(work / "repo", args.shards)
    hub.add("bench/llama-60", str(work / "repo"))
    shards = sum(1 for f in hub.repos["bench/llama-60"].files if f.endswith(".safetensors"))
    total = sum(len(v) for v in hub.repos["bench/llama-60"].files.values())

    import huggingface_hub

    import nnsize

    def fresh_home() -> str:
        home = work / f"home-{time.perf_counter_ns()}"
        os.environ["HF_HOME"] = str(home)
        return str(home / "hub")

    def nnsize_cold() -> int:
        fresh_home()
        return nnsize.count("bench/llama-60").total_params

    def nnsize_warm() -> int:
        return nnsize.count("bench/llama-60").total_params

    def metadata() -> int:
        cache = fresh_home()
        meta = huggingface_hub.HfApi(endpoint=hub.url).get_safetensors_metadata(
            "bench/llama-60")
        shutil.rmtree(cache, ignore_errors=True)
        return sum(sum(f.parameter_count.values()) for f in meta.files_metadata.values())

    def download() -> int:
        cache = fresh_home()
        path = huggingface_hub.snapshot_download("bench/llama-60", cache_dir=cache,
                                                 endpoint=hub.url)
        from safetensors import safe_open

        count = 0
        for f in Path(path).glob("*.safetensors"):
            with safe_open(str(f), "pt") as st:
                count += sum(st.get_slice(k).get_shape().numel()
                             if hasattr(st.get_slice(k).get_shape(), "numel") else
                             _numel(st.get_slice(k).get_shape()) for k in st.keys())
        shutil.rmtree(cache, ignore_errors=True)
        return count

    ways: list[tuple[str, Callable[[], int]]] = [
        ("nnsize (headers by range)", nnsize_cold),
        ("nnsize, second run (cache)", nnsize_warm),
        ("huggingface_hub get_safetensors_metadata", metadata),
        ("download the files (snapshot_download)", download)]
    results = []
    for label, fn in ways:
        times, sent, counts = [], [], set()
        for _ in range(args.runs):
            if label.startswith("nnsize, second"):
                nnsize_cold()
            before = hub.bytes_sent
            start = time.perf_counter()
            counts.add(fn())
            times.append(time.perf_counter() - start)
            sent.append(hub.bytes_sent - before)
        results.append((label, statistics.median(times), statistics.median(sent), counts))
    hub.close()
    shutil.rmtree(work, ignore_errors=True)

    print(f"A {shards}-shard repo of {total:,} bytes on a loopback Hub; median of {args.runs}")
    print(f"{'':44}{'time':>10}{'bytes sent':>16}{'x nnsize time':>15}{'x bytes':>10}  params")
    base_t, base_b = results[0][1], results[0][2]
    for label, t, b, counts in results:
        print(f"{label:44}{t * 1000:>8.0f}ms{b:>16,}{t / base_t:>15.2f}"
              f"{b / base_b if base_b else 0:>10.1f}  {', '.join(f'{c:,}' for c in counts)}")
    print("(the parameters of the stored tensors are equal for every way: the counts agree)")


def _numel(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


if __name__ == "__main__":
    main()
