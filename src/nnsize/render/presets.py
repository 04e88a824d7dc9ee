"""The preset list as text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .table import table

if TYPE_CHECKING:
    from ..architectures.presets import Preset


def preset_table(presets: list[Preset]) -> str:
    """The presets, one line each: name, kind, what it is, where its numbers come from."""
    rows = [[p.name, p.kind, p.description, p.source] for p in presets]
    return table(["Preset", "Kind", "Model", "Source"], rows, [False] * 4)
