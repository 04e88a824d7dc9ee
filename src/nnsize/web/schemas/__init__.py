"""What each endpoint answers, as pydantic models: the 200 responses of the OpenAPI schema and
the JSON schemas in docs/json.md, both generated from these.

They describe the dicts render/json.py (and render/parallel.py's) build; a count's `stored` is
model/contents.py's typed dicts, made models (typed.py); the server does not validate its
answers against them (the children write JSON bytes already: web/pool.py),
tests/web/test_schemas.py does, for real answers of every endpoint and every command's --json.

One module a noun: base.py (Integer, Real, Schema), typed.py (a typed dict as a model),
count.py, plan.py (memory, fit), speed.py, train.py (train-time), parallel.py (layouts),
design.py (growth, search, init, sparsity, diff, compare), index.py (ANSWERS, COMMANDS: which
model each endpoint and command answers), docs.py (docs/json.md's tables).
"""

from __future__ import annotations

from .base import Integer, Real
from .count import HubAnswer
from .docs import documented
from .index import ANSWERS, COMMANDS

__all__ = ["ANSWERS", "COMMANDS", "HubAnswer", "Integer", "Real", "documented"]
