"""The one exception family nnsize raises for bad input."""

from __future__ import annotations


class NnsizeError(ValueError):
    """Every error nnsize raises for bad input; the message names the bad value and where."""


class SpecError(NnsizeError):
    """A network spec, shorthand or layer argument that cannot be counted."""


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'X'?)' for the closest of choices, or '' when none is close."""
    import difflib

    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[close[0]]!r}?)" if close else ""
