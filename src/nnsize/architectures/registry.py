"""Architectures by model_type: one builder per family, registered once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .assembly import Assembly
from .config import Config

Builder = Callable[[str, Config, str, bool], Assembly]


@dataclass(frozen=True)
class Family:
    model_type: str
    defaults: dict[str, Any]
    build: Builder
    aliases: dict[str, str]
    causal: bool  # a task head is an LM head on a decoder (vs. an encoder's)
    base_class: str | None = None  # AutoModel's class for the model_type ('LlamaModel')


FAMILIES: dict[str, Family] = {}


def register(model_type: str, defaults: dict[str, Any], causal: bool = True,
             aliases: dict[str, str] | None = None,
             base_class: str | None = None) -> Callable[[Builder], Builder]:
    def deco(fn: Builder) -> Builder:
        if model_type in FAMILIES:
            raise RuntimeError(f"model_type {model_type!r} registered twice")
        FAMILIES[model_type] = Family(model_type, defaults, fn, aliases or {}, causal, base_class)
        return fn
    return deco
