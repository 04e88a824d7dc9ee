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


def shown(value: object, limit: int = 60) -> str:
    """A bounded repr of a value for an error message: long strings, deep or long containers
    (a YAML alias expanding to millions of items) and huge integers are cut short."""
    import reprlib

    r = reprlib.Repr()
    r.maxlevel, r.maxstring, r.maxother = 3, limit, limit
    r.maxlist = r.maxtuple = r.maxdict = r.maxset = 6
    try:
        return r.repr(value)
    except ValueError:  # an integer past Python's 4,300-digit conversion limit
        digits = int(value.bit_length() * 0.30103) if isinstance(value, int) else 0
        return f"<an integer of about {digits:,} digits>"
