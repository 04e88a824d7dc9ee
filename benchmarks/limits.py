"""The largest legal inputs: time and peak memory of nnsize next to json.loads of the same header.

Writes, in a temporary folder: a safetensors file whose header lists 1,000,000 tensors (the cap,
MAX_TENSORS), a GGUF file with as many tensor infos, a Llama config.json of 1,000,000 layers and
a spec with one LSTM of 1,000,000 layers.  Each is counted by `nnsize.count()` in a fresh
process; the reference is the standard json module parsing the same safetensors header alone,
which is what any reader of the format must do at least.  Prints wall time, peak RSS and the
ratios.  Peak RSS includes the interpreter (about 10 MB) in every row.

    python benchmarks/limits.py [--tensors 1000000] [--layers 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

COUNT = """
import sys, nnsize
report = nnsize.count(sys.argv[1])
print(report.total_params)
"""
JSON_ONLY = """
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(n))
print(len(header))
"""


def write_safetensors(path: str, tensors: int) -> None:
    """A header like a real checkpoint's: layer-numbered names, F16 tensors of 4 elements."""
    entries, offset = {}, 0
    for i in range(tensors):
        entries[f"model.layers.{i // 8}.p{i % 8}.weight"] = {
            "dtype": "F16", "shape": [2, 2], "data_offsets": [offset, offset + 8]}
        offset += 8
    raw = json.dumps(entries, separators=(",", ":")).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        f.truncate(8 + len(raw) + offset)  # the data: a hole, never read


def write_gguf(path: str, tensors: int) -> None:
    """GGUF v3, no metadata, tensors of 2 x 2 F32 (type 0)."""
    with open(path, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, tensors, 0))
        for i in range(tensors):
            name = f"blk.{i // 8}.p{i % 8}.weight".encode()
            f.write(struct.pack("<Q", len(name)) + name + struct.pack("<IQQIQ", 2, 2, 2, 0,
                                                                        16 * i))
        f.truncate(f.tell() + 16 * tensors)


def run(code: str, path: str) -> tuple[float, int, str]:
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: run each case in its own
    # short-lived parent so rows do not inherit an earlier, bigger one.
    probe = f"""
import os, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run([sys.executable, "-c", {code!r}, {path!r}], capture_output=True, text=True)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
said = (proc.stdout.strip() or (proc.stderr.strip().splitlines() or [''])[-1])[:60]
print(elapsed, peak, said, sep="\\t")
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.strip()
    elapsed, peak, said = out.split("\t", 2)
    return float(elapsed), int(peak), said


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tensors", type=int, default=1_000_000)
    p.add_argument("--layers", type=int, default=1_000_000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        st, gg = os.path.join(tmp, "big.safetensors"), os.path.join(tmp, "big.gguf")
        llama, lstm = os.path.join(tmp, "config.json"), os.path.join(tmp, "lstm.json")
        write_safetensors(st, args.tensors)
        write_gguf(gg, args.tensors)
        with open(llama, "w") as f:
            json.dump({"model_type": "llama", "architectures": ["LlamaForCausalLM"],
                       "hidden_size": 4096, "intermediate_size": 14336,
                       "num_attention_heads": 32, "num_key_value_heads": 8,
                       "num_hidden_layers": args.layers, "vocab_size": 128256}, f)
        with open(lstm, "w") as f:
            json.dump({"input_shape": [16, 64], "layers": [
                {"type": "LSTM", "hidden_size": 64, "num_layers": args.layers}]}, f)
        header = os.path.getsize(st)
        rows = [(f"json.loads of the safetensors header ({header / 1e6:.0f} MB, reference)",
                 run(JSON_ONLY, st)),
                (f"nnsize: safetensors, {args.tensors:,} tensors", run(COUNT, st)),
                (f"nnsize: GGUF, {args.tensors:,} tensors", run(COUNT, gg)),
                (f"nnsize: Llama config, {args.layers:,} layers", run(COUNT, llama)),
                (f"nnsize: LSTM of {args.layers:,} layers", run(COUNT, lstm))]
    ref_time, ref_rss = rows[0][1][0], rows[0][1][1]
    print(f"{'input':58} {'seconds':>8} {'x json':>7} {'peak MB':>8} {'x json':>7}  result")
    for name, (elapsed, rss, said) in rows:
        print(f"{name:58} {elapsed:8.2f} {elapsed / ref_time:7.2f} {rss / 1e6:8.0f} "
              f"{rss / ref_rss:7.2f}  {said}")


if __name__ == "__main__":
    main()
