"""Reading a Hugging Face config.json: typed values, the family's defaults, clear refusals."""

from __future__ import annotations

import builtins

from ..errors import SpecError, shown

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MISSING: Any = object()


class Config:
    """A config dict with the defaults transformers' config class of its family would fill in.

    Keys a config leaves out take the family's default (copied from transformers' config
    classes, and checked against them in the tests); a key with neither is refused by name.
    """

    def __init__(self, data: dict[str, Any], family: str, defaults: dict[str, Any],
                 aliases: dict[str, str] | None = None, where: str = "config.json") -> None:
        from ..spec import special_floats  # {"__float__": "Infinity"}, as transformers saves it

        self.data, self.family, self.defaults = special_floats(data), family, defaults
        self.where = where
        self.read: set[str] = set()  # the keys asked for: a closed family refuses the others
        self.aliases = aliases or {}
        for legacy, key in (aliases or {}).items():  # older key names: n_embd -> hidden_size
            if key not in data and legacy in data:
                self.data = {**self.data, key: self.data[legacy]}

    def value(self, key: str, default: Any = MISSING) -> Any:
        """The config's value (null included), else the family's default, else default."""
        self.read.add(key)
        if key in self.data:
            return self.data[key]
        if key in self.defaults:
            return self.defaults[key]
        if default is not MISSING:
            return default
        raise SpecError(f"{self.where}: missing {key!r}, which a {self.family} model needs")

    def int(self, key: str, default: Any = MISSING, least: int = 1) -> int:
        """A whole number; null means the default given here (as transformers works it out)."""
        v = self.value(key, default)
        if v is None:
            if default is MISSING:
                raise SpecError(f"{self.where}: {key} is null, and a {self.family} model "
                                f"needs a number there")
            return default  # type: ignore[no-any-return]
        if isinstance(v, bool) or not isinstance(v, int) or v < least or v > 2**62:
            raise SpecError(f"{self.where}: {key} must be a whole number of at least {least}, "
                            f"got {shown(v)}")
        return v

    def bool(self, key: str, default: Any = MISSING) -> bool:
        v = self.value(key, default)
        if not isinstance(v, bool):
            raise SpecError(f"{self.where}: {key} must be true or false, got {shown(v)}")
        return v

    def ints(self, key: str, default: Any = MISSING) -> list[builtins.int]:
        v = self.value(key, default)
        if not isinstance(v, list) or not all(isinstance(i, int) for i in v):
            raise SpecError(f"{self.where}: {key} must be a list of layer numbers, got "
                            f"{shown(v)}")
        return v

    def int_set(self, key: str) -> frozenset[builtins.int]:
        """ints(key) as a set, made once: asked of every layer, a list would be read through
        each time (800,000 entries, for each of thousands of layers)."""
        sets: dict[str, frozenset[builtins.int]] = self.__dict__.setdefault("_sets", {})
        if key not in sets:
            sets[key] = frozenset(self.ints(key))
        return sets[key]
