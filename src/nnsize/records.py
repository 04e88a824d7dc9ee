"""Frozen records without the cost of dataclasses at import.

`@record` turns a class with annotated fields into what `@dataclass(frozen=True)` makes of it:
`__init__` (positional or keyword, defaults and default factories, `__post_init__`), `__repr__`,
`__eq__`, `__hash__` and a frozen `__setattr__`.  The methods are closures over the class's
field tuple, made when the class is decorated: no source is generated and compiled per method,
which is what made `dataclasses` cost most of a first call's import time (45 classes, 264
methods each compiled by `exec` on the way to one count), and no `dataclasses`, `inspect` or
`typing` is imported.  Construction costs a little more than a generated `__init__`
(a loop over the fields), which a count pays per layer and per tensor, in microseconds.

mypy reads `record` and `field` as `dataclasses.dataclass` and `dataclasses.field`
(`typing.dataclass_transform`), so constructor calls are checked as for a dataclass.
`replace`, `fields` and `MISSING` are those of `dataclasses`, for records; `replace` and
`fields` hand anything else to `dataclasses`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
    C = TypeVar("C", bound=type)
else:
    def dataclass_transform(**_: object) -> object:
        return lambda f: f


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenInstanceError(AttributeError):
    """An attribute of a frozen record was set or deleted."""


class Field:
    """One field of a record, as `dataclasses.Field` describes it (the fields read here)."""

    __slots__ = ("name", "type", "default", "default_factory", "init", "repr", "compare",
                 "hash", "metadata")

    def __init__(self, default: Any, default_factory: Any, init: bool, repr: bool,
                 compare: bool, hash: bool | None, metadata: Mapping[str, Any] | None) -> None:
        self.name = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare
        self.hash = hash
        self.metadata: Mapping[str, Any] = metadata or {}

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, type={self.type!r}, default={self.default!r})"


def field(*, default: Any = MISSING, default_factory: Any = MISSING, init: bool = True,
          repr: bool = True, compare: bool = True, hash: bool | None = None,
          metadata: Mapping[str, Any] | None = None) -> Any:
    """A field with options, as `dataclasses.field`."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, init, repr, compare, hash, metadata)


def _is_classvar(annotation: object) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return getattr(annotation, "__origin__", annotation).__class__.__name__ == "_SpecialForm" \
        and "ClassVar" in str(annotation)


def _collect(cls: type) -> dict[str, Field]:
    """The fields of cls: its bases' (by their order) then its own annotations."""
    found: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        found.update(base.__dict__.get("__record_fields__", {}))
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        value = cls.__dict__.get(name, MISSING)
        if isinstance(value, Field):
            f = value
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        else:
            f = Field(value, MISSING, True, True, True, None, None)
        f.name, f.type = name, annotation
        found[name] = f
    return found


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: C | None = None, /, *, frozen: bool = True) -> Any:
    """The class with a dataclass's methods, made without compiling any (see the module)."""
    if cls is None:
        return lambda c: _install(c, frozen)
    return _install(cls, frozen)


def _install(cls: C, frozen: bool) -> C:
    found = _collect(cls)
    every = tuple(found.values())
    init = tuple(f for f in every if f.init)
    names = tuple(f.name for f in init)
    known = frozenset(names)
    later = tuple(f for f in every if not f.init and f.default is not MISSING)
    shown = tuple(f.name for f in every if f.repr)
    compared = tuple(f.name for f in every if f.compare)
    hashed = tuple(f.name for f in every if f.compare if f.hash is None or f.hash)
    post_init = getattr(cls, "__post_init__", None)
    title = cls.__qualname__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{title}.__init__() takes {len(names) + 1} positional arguments "
                            f"but {len(args) + 1} were given")
        d = self.__dict__
        for name, value in zip(names, args):
            d[name] = value
        if kwargs:
            for name, value in kwargs.items():
                if name not in known:
                    raise TypeError(f"{title}.__init__() got an unexpected keyword argument "
                                    f"{name!r}")
                if name in d:
                    raise TypeError(f"{title}.__init__() got multiple values for argument "
                                    f"{name!r}")
                d[name] = value
        if len(d) < len(names):
            for f in init[len(args):]:
                if f.name in d:
                    continue
                if f.default is not MISSING:
                    d[f.name] = f.default
                elif f.default_factory is not MISSING:
                    d[f.name] = f.default_factory()
                else:
                    raise TypeError(f"{title}.__init__() missing required argument: "
                                    f"{f.name!r}")
        for f in later:
            d[f.name] = f.default
        if post_init is not None:
            post_init(self)

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inner})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple([getattr(self, n) for n in compared]) == \
            tuple([getattr(other, n) for n in compared])

    def __hash__(self: Any) -> int:
        return hash(tuple(getattr(self, n) for n in hashed))

    def __setattr__(self: Any, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self: Any, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    own = cls.__dict__
    methods: dict[str, Any] = {"__init__": __init__, "__repr__": __repr__, "__eq__": __eq__}
    if frozen:
        methods.update(__setattr__=__setattr__, __delattr__=__delattr__)
    for name, method in methods.items():
        if name not in own:
            method.__qualname__ = f"{title}.{name}"
            setattr(cls, name, method)
    if "__hash__" not in own or own["__hash__"] is None and "__eq__" in own:
        __hash__.__qualname__ = f"{title}.__hash__"
        cls.__hash__ = __hash__ if frozen else None  # type: ignore[assignment]
    cls.__record_fields__ = found  # type: ignore[attr-defined]
    setattr(cls, "__match_args__", names)  # noqa: B010
    return cls


def fields(obj: Any) -> tuple[Field, ...]:
    """The fields of a record (class or instance), as `dataclasses.fields`."""
    found = getattr(obj, "__record_fields__", None)
    if found is None:
        import dataclasses

        return dataclasses.fields(obj)  # type: ignore[return-value]
    return tuple(found.values())


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of a record with some fields changed, as `dataclasses.replace`."""
    found = getattr(obj, "__record_fields__", None)
    if found is None:
        import dataclasses

        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    for name in changes:
        if name in found and not found[name].init:
            raise ValueError(f"field {name} is declared with init=False, it cannot be "
                             f"specified with replace()")
    values = {f.name: getattr(obj, f.name) for f in found.values() if f.init}
    values.update(changes)
    return obj.__class__(**values)
