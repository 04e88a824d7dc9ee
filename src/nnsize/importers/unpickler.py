"""A pickle reader that runs no code: it builds plain data, and for a global only what a fixed
table gives it (a harmless stand-in), so a pickle can say what it holds but never do anything.

The opcodes of protocols 2 to 5 that build data (pickletools documents each) are interpreted
one by one over the bytes; a global that is not in the table, or a REDUCE of anything but a
stand-in the table gave, is refused with its name:

    GLOBAL 'torch._utils _rebuild_tensor_v2'   -> table['torch._utils._rebuild_tensor_v2']
    GLOBAL 'os system'                          -> SpecError: ... the global os.system ...
    BINPERSID                                   -> persistent(the id), as Unpickler would

Bounded: at most MAX_STEPS opcodes and MAX_MEMO memo entries, integers of at most
MAX_LONG_BYTES bytes; a pickle that runs past its bytes raises Truncated (a reader that has
only the start of a file reads more and tries again).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError, shown

MAX_STEPS = 64_000_000  # opcodes; torch.save writes about 30 a tensor
MAX_MEMO = 16_000_000  # memo entries; about 10 a tensor
MAX_LONG_BYTES = 64  # a LONG1/LONG4 integer; a checkpoint's are 8 bytes at most


class Truncated(SpecError):
    """The pickle runs past the end of the bytes given."""


class Refused(SpecError):
    """A global or an operation that the table does not allow: nothing runs."""


@dataclass(frozen=True)
class Call:
    """An allowed global that REDUCE may call: its dotted name, and the harmless function
    standing in for it (plain values in, plain values or stand-in records out)."""

    name: str
    function: Callable[..., Any]


SCALARS = (str, int, float, bool, bytes, complex, type(None))


def hashable(value: Any) -> bool:
    """Whether value may key a dict or sit in a set: a scalar, a record (a frozen dataclass of
    scalars and flat tuples), or a flat tuple of those.  Hashing a tuple hashes what it holds,
    each time: a tuple that shares itself 30 levels deep would cost 2^30 steps."""
    if isinstance(value, SCALARS) or hasattr(value, "__dataclass_fields__"):
        return True
    return isinstance(value, tuple) and len(value) <= 64 and all(
        isinstance(v, SCALARS) for v in value)


def _keys(items: list[Any]) -> list[Any]:
    for k in items:
        if not hashable(k):
            raise SpecError(f"the pickle keys a dict or fills a set with {shown(k)}; nnsize "
                            f"reads scalars and flat tuples there")
    return items


_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")
_F64 = struct.Struct(">d")
UNSUPPORTED = {b"i"[0]: "INST", b"o"[0]: "OBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
               0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER", b"P"[0]: "PERSID",
               b"S"[0]: "STRING", b"V"[0]: "UNICODE"}


def load(data: bytes, start: int, table: Mapping[str, Any],
         persistent: Callable[[Any], Any]) -> tuple[Any, int]:
    """The object the pickle at data[start:] stands for, and the offset just past its STOP.

    table: 'module.name' -> what GLOBAL pushes (a Call to be REDUCEd, or a plain value);
    persistent: what BINPERSID pushes for an id."""
    stack: list[Any] = []
    marks: list[int] = []
    memo: dict[int, Any] = {}
    pos, end, steps = start, len(data), 0

    def take(n: int) -> bytes:
        nonlocal pos
        if n < 0:
            raise SpecError(f"the pickle gives a negative length, {n}")
        if pos + n > end:
            raise Truncated("the pickle ends early (truncated?)")
        chunk = data[pos:pos + n]
        pos += n
        return chunk

    def line() -> bytes:
        nonlocal pos
        nl = data.find(b"\n", pos, min(end, pos + 1024))
        if nl < 0:
            raise Truncated("the pickle ends early (truncated?)") if end - pos < 1024 else \
                SpecError("a pickle line longer than 1,024 bytes")
        text = data[pos:nl]
        pos = nl + 1
        return text

    def pop_mark() -> list[Any]:
        if not marks:
            raise SpecError("the pickle pops a MARK it never set")
        i = marks.pop()
        items = stack[i:]
        del stack[i:]
        return items

    def put(index: int) -> None:
        if not stack:
            raise SpecError("the pickle memoizes from an empty stack")
        memo[index] = stack[-1]
        if len(memo) > MAX_MEMO:
            raise SpecError(f"the pickle keeps more than {MAX_MEMO:,} objects in its memo")

    def get(index: int) -> None:
        try:
            stack.append(memo[index])
        except KeyError:
            raise SpecError(f"the pickle reads memo entry {index}, which it never wrote") \
                from None

    def found(module: str, name: str) -> Any:
        # protocol 2 spells Python 2's module names; pickle maps them back, and so does torch
        dotted = f"{'builtins' if module == '__builtin__' else module}.{name}"
        if dotted not in table:
            raise Refused(f"the global {dotted[:200]}")
        return table[dotted]

    def call(f: Any, args: Any, kwargs: Any = None) -> Any:
        if not isinstance(f, Call):
            raise Refused(f"a call of {shown(f, 120)}")
        if not isinstance(args, tuple) or not isinstance(kwargs or {}, dict):
            raise SpecError(f"{f.name} is called with {shown(args)}, not a tuple")
        try:
            return f.function(*args, **(kwargs or {}))
        except (TypeError, ValueError, KeyError, OverflowError) as e:
            if isinstance(e, SpecError):
                raise
            raise SpecError(f"{f.name} is called with {shown(args)}") from e

    def top(kind: type, what: str) -> Any:
        if not stack or not isinstance(stack[-1], kind):
            raise SpecError(f"the pickle's {what} has no {kind.__name__} to add to")
        return stack[-1]

    while True:
        if pos >= end:
            raise Truncated("the pickle ends early (truncated?)")
        op = data[pos]
        arg = data[pos + 1] if pos + 1 < end else -1  # the one-byte argument most take
        pos += 1
        steps += 1
        if steps > MAX_STEPS:
            raise SpecError(f"the pickle runs more than {MAX_STEPS:,} operations")
        if op in (0x71, 0x68, 0x4B) and arg >= 0:  # BINPUT, BINGET, BININT1: the most common
            pos += 1
            if op == 0x71:
                put(arg)
            elif op == 0x68:
                get(arg)
            else:
                stack.append(arg)
        elif op in (0x71, 0x68, 0x4B):
            raise Truncated("the pickle ends early (truncated?)")
        elif op == 0x28:  # MARK
            marks.append(len(stack))
        elif op == 0x58:  # BINUNICODE
            stack.append(str(take(_U32.unpack(take(4))[0]), "utf-8", "surrogatepass"))
        elif op == 0x74:  # TUPLE
            stack.append(tuple(pop_mark()))
        elif op in (0x85, 0x86, 0x87):  # TUPLE1, TUPLE2, TUPLE3
            n = op - 0x84
            if len(stack) - (marks[-1] if marks else 0) < n:
                raise SpecError("the pickle builds a tuple from an empty stack")
            last = tuple(stack[-n:])
            del stack[-n:]
            stack.append(last)
        elif op == 0x52:  # REDUCE
            if len(stack) < 2:
                raise SpecError("the pickle calls from an empty stack")
            args = stack.pop()
            stack[-1] = call(stack[-1], args)
        elif op == 0x89:  # NEWFALSE
            stack.append(False)
        elif op == 0x88:  # NEWTRUE
            stack.append(True)
        elif op == 0x29:  # EMPTY_TUPLE
            stack.append(())
        elif op == 0x51:  # BINPERSID
            if not stack:
                raise SpecError("the pickle's persistent id is missing")
            stack[-1] = persistent(stack[-1])
        elif op == 0x63:  # GLOBAL
            module = line().decode("utf-8", "replace")
            stack.append(found(module, line().decode("utf-8", "replace")))
        elif op == 0x93:  # STACK_GLOBAL
            if len(stack) < 2 or not all(isinstance(s, str) for s in stack[-2:]):
                raise SpecError("the pickle's STACK_GLOBAL names no module and name")
            name = stack.pop()
            stack[-1] = found(stack[-1], name)
        elif op == 0x75:  # SETITEMS
            items = pop_mark()
            target = top(dict, "SETITEMS")
            if len(items) % 2:
                raise SpecError("the pickle's SETITEMS has a key without a value")
            _keys(items[::2])
            for i in range(0, len(items), 2):
                target[items[i]] = items[i + 1]
        elif op == 0x73:  # SETITEM
            if len(stack) < 3:
                raise SpecError("the pickle's SETITEM misses its key or value")
            value, key = stack.pop(), stack.pop()
            top(dict, "SETITEM")[_keys([key])[0]] = value
        elif op == 0x7D:  # EMPTY_DICT
            stack.append({})
        elif op == 0x5D:  # EMPTY_LIST
            stack.append([])
        elif op == 0x65:  # APPENDS
            items = pop_mark()
            top(list, "APPENDS").extend(items)
        elif op == 0x61:  # APPEND
            if len(stack) < 2:
                raise SpecError("the pickle's APPEND has nothing to append")
            value = stack.pop()
            top(list, "APPEND").append(value)
        elif op == 0x72:  # LONG_BINPUT
            put(_U32.unpack(take(4))[0])
        elif op == 0x6A:  # LONG_BINGET
            get(_U32.unpack(take(4))[0])
        elif op == 0x94:  # MEMOIZE
            put(len(memo))
        elif op == 0x4D:  # BININT2
            stack.append(int.from_bytes(take(2), "little"))
        elif op == 0x4A:  # BININT
            stack.append(_I32.unpack(take(4))[0])
        elif op in (0x8A, 0x8B):  # LONG1, LONG4
            n = take(1)[0] if op == 0x8A else _I32.unpack(take(4))[0]
            if n > MAX_LONG_BYTES:
                raise SpecError(f"the pickle holds an integer of {n:,} bytes")
            stack.append(int.from_bytes(take(n), "little", signed=True))
        elif op == 0x4E:  # NONE
            stack.append(None)
        elif op == 0x47:  # BINFLOAT
            stack.append(_F64.unpack(take(8))[0])
        elif op in (0x8C, 0x8D):  # SHORT_BINUNICODE, BINUNICODE8
            n = take(1)[0] if op == 0x8C else _U64.unpack(take(8))[0]
            stack.append(str(take(n), "utf-8", "surrogatepass"))
        elif op in (0x43, 0x42, 0x8E, 0x96):  # SHORT_BINBYTES, BINBYTES, BINBYTES8, BYTEARRAY8
            n = take(1)[0] if op == 0x43 else _U32.unpack(take(4))[0] if op == 0x42 else \
                _U64.unpack(take(8))[0]
            stack.append(take(n))
        elif op in (0x55, 0x54):  # SHORT_BINSTRING, BINSTRING
            n = take(1)[0] if op == 0x55 else _I32.unpack(take(4))[0]
            stack.append(take(n).decode("latin-1"))
        elif op == 0x62:  # BUILD: the state of a stand-in is not needed, and never applied
            if len(stack) < 2:
                raise SpecError("the pickle's BUILD has no object")
            stack.pop()
        elif op == 0x81:  # NEWOBJ
            if len(stack) < 2:
                raise SpecError("the pickle's NEWOBJ has no class")
            args = stack.pop()
            stack[-1] = call(stack[-1], args)
        elif op == 0x92:  # NEWOBJ_EX
            if len(stack) < 3:
                raise SpecError("the pickle's NEWOBJ_EX has no class")
            kwargs, args = stack.pop(), stack.pop()
            stack[-1] = call(stack[-1], args, kwargs)
        elif op == 0x8F:  # EMPTY_SET
            stack.append(set())
        elif op == 0x90:  # ADDITEMS
            items = pop_mark()
            top(set, "ADDITEMS").update(_keys(items))
        elif op == 0x91:  # FROZENSET
            stack.append(frozenset(_keys(pop_mark())))
        elif op == 0x32:  # DUP
            if not stack:
                raise SpecError("the pickle duplicates from an empty stack")
            stack.append(stack[-1])
        elif op == 0x30:  # POP
            if marks and marks[-1] == len(stack):
                marks.pop()
            elif stack:
                stack.pop()
            else:
                raise SpecError("the pickle pops from an empty stack")
        elif op == 0x31:  # POP_MARK
            pop_mark()
        elif op == 0x80:  # PROTO
            if take(1)[0] > 5:
                raise SpecError("the pickle's protocol is newer than 5")
        elif op == 0x95:  # FRAME: a length hint only
            take(8)
        elif op == 0x64:  # DICT
            items = pop_mark()
            if len(items) % 2:
                raise SpecError("the pickle's DICT has a key without a value")
            _keys(items[::2])
            stack.append({items[i]: items[i + 1] for i in range(0, len(items), 2)})
        elif op == 0x6C:  # LIST
            stack.append(pop_mark())
        elif op == 0x49:  # INT (protocol 0): I01 and I00 are True and False
            text = line()
            stack.append(True if text == b"01" else False if text == b"00" else _int(text))
        elif op == 0x4C:  # LONG (protocol 0): 123L
            stack.append(_int(line().rstrip(b"L")))
        elif op == 0x46:  # FLOAT (protocol 0)
            text = line()
            try:
                stack.append(float(text))
            except ValueError:
                raise SpecError(f"the pickle's FLOAT {shown(text)} is not a number") from None
        elif op == 0x70:  # PUT (protocol 0)
            put(_int(line()))
        elif op == 0x67:  # GET (protocol 0)
            get(_int(line()))
        elif op == 0x2E:  # STOP
            if not stack:
                raise SpecError("the pickle stops with nothing built")
            return stack[-1], pos
        elif op in UNSUPPORTED:  # objects built by class, and buffers from outside
            raise Refused(f"the pickle operation {UNSUPPORTED[op]} (at byte {pos - 1 - start:,})")
        else:
            raise SpecError(f"byte 0x{op:02x} at {pos - 1 - start:,} is not a pickle operation")


def _int(text: bytes) -> int:
    if len(text) > 2 * MAX_LONG_BYTES or not text.lstrip(b"-").isdigit():
        raise SpecError(f"the pickle's integer {shown(text)} is not one")
    return int(text)
