"""Reading models nnsize did not build: one file per source, reading only, no formulas.

FORMATS is the one table from a file's suffix to the importer that reads it: nnsize.count()
picks the importer by it, the presets module knows which names are files by it, and the web API
lists the formats it reads from a file's first bytes from it.  It is read from the modules here:
a new format is a new module from_NAME.py whose FORMAT = Format(...) names its suffixes and its
reader, and nothing else.  The modules are imported when the table is first asked for (a file
to read, a Hub name to tell from a path), never for a network, a preset or a spec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Report


@dataclass(frozen=True)
class Format:
    """A file format: its suffixes and the function that reads it."""

    name: str
    suffixes: tuple[str, ...]
    read: Callable[..., Report]  # (path, ...) -> Report
    convention: str | None = None  # the convention its models count in by default
    from_bytes: bool = False  # the loader reads the file's first bytes too (the web API)

    def loader(self) -> Callable[..., Report]:
        return self.read

    def load(self, path: str, convention: str | None = None) -> Report:
        from .tensors import paused_gc

        with paused_gc():  # a checkpoint's hundreds of thousands of objects, no cycles
            if self.convention is not None:
                return self.read(path, convention or self.convention)
            return self.read(path)


_formats: tuple[Format, ...] | None = None


def formats() -> tuple[Format, ...]:
    """The FORMAT of every module from_*.py here that declares one, by module name."""
    global _formats
    if _formats is None:
        import importlib
        import pkgutil

        found = []
        for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if m.name.startswith("from_"):
                fmt = getattr(importlib.import_module(f"{__name__}.{m.name}"), "FORMAT", None)
                if isinstance(fmt, Format):
                    found.append(fmt)
        _formats = tuple(found)
    return _formats


def __getattr__(name: str) -> Any:
    if name == "FORMATS":
        return formats()
    if name == "SUFFIXES":
        return tuple(s for f in formats() for s in f.suffixes)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def format_for(path: str) -> Format | None:
    """The format a file name's suffix says (any case), None for none of them."""
    lowered = path.lower()
    for f in formats():
        if lowered.endswith(f.suffixes):
            return f
    return None


def find_format(name: str) -> Format:
    for f in formats():
        if f.name == name:
            return f
    from ..errors import NnsizeError

    raise NnsizeError(f"unknown format {name!r}; one of {', '.join(f.name for f in formats())}")
