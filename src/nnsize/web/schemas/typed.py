"""A typed dict as a model: model/contents.py's typed dicts (what a file holds beside a count)
made pydantic models with the same keys, so the dicts stay the one description of them."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import Integer, Schema

__all__ = ["model"]


def _field(hint: Any) -> Any:
    """A typed dict's type as a model's: its ints Integer, its typed dicts models, its JSON any
    JSON value."""
    from types import UnionType
    from typing import Union, get_args, get_origin, is_typeddict

    from pydantic import JsonValue

    from ...model import contents

    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, UnionType) and args[:5] == get_args(contents.JSON)[:5]:  # JSON
        return JsonValue
    if is_typeddict(hint):
        return model(hint)
    if hint is int:
        return Integer
    if origin is None:
        return hint
    if origin in (Union, UnionType):
        return Union[tuple(_field(a) for a in args)]  # noqa: UP007 (of a tuple made here)
    return origin[tuple(_field(a) for a in args)]


MODELS: dict[str, type[Schema]] = {}


def model(td: Any) -> type[Schema]:
    """The model of a typed dict: the same keys, its required ones required, no other key."""
    import keyword
    from typing import get_args, get_type_hints

    from pydantic import create_model

    if td.__name__ not in MODELS:
        fields: dict[str, Any] = {}
        for key, hint in get_type_hints(td, include_extras=True).items():
            meaning = None
            if hasattr(hint, "__metadata__"):  # Annotated[type, "what it means"]
                hint, meaning = get_args(hint)[0], hint.__metadata__[0]
            default = ... if key in td.__required_keys__ else None
            name = key + "_" if keyword.iskeyword(key) else key  # "from": by its alias
            fields[name] = (_field(hint), Field(default, alias=key if name != key else None,
                                                description=meaning))
        doc = " ".join((td.__doc__ or "").split())
        MODELS[td.__name__] = create_model(td.__name__, __base__=Schema, __doc__=doc,
                                           **fields)
    return MODELS[td.__name__]


