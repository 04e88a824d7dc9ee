"""nnsize.summary() next to torchinfo.summary() on the same PyTorch models, in one run.

Each measurement runs in a fresh process, which reports its wall time and peak resident memory
(ru_maxrss), so neither tool benefits from the other's imports or caches.  The last model is a
70B-parameter Llama-shaped transformer built on the meta device, which both are asked to
summarise with device="meta" where they take it.  Times: the first call (with each tool's
one-time warm-up: nnsize's first fake-tensor pass costs about a second of torch start-up) and
the median of three more.

    python benchmarks/summary.py
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import torch
from torch import nn
import torch.nn.functional as F

class Block(nn.Module):
    def __init__(s, d, heads, kv, ff):
        super().__init__()
        s.heads, s.kv, s.hd = heads, kv, d // heads
        s.q, s.k = nn.Linear(d, d, bias=False), nn.Linear(d, kv * s.hd, bias=False)
        s.v, s.o = nn.Linear(d, kv * s.hd, bias=False), nn.Linear(d, d, bias=False)
        s.gate, s.up = nn.Linear(d, ff, bias=False), nn.Linear(d, ff, bias=False)
        s.down = nn.Linear(ff, d, bias=False)
        s.n1, s.n2 = nn.RMSNorm(d), nn.RMSNorm(d)
    def forward(s, x):
        b, t, d = x.shape
        h = s.n1(x)
        q = s.q(h).view(b, t, s.heads, s.hd).transpose(1, 2)
        k = s.k(h).view(b, t, s.kv, s.hd).transpose(1, 2).repeat_interleave(s.heads // s.kv, 1)
        v = s.v(h).view(b, t, s.kv, s.hd).transpose(1, 2).repeat_interleave(s.heads // s.kv, 1)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + s.o(a.transpose(1, 2).reshape(b, t, d))
        h = s.n2(x)
        return x + s.down(F.silu(s.gate(h)) * s.up(h))

class Llama(nn.Module):
    def __init__(s, vocab, d, layers, heads, kv, ff):
        super().__init__()
        s.embed = nn.Embedding(vocab, d)
        s.layers = nn.ModuleList(Block(d, heads, kv, ff) for _ in range(layers))
        s.norm, s.head = nn.RMSNorm(d), nn.Linear(d, vocab, bias=False)
    def forward(s, ids):
        x = s.embed(ids)
        for layer in s.layers:
            x = layer(x)
        return s.head(s.norm(x))

def resnetish():
    layers = [nn.Conv2d(3, 64, 7, 2, 3), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    c = 64
    for out in (64, 128, 256, 512):
        for i in range(2):
            layers += [nn.Conv2d(c, out, 3, 2 if (i == 0 and out != 64) else 1, 1, bias=False),
                       nn.BatchNorm2d(out), nn.ReLU()]
            c = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000))

which, tool = sys.argv[1], sys.argv[2]
if which == "resnetish":
    model, size, dtype = resnetish(), (32, 3, 224, 224), torch.float32
elif which == "llama-tiny":
    model, size, dtype = Llama(32000, 512, 8, 8, 2, 1376), (1, 128), torch.long
else:  # llama-70b on the meta device
    with torch.device("meta"):
        model = Llama(128256, 8192, 80, 64, 8, 28672)
    size, dtype = (1, 128), torch.long
def once():
    if tool == "nnsize":
        import nnsize
        return nnsize.summary(model, input_size=size, input_dtype=dtype).total_params
    import torchinfo
    return torchinfo.summary(model, input_size=size, dtypes=[dtype], verbose=0,
                             device="meta" if which == "llama-70b" else "cpu").total_params

result = {}
try:
    start = time.perf_counter()
    result["params"] = once()
    result["first"] = time.perf_counter() - start  # includes each tool's one-time warm-up
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        once()
        warm.append(time.perf_counter() - start)
    result["seconds"] = sorted(warm)[1]
except Exception as e:
    result["error"] = f"{type(e).__name__}: {str(e)[:100]}"
result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def run(model: str, tool: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", CHILD, model, tool], capture_output=True,
                          text=True)
    try:
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    except (IndexError, ValueError):
        return {"error": (done.stderr.strip().splitlines() or ["crashed"])[-1][:100]}


def main() -> None:
    print(f"{'model':12} {'tool':10} {'params':>16} {'first s':>8} {'then s':>8} "
          f"{'peak MiB':>9}  note")
    for model in ("resnetish", "llama-tiny", "llama-70b"):
        results = {tool: run(model, tool) for tool in ("nnsize", "torchinfo")}
        for tool, r in results.items():
            params = f"{r['params']:,}" if "params" in r else "-"
            first = f"{r['first']:.3f}" if "first" in r else "-"
            seconds = f"{r['seconds']:.3f}" if "seconds" in r else "-"
            peak = f"{r['peak_mib']:.0f}" if "peak_mib" in r else "-"
            print(f"{model:12} {tool:10} {params:>16} {first:>8} {seconds:>8} {peak:>9}  "
                  f"{r.get('error', '')}")
        a, b = results["nnsize"], results["torchinfo"]
        if "seconds" in a and "seconds" in b and "error" not in b:
            ratio = float(b["seconds"]) / float(a["seconds"])
            print(f"{'':12} torchinfo / nnsize: time {ratio:.1f}x "
                  f"(after the first call), peak memory "
                  f"{float(b['peak_mib']) / float(a['peak_mib']):.1f}x")


CORRECTNESS = r"""
import sys
sys.path.insert(0, "tests/importers")
import torch, torchinfo, nnsize
from torch.utils.flop_counter import FlopCounterMode
from nnsize.importers.from_torch import flop_formulas
from models import TinyGPT
model = TinyGPT()
ids = torch.randint(0, 64, (2, 16))
with FlopCounterMode(display=False, custom_mapping=flop_formulas(torch)) as counter:
    model(ids)
truth = sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2
ti = torchinfo.summary(model, input_size=(2, 16), dtypes=[torch.long], verbose=0)
ns = nnsize.summary(model, input_size=(2, 16), input_dtype=torch.long)
print("\nA GPT with a tied head and functional attention (tests/importers/models.py TinyGPT):")
print(f"{'':12} {'parameters':>12} {'MACs':>10}")
print(f"{'PyTorch':12} {truth[0]:>12,} {truth[1]:>10,}  (parameters(), FlopCounterMode)")
print(f"{'torchinfo':12} {ti.total_params:>12,} {ti.total_mult_adds:>10,}")
print(f"{'nnsize':12} {ns.total_params:>12,} {ns.macs:>10,}")
"""


if __name__ == "__main__":
    main()
    subprocess.run([sys.executable, "-c", CORRECTNESS], check=False)
