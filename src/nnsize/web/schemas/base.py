"""What every answer model is made of: an exact integer, a real, and an object of listed keys.

Integers are JSON integers, or strings of their digits where the answer carries strings (the
count endpoints with numbers=string; memory, speed, train-time, growth and gpus always), so a
browser never rounds one.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

__all__ = ["Integer", "Real", "Schema"]

# an exact integer: a JSON integer, or its digits as a string (render.json.strings)
Integer = int | Annotated[str, StringConstraints(pattern=r"^-?[0-9]+$")]
# a float, or an integer the same way (a value that may be whole, e.g. 0 seconds)
Real = float | Integer


class Schema(BaseModel):
    """An answer's object: every key listed, no other."""

    model_config = ConfigDict(extra="forbid")
