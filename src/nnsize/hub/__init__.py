"""Models on the Hugging Face Hub, by their names: 'Qwen/Qwen3-30B-A3B', 'org/name@rev',
'org/name-GGUF:Q4_K_M'.  Read through huggingface_hub (the 'hub' extra): config.json and the
checkpoint's headers, never its weights."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..model import Report
    from .cache import Bound
    from .name import HubName, parse


def __getattr__(attr: str) -> Any:
    """HubName and parse on first use, so that importing hub.deadlines (the command line's
    parser does) imports nothing else of the package."""
    if attr in ("HubName", "parse"):
        from . import name

        return getattr(name, attr)
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")

__all__ = ["HubName", "count", "parse"]


def count(name: HubName, base: bool = False, part: str = "both",
          anonymous: bool = False, deadline_s: float | None = None,
          bound: Bound | None = None) -> Report:
    from .repo import count as count_repo

    return count_repo(name, base, part, anonymous, deadline_s, bound)
