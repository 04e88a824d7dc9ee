"""nnsize.records: what @record makes of a class is what @dataclass(frozen=True) makes of it."""

from __future__ import annotations

import dataclasses

import pytest

from nnsize.records import MISSING, FrozenInstanceError, field, fields, record, replace


@record
class Base:
    a: int
    b: tuple[int, ...] = ()


@record
class Child(Base):
    c: list[int] = field(default_factory=list)
    d: int = field(default=0, compare=False, repr=False)
    e: int = field(init=False, default=7)
    n: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", self.a + len(self.c))


@dataclasses.dataclass(frozen=True)
class Twin:
    a: int
    b: tuple[int, ...] = ()


def test_init_repr_eq_hash_as_a_frozen_dataclass() -> None:
    assert repr(Base(1)) == repr(Twin(1)).replace("Twin", "Base") == "Base(a=1, b=())"
    assert Base(1, (2,)) == Base(a=1, b=(2,)) != Base(2)
    assert Base(1) != Twin(1)  # another class is never equal, as for dataclasses
    assert hash(Base(1, (2,))) == hash(Twin(1, (2,))) == hash((1, (2,)))
    c = Child(1, c=[5, 6], d=3)
    # fields in order: the base's, then the child's; init=False and repr=False left out of repr
    assert [f.name for f in fields(c)] == ["a", "b", "c", "d", "e", "n"]
    assert repr(c) == "Child(a=1, b=(), c=[5, 6], e=7, n=3)"
    assert c == Child(1, c=[5, 6], d=4)  # d is not compared
    assert Child(1).c == [] and Child(1).c is not Child(1).c  # a fresh list each
    with pytest.raises(FrozenInstanceError):
        c.a = 2  # type: ignore[misc]
    assert isinstance(FrozenInstanceError(), AttributeError)


def test_bad_calls_raise_type_error_as_init_does() -> None:
    for args, kwargs in [((), {}), ((1, (), 3), {}), ((1,), {"a": 1}), ((1,), {"z": 1})]:
        with pytest.raises(TypeError):
            Base(*args, **kwargs)
        with pytest.raises(TypeError):
            Twin(*args, **kwargs)


def test_replace_and_fields() -> None:
    c = Child(1, c=[5])
    assert replace(c, a=2) == Child(2, c=[5]) and replace(c, a=2).n == 3
    with pytest.raises(ValueError):
        replace(c, e=1)
    assert fields(Base)[0].default is MISSING and fields(Base)[1].default == ()
    assert fields(Child)[2].default_factory is list
    # anything else goes to dataclasses
    assert replace(Twin(1), a=2) == Twin(2)
    assert [f.name for f in fields(Twin)] == ["a", "b"]


def test_a_mutable_record_is_unhashable() -> None:
    @record(frozen=False)
    class Box:
        items: list[int] = field(default_factory=list)

    box = Box()
    box.items = [1]
    assert box == Box([1]) and Box.__hash__ is None
