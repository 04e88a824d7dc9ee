"""GGUF files as llama.cpp makes them: the ggml type of every tensor under a named mix.

A ``Q4_K_M`` file is not Q4_K everywhere.  ``llama-quantize`` picks a type per tensor by
``llama_tensor_get_type`` in llama.cpp's src/llama-quant.cpp (read at ggml-org/llama.cpp
commit 007dbbf3fd17eefe9b47fee45f48f7ba5e62b714), as the rule table of gguf_rules.py, with its
counters: tensors are visited in the loader's order (by layer, ``blk.N.``; within a layer by
name; the rest first), and ``attn_v`` counts its tensors as it meets them, exactly as
llama.cpp's ``i_attention_wv`` does.  The types and their bytes are gguf_types.py's.

A GGUF file adds its header, metadata (the tokenizer) and 32-byte alignment padding to the
tensor data; `tensor_bytes` is the data alone, as llama-bench's "size" is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import NnsizeError

# names: transformers' to GGUF's, re-exported for this module's callers
from ..importers.gguf_names import gguf_names, report_tensors
from .gguf_rules import Hparams, State, allows_quantization, get_type, source_type
from .gguf_rules import block_of as _layer
from .gguf_types import FLOAT_TYPES, FTYPES, TYPE_SIZES, fallback, find_ftype, tensor_bytes

if TYPE_CHECKING:
    from ..model import Report, Shape

__all__ = ["FLOAT_TYPES", "FTYPES", "TYPE_SIZES", "GGUFTensor", "Hparams", "Mix", "_layer",
           "allows_quantization", "assign", "find_ftype", "gguf_names", "hparams",
           "loader_order", "mix", "report_tensors", "source_type", "tensor_bytes"]


@dataclass(frozen=True)
class GGUFTensor:
    name: str  # as GGUF names it: blk.3.attn_v.weight
    shape: Shape  # as torch holds it (out, in); GGUF's ne is the reverse
    ggml_type: str

    @property
    def bytes(self) -> int:
        return tensor_bytes(self.shape, self.ggml_type)


def loader_order(names: Iterable[str]) -> list[str]:
    """llama_model_loader's weight_name_comparer: by block number (none first), then by name."""
    return sorted(names, key=lambda n: (_layer(n), n))


def assign(tensors: Iterable[tuple[str, Shape]], ftype: str, hp: Hparams,
           imatrix: bool = False, float_type: str = "BF16") -> list[GGUFTensor]:
    """Every tensor's ggml type in a GGUF of this named mix, as llama-quantize picks it from a
    converted file at float_type, in the loader's order.  imatrix: quantized with an importance
    matrix (it changes Q4_0, Q5_0, IQ4_XS, IQ4_NL and IQ3_XXS's first ffn_down layers)."""
    ftype = find_ftype(ftype)
    shapes = dict(tensors)
    names = loader_order(shapes)
    qs = State.of(names, hp, imatrix)
    default = FTYPES[ftype]
    out = []
    for name in names:
        shape = shapes[name]
        have = source_type(name, shape, float_type, hp.arch)
        if default in FLOAT_TYPES:  # a float file: what converting at that type writes
            new = have if have in ("F32", "MXFP4") else default
        elif not allows_quantization(name, shape):
            new = have
        else:
            new = fallback(shape, get_type(qs, default, name, shape, ftype))
        out.append(GGUFTensor(name, shape, new))
    return out


def hparams(report: Report) -> Hparams:
    d = report.decoder
    if d is None:
        raise NnsizeError("a GGUF mix is for language models counted from a config")
    if not d.layers or d.state_values:
        raise NnsizeError(f"{report.source}: a GGUF mix of a model with state-space layers is "
                          f"not modelled")
    if d.varied:  # llama-quantize's choices go by the layer's index among n_layer
        raise NnsizeError(f"{report.source}: a GGUF mix of a model whose layers differ "
                          f"({d.varied}) is not modelled")
    first = d.layers[0]
    experts = max((t.shape[0] for row in report.rows for t in row.tensors
                   if row.type == "experts" and len(t.shape) == 3), default=0)
    from ..importers.gguf_names import architecture

    arch = architecture(n for n, _ in report.named_tensors())
    return Hparams(len(d.layers), first.heads, first.kv_heads, experts, arch)


@dataclass(frozen=True)
class Mix:
    """The text GGUF's tensors; mmproj: (tensors, values) of an image-text model's vision tower
    and projector, which llama.cpp writes to a separate mmproj file, not to this one."""

    ftype: str
    tensors: tuple[GGUFTensor, ...]
    mmproj: tuple[int, int] = (0, 0)

    @property
    def tensor_bytes(self) -> int:
        return sum(t.bytes for t in self.tensors)

    @property
    def params(self) -> int:
        total = 0
        for t in self.tensors:
            n = 1
            for d in t.shape:
                n *= d
            total += n
        return total

    def padded_bytes(self, alignment: int = 32) -> int:
        """The data section of the file: each tensor padded to the alignment (GGUF's 32)."""
        return sum(-(-t.bytes // alignment) * alignment for t in self.tensors)

    def by_type(self) -> dict[str, tuple[int, int]]:
        """ggml type -> (tensors, bytes)."""
        out: dict[str, tuple[int, int]] = {}
        for t in self.tensors:
            count, size = out.get(t.ggml_type, (0, 0))
            out[t.ggml_type] = (count + 1, size + t.bytes)
        return out


def mix(report: Report, ftype: str, imatrix: bool = False, float_type: str = "BF16") -> Mix:
    """The GGUF of a counted model under a named llama.cpp mix (Q4_K_M, Q8_0, IQ4_XS...)."""
    from ..importers.gguf_names import mmproj_tensors

    key = find_ftype(ftype)
    hp = hparams(report)  # first: a network that is no language model is refused at once
    vision = mmproj_tensors(report)
    values = sum(_values(shape) for _, shape in vision)
    return Mix(key, tuple(assign(report_tensors(report), key, hp, imatrix, float_type)),
               (len(vision), values))


def _values(shape: Shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
