"""Models on the Hugging Face Hub, by their names: 'Qwen/Qwen3-30B-A3B', 'org/name@rev',
'org/name-GGUF:Q4_K_M'.  Read through huggingface_hub (the 'hub' extra): config.json and the
checkpoint's headers, never its weights."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .name import HubName, parse

if TYPE_CHECKING:
    from ..model import Report
    from .cache import Bound

__all__ = ["HubName", "count", "parse"]


def count(name: HubName, base: bool = False, part: str = "both",
          anonymous: bool = False, deadline_s: float | None = None,
          bound: Bound | None = None) -> Report:
    from .repo import count as count_repo

    return count_repo(name, base, part, anonymous, deadline_s, bound)
