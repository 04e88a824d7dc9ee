"""NumPy .npz archives (numpy.savez, savez_compressed), read from each member's .npy header.

An .npz file is a zip archive with one NAME.npy member per array.  Each member starts with

    [\\x93NUMPY][major][minor][header length: u16 LE (1.0), u32 LE (2.0, 3.0)]
    [header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)}]

Only the zip's directory and each member's first bytes are read (a compressed member is
inflated no further than its header); the arrays are never loaded, and the header is read as
a literal, never run.  NumPy itself is not needed.
"""

from __future__ import annotations

import ast
import struct
import zipfile
from typing import Any

from ..errors import SpecError, shown
from ..model import Report, numel
from . import Format
from .tensors import Stored, checkpoint_report

MAGIC = b"\x93NUMPY"
MAX_HEADER = 64 * 1024  # bytes: numpy's own reader refuses longer headers (_MAX_HEADER_SIZE)
MAX_MEMBERS = 150_000  # as many tensors as a safetensors header may list
# '<f4' -> kind 'f', 4 bytes: the safetensors names nnsize's tables use
DTYPES = {"f8": "F64", "f4": "F32", "f2": "F16", "i8": "I64", "i4": "I32", "i2": "I16",
          "i1": "I8", "u8": "U64", "u4": "U32", "u2": "U16", "u1": "U8", "b1": "BOOL",
          "c8": "C64"}


def _header(member: Any, where: str) -> dict[str, Any]:
    head = member.read(10)
    if len(head) < 10 or not head.startswith(MAGIC):
        raise SpecError(f"{where}: not a .npy array (no \\x93NUMPY magic)")
    major = head[6]
    if major == 1:
        (length,) = struct.unpack("<H", head[8:10])
    elif major in (2, 3):
        (length,) = struct.unpack("<I", head[8:10] + member.read(2))
    else:
        raise SpecError(f"{where}: .npy format version {major}.{head[7]} is not one nnsize reads")
    if length > MAX_HEADER:
        raise SpecError(f"{where}: a {length:,}-byte header (at most {MAX_HEADER:,})")
    raw = member.read(length)
    try:
        header = ast.literal_eval(raw.decode("latin1"))
    except (ValueError, SyntaxError, MemoryError, RecursionError) as e:
        raise SpecError(f"{where}: the header is not a Python literal ({shown(str(e), 120)})") \
            from e
    if not isinstance(header, dict):
        raise SpecError(f"{where}: the header is not a dict")
    return header


def _stored(name: str, header: dict[str, Any], where: str) -> Stored:
    descr, shape = header.get("descr"), header.get("shape")
    code = descr[1:] if isinstance(descr, str) and descr[:1] in "<>|=" else descr
    if not isinstance(code, str) or code not in DTYPES:
        raise SpecError(f"{where}: dtype {shown(descr)} is not a number format nnsize counts "
                        f"(one of {', '.join(DTYPES)})")
    if not isinstance(shape, tuple) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**62 for d in shape):
        raise SpecError(f"{where}: invalid shape {shown(shape)}")
    return Stored(name, shape, DTYPES[code], numel(shape) * int(code[1:]))


def read_npz(path: str) -> list[Stored]:
    from ..files import open_regular

    with open_regular(path) as f:
        try:
            archive = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, OSError) as e:
            raise SpecError(f"{path}: not an .npz archive ({shown(str(e), 120)})") from e
        with archive:
            members = [i for i in archive.infolist() if not i.is_dir()]
            if len(members) > MAX_MEMBERS:
                raise SpecError(f"{path}: {len(members):,} members; nnsize reads at most "
                                f"{MAX_MEMBERS:,}")
            out = []
            for info in members:
                where = f"{path}: member {shown(info.filename)}"
                if not info.filename.endswith(".npy"):
                    raise SpecError(f"{where} is not a .npy array")
                try:
                    with archive.open(info) as member:
                        header = _header(member, where)
                except (zipfile.BadZipFile, OSError, NotImplementedError, EOFError) as e:
                    raise SpecError(f"{where}: cannot be read ({shown(str(e), 120)})") from e
                out.append(_stored(info.filename[:-len(".npy")], header, where))
    return out


def load_npz(path: str) -> Report:
    """Count an .npz archive: one tensor a member, named as the member less .npy."""
    return checkpoint_report(path, read_npz(path), "npz")


# this format's entry in the formats table (importers/__init__.py)
FORMAT = Format("npz", (".npz",), load_npz)
