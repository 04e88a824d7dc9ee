"""gguf_rules' table of rules against the if-chain it replaced (nnsize's _get_type before the
table, kept here branch for branch as llama-quant.cpp's llama_tensor_get_type_impl reads): the
same type for every tensor, in order (the counters advance alike), for every named mix, with
and without an importance matrix, over models whose hparams reach every branch (grouped keys,
8 experts, 70B, falcon, tied heads, rows not whole blocks)."""

from __future__ import annotations

import itertools

import pytest

from nnsize.memory.gguf_mix import FLOAT_TYPES, FTYPES, TYPE_SIZES, Hparams, assign, loader_order
from nnsize.memory.gguf_rules import State, allows_quantization, get_type

# the loader's block number and llama-quant.cpp's categories, unchanged by the table
from nnsize.memory.gguf_rules import block_of as _layer
from nnsize.memory.gguf_rules import category as _category

Shape = tuple[int, ...]
_IQ_LOW = ("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M")


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
    """llama_tensor_get_type_impl, branch for branch (llama-quant.cpp): nnsize's if-chain
    before the rule table."""
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
        if ftype in ("TQ1_0", "TQ2_0"):  # ternary embeddings would lose too much
            return "Q4_K"
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




def model(hp: Hparams, tied: bool, width: int) -> list[tuple[str, Shape]]:
    """A model's GGUF tensors: embeddings, head (unless tied), and per layer attention (q, k,
    v, a fused qkv in every third layer, output, DeepSeek's kv_b in every fifth), the
    feed-forward (experts where hp has them),
    norms; rows of width values (not whole K-blocks where width is 96)."""
    out: list[tuple[str, Shape]] = [("token_embd.weight", (64, width)),
                                    ("output_norm.weight", (width,))]
    if not tied:
        out.append(("output.weight", (64, width)))
    for i in range(hp.n_layer):
        b = f"blk.{i}."
        attn = ["attn_qkv"] if i % 3 == 1 else ["attn_q", "attn_k", "attn_v"]
        out += [(f"{b}{t}.weight", (width, width)) for t in attn + ["attn_output"]]
        out += [(f"{b}attn_kv_b.weight", (width, width))] if i % 5 == 4 else []
        out += [(f"{b}attn_norm.weight", (width,)), (f"{b}ffn_norm.weight", (width,))]
        if hp.n_expert:
            out += [(f"{b}ffn_gate_inp.weight", (hp.n_expert, width))]
            out += [(f"{b}ffn_{t}_exps.weight", (hp.n_expert, width, width))
                    for t in ("gate", "up", "down")]
        else:
            out += [(f"{b}ffn_{t}.weight", (width, width)) for t in ("gate", "up", "down")]
    return out


HPARAMS = [Hparams(n, h, kv, e, arch) for n, h, kv, e, arch in (
    (1, 1, 1, 0, "llama"), (8, 8, 8, 0, "llama"), (32, 32, 8, 0, "llama"),
    (32, 32, 4, 8, "llama"), (16, 16, 16, 4, "llama"), (24, 8, 2, 16, "llama"),
    (80, 64, 8, 0, "llama"), (80, 64, 64, 0, "llama"), (32, 32, 32, 0, "falcon"),
    (60, 64, 8, 8, "falcon"), (17, 12, 3, 0, "llama"))]
MIXES = [f for f in FTYPES if FTYPES[f] not in FLOAT_TYPES]


def _reference(tensors: list[tuple[str, Shape]], ftype: str, hp: Hparams,
               imatrix: bool) -> list[str]:
    shapes = dict(tensors)
    names = loader_order(shapes)
    qs = _State(names, hp, imatrix)
    return [_get_type(qs, FTYPES[ftype], n, shapes[n], ftype) for n in names
            if allows_quantization(n, shapes[n])]


def _table(tensors: list[tuple[str, Shape]], ftype: str, hp: Hparams,
           imatrix: bool) -> list[str]:
    shapes = dict(tensors)
    names = loader_order(shapes)
    qs = State.of(names, hp, imatrix)
    return [get_type(qs, FTYPES[ftype], n, shapes[n], ftype) for n in names
            if allows_quantization(n, shapes[n])]


@pytest.mark.parametrize("ftype", MIXES)
def test_the_rule_table_is_the_if_chain(ftype: str) -> None:
    cases = 0
    for hp, tied, width, imatrix in itertools.product(
            HPARAMS, (False, True), (256, 96), (False, True)):
        tensors = model(hp, tied, width)
        assert _table(tensors, ftype, hp, imatrix) == _reference(tensors, ftype, hp, imatrix), \
            (ftype, hp, tied, width, imatrix)
        cases += 1
    assert cases == 11 * 2 * 2 * 2


def test_every_branch_gives_more_than_the_default() -> None:
    """The models above reach the rules: some tensor of some model differs from its mix's
    default type under every mix but Q8_0 (its head stays Q8_0: nothing to change)."""
    changed = set()
    for ftype, hp in itertools.product(MIXES, HPARAMS):
        for t in assign(model(hp, False, 256), ftype, hp):
            if allows_quantization(t.name, t.shape) and t.ggml_type != FTYPES[ftype]:
                changed.add(ftype)
    assert changed == set(MIXES) - {"Q8_0"}


def test_type_sizes_cover_the_defaults() -> None:
    assert all(FTYPES[f] in TYPE_SIZES for f in FTYPES)


