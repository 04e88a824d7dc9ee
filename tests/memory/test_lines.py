"""The records from the analyses to render/ are typed: no `Any` in the planner's records, in the
parallel layout's rank records, in what a file holds beside a count (model/contents.py), or in
any render module (mypy --strict then checks every field render/ reads)."""

from __future__ import annotations

import re

import pytest

import paths

SRC = paths.SRC

# typed: no Any at all; every render module is (test_every_render_module_is_listed)
TYPED = ["memory/lines.py", "parallel/rank.py", "model/contents.py"]
TYPED += sorted(f"render/{p.name}" for p in (SRC / "render").glob("*.py"))


def _anys(path: str) -> list[int]:
    text = (SRC / path).read_text()
    return [i for i, line in enumerate(text.splitlines(), 1) if re.search(r"\bAny\b", line)]


@pytest.mark.parametrize("path", TYPED)
def test_typed_modules_have_no_any(path: str) -> None:
    assert _anys(path) == [], f"{path}: Any on lines {_anys(path)}"


def test_every_render_module_is_listed() -> None:
    assert {"render/json.py", "render/report.py", "render/hub.py", "render/compare.py",
            "render/plan.py"} <= set(TYPED)


def test_each_line_and_note_record_is_written() -> None:
    """Every record of lines.py (and of parallel.rank) has its words in render/plan.py: the
    dispatch on type covers them all, subclasses before their bases."""
    import dataclasses
    import typing

    from nnsize.memory import lines
    from nnsize.parallel import rank
    from nnsize.precision import find
    from nnsize.render.plan import _line, note_words

    def sample(cls: type) -> object:
        hints = typing.get_type_hints(cls, vars(lines) | vars(rank))
        values = {}
        for f in dataclasses.fields(cls):
            hint = hints[f.name]
            values[f.name] = (find("bf16") if hint is lines.Precision else
                              "adam" if f.name == "optimizer" else "autocast"
                              if f.name == "mode" else "x" if hint is str else True
                              if hint is bool else () if "tuple" in str(hint) else 1)
        return cls(**values)

    seen: list[str] = []
    for module in (lines, rank):
        for cls in vars(module).values():
            if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
                continue
            if "PART" in vars(cls) and cls is not rank.RankStateTerms:
                name, how = _line(sample(cls))  # type: ignore[arg-type]
                assert name and how, cls
                seen.append(cls.PART)
            elif "KEY" in vars(cls) and cls is not lines.EngineNote:
                assert note_words(sample(cls))  # type: ignore[arg-type]
                seen.append(cls.KEY)
    assert len(seen) == len(set(seen)), "a part or key named twice"
    assert {"weights", "kv_cache", "rank_weights", "training_setup", "layout"} <= set(seen)
