"""Every named model nnsize counts offline: language models from their published configs and
the classic networks built from nnsize's own layer kinds."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import SpecError, suggest
from .model import Report


@dataclass(frozen=True)
class Preset:
    name: str
    kind: str  # "language model" or "classic network"
    description: str
    source: str
    build: Callable[[str | None, dict[str, Any]], Report]

    def count(self, convention: str | None = None, **options: Any) -> Report:
        return self.build(convention, options)


def _llm(name: str, repo: str, config: dict[str, Any], description: str) -> Preset:
    from .architectures.presets import source_url

    def build(convention: str | None, options: dict[str, Any]) -> Report:
        from dataclasses import replace

        from .architectures import count_config

        return replace(count_config(config, name, bool(options.get("base"))), source=name)

    return Preset(name, "language model", description, source_url(repo), build)


def presets() -> dict[str, Preset]:
    from .architectures.classic import CLASSICS
    from .architectures.presets import LLMS

    table = {name: _llm(name, *entry) for name, entry in LLMS.items()}
    for name, (source, description, builder) in CLASSICS.items():
        table[name] = Preset(name, "classic network", description, source, _classic(builder))
    return table


def _classic(builder: Callable[..., Report]) -> Callable[[str | None, dict[str, Any]], Report]:
    def build(convention: str | None, options: dict[str, Any]) -> Report:
        return builder(convention, **{k: v for k, v in options.items() if k == "actions"})
    return build


_SHAPED = re.compile(r"[A-Za-z][A-Za-z0-9._\-]*[A-Za-z0-9]")


def find_preset(text: str) -> Preset | None:
    """The preset named text (any case), None for text that is not a preset-like name, and a
    SpecError with the closest names for one that looks like a preset but is not."""
    import os

    if not _SHAPED.fullmatch(text) or text[0].isdigit() or os.path.exists(text):
        return None
    table = presets()
    key = text.lower()
    if key in table:
        return table[key]
    if text.lower().endswith((".json", ".yaml", ".yml", ".onnx", ".keras", ".safetensors",
                              ".gguf", ".pt", ".pth", ".bin")):
        return None
    raise SpecError(f"{text!r} is not a shorthand, a file or a preset{suggest(key, list(table))}"
                    f"; 'nnsize presets' lists the presets")
