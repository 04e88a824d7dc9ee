"""The sizes one Llama-shaped decoder layer is built from, and a trait's answer for a config."""

from __future__ import annotations

from collections.abc import Callable

from .config import MISSING, Config
from .traits import Flag, Traits

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Dims:
    """The sizes a decoder layer is built from, read once."""

    def __init__(self, t: Traits, c: Config) -> None:
        self.hidden = c.int("hidden_size")
        self.heads = c.int("num_attention_heads")
        # a key the family requires has no fallback (transformers fails without it)
        kv: Any = MISSING if "num_key_value_heads" in t.requires else self.heads
        self.kv = c.int("num_key_value_heads", kv) if t.kv_heads else self.heads
        head_dim: Any = MISSING if "head_dim" in t.requires else None
        self.head_dim = (c.int("head_dim", head_dim) if t.head_dim else None) or \
            self.hidden // self.heads
        # read where a dense MLP needs it (a model of experts only may not give it)
        self._inter: Callable[[], int] = lambda: c.int(t.dense_width)
        self.vocab = c.int("vocab_size")
        self.layers = c.int("num_hidden_layers")

    @property
    def inter(self) -> int:
        return self._inter()


def flag(c: Config, value: Flag) -> bool:
    """A trait's answer: fixed, or read from the config key it names ("!key": its negation)."""
    if isinstance(value, bool):
        return value
    if value.startswith("!"):
        return not c.bool(value[1:])
    return c.bool(value)
