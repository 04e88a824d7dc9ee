"""Layer kinds, one file per family, each registering its kinds with @register.

A new kind goes into its family's file (and @alias for another framework's spelling); a new
family is a new file named in FAMILIES.  Families are imported when a spec first names a kind
they might hold, most common first, so counting an MLP imports dense.py alone.
"""

from __future__ import annotations

from .base import CONVENTIONS, KERAS, PYTORCH, REGISTRY, Kind, build, known_types, load_all

FAMILIES = ("dense", "activation", "conv", "pool", "norm", "reshape", "embedding", "recurrent",
            "attention", "transformer", "resize", "wrapper")

__all__ = ["CONVENTIONS", "FAMILIES", "KERAS", "PYTORCH", "REGISTRY", "Kind", "build",
           "known_types", "load_all"]
