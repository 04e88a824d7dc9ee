"""PyTorch checkpoints (.pt, .pth, .bin), never unpickling code.

Read with torch.load(weights_only=True, mmap=True): the restricted unpickler accepts only tensors
and plain containers, and memory-mapping leaves the tensor data on disk (nothing is read).  A file
that wants anything else is refused with torch's reason; so is the legacy (pre-zip) format, which
cannot be memory-mapped.
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ..model import Report
from .tensors import Stored, checkpoint_report

DTYPES = {"float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16",
          "float8_e4m3fn": "F8_E4M3", "float8_e5m2": "F8_E5M2", "int64": "I64", "int32": "I32",
          "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL"}


MAX_TENSORS = 250_000  # tensors of one checkpoint, as for a safetensors header
MAX_ENTRIES = 2 * MAX_TENSORS  # containers and values, each shared container once per use
MAX_PICKLE_BYTES = 256 * 1024 * 1024  # the pickled structure (data.pkl), tensor data apart
MAX_INFLATED = 64 * 1024 * 1024  # a compressed record (torch.save writes none) inflated
MAX_DEPTH = 32


def _expanded(obj: Any, torch: Any) -> int:
    """Entries the structure stands for with every shared container counted once per use.

    A pickle can share one container many times (2 KB can stand for 10^10 entries); counted
    with one visit per distinct container, such a file is refused in microseconds.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(item: Any, depth: int) -> int:
        if isinstance(item, torch.Tensor) or not isinstance(item, (dict, list, tuple)):
            return 1
        key = id(item)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise SpecError("the checkpoint holds a container that contains itself")
        if depth > MAX_DEPTH:
            raise SpecError("the checkpoint nests containers too deeply")
        active.add(key)
        values = item.values() if isinstance(item, dict) else item
        n = 1
        for v in values:
            n += size(v, depth + 1)
            if n > MAX_ENTRIES:
                raise SpecError(f"the checkpoint stands for more than {MAX_ENTRIES:,} entries "
                                f"(shared containers expanded); nnsize reads at most that many")
        active.discard(key)
        sizes[key] = n
        return n

    return size(obj, 0)


def _flatten(obj: Any, prefix: str, out: list[tuple[str, Any]], torch: Any) -> None:
    """(dotted name, tensor) for every tensor in nested dicts, lists and tuples; the structure
    is checked by _expanded() first."""
    if isinstance(obj, torch.Tensor):
        out.append((prefix, obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out, torch)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _flatten(v, f"{prefix}.{i}" if prefix else str(i), out, torch)


def _check_archive(path: str, f: Any) -> None:
    """Refuse a zip whose members would inflate past MAX_PICKLE_BYTES before torch reads it:
    torch.save stores its records uncompressed, so deflated ones are only a bomb's."""
    import zipfile

    try:
        with zipfile.ZipFile(f) as z:
            for info in z.infolist():
                if info.compress_type != zipfile.ZIP_STORED and \
                        info.file_size > MAX_INFLATED:
                    raise SpecError(f"{path}: {info.filename} inflates to {info.file_size:,} "
                                    f"bytes; nnsize reads compressed records of at most "
                                    f"{MAX_INFLATED:,}")
                if info.filename.endswith(".pkl") and info.file_size > MAX_PICKLE_BYTES:
                    raise SpecError(f"{path}: {info.filename} is {info.file_size:,} bytes; "
                                    f"nnsize reads pickles of at most {MAX_PICKLE_BYTES:,}")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        if isinstance(e, SpecError):
            raise
        raise SpecError(f"{path}: not a readable PyTorch checkpoint ({type(e).__name__}: "
                        f"{str(e)[:200]})") from e


def load_checkpoint(path: str) -> Report:
    import pickle
    import warnings
    import zipfile

    from ..files import open_regular

    # the file and its zip directory are checked before torch is imported (seconds)
    with open_regular(path) as f:
        if not zipfile.is_zipfile(f):
            raise SpecError(f"{path}: not a zip-format PyTorch checkpoint (the legacy format "
                            f"cannot be read without loading all of it; re-save it with "
                            f"torch.save)")
        _check_archive(path, f)
    try:
        import torch
    except ImportError as e:
        raise SpecError("reading PyTorch checkpoints needs torch: pip install torch") from e
    try:
        with warnings.catch_warnings():  # torch's notes would make a second line of output
            warnings.simplefilter("ignore")
            obj = torch.load(path, weights_only=True, mmap=True, map_location="cpu")
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else "refused"
        raise SpecError(f"{path}: holds more than tensors, and nnsize never unpickles code "
                        f"(torch.load with weights_only=True said: {first})") from e
    except (RuntimeError, ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError,
            TypeError, AttributeError, IndexError, MemoryError, RecursionError) as e:
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise SpecError(f"{path}: not a readable PyTorch checkpoint ({type(e).__name__}: "
                        f"{first})") from e
    # the usual wrappers: {"state_dict": ...}, {"model": ...}
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    try:
        _expanded(obj, torch)
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from e
    tensors: list[tuple[str, Any]] = []
    _flatten(obj, "", tensors, torch)
    if len(tensors) > MAX_TENSORS:
        raise SpecError(f"{path}: holds {len(tensors):,} tensors; nnsize reads at most "
                        f"{MAX_TENSORS:,}")
    if not tensors:
        raise SpecError(f"{path}: holds no tensors")
    stored: list[Stored] = []
    seen: dict[tuple[Any, ...], str] = {}
    for name, t in tensors:
        # tied weights (an LM head sharing the embeddings) are one storage, saved once: the
        # same storage, offset, shape and strides is the same tensor under a second name
        storage = (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape), t.stride(),
               t.dtype)
        earlier = seen.setdefault(storage, name) if t.numel() else name
        stored.append(Stored(name, tuple(t.shape),
                             DTYPES.get(str(t.dtype).replace("torch.", ""), str(t.dtype)),
                             t.numel() * t.element_size(), earlier if earlier != name else ""))
    return checkpoint_report(path, stored, "pytorch")
