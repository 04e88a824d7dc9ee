"""Two sources of one model compared tensor by tensor: a config and a checkpoint, or two
checkpoints.  Buffers are left out; a tied tensor (the LM head sharing the embeddings) may be
stored or not without being a difference."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Report, Shape


@dataclass(frozen=True)
class Diff:
    a: Report
    b: Report
    only_a: list[str]
    only_b: list[str]
    mismatched: list[tuple[str, Shape, Shape]]
    tied_not_stored: list[str]  # tied in one, absent from the other: the same model

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


def compare(a: Report, b: Report) -> Diff:
    sa, ta = _tensors(a)
    sb, tb = _tensors(b)
    tied = sorted(n for n in (set(sa) ^ set(sb)) if n in ta | tb)
    only_a = sorted(n for n in set(sa) - set(sb) if n not in tied)
    only_b = sorted(n for n in set(sb) - set(sa) if n not in tied)
    mismatched = sorted((n, sa[n], sb[n]) for n in set(sa) & set(sb) if sa[n] != sb[n])
    return Diff(a, b, only_a, only_b, mismatched, tied)
