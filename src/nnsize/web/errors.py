"""What the API answers when it does not answer: the error bodies ({"detail": "..."}) and
their statuses, for the OpenAPI schema, and the text a validation error may echo."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .guard import HEADER_LIMIT, JSON_LIMIT, PLAN_LIMIT, REQUEST_SECONDS

__all__ = ["ERRORS", "HUB_ERRORS", "Detail"]


def _safe(value: Any) -> Any:
    """value with what JSON cannot hold written as text: NaN, Infinity, lone surrogates, huge
    integers (a validation error echoes what it was given)."""
    import math

    from ..errors import shown

    if isinstance(value, dict):
        return {str(_safe(k)): _safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return shown(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _safe(str(value))


class Detail(BaseModel):
    """Every error answer: the reason, as the command line would say it."""

    detail: str


# The answers every endpoint may give besides its own, for the OpenAPI schema (FastAPI adds
# 422 itself); their bodies are {"detail": "..."}.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Detail, "description": "Bad input: the command line's one-line message"},
    408: {"model": Detail, "description": f"The body did not arrive within {REQUEST_SECONDS:g} s"},
    413: {"model": Detail, "description": f"A body over {JSON_LIMIT:,} bytes ({HEADER_LIMIT:,} "
                                          f"for /api/checkpoint, {PLAN_LIMIT:,} for "
                                          f"/api/memory)"},
}


# what POST /api/hub may answer besides 400 (hub/fetch.HubError's statuses)
HUB_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Detail, "description": "A gated repo (this server reads without a token)"},
    404: {"model": Detail, "description": "No such repo, revision, file or GGUF quantization"},
    429: {"model": Detail, "description": "The Hub asks for fewer requests (it answered 429); "
                                          "Retry-After: the Hub's, else 60 s"},
    502: {"model": Detail, "description": "The Hub could not be reached, failed (5xx) or "
                                          "answered nonsense; nothing cached"},
    503: {"model": Detail, "description": "HF_HUB_OFFLINE is set and the model is not cached"},
    504: {"model": Detail, "description": "The Hub did not answer in time"},
}
