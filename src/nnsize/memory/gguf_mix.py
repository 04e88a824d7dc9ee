"""GGUF files as llama.cpp makes them: the ggml type of every tensor under a named mix.

A ``Q4_K_M`` file is not Q4_K everywhere.  ``llama-quantize`` picks a type per tensor:
``llama_tensor_get_type`` in llama.cpp's src/llama-quant.cpp (read at ggml-org/llama.cpp
commit 007dbbf3fd17eefe9b47fee45f48f7ba5e62b714) puts the output head at Q6_K, the ``attn_v``
and ``ffn_down`` of the first eighth, the last eighth and every third layer between
("use_more_bits") at Q6_K, and leaves tensors it may not quantize (1-D tensors, norms, the MoE
router ``ffn_gate_inp``) at the type the converter wrote them in: F32, as convert_hf_to_gguf.py
writes every 1-D tensor, norm and router.

The rules here follow that function branch for branch, with its counters: tensors are visited
in the loader's order (by layer, ``blk.N.``; within a layer by name; the rest first), and
``attn_v`` counts its tensors as it meets them, exactly as llama.cpp's ``i_attention_wv`` does.

Bytes: a row of ne0 values in a type of block b and s bytes a block takes ne0 / b x s bytes
(gguf's GGML_QUANT_SIZES, copied in TYPE_SIZES and checked against the gguf package in the
tests).  A GGUF file adds its header, metadata (the tokenizer) and 32-byte alignment padding
to the tensor data; `tensor_bytes` is the data alone, as llama-bench's "size" is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import NnsizeError, suggest

# names: transformers' to GGUF's, re-exported for this module's callers
from ..importers.gguf_names import gguf_names, report_tensors  # noqa: F401

if TYPE_CHECKING:
    from ..model import Report, Shape

# ggml type -> (values per block, bytes per block): gguf.constants.GGML_QUANT_SIZES
TYPE_SIZES: dict[str, tuple[int, int]] = {
    "F32": (1, 4), "F16": (1, 2), "BF16": (1, 2),
    "Q4_0": (32, 18), "Q4_1": (32, 20), "Q5_0": (32, 22), "Q5_1": (32, 24), "Q8_0": (32, 34),
    "Q2_K": (256, 84), "Q3_K": (256, 110), "Q4_K": (256, 144), "Q5_K": (256, 176),
    "Q6_K": (256, 210),
    "IQ1_S": (256, 50), "IQ1_M": (256, 56), "IQ2_XXS": (256, 66), "IQ2_XS": (256, 74),
    "IQ2_S": (256, 82), "IQ3_XXS": (256, 98), "IQ3_S": (256, 110), "IQ4_NL": (32, 18),
    "IQ4_XS": (256, 136), "MXFP4": (32, 17),
}

# llama.cpp's named file types (LLAMA_FTYPE_MOSTLY_*) -> the default tensor type
# (llama_ftype_get_default_type)
FTYPES: dict[str, str] = {
    "F32": "F32", "F16": "F16", "BF16": "BF16",
    "Q4_0": "Q4_0", "Q4_1": "Q4_1", "Q5_0": "Q5_0", "Q5_1": "Q5_1", "Q8_0": "Q8_0",
    "Q2_K_S": "Q2_K", "Q2_K": "Q2_K", "IQ3_XS": "IQ3_S",
    "Q3_K_S": "Q3_K", "Q3_K_M": "Q3_K", "Q3_K_L": "Q3_K",
    "Q4_K_S": "Q4_K", "Q4_K_M": "Q4_K", "Q5_K_S": "Q5_K", "Q5_K_M": "Q5_K", "Q6_K": "Q6_K",
    "IQ2_XXS": "IQ2_XXS", "IQ2_XS": "IQ2_XS", "IQ2_S": "IQ2_XS", "IQ2_M": "IQ2_S",
    "IQ3_XXS": "IQ3_XXS", "IQ1_S": "IQ1_S", "IQ1_M": "IQ1_M", "IQ4_NL": "IQ4_NL",
    "IQ4_XS": "IQ4_XS", "IQ3_S": "IQ3_S", "IQ3_M": "IQ3_S", "MXFP4_MOE": "MXFP4",
}
FLOAT_TYPES = ("F32", "F16", "BF16")
_IQ_LOW = ("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M")

# llama-quant.cpp's fallback when a row does not split into whole blocks
_FALLBACK = {"IQ1_S": "IQ4_NL", "IQ1_M": "IQ4_NL", "IQ2_XXS": "IQ4_NL", "IQ2_XS": "IQ4_NL",
             "IQ2_S": "IQ4_NL", "IQ3_XXS": "IQ4_NL", "IQ3_S": "IQ4_NL", "IQ4_XS": "IQ4_NL",
             "Q2_K": "Q4_0", "Q3_K": "Q4_0", "Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0"}


@dataclass(frozen=True)
class Hparams:
    """What llama_tensor_get_type reads of the model besides names and shapes."""

    n_layer: int
    n_head: int
    n_head_kv: int
    n_expert: int = 0
    arch: str = "llama"  # llama.cpp's architecture where its rules differ: "falcon"

    @property
    def n_gqa(self) -> int:
        return self.n_head // self.n_head_kv if self.n_head_kv else 0

    @property
    def is_70b(self) -> bool:
        """LLM_TYPE_70B (llama-model.cpp): a llama of 80 layers with grouped keys, a qwen2 of
        80 layers (all of them grouped); the names nnsize maps are of these families."""
        return self.arch != "falcon" and self.n_layer == 80 and self.n_head != self.n_head_kv


@dataclass(frozen=True)
class GGUFTensor:
    name: str  # as GGUF names it: blk.3.attn_v.weight
    shape: Shape  # as torch holds it (out, in); GGUF's ne is the reverse
    ggml_type: str

    @property
    def bytes(self) -> int:
        return tensor_bytes(self.shape, self.ggml_type)


def tensor_bytes(shape: Shape, ggml_type: str) -> int:
    """Bytes of one tensor: rows x (ne0 / block) x bytes per block, ne0 = shape[-1]."""
    block, size = TYPE_SIZES[ggml_type]
    ne0 = shape[-1] if shape else 1
    rows = 1
    for d in shape[:-1]:
        rows *= d
    if ne0 % block:
        raise NnsizeError(f"a row of {ne0:,} values is not a whole number of {ggml_type} "
                          f"blocks of {block}")
    return rows * (ne0 // block) * size


def _layer(name: str) -> int:
    """The N of 'blk.N.' (-1 for tensors outside the blocks), as the loader's sscanf reads it."""
    if name.startswith("blk."):
        digits = name[4:].split(".", 1)[0]
        if digits.isdigit():
            return int(digits)
    return -1


def loader_order(names: Iterable[str]) -> list[str]:
    """llama_model_loader's weight_name_comparer: by block number (none first), then by name."""
    return sorted(names, key=lambda n: (_layer(n), n))


def _category(name: str) -> str:
    """tensor_get_category of llama-quant.cpp: the first match wins."""
    if name == "output.weight":
        return "output"
    if name in ("token_embd.weight", "per_layer_token_embd.weight"):
        return "token_embd"
    for key, cat in (("attn_qkv.weight", "attn_qkv"), ("attn_kv_b.weight", "attn_kv_b"),
                     ("attn_v.weight", "attn_v"), ("attn_k.weight", "attn_k"),
                     ("attn_q.weight", "attn_q"), ("attn_output.weight", "attn_output"),
                     ("ffn_up", "ffn_up"), ("ffn_gate", "ffn_gate"),
                     ("ffn_down", "ffn_down")):
        if key in name:
            return cat
    return "other"


_NOT_QUANTIZED = ("_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup",
                  "laurel", "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight",
                  "attn_rel_b.weight", ".position_embd", ".rel_pos", ".patch_embd",
                  "time_mix_")


def allows_quantization(name: str, shape: Shape) -> bool:
    """tensor_allows_quantization: 2-D and 3-D '...weight' tensors, not norms, routers,
    position embeddings and the few small tensors llama.cpp names."""
    if len(shape) < 2 or not name.endswith("weight"):
        return False
    if name in ("position_embd.weight", "token_types.weight"):
        return False
    return not any(key in name for key in _NOT_QUANTIZED)


def source_type(name: str, shape: Shape, float_type: str) -> str:
    """The type convert_hf_to_gguf.py writes: F32 for 1-D tensors, norms, routers and anything
    not named '.weight'; float_type (F16, BF16) for the rest."""
    if len(shape) <= 1 or name.endswith("_norm.weight") or "ffn_gate_inp" in name or \
            not name.endswith(".weight") or name in ("position_embd.weight",
                                                     "token_types.weight"):
        return "F32"
    return float_type


def _use_more_bits(i_layer: int, n_layers: int) -> bool:
    return i_layer < n_layers // 8 or i_layer >= 7 * n_layers // 8 or \
        (i_layer - n_layers // 8) % 3 == 2


class _State:
    """quantize_state_impl: the counters llama_tensor_get_type advances as it goes."""

    def __init__(self, names: list[str], hp: Hparams, imatrix: bool) -> None:
        cats = [_category(n) for n in names]
        self.n_attention_wv = sum(c in ("attn_v", "attn_qkv", "attn_kv_b") for c in cats)
        self.has_tied_embeddings = "output" not in cats
        self.n_ffn = hp.n_layer
        self.i_attention_wv = self.i_ffn_down = self.i_ffn_gate = self.i_ffn_up = 0
        self.hp, self.imatrix = hp, imatrix

    def layer(self, counter: int, name: str) -> int:
        """layer_info: the running counter, or for MoE models the block number in the name."""
        if self.hp.n_expert > 1:
            return _layer(name)
        return counter


def _get_type(qs: _State, new: str, name: str, shape: Shape, ftype: str) -> str:
    """llama_tensor_get_type_impl, branch for branch (llama-quant.cpp)."""
    hp, cat = qs.hp, _category(name)
    # llama.cpp tests attn_v-like tensors (a fused attn_qkv too) before its own attn_qkv
    # branch, which is never reached
    attn_v_like = cat in ("attn_v", "attn_qkv", "attn_kv_b")
    if cat == "output" or (qs.has_tied_embeddings and cat == "token_embd"):
        block = TYPE_SIZES[new][0]
        if ftype == "MXFP4_MOE":
            return "Q8_0"
        if hp.arch == "falcon" or shape[-1] % block:
            return "Q8_0"
        if ftype in ("IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"):
            return "Q5_K"
        return new if new == "Q8_0" else "Q6_K"
    if ftype == "MXFP4_MOE":
        return "MXFP4" if len(shape) == 3 and shape[0] > 1 else "Q8_0"
    if cat == "token_embd":
        if ftype in ("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ1_M"):
            return "Q2_K"
        if ftype in ("IQ2_S", "IQ2_M", "IQ3_XXS"):
            return "IQ3_S"
        return new
    if ftype in _IQ_LOW:
        if attn_v_like:
            if hp.n_gqa >= 4 or hp.n_expert >= 4:
                new = "Q4_K"
            else:
                new = "IQ3_S" if ftype in ("IQ2_S", "IQ2_M") else "Q2_K"
            qs.i_attention_wv += 1
        elif hp.n_expert == 8 and cat == "attn_k":
            new = "Q4_K"
        elif cat == "ffn_down":
            if qs.i_ffn_down < qs.n_ffn // 8:
                new = "IQ3_S" if ftype in ("IQ2_S", "IQ2_M") else "Q2_K"
            qs.i_ffn_down += 1
        elif cat == "attn_output":
            if hp.n_expert == 8:
                new = "Q5_K"
            elif ftype in ("IQ1_S", "IQ1_M"):
                new = "IQ2_XXS"
            elif ftype in ("IQ2_S", "IQ2_M"):
                new = "IQ3_S"
        return new
    if attn_v_like:
        i, n = qs.i_attention_wv, qs.n_attention_wv
        if ftype == "Q2_K":
            new = "Q4_K" if hp.n_gqa >= 4 else "Q3_K"
        elif ftype == "Q2_K_S" and hp.n_gqa >= 4:
            new = "Q4_K"
        elif ftype == "IQ3_XXS":
            new = "Q4_K" if hp.n_gqa >= 4 else "IQ3_S" if not qs.imatrix else "IQ3_XXS"
        elif ftype in ("IQ3_XS", "IQ3_S") and hp.n_gqa >= 4:
            new = "Q4_K"
        elif ftype == "IQ3_M":
            new = "Q4_K"
        elif ftype == "Q3_K_M":
            new = "Q5_K" if i < 2 else "Q4_K"
        elif ftype == "Q3_K_L":
            new = "Q5_K"
        elif ftype in ("IQ4_NL", "IQ4_XS") and hp.n_gqa >= 4:
            new = "Q5_K"
        elif ftype in ("Q4_K_M", "Q5_K_M") and _use_more_bits(i, n):
            new = "Q6_K"
        elif ftype == "Q4_K_S" and i < 4:
            new = "Q5_K"
        if hp.is_70b and new in ("Q3_K", "Q4_K"):
            new = "Q5_K"  # 8 heads share attn_v: more bits for little size
        if hp.n_expert == 8:
            new = "Q8_0"
        qs.i_attention_wv += 1
        return new
    if cat == "attn_k":
        if hp.n_expert == 8:
            return "Q8_0"
        if ftype == "IQ3_XS":
            return "IQ3_XXS"
        if ftype == "IQ3_XXS":
            return "IQ2_S"
        return new
    if cat == "attn_q":
        if ftype == "IQ3_XS":
            return "IQ3_XXS"
        if ftype == "IQ3_XXS":
            return "IQ2_S"
        return new
    if cat == "ffn_down":
        i, n = qs.layer(qs.i_ffn_down, name), qs.n_ffn
        falcon = hp.arch == "falcon"
        if ftype == "Q2_K":
            new = "Q3_K"
        elif ftype == "Q2_K_S":
            if i < n // 8:
                new = "Q4_K"
        elif ftype == "IQ3_XXS" and not qs.imatrix:
            new = "Q4_K" if i < n // 8 else "Q3_K"
        elif ftype == "Q3_K_M":
            new = "Q5_K" if i < n // 16 else \
                "Q4_K" if not falcon or _use_more_bits(i, n) else "Q3_K"
        elif ftype == "IQ3_M" and (i < n // 8 or (hp.n_expert == 8 and _use_more_bits(i, n))):
            new = "Q4_K"
        elif ftype == "Q3_K_L":
            new = "Q4_K" if falcon else "Q5_K"
        elif ftype == "Q4_K_M":
            if falcon:
                new = "Q6_K" if i < n // 16 else "Q5_K" if _use_more_bits(i, n) else "Q4_K"
            elif _use_more_bits(i, n):
                new = "Q6_K"
        elif i < n // 8 and ftype in ("IQ4_NL", "IQ4_XS") and not qs.imatrix:
            new = "Q5_K"
        elif ftype == "Q5_K_M" and _use_more_bits(i, n):
            new = "Q6_K"
        elif ftype == "Q4_K_S" and not falcon and i < n // 8:
            new = "Q5_K"
        elif ftype in ("Q4_0", "Q5_0") and qs.imatrix and i < n // 8:
            new = "Q4_1" if ftype == "Q4_0" else "Q5_1"
        qs.i_ffn_down += 1
        return new
    if cat == "attn_output":
        if hp.arch != "falcon":
            if hp.n_expert == 8:
                if ftype in ("Q2_K", "IQ3_XS", "IQ3_XXS", "Q3_K_S", "Q3_K_M", "IQ4_NL",
                             "Q4_K_S", "Q4_K_M", "IQ3_S", "IQ3_M", "IQ4_XS"):
                    new = "Q5_K"
            else:
                new = {"Q2_K": "Q3_K", "IQ3_XXS": "IQ3_S", "Q3_K_M": "Q4_K",
                       "Q3_K_L": "Q5_K", "IQ3_M": "Q4_K"}.get(ftype, new)
        elif ftype == "Q3_K_L":
            new = "Q4_K"
        return new
    if cat in ("ffn_gate", "ffn_up"):
        counter = qs.i_ffn_gate if cat == "ffn_gate" else qs.i_ffn_up
        i, n = qs.layer(counter, name), qs.n_ffn
        if ftype == "IQ3_XS" and n // 8 <= i < 7 * n // 8:
            new = "IQ3_XXS"
        if cat == "ffn_gate":
            qs.i_ffn_gate += 1
        else:
            qs.i_ffn_up += 1
        return new
    return new


def _fallback(shape: Shape, target: str) -> str:
    """tensor_type_fallback: a row that is not whole blocks takes a type with smaller ones."""
    ne0 = shape[-1]
    if ne0 % TYPE_SIZES[target][0] == 0:
        return target
    if target not in _FALLBACK:
        raise NnsizeError(f"llama.cpp has no fallback for {target} rows of {ne0:,} values")
    fallback = _FALLBACK[target]
    return fallback if ne0 % TYPE_SIZES[fallback][0] == 0 else "F16"


def find_ftype(name: str) -> str:
    key = name.strip().upper().replace("-", "_")
    if key not in FTYPES:
        raise NnsizeError(f"unknown GGUF mix {name!r}{suggest(key, list(FTYPES))}; one of "
                          f"{', '.join(FTYPES)}")
    return key


def assign(tensors: Iterable[tuple[str, Shape]], ftype: str, hp: Hparams,
           imatrix: bool = False, float_type: str = "BF16") -> list[GGUFTensor]:
    """Every tensor's ggml type in a GGUF of this named mix, as llama-quantize picks it from a
    converted file at float_type, in the loader's order.  imatrix: quantized with an importance
    matrix (it changes Q4_0, Q5_0, IQ4_XS, IQ4_NL and IQ3_XXS's first ffn_down layers)."""
    ftype = find_ftype(ftype)
    shapes = dict(tensors)
    names = loader_order(shapes)
    qs = _State(names, hp, imatrix)
    default = FTYPES[ftype]
    out = []
    for name in names:
        shape = shapes[name]
        have = source_type(name, shape, float_type)
        if default in FLOAT_TYPES:  # a float file: what converting at that type writes
            new = have if have == "F32" else default
        elif not allows_quantization(name, shape):
            new = have
        else:
            new = _fallback(shape, _get_type(qs, default, name, shape, ftype))
        out.append(GGUFTensor(name, shape, new))
    return out


def hparams(report: Report) -> Hparams:
    d = report.decoder
    if d is None:
        raise NnsizeError("a GGUF mix is for language models counted from a config")
    if not d.layers or d.state_values:
        raise NnsizeError(f"{report.source}: a GGUF mix of a model with state-space layers is "
                          f"not modelled")
    first = d.layers[0]
    experts = max((t.shape[0] for row in report.rows for t in row.tensors
                   if row.type == "experts" and len(t.shape) == 3), default=0)
    from ..importers.gguf_names import architecture

    arch = architecture(n for n, _ in report.named_tensors())
    return Hparams(len(d.layers), first.heads, first.kv_heads, experts, arch)


@dataclass(frozen=True)
class Mix:
    ftype: str
    tensors: tuple[GGUFTensor, ...]

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
    key = find_ftype(ftype)
    hp = hparams(report)  # first: a network that is no language model is refused at once
    return Mix(key, tuple(assign(report_tensors(report), key, hp, imatrix, float_type)))
