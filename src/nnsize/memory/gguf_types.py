"""ggml's tensor types and llama.cpp's named file types (mixes): bytes a block, each mix's
default type, and the type a row takes when it does not split into whole blocks.

Bytes: a row of ne0 values in a type of block b and s bytes a block takes ne0 / b x s bytes
(gguf's GGML_QUANT_SIZES, copied in TYPE_SIZES and checked against the gguf package in the
tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import NnsizeError, suggest

if TYPE_CHECKING:
    from ..model import Shape

# ggml type -> (values per block, bytes per block): gguf.constants.GGML_QUANT_SIZES
TYPE_SIZES: dict[str, tuple[int, int]] = {
    "F32": (1, 4), "F16": (1, 2), "BF16": (1, 2),
    "Q4_0": (32, 18), "Q4_1": (32, 20), "Q5_0": (32, 22), "Q5_1": (32, 24), "Q8_0": (32, 34),
    "Q2_K": (256, 84), "Q3_K": (256, 110), "Q4_K": (256, 144), "Q5_K": (256, 176),
    "Q6_K": (256, 210),
    "IQ1_S": (256, 50), "IQ1_M": (256, 56), "IQ2_XXS": (256, 66), "IQ2_XS": (256, 74),
    "IQ2_S": (256, 82), "IQ3_XXS": (256, 98), "IQ3_S": (256, 110), "IQ4_NL": (32, 18),
    "IQ4_XS": (256, 136), "MXFP4": (32, 17), "TQ1_0": (256, 54), "TQ2_0": (256, 66),
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
    "TQ1_0": "TQ1_0", "TQ2_0": "TQ2_0",
}
FLOAT_TYPES = ("F32", "F16", "BF16")

# llama-quant.cpp's fallback when a row does not split into whole blocks
FALLBACK = {"IQ1_S": "IQ4_NL", "IQ1_M": "IQ4_NL", "IQ2_XXS": "IQ4_NL", "IQ2_XS": "IQ4_NL",
            "IQ2_S": "IQ4_NL", "IQ3_XXS": "IQ4_NL", "IQ3_S": "IQ4_NL", "IQ4_XS": "IQ4_NL",
            "Q2_K": "Q4_0", "Q3_K": "Q4_0", "TQ1_0": "Q4_0", "TQ2_0": "Q4_0", "Q4_K": "Q5_0",
            "Q5_K": "Q5_1", "Q6_K": "Q8_0"}


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


def fallback(shape: Shape, target: str) -> str:
    """tensor_type_fallback: a row that is not whole blocks takes a type with smaller ones."""
    ne0 = shape[-1]
    if ne0 % TYPE_SIZES[target][0] == 0:
        return target
    if target not in FALLBACK:
        raise NnsizeError(f"llama.cpp has no fallback for {target} rows of {ne0:,} values")
    then = FALLBACK[target]
    return then if ne0 % TYPE_SIZES[then][0] == 0 else "F16"


def find_ftype(name: str) -> str:
    key = name.strip().upper().replace("-", "_")
    if key not in FTYPES:
        raise NnsizeError(f"unknown GGUF mix {name!r}{suggest(key, list(FTYPES))}; one of "
                          f"{', '.join(FTYPES)}")
    return key
