"""Compute of a language model, for the planner: nnsize.compute (below the analyses, where a
count reaches it without loading memory/)."""

from __future__ import annotations

from ..compute import Compute, compute, image_context, layer_count, token_macs

__all__ = ["Compute", "compute", "image_context", "layer_count", "token_macs"]
