"""Layer kinds, one file per family; importing this package fills the registry.

A new kind goes into its family's file with @register (and @alias for another framework's
spelling); a new family is a new file listed here.
"""

from __future__ import annotations

from . import activation, attention, conv, dense, embedding, norm, pool, recurrent, \
    reshape, resize, transformer  # noqa: F401  (each registers its kinds)
from .base import CONVENTIONS, KERAS, PYTORCH, REGISTRY, Kind, build, known_types

__all__ = ["CONVENTIONS", "KERAS", "PYTORCH", "REGISTRY", "Kind", "build", "known_types"]
