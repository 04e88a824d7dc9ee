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


def _flatten(obj: Any, prefix: str, out: list[tuple[str, Any]], torch: Any, depth: int) -> None:
    if depth > 32:
        raise SpecError("the checkpoint nests containers too deeply")
    if isinstance(obj, torch.Tensor):
        out.append((prefix, obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out, torch, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _flatten(v, f"{prefix}.{i}" if prefix else str(i), out, torch, depth + 1)


def load_checkpoint(path: str) -> Report:
    try:
        import torch
    except ImportError as e:
        raise SpecError("reading PyTorch checkpoints needs torch: pip install torch") from e
    import pickle
    import zipfile

    if not zipfile.is_zipfile(path):
        import os

        if not os.path.exists(path):
            raise SpecError(f"{path}: no such file")
        raise SpecError(f"{path}: not a zip-format PyTorch checkpoint (the legacy format cannot "
                        f"be read without loading all of it; re-save it with torch.save)")
    try:
        obj = torch.load(path, weights_only=True, mmap=True, map_location="cpu")
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else "refused"
        raise SpecError(f"{path}: holds more than tensors, and nnsize never unpickles code "
                        f"(torch.load with weights_only=True said: {first})") from e
    except (RuntimeError, ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise SpecError(f"{path}: not a readable PyTorch checkpoint ({type(e).__name__}: "
                        f"{str(e)[:200]})") from e
    tensors: list[tuple[str, Any]] = []
    # the usual wrappers: {"state_dict": ...}, {"model": ...}
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    _flatten(obj, "", tensors, torch, 0)
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
