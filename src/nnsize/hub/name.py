"""Telling a Hugging Face Hub name from a preset, a shorthand and a local path.

    Qwen/Qwen3-30B-A3B                   org/name: a Hub model, when no such local path exists
    meta-llama/Llama-3.1-8B@main         @ a revision: a branch, a tag or a commit
    bartowski/Llama-3.1-8B-GGUF:Q4_K_M   : one GGUF file of the repo, by its quantization
    hf:gpt2                              hf: a Hub name however it looks (one-part legacy names)

A local path that exists always wins; so does anything that ends like a file nnsize reads
('configs/llama.json' is a missing file, never a repo).  Presets and shorthands have no '/'.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..importers import SUFFIXES
from ..spec import SPEC_SUFFIXES

# huggingface_hub's own rule for a repo id: letters, digits, '_', '-', '.', at most 96 each side
_PART = r"[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9_])?"
_NAME = re.compile(rf"^(?P<repo>(?:{_PART}/)?{_PART})(?:@(?P<rev>[^:]*))?"
                   rf"(?::(?P<quant>[\w.-]{{1,64}}))?$", re.ASCII)
# a branch, a tag ('v1.0', 'refs/pr/1') or a commit: ASCII, no '..' or empty part (it names a
# file of the cache), at most MAX_REVISION characters
_REVISION = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
MAX_REVISION = 100
# what ends like a file nnsize reads is a path: the spec's suffixes and every format's
FILE_SUFFIXES = SPEC_SUFFIXES + SUFFIXES
PREFIX = "hf:"


@dataclass(frozen=True)
class HubName:
    """A model repo on the Hub, a revision of it (None: the default branch), and for GGUF repos
    the quantization whose file to read."""

    repo: str
    revision: str | None = None
    quant: str | None = None

    def __str__(self) -> str:
        return self.repo + (f"@{self.revision}" if self.revision else "") + \
            (f":{self.quant}" if self.quant else "")


def parse(source: str) -> HubName | None:
    """The Hub name source stands for, or None when it is something else (a path, a preset...).

    >>> parse("Qwen/Qwen3-30B-A3B@main")
    HubName(repo='Qwen/Qwen3-30B-A3B', revision='main', quant=None)
    """
    forced = source.startswith(PREFIX)
    text = source[len(PREFIX):] if forced else source
    if not forced and ("/" not in text or os.path.exists(source)
                       or text.lower().endswith(FILE_SUFFIXES)):
        return None
    m = _NAME.match(text)
    if m is None or ".." in m["repo"] or "--" in m["repo"]:
        if forced:
            from ..errors import SpecError

            raise SpecError(f"{source!r} is not a Hub model name: expected hf:org/name, "
                            f"optionally @revision and :QUANT")
        return None
    if not forced and "/" not in m["repo"]:
        return None
    rev = m["rev"]
    if rev is not None and (len(rev) > MAX_REVISION or not _REVISION.fullmatch(rev)
                            or ".." in rev):
        from ..errors import SpecError

        raise SpecError(f"{source[:200]!r}: the revision after '@' must be a branch, a tag or a "
                        f"commit: at most {MAX_REVISION} letters, digits, '.', '_', '-' and "
                        f"'/' (not '..', not at either end)")
    return HubName(m["repo"], rev, m["quant"])
