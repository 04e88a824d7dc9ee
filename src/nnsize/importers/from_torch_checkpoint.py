"""PyTorch checkpoints (.pt, .pth, .bin, .ckpt), read without torch and never running code.

torch.save writes a zip (since PyTorch 1.6) or, with _use_new_zipfile_serialization=False, the
legacy stream of pickles:

    zip     PREFIX/data.pkl      the pickled structure; each tensor a rebuild record
            PREFIX/data/KEY      one storage's bytes (never read: its size is in the central
            PREFIX/version ...   directory, read from the end of the file)
    legacy  pickle(magic) pickle(1001) pickle(sys_info) pickle(structure) pickle([keys])
            then per storage: u64 numel, numel x element bytes (never read: its size is known)

The structure is read by unpickler.load with a fixed table of what it may hold (unpickler.py):
torch's tensor rebuild functions, storage types, dtypes, torch.Size, OrderedDict..., each
standing in as a harmless function, as torch.load(weights_only=True) allows them; anything else
is refused with the global's name.  Each tensor comes out as its name, dtype, shape, and the
storage it views (a tied tensor is the same storage, offset, shape and strides).
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from typing import IO, Any

from ..errors import SpecError, shown
from ..model import Report
from ..records import replace
from . import Format
from .tensors import Stored, checkpoint_report
from .unpickler import SCALARS, Call, Refused, Truncated, hashable, load

# torch's dtype names -> (the name nnsize reports, where safetensors has one; bytes an element)
DTYPES: dict[str, tuple[str, int]] = {
    "float64": ("F64", 8), "float32": ("F32", 4), "float16": ("F16", 2),
    "bfloat16": ("BF16", 2), "float8_e4m3fn": ("F8_E4M3", 1), "float8_e5m2": ("F8_E5M2", 1),
    "float8_e4m3fnuz": ("float8_e4m3fnuz", 1), "float8_e5m2fnuz": ("float8_e5m2fnuz", 1),
    "float8_e8m0fnu": ("F8_E8M0", 1), "float4_e2m1fn_x2": ("float4_e2m1fn_x2", 1),
    "int64": ("I64", 8), "int32": ("I32", 4), "int16": ("I16", 2), "int8": ("I8", 1),
    "uint64": ("U64", 8), "uint32": ("U32", 4), "uint16": ("U16", 2), "uint8": ("U8", 1),
    "bool": ("BOOL", 1), "complex32": ("complex32", 4), "complex64": ("C64", 8),
    "complex128": ("complex128", 16), "bits8": ("bits8", 1), "bits16": ("bits16", 2),
    "bits1x8": ("bits1x8", 1), "bits2x4": ("bits2x4", 1), "bits4x2": ("bits4x2", 1)}
# the typed storages torch.save names (torch.FloatStorage...), by their dtype
STORAGES = {"Double": "float64", "Float": "float32", "Half": "float16", "BFloat16": "bfloat16",
            "Long": "int64", "Int": "int32", "Short": "int16", "Char": "int8", "Byte": "uint8",
            "Bool": "bool", "ComplexFloat": "complex64", "ComplexDouble": "complex128"}

MAX_TENSORS = 250_000  # tensors of one checkpoint, as for a safetensors header
MAX_ENTRIES = 2 * MAX_TENSORS  # containers and values, each shared container once per use
MAX_PICKLE_BYTES = 256 * 1024 * 1024  # the pickled structure (data.pkl), tensor data apart
MAX_INFLATED = 64 * 1024 * 1024  # a compressed data.pkl (torch.save writes none) inflated
MAX_RECORDS = MAX_TENSORS + 64  # entries of the zip: a storage each, and a few records
MAX_DEPTH = 32
MAX_DIMS = 64
MAX_NAME = 4096  # characters of a tensor's dotted name
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch/serialization.py's MAGIC_NUMBER
LEGACY_PROTOCOL = 1001
FIRST_READ = 64 * 1024  # of a legacy file, doubled until its pickles are whole
NEVER = "nnsize never unpickles code"


@dataclass(frozen=True)
class Storage:
    """What a persistent id names: a storage's key, its dtype and size in elements, and for a
    legacy view the element it starts at."""

    key: str
    dtype: str
    numel: int
    base: int = 0

    @property
    def nbytes(self) -> int:
        return self.numel * DTYPES[self.dtype][1]


@dataclass(frozen=True)
class TensorRecord:
    """A tensor as its rebuild record describes it: no data, only where it lies."""

    storage: Storage
    offset: int  # elements of dtype from the storage's start
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: str


@dataclass(frozen=True)
class DType:
    name: str


@dataclass(frozen=True)
class StorageType:
    dtype: str


# --- the stand-ins: what torch's rebuild functions would build, as records -----------------

def _dims(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, tuple) or len(value) > MAX_DIMS or not all(
            type(d) is int and 0 <= d < 2**62 for d in value):
        raise SpecError(f"a tensor's {what} is {shown(value)}")
    return value


def _tensor(storage: Any, offset: Any, size: Any, stride: Any, dtype: str | None = None) \
        -> TensorRecord:
    if not isinstance(storage, Storage):
        raise SpecError(f"a tensor is rebuilt from {shown(storage)}, not a storage")
    dtype = dtype or storage.dtype
    shape, strides = _dims(size, "shape"), _dims(stride, "stride")
    if type(offset) is not int or not 0 <= offset < 2**62 or len(strides) != len(shape):
        raise SpecError(f"a tensor of shape {list(shape)} has offset {shown(offset)} and "
                        f"strides {list(strides)}")
    # torch refuses a view past its storage's end: (offset + extent) x itemsize <= bytes
    itemsize = DTYPES[dtype][1]
    start = storage.base * DTYPES[storage.dtype][1] + offset * itemsize
    extent = 1 + sum((d - 1) * s for d, s in zip(shape, strides)) if all(shape) else 0
    if extent and start + extent * itemsize > storage.nbytes:
        raise SpecError(f"a tensor of shape {list(shape)} at element {offset} reaches past the "
                        f"{storage.nbytes:,} bytes of storage {storage.key!r}")
    return TensorRecord(storage, offset, shape, strides, dtype)


def _rebuild_v2(storage: Any, offset: Any, size: Any, stride: Any, *rest: Any) -> TensorRecord:
    """_rebuild_tensor(storage, offset, size, stride) and _rebuild_tensor_v2(..., requires_grad,
    backward_hooks, metadata=None): the dtype is the storage's."""
    return _tensor(storage, offset, size, stride)


def _rebuild_v3(storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any,
                hooks: Any, dtype: Any, metadata: Any = None) -> TensorRecord:
    """_rebuild_tensor_v3: an untyped (byte) storage, and the dtype given (float8, uint16...)."""
    if not isinstance(dtype, DType):
        raise SpecError(f"a tensor's dtype is {shown(dtype)}")
    return _tensor(storage, offset, size, stride, dtype.name)


def _parameter(data: Any, *rest: Any) -> TensorRecord:
    """_rebuild_parameter(data, requires_grad, hooks) and _rebuild_parameter_with_state."""
    if not isinstance(data, TensorRecord):
        raise SpecError(f"a parameter holds {shown(data)}, not a tensor")
    return data


def _from_type(func: Any, new_type: Any, args: Any, state: Any) -> Any:
    """torch._tensor._rebuild_from_type_v2: a tensor saved with attributes (state, dropped)."""
    if not isinstance(func, Call) or func.name not in REBUILDERS or not isinstance(args, tuple):
        raise Refused(f"_rebuild_from_type_v2 of {shown(func, 120)}")
    return func.function(*args)


def _bytes(text: Any, encoding: str = "latin1") -> bytes:
    """_codecs.encode: how protocol 2 pickles bytes."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise SpecError(f"_codecs.encode of {shown(text)} as {shown(encoding)}")
    return text.encode("latin-1")


def _dict(*args: Any) -> dict[Any, Any]:
    """OrderedDict() and Counter(): a plain dict (its items follow, by SETITEMS)."""
    if args and not (isinstance(args[0], list) and all(
            isinstance(p, tuple) and len(p) == 2 and hashable(p[0]) for p in args[0])):
        raise SpecError(f"a dict is built from {shown(args)}")
    return dict(args[0]) if args else {}


def _plain(kind: type) -> Any:
    """set, frozenset, bytearray, complex, torch.Size, torch.device of scalars, or of one list
    or tuple of them."""
    def build(*args: Any) -> Any:
        items = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
        if not all(isinstance(a, SCALARS) for a in items):
            raise SpecError(f"a {kind.__name__} is built from {shown(args)}")
        return kind(*args)
    return build


def _name(*args: Any) -> str:
    """torch.device('cuda', 0) -> 'cuda:0'; _get_layout('torch.sparse_coo') -> that name."""
    if not all(isinstance(a, (str, int)) for a in args):
        raise SpecError(f"a device is named by {shown(args)}")
    return ":".join(str(a) for a in args)


REBUILDERS = {
    "torch._utils._rebuild_tensor": _rebuild_v2,
    "torch._utils._rebuild_tensor_v2": _rebuild_v2,
    "torch._utils._rebuild_tensor_v3": _rebuild_v3,
    "torch._utils._rebuild_parameter": _parameter,
    "torch._utils._rebuild_parameter_with_state": _parameter,
}
CALLS = {
    **REBUILDERS,
    "torch._tensor._rebuild_from_type_v2": _from_type,
    "collections.OrderedDict": _dict,
    "collections.Counter": _dict,
    "torch.Size": _plain(tuple),
    "torch.device": _name,
    "torch.serialization._get_layout": _name,
    "_codecs.encode": _bytes,
    "builtins.set": _plain(set),
    "builtins.frozenset": _plain(frozenset),
    "builtins.bytearray": _plain(bytes),
    "builtins.complex": _plain(complex),
}
# tensors torch.load(weights_only=True) rebuilds but nnsize does not read: refused by name
UNREAD = ("_rebuild_qtensor", "_rebuild_sparse_tensor", "_rebuild_nested_tensor",
          "_rebuild_meta_tensor_no_storage", "_rebuild_wrapper_subclass",
          "_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor")


def _unread(name: str) -> Any:
    def refuse(*args: Any) -> Any:
        raise SpecError(f"it holds a tensor rebuilt by torch._utils.{name} (quantized, sparse, "
                        f"nested, meta or a subclass), which nnsize does not read")
    return refuse


TABLE: dict[str, Any] = {
    **{name: Call(name, f) for name, f in CALLS.items()},
    **{f"torch._utils.{name}": Call(name, _unread(name)) for name in UNREAD},
    **{f"torch.{name}": DType(name) for name in DTYPES},
    **{f"torch.{kind}Storage": StorageType(dtype) for kind, dtype in STORAGES.items()},
    **{f"torch.cuda.{kind}Storage": StorageType(dtype) for kind, dtype in STORAGES.items()},
    "torch.storage.UntypedStorage": StorageType("uint8"),
    # the classes _rebuild_from_type_v2 names (never called)
    "torch.Tensor": "torch.Tensor", "torch.nn.parameter.Parameter": "Parameter",
    "torch.nn.parameter.Buffer": "Buffer",
}


def _storage(pid: Any, legacy: bool) -> Storage:
    """A persistent id: ('storage', type, key, location, numel) in a zip; in the legacy format
    with a sixth field, None or a view (view key, offset, numel)."""
    if not isinstance(pid, tuple) or len(pid) != (6 if legacy else 5) or \
            pid[0] not in ("storage", b"storage"):
        raise SpecError(f"a persistent id {shown(pid)} that is not a storage's")
    _, kind, key, _, numel = pid[:5]
    if not isinstance(kind, StorageType) or not isinstance(key, str) or type(numel) is not int \
            or not 0 <= numel < 2**62:
        raise SpecError(f"a storage record {shown(pid)}")
    base = 0
    if legacy and pid[5] is not None:
        view = pid[5]
        if not isinstance(view, tuple) or len(view) != 3 or type(view[1]) is not int \
                or type(view[2]) is not int or not 0 <= view[1] <= view[1] + view[2] <= numel:
            raise SpecError(f"a storage view {shown(view)} of a storage of {numel:,} elements")
        base = view[1]
    return Storage(key, kind.dtype, numel, base)


def _load(data: bytes, start: int, where: str, persistent: Any = None) -> tuple[Any, int]:
    def refuse(pid: Any) -> Any:
        raise SpecError(f"a persistent id {shown(pid)} where none belongs")

    try:
        return load(data, start, TABLE, persistent or refuse)
    except Refused as e:
        raise SpecError(f"{where}: holds more than tensors ({e}), and {NEVER}") from e
    except Truncated:
        raise
    except SpecError as e:
        raise SpecError(f"{where}: not a readable PyTorch checkpoint ({e})") from e
    except (TypeError, RecursionError, MemoryError) as e:  # an unhashable key, say
        raise SpecError(f"{where}: not a readable PyTorch checkpoint ({type(e).__name__}: "
                        f"{shown(str(e), 120)})") from e


# --- the zip format -----------------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    """A zip entry as the central directory gives it."""

    name: str
    offset: int  # of its local header
    compressed: int
    size: int
    method: int
    crc: int


def _read(f: IO[bytes], start: int, n: int, where: str) -> bytes:
    f.seek(start)
    data = f.read(n)
    if len(data) < n:
        raise SpecError(f"{where}: the file ends early (truncated?)")
    return data


def central_directory(f: IO[bytes], size: int, where: str) -> list[Record]:
    """The entries of a zip from its end: end-of-central-directory (22 bytes, after the zip64
    locator where counts overflow), then the directory, one read each."""
    if size < 22:
        raise SpecError(f"{where}: too short to be a zip ({size} bytes)")
    eocd_at = size - 22
    tail = _read(f, eocd_at, 22, where)
    if tail[:4] != b"PK\x05\x06":  # an archive comment follows: look back for the record
        back = min(size, 22 + 65535)
        found = _read(f, size - back, back, where).rfind(b"PK\x05\x06")
        if found < 0:
            raise SpecError(f"{where}: not a zip (no end-of-central-directory record)")
        eocd_at = size - back + found
        tail = _read(f, eocd_at, 22, where)
    _, _, _, _, count, cd_size, cd_offset, _ = struct.unpack("<4s4H2LH", tail)
    if count == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:  # zip64
        locator = _read(f, eocd_at - 20, 20, where) if eocd_at >= 20 else b""
        if locator[:4] != b"PK\x06\x07":
            raise SpecError(f"{where}: a zip64 archive without its locator")
        (record_at,) = struct.unpack("<8xQ4x", locator)
        record = _read(f, record_at, 56, where) if record_at + 56 <= eocd_at else b""
        if record[:4] != b"PK\x06\x06":
            raise SpecError(f"{where}: a zip64 archive without its end record")
        count, cd_size, cd_offset = struct.unpack("<32xQQQ", record)
    if count > MAX_RECORDS or cd_size > MAX_PICKLE_BYTES:
        raise SpecError(f"{where}: the zip lists {count:,} entries in {cd_size:,} bytes; nnsize "
                        f"reads at most {MAX_RECORDS:,}")
    if cd_offset + cd_size > eocd_at:
        raise SpecError(f"{where}: the zip's directory lies past its end (truncated?)")
    directory = _read(f, cd_offset, cd_size, where)
    records: list[Record] = []
    pos = 0
    for _ in range(count):
        if directory[pos:pos + 4] != b"PK\x01\x02" or pos + 46 > len(directory):
            raise SpecError(f"{where}: the zip's directory is damaged at entry {len(records)}")
        (method, crc, compressed, usize, n, m, k, offset) = struct.unpack(
            "<10xH4xLLLHHH8xL", directory[pos:pos + 46])
        name = directory[pos + 46:pos + 46 + n].decode("utf-8", "replace")
        extra = directory[pos + 46 + n:pos + 46 + n + m]
        if 0xFFFFFFFF in (compressed, usize, offset):
            usize, compressed, offset = _zip64_extra(extra, usize, compressed, offset, where)
        records.append(Record(name, offset, compressed, usize, method, crc))
        pos += 46 + n + m + k
    return records


def _zip64_extra(extra: bytes, usize: int, compressed: int, offset: int,
                 where: str) -> tuple[int, int, int]:
    """The 64-bit sizes and offset of a zip64 entry: extra field 0x0001 holds, in this order,
    each of them that is 0xFFFFFFFF in the directory."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == 1:
            values = extra[pos + 4:pos + 4 + length]
            out, i = [], 0
            for v in (usize, compressed, offset):
                if v == 0xFFFFFFFF:
                    if i + 8 > len(values):
                        break
                    v = struct.unpack_from("<Q", values, i)[0]
                    i += 8
                out.append(v)
            else:
                return out[0], out[1], out[2]
        pos += 4 + length
    raise SpecError(f"{where}: a zip64 entry without its sizes")


def read_record(f: IO[bytes], record: Record, limit: int, where: str) -> bytes:
    """One entry's bytes, stored or deflated, at most limit of them, checked by its CRC."""
    if record.size > limit or (record.method != 0 and record.size > MAX_INFLATED):
        raise SpecError(f"{where}: {record.name} is {record.size:,} bytes; nnsize reads "
                        f"at most {min(limit, MAX_INFLATED if record.method else limit):,}")
    header = _read(f, record.offset, 30, where)
    if header[:4] != b"PK\x03\x04":
        raise SpecError(f"{where}: {record.name}'s local header is missing")
    n, m = struct.unpack("<26xHH", header)
    raw = _read(f, record.offset + 30 + n + m, record.compressed, where)
    if record.method == 0:
        data = raw
    elif record.method == 8:
        inflate = zlib.decompressobj(-15)
        try:
            data = inflate.decompress(raw, record.size + 1)
        except zlib.error as e:
            raise SpecError(f"{where}: {record.name} cannot be inflated ({e})") from e
    else:
        raise SpecError(f"{where}: {record.name} is compressed with method {record.method}")
    if len(data) != record.size or zlib.crc32(data) != record.crc:
        raise SpecError(f"{where}: {record.name} does not match its size or CRC (damaged?)")
    return data


def _zip(f: IO[bytes], size: int, where: str) -> Any:
    records = {r.name: r for r in central_directory(f, size, where)}
    if not records:
        raise SpecError(f"{where}: an empty zip")
    # torch's records share the folder of the first (archive/, or the file's old name)
    prefix = next(iter(records)).split("/", 1)[0]
    pickled = records.get(f"{prefix}/data.pkl")
    if pickled is None or not ({f"{prefix}/version", f"{prefix}/.data/version"} & records.keys()):
        raise SpecError(f"{where}: a zip without {prefix}/data.pkl and {prefix}/version: not a "
                        f"PyTorch checkpoint")

    def persistent(pid: Any) -> Storage:
        storage = _storage(pid, legacy=False)
        record = records.get(f"{prefix}/data/{storage.key}")
        if record is None:
            raise SpecError(f"storage {storage.key!r} is not in the archive")
        if record.size < storage.nbytes:
            raise SpecError(f"storage {storage.key!r} holds {record.size:,} bytes, but the "
                            f"pickle says {storage.nbytes:,} (truncated?)")
        return storage

    data = read_record(f, pickled, MAX_PICKLE_BYTES, where)
    try:
        return _load(data, 0, where, persistent)[0]
    except Truncated as e:
        raise SpecError(f"{where}: {pickled.name} ends early (damaged?)") from e


# --- the legacy format ----------------------------------------------------------------------

def _legacy(f: IO[bytes], size: int, where: str) -> Any:
    """Its pickles, read from a first slice of the file that doubles until they are whole;
    the storages after them are skipped, their sizes checked against the file's."""
    want = FIRST_READ
    while True:
        data = _read(f, 0, min(size, want), where)
        try:
            return _legacy_pickles(data, size, where)
        except Truncated as e:
            if len(data) >= size:
                raise SpecError(f"{where}: the file ends inside its pickles (truncated?)") \
                    from e
            if want >= MAX_PICKLE_BYTES:
                raise SpecError(f"{where}: the pickles take more than {MAX_PICKLE_BYTES:,} "
                                f"bytes; nnsize reads at most that") from e
            want *= 4


def _legacy_pickles(data: bytes, size: int, where: str) -> Any:
    magic, pos = _load(data, 0, where)
    if magic != LEGACY_MAGIC:
        raise SpecError(f"{where}: not a PyTorch checkpoint (neither a zip nor torch's legacy "
                        f"format)")
    protocol, pos = _load(data, pos, where)
    if protocol != LEGACY_PROTOCOL:
        raise SpecError(f"{where}: legacy format protocol {shown(protocol)}, not "
                        f"{LEGACY_PROTOCOL}")
    _, pos = _load(data, pos, where)  # sys_info: endianness and C type sizes
    roots: dict[str, int] = {}

    def persistent(pid: Any) -> Storage:
        storage = _storage(pid, legacy=True)
        if roots.setdefault(storage.key, storage.nbytes) != storage.nbytes:
            raise SpecError(f"storage {storage.key!r} is given two sizes")
        return storage

    obj, pos = _load(data, pos, where, persistent)
    keys, pos = _load(data, pos, where)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys) or \
            sorted(roots) != sorted(keys):
        raise SpecError(f"{where}: the legacy format's storage keys {shown(keys)} are not the "
                        f"storages its tensors use")
    # each storage: a u64 element count, then its bytes
    stored = sum(8 + n for n in roots.values())
    if pos + stored != size:
        raise SpecError(f"{where}: the storages need {stored:,} bytes after the pickles, but the "
                        f"file has {size - pos:,} (truncated?)")
    return obj


# --- from the structure to the tensors ------------------------------------------------------

def _expanded(obj: Any) -> int:
    """Entries the structure stands for with every shared container counted once per use (its
    dict keys too), and its depth so counted.

    A pickle can share one container many times (2 KB can stand for 10^10 entries, or for a
    nesting thousands deep); counted with one visit per distinct container, such a file is
    refused in microseconds.
    """
    known: dict[int, tuple[int, int]] = {}  # id -> (entries, height)
    active: set[int] = set()

    def size(item: Any, depth: int) -> tuple[int, int]:
        if not isinstance(item, (dict, list, tuple)):
            return 1, 0
        key = id(item)
        if key in active:
            raise SpecError("the checkpoint holds a container that contains itself")
        n, height = known.get(key, (0, 0))
        if not n:
            if depth > MAX_DEPTH:
                raise SpecError("the checkpoint nests containers too deeply")
            active.add(key)
            n = 1
            for v in (*item.keys(), *item.values()) if isinstance(item, dict) else item:
                entries, below = size(v, depth + 1)
                n, height = n + entries, max(height, below + 1)
                if n > MAX_ENTRIES:
                    raise SpecError(f"the checkpoint stands for more than {MAX_ENTRIES:,} "
                                    f"entries (shared containers expanded); nnsize reads at "
                                    f"most that many")
            active.discard(key)
            known[key] = n, height
        if depth + height > MAX_DEPTH:
            raise SpecError("the checkpoint nests containers too deeply")
        return n, height

    return size(obj, 0)[0]


def _flatten(obj: Any, prefix: str, out: list[tuple[str, TensorRecord]]) -> None:
    """(dotted name, tensor) for every tensor in nested dicts, lists and tuples; the structure
    is checked by _expanded() first."""
    if len(prefix) > MAX_NAME:
        raise SpecError(f"a tensor's name is longer than {MAX_NAME:,} characters "
                        f"({shown(prefix)})")
    if isinstance(obj, TensorRecord):
        out.append((prefix, obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _flatten(v, f"{prefix}.{i}" if prefix else str(i), out)


def read_tensors(f: IO[bytes], size: int, where: str) -> list[Stored]:
    """The tensors of a checkpoint of size bytes open as f (a file, or a remote file read by
    ranges): only the zip's directory and data.pkl, or the legacy format's pickles, are read."""
    head = _read(f, 0, min(size, 8), where)
    if head[:4] == b"PK\x03\x04":
        obj = _zip(f, size, where)
    elif head[:1] == b"\x80":
        obj = _legacy(f, size, where)
    else:
        raise SpecError(f"{where}: not a PyTorch checkpoint (neither a zip nor torch's legacy "
                        f"format; a tar from PyTorch before 0.4 is not read)")
    # the usual wrappers: {"state_dict": ...}, {"model": ...}
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    try:
        _expanded(obj)
    except SpecError as e:
        raise SpecError(f"{where}: {e}") from e
    tensors: list[tuple[str, TensorRecord]] = []
    try:
        _flatten(obj, "", tensors)
    except SpecError as e:
        raise SpecError(f"{where}: {e}") from e
    if len(tensors) > MAX_TENSORS:
        raise SpecError(f"{where}: holds {len(tensors):,} tensors; nnsize reads at most "
                        f"{MAX_TENSORS:,}")
    stored: list[Stored] = []
    seen: dict[tuple[Any, ...], str] = {}
    for name, t in tensors:
        # tied weights (an LM head sharing the embeddings) are one storage, saved once: the
        # same storage, offset, shape and strides is the same tensor under a second name
        numel = 1
        for d in t.shape:
            numel *= d
        dtype, itemsize = DTYPES[t.dtype]
        place = (t.storage.key, t.storage.base * DTYPES[t.storage.dtype][1] + t.offset * itemsize,
                 t.shape, t.stride, t.dtype)
        earlier = seen.setdefault(place, name) if numel else name
        stored.append(Stored(name, t.shape, dtype, numel * itemsize,
                             earlier if earlier != name else ""))
    return stored


def _read_file(path: str) -> list[Stored]:
    from ..files import open_regular

    with open_regular(path) as f:
        try:
            return read_tensors(f, os.fstat(f.fileno()).st_size, path)
        except OSError as e:
            raise SpecError(f"{path}: cannot be read ({e.strerror or e})") from e


def load_checkpoint(path: str) -> Report:
    """Count a checkpoint, or a sharded one through its pytorch_model.bin.index.json."""
    if path.lower().endswith(".index.json"):
        from .tensors import read_index

        stored, shards = read_index(path, ".bin", _read_file)
        report = checkpoint_report(path, stored, "pytorch")
        return replace(report, stored={**report.stored, "shards": shards})
    stored = _read_file(path)
    if not stored:
        raise SpecError(f"{path}: holds no tensors")
    return checkpoint_report(path, stored, "pytorch")


# this format's entry in the formats table (importers/__init__.py)
FORMAT = Format("torch", (".pt", ".pth", ".bin", ".ckpt", ".bin.index.json"),
                load_checkpoint)
