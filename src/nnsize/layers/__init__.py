"""Layer kinds, one file per family, each registering its kinds with @register.

A new kind goes into its family's file (and @alias for another framework's spelling); a new
family is a new file named in FAMILIES (base.py).  Families are imported when a spec first names
a kind they might hold, most common first, so counting an MLP imports dense.py alone.
"""

from __future__ import annotations

from .base import (
    CONVENTIONS,
    FAMILIES,
    KERAS,
    PYTORCH,
    REGISTRY,
    Kind,
    build,
    kind_of,
    known_types,
    load_all,
)

__all__ = ["CONVENTIONS", "FAMILIES", "KERAS", "PYTORCH", "REGISTRY", "Kind", "build",
           "kind_of", "known_types", "load_all"]
