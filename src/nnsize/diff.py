"""Two sources of one model compared tensor by tensor: a config and a checkpoint, or two
checkpoints.  Buffers are left out; a tied tensor (the LM head sharing the embeddings) may be
stored or not without being a difference.  Mixture-of-experts layers stored one expert at a
time (experts.0.gate_proj.weight, as checkpoints on the Hub and transformers 5's save_pretrained
keep them) match the fused tensors transformers 5 builds (experts.gate_up_proj), as its
conversion mapping merges them: gate and up stacked over experts and joined, down stacked.

A GGUF file (llama.cpp) against a config or another checkpoint: the other side's tensors are
renamed as convert_hf_to_gguf.py writes them (importers/gguf_names.py, the one table of GGUF's
names: model.layers.3.self_attn.q_proj.weight -> blk.3.attn_q.weight, the fused experts split
into ffn_gate_exps and ffn_up_exps), shapes in torch's order on both sides (GGUF stores its
dimensions reversed; importers/from_gguf.py turns them back)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Report, Shape


@dataclass(frozen=True)
class Diff:
    a: Report
    b: Report
    only_a: list[str]
    only_b: list[str]
    mismatched: list[tuple[str, Shape, Shape]]
    tied_not_stored: list[str]  # tied in one, absent from the other: the same model
    fused: list[str] = field(default_factory=list)  # expert groups matched in fused form
    gguf_names: str = ""  # "A" or "B": that side renamed as GGUF names its tensors

    @property
    def same(self) -> bool:
        return not (self.only_a or self.only_b or self.mismatched)


def _tensors(report: Report) -> tuple[dict[str, Shape], set[str]]:
    shapes, tied = {}, set()
    for name, t in report.named_tensors():
        if t.buffer:
            continue
        shapes[name] = t.shape
        if t.shared_with:
            tied.add(name)
    return shapes, tied


# one expert's projection: (layer's experts prefix, expert index, projection)
EXPERT = re.compile(r"^(?P<prefix>.*\.experts)\.(?P<j>\d+)\.(?P<proj>gate_proj|up_proj|"
                    r"down_proj|w1|w2|w3)\.weight$")
GATE, UP, DOWN = ("gate_proj", "w1"), ("up_proj", "w3"), ("down_proj", "w2")


def fuse_experts(shapes: dict[str, Shape]) -> tuple[dict[str, Shape], list[str]]:
    """Experts stored one by one, as the fused tensors transformers 5 builds:

        experts.{j}.gate_proj / up_proj: [inter, hidden] x n -> experts.gate_up_proj:
            [n, 2 * inter, hidden];  experts.{j}.down_proj: [hidden, inter] x n ->
            experts.down_proj: [n, hidden, inter]
    (Mixtral's w1 / w3 / w2 under block_sparse_moe, renamed to mlp, the same way).  A group
    with an expert or a projection missing, or shapes that do not agree, is left as it is."""
    groups: dict[str, dict[int, dict[str, Shape]]] = {}
    for name, shape in shapes.items():
        m = EXPERT.match(name)
        if m:
            groups.setdefault(m["prefix"], {}).setdefault(int(m["j"]), {})[m["proj"]] = shape
    out = dict(shapes)
    fused = []
    for prefix, experts in groups.items():
        n = len(experts)
        first = experts.get(0, {})
        names = next(((g, u, d) for g, u, d in zip(GATE, UP, DOWN) if g in first), None)
        if names is None or sorted(experts) != list(range(n)):
            continue
        g, u, d = names
        ok = all(set(e) == {g, u, d} and e[g] == first[g] == e[u] and e[d] == first[d]
                 and e[g] == first[d][::-1] and len(e[g]) == 2 for e in experts.values())
        if not ok:
            continue
        for j in range(n):
            for proj in (g, u, d):
                del out[f"{prefix}.{j}.{proj}.weight"]
        inter, hidden = first[g]
        target = prefix.replace(".block_sparse_moe.", ".mlp.")
        out[f"{target}.gate_up_proj"] = (n, 2 * inter, hidden)
        out[f"{target}.down_proj"] = (n, hidden, inter)
        if target != prefix:  # Mixtral's router moves with its experts
            gate = prefix[:-len("experts")] + "gate.weight"
            if gate in out:
                out[target[:-len("experts")] + "gate.weight"] = out.pop(gate)
        fused.append(target)
    return out, sorted(fused)


def _is_gguf(report: Report) -> bool:
    return report.stored.get("format") == "gguf"


def _as_gguf(report: Report, shapes: dict[str, Shape], tied: set[str]) -> dict[str, Shape]:
    """A model's tensors (experts fused) as llama.cpp's converter writes them: a tied tensor
    not twice, DeepSeek's persistent router bias (a buffer) as exp_probs_b."""
    from .importers.gguf_names import PERSISTENT, layout, renamed

    kept = [(n, s) for n, s in shapes.items() if n not in tied]
    kept += [(n, t.shape) for n, t in report.named_tensors()
             if t.buffer and n.endswith(PERSISTENT)]
    return renamed(kept, layout(report))


def compare(a: Report, b: Report) -> Diff:
    sa, ta = _tensors(a)
    sb, tb = _tensors(b)
    sa, fa = fuse_experts(sa)
    sb, fb = fuse_experts(sb)
    side = ""
    if _is_gguf(a) != _is_gguf(b):  # compare under GGUF's names
        side = "B" if _is_gguf(a) else "A"
        if side == "A":
            sa, ta = _as_gguf(a, sa, ta), set()
        else:
            sb, tb = _as_gguf(b, sb, tb), set()
    tied = sorted(n for n in (set(sa) ^ set(sb)) if n in ta | tb)
    only_a = sorted(n for n in set(sa) - set(sb) if n not in tied)
    only_b = sorted(n for n in set(sb) - set(sa) if n not in tied)
    mismatched = sorted((n, sa[n], sb[n]) for n in set(sa) & set(sb) if sa[n] != sb[n])
    return Diff(a, b, only_a, only_b, mismatched, tied, sorted(set(fa) | set(fb)), side)
