"""A package's names imported when first used (PEP 562), so that importing one module of a
package does not import the rest:

    __getattr__, __dir__ = exports(__name__, {"Report": "report", "Row": "row"})

with the same names imported under TYPE_CHECKING for mypy and readers; and load(), the module
of a name known only when the program runs (a command, a family of layers).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import ModuleType


def exports(package: str, where: Mapping[str, str]) -> tuple[Callable[[str], object],
                                                             Callable[[], list[str]]]:
    """The package's __getattr__ and __dir__ for names defined in its modules: where maps
    each name to the module (of the package) that defines it."""
    def __getattr__(name: str) -> object:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(load(f"{package}.{where[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__


def load(module: str) -> ModuleType:
    """The module of this absolute name, imported if it is not yet: importlib.import_module
    without importing the importlib package, which imports warnings (half a millisecond of a
    first call); the import statement's own machinery does the work."""
    if module not in sys.modules:
        __import__(module)
    return sys.modules[module]
