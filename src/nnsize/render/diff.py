"""Two sources of one model compared, as text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .numbers import n, shape

if TYPE_CHECKING:
    from ..diff import Diff


def diff_text(d: Diff, limit: int = 20) -> str:
    """A comparison of two sources: what only one has, shapes that differ, totals."""
    def listing(title: str, items: list[str]) -> list[str]:
        if not items:
            return []
        more = f"  ... and {n(len(items) - limit)} more" if len(items) > limit else ""
        return [f"{title} ({n(len(items))}):", *(f"  {i}" for i in items[:limit]),
                *([more] if more else [])]

    out = [f"A: {d.a.source}  {n(d.a.total_params)} parameters",
           f"B: {d.b.source}  {n(d.b.total_params)} parameters", ""]
    out += listing("Only in A", d.only_a) + listing("Only in B", d.only_b)
    out += listing("Shapes differ (A vs B)", [f"{name}: {shape(x)} vs {shape(y)}"
                                               for name, x, y in d.mismatched])
    out += listing("Tied to another tensor in one, not stored in the other (the same model)",
                   d.tied_not_stored)
    if d.fused:
        out.append(f"Experts stored one by one, matched to the fused tensors transformers "
                   f"builds, in {n(len(d.fused))} layer(s) (such as {d.fused[0]})")
    if d.gguf_names:
        out.append(f"{d.gguf_names}'s tensors renamed as llama.cpp's convert_hf_to_gguf.py "
                   f"writes them (blk.N.attn_q...), to compare with the GGUF file")
    delta = d.b.total_params - d.a.total_params
    out += ["", "Same tensors and shapes." if d.same else "The two differ.",
            f"Parameters: B - A = {delta:+,}"]
    return "\n".join(out)
