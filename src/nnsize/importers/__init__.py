"""Reading models nnsize did not build: one file per source, reading only, no formulas.

FORMATS is the one table from a file's suffix to the importer that reads it: nnsize.count()
picks the importer by it, the presets module knows which names are files by it, and the web API
lists the formats it reads from a file's first bytes from it.  A new format is a new module here
and one line in FORMATS.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Report


@dataclass(frozen=True)
class Format:
    """A file format: its suffixes and the function of this package that reads it."""

    name: str
    suffixes: tuple[str, ...]
    module: str  # a module of this package
    function: str  # its loader: (path, ...) -> Report
    convention: str | None = None  # the convention its models count in by default
    from_bytes: bool = False  # the loader reads the file's first bytes too (the web API)

    def loader(self) -> Any:
        return getattr(importlib.import_module(f"{__name__}.{self.module}"), self.function)

    def load(self, path: str, convention: str | None = None) -> Report:
        from .tensors import paused_gc

        with paused_gc():  # a checkpoint's hundreds of thousands of objects, no cycles
            if self.convention is not None:
                return self.loader()(path, convention or self.convention)  # type: ignore[no-any-return]
            return self.loader()(path)  # type: ignore[no-any-return]


FORMATS = (
    Format("onnx", (".onnx",), "from_onnx", "load_onnx", from_bytes=True),
    Format("keras", (".keras",), "from_keras", "load_keras_file", convention="keras"),
    Format("safetensors", (".safetensors", ".safetensors.index.json"), "from_safetensors",
           "load_safetensors", from_bytes=True),
    Format("gguf", (".gguf",), "from_gguf", "load_gguf", from_bytes=True),
    Format("torch", (".pt", ".pth", ".bin", ".ckpt", ".bin.index.json"),
           "from_torch_checkpoint", "load_checkpoint"),
)
SUFFIXES = tuple(s for f in FORMATS for s in f.suffixes)


def format_for(path: str) -> Format | None:
    """The format a file name's suffix says (any case), None for none of them."""
    lowered = path.lower()
    for f in FORMATS:
        if lowered.endswith(f.suffixes):
            return f
    return None


def find_format(name: str) -> Format:
    for f in FORMATS:
        if f.name == name:
            return f
    from ..errors import NnsizeError

    raise NnsizeError(f"unknown format {name!r}; one of {', '.join(f.name for f in FORMATS)}")
