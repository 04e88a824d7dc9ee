"""llama-quantize's choice of a type per tensor, as a table of rules.

``llama_tensor_get_type_impl`` in llama.cpp's src/llama-quant.cpp (read at ggml-org/llama.cpp
commit 007dbbf3fd17eefe9b47fee45f48f7ba5e62b714) is an if-chain per tensor category: the
output head at Q6_K, the ``attn_v`` and ``ffn_down`` of the first eighth, the last eighth and
every third layer between ("use_more_bits") at Q6_K, and so on.  Here each chain is a tuple of
Rules, read in order, the first that holds giving the type (none: the mix's default), and
SECTIONS says which chain a tensor reads, with the counter it reads and advances, as
llama.cpp's ``i_attention_wv``, ``i_ffn_down``... do.  Tensors it may not quantize (1-D
tensors, norms, the MoE router ``ffn_gate_inp``) stay at the type the converter wrote them in:
F32, as convert_hf_to_gguf.py writes every 1-D tensor, norm and router.

The families gpt-oss, glm4, phimoe, stablelm and gemma3 have no branch of their own in
``llama_tensor_get_type_impl`` at that commit (its only architecture tests are falcon's, the 70B
type's and bailingmoe3's under MXFP4_MOE): the rules reach them by name and shape alone.
``MXFP4_MOE`` gives a 3-D tensor of more than one expert (``tensor->ne[2] > 1``) MXFP4 and every
other quantizable tensor Q8_0, the head and tied embeddings included (the OUTPUT and MXFP4
chains below); gpt-oss's rows of 2,880 values and GLM-4's ffn_down rows of 13,696 are not whole
256-value K blocks, so ``tensor_type_fallback`` turns their Q4_K, Q5_K, Q6_K into Q5_0, Q5_1,
Q8_0 (gguf_types.fallback); gpt-oss's attention sinks and biases, 1-D or not named '...weight',
and every router (``ffn_gate_inp``) are not quantized (``tensor_allows_quantization``) and stay
F32 as the converter writes them; its experts come from the converter in MXFP4 (source_type).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .gguf_types import TYPE_SIZES

if TYPE_CHECKING:
    from ..model import Shape


@dataclass(frozen=True)
class Hparams:
    """What llama_tensor_get_type reads of the model besides names and shapes."""

    n_layer: int
    n_head: int
    n_head_kv: int
    n_expert: int = 0
    arch: str = "llama"  # llama.cpp's architecture where its rules differ: "falcon", "gpt-oss"

    @property
    def n_gqa(self) -> int:
        return self.n_head // self.n_head_kv if self.n_head_kv else 0

    @property
    def is_70b(self) -> bool:
        """LLM_TYPE_70B (llama-model.cpp): a llama of 80 layers with grouped keys, a qwen2 of
        80 layers (all of them grouped). arch "llama" stands for every family nnsize maps but
        falcon and gpt-oss; of those, only Llama and Qwen 2 presets have 80 layers."""
        return self.arch == "llama" and self.n_layer == 80 and self.n_head != self.n_head_kv


def block_of(name: str) -> int:
    """The N of 'blk.N.' (-1 for tensors outside the blocks), as the loader's sscanf reads it."""
    if name.startswith("blk."):
        digits = name[4:].split(".", 1)[0]
        if digits.isdigit():
            return int(digits)
    return -1


def category(name: str) -> str:
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


def source_type(name: str, shape: Shape, float_type: str, arch: str = "llama") -> str:
    """The type convert_hf_to_gguf.py writes: F32 for 1-D tensors, norms, routers and anything
    not named '.weight' (conversion/base.py ModelBase.prepare_tensors, at ggml-org/llama.cpp
    2bbcf7fc93a460f04d5709756a48b2408443eecb: gpt-oss's sinks and biases among them); MXFP4 for
    gpt-oss's experts, which GptOssModel.repack_mxfp4 writes from OpenAI's MXFP4 blocks as they
    are, at any --outtype (conversion/gpt_oss.py); float_type (F16, BF16) for the rest."""
    if arch == "gpt-oss" and len(shape) == 3 and name.endswith("_exps.weight"):
        return "MXFP4"
    if len(shape) <= 1 or name.endswith("_norm.weight") or "ffn_gate_inp" in name or \
            not name.endswith(".weight") or name in ("position_embd.weight",
                                                     "token_types.weight"):
        return "F32"
    return float_type


def use_more_bits(i_layer: int, n_layers: int) -> bool:
    return i_layer < n_layers // 8 or i_layer >= 7 * n_layers // 8 or \
        (i_layer - n_layers // 8) % 3 == 2


@dataclass(frozen=True)
class At:
    """One tensor as a rule sees it: the mix, the type chosen so far (the mix's default at
    first), the model, and i of n: the section's counter (or the block number) and its end."""

    ftype: str
    new: str
    hp: Hparams
    imatrix: bool
    shape: Shape
    i: int = 0
    n: int = 0

    @property
    def gqa4(self) -> bool:  # 4 or more query heads share a key head
        return self.hp.n_gqa >= 4

    @property
    def experts8(self) -> bool:  # llama.cpp's test for Mixtral-like models
        return self.hp.n_expert == 8

    @property
    def falcon(self) -> bool:
        return self.hp.arch == "falcon"

    @property
    def first_eighth(self) -> bool:
        return self.i < self.n // 8

    @property
    def more_bits(self) -> bool:
        return use_more_bits(self.i, self.n)


def always(x: At) -> bool:
    return True


def keep(x: At) -> str:
    """The type chosen so far: a branch that matched and changed nothing."""
    return x.new


@dataclass(frozen=True)
class Rule:
    """Where the mix is one of ftypes (any, when empty) and when holds: then (a type, or the
    type a function of the tensor picks)."""

    ftypes: frozenset[str]
    then: str | Callable[[At], str]
    when: Callable[[At], bool] = always

    def holds(self, x: At) -> bool:
        return (not self.ftypes or x.ftype in self.ftypes) and self.when(x)

    def type(self, x: At) -> str:
        return self.then if isinstance(self.then, str) else self.then(x)


def rule(ftypes: str, then: str | Callable[[At], str],
         when: Callable[[At], bool] = always) -> Rule:
    """A Rule for the mixes named in ftypes, spaced ("" for any)."""
    return Rule(frozenset(ftypes.split()), then, when)


IQ_LOW = frozenset(("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"))

# the output head, and the token embeddings where the head is tied to them
OUTPUT = (
    rule("MXFP4_MOE", "Q8_0"),
    rule("", "Q8_0", lambda x: x.falcon or bool(x.shape[-1] % TYPE_SIZES[x.new][0])),
    rule("IQ2_XXS IQ2_XS IQ3_XXS IQ1_S IQ2_S IQ2_M IQ1_M", "Q5_K"),
    rule("", "Q8_0", lambda x: x.new == "Q8_0"),
    rule("", "Q6_K"),
)
# MXFP4_MOE: the experts (3-D, more than one) in MXFP4, the rest in Q8_0
MXFP4 = (
    rule("", "MXFP4", lambda x: len(x.shape) == 3 and x.shape[0] > 1),
    rule("", "Q8_0"),
)
TOKEN_EMBD = (
    rule("IQ2_XXS IQ2_XS IQ1_S IQ1_M", "Q2_K"),
    rule("IQ2_S IQ2_M IQ3_XXS", "IQ3_S"),
    rule("TQ1_0 TQ2_0", "Q4_K"),  # ternary embeddings would lose too much
)
# the mixes of IQ_LOW, by category
IQ_LOW_ATTN_V = (
    rule("", "Q4_K", lambda x: x.gqa4 or x.hp.n_expert >= 4),
    rule("IQ2_S IQ2_M", "IQ3_S"),
    rule("", "Q2_K"),
)
IQ_LOW_ATTN_K = (rule("", "Q4_K", lambda x: x.experts8),)
IQ_LOW_FFN_DOWN = (  # i: the raw counter, not the block
    rule("IQ2_S IQ2_M", "IQ3_S", lambda x: x.first_eighth),
    rule("", "Q2_K", lambda x: x.first_eighth),
)
IQ_LOW_ATTN_OUTPUT = (
    rule("", "Q5_K", lambda x: x.experts8),
    rule("IQ1_S IQ1_M", "IQ2_XXS"),
    rule("IQ2_S IQ2_M", "IQ3_S"),
)
# attn_v and the tensors llama.cpp tests as it (a fused attn_qkv, attn_kv_b): i of n attn_v
ATTN_V = (
    rule("Q2_K", "Q4_K", lambda x: x.gqa4),
    rule("Q2_K", "Q3_K"),
    rule("Q2_K_S", "Q4_K", lambda x: x.gqa4),
    rule("IQ3_XXS", "Q4_K", lambda x: x.gqa4),
    rule("IQ3_XXS", "IQ3_S", lambda x: not x.imatrix),
    rule("IQ3_XXS", "IQ3_XXS"),
    rule("IQ3_XS IQ3_S", "Q4_K", lambda x: x.gqa4),
    rule("IQ3_M", "Q4_K"),
    rule("Q3_K_M", "Q5_K", lambda x: x.i < 2),
    rule("Q3_K_M", "Q4_K"),
    rule("Q3_K_L", "Q5_K"),
    rule("IQ4_NL IQ4_XS", "Q5_K", lambda x: x.gqa4),
    rule("Q4_K_M Q5_K_M", "Q6_K", lambda x: x.more_bits),
    rule("Q4_K_S", "Q5_K", lambda x: x.i < 4),
)
# then, each in turn on the type chosen: 8 heads share attn_v in a 70B (more bits for little
# size); Mixtral-like models keep it at Q8_0
ATTN_V_AFTER = (
    rule("", "Q5_K", lambda x: x.hp.is_70b and x.new in ("Q3_K", "Q4_K")),
    rule("", "Q8_0", lambda x: x.experts8),
)
ATTN_K = (
    rule("", "Q8_0", lambda x: x.experts8),
    rule("IQ3_XS", "IQ3_XXS"),
    rule("IQ3_XXS", "IQ2_S"),
)
ATTN_Q = (
    rule("IQ3_XS", "IQ3_XXS"),
    rule("IQ3_XXS", "IQ2_S"),
)
# i: the counter, or the block number in a model of experts; n: the layers
FFN_DOWN = (
    rule("Q2_K", "Q3_K"),
    rule("Q2_K_S", "Q4_K", lambda x: x.first_eighth),
    rule("Q2_K_S", keep),
    rule("IQ3_XXS", "Q4_K", lambda x: not x.imatrix and x.first_eighth),
    rule("IQ3_XXS", "Q3_K", lambda x: not x.imatrix),
    rule("Q3_K_M", "Q5_K", lambda x: x.i < x.n // 16),
    rule("Q3_K_M", "Q4_K", lambda x: not x.falcon or x.more_bits),
    rule("Q3_K_M", "Q3_K"),
    rule("IQ3_M", "Q4_K", lambda x: x.first_eighth or (x.experts8 and x.more_bits)),
    rule("Q3_K_L", "Q4_K", lambda x: x.falcon),
    rule("Q3_K_L", "Q5_K"),
    rule("Q4_K_M", "Q6_K", lambda x: x.falcon and x.i < x.n // 16),
    rule("Q4_K_M", "Q5_K", lambda x: x.falcon and x.more_bits),
    rule("Q4_K_M", "Q4_K", lambda x: x.falcon),
    rule("Q4_K_M", "Q6_K", lambda x: x.more_bits),
    rule("Q4_K_M", keep),
    rule("IQ4_NL IQ4_XS", "Q5_K", lambda x: x.first_eighth and not x.imatrix),
    rule("Q5_K_M", "Q6_K", lambda x: x.more_bits),
    rule("Q4_K_S", "Q5_K", lambda x: not x.falcon and x.first_eighth),
    rule("Q4_0", "Q4_1", lambda x: x.imatrix and x.first_eighth),
    rule("Q5_0", "Q5_1", lambda x: x.imatrix and x.first_eighth),
)
ATTN_OUTPUT = (
    rule("Q2_K IQ3_XS IQ3_XXS Q3_K_S Q3_K_M IQ4_NL Q4_K_S Q4_K_M IQ3_S IQ3_M IQ4_XS", "Q5_K",
         lambda x: not x.falcon and x.experts8),
    rule("", keep, lambda x: not x.falcon and x.experts8),
    rule("Q2_K", "Q3_K", lambda x: not x.falcon),
    rule("IQ3_XXS", "IQ3_S", lambda x: not x.falcon),
    rule("Q3_K_M", "Q4_K", lambda x: not x.falcon),
    rule("Q3_K_L", "Q5_K", lambda x: not x.falcon),
    rule("IQ3_M", "Q4_K", lambda x: not x.falcon),
    rule("Q3_K_L", "Q4_K", lambda x: x.falcon),
)
# the middle three quarters of the layers (i: the counter, or the block number)
FFN_GATE_UP = (rule("IQ3_XS", "IQ3_XXS", lambda x: x.n // 8 <= x.i < 7 * x.n // 8),)


@dataclass(frozen=True)
class Section:
    """One chain of rules: the counter it reads and advances (none: i = n = 0), whether a
    model of experts reads the block number instead, and the rules applied after the chain."""

    rules: tuple[Rule, ...]
    counter: str | None = None
    by_block: bool = False
    after: tuple[Rule, ...] = ()


# section -> its chain; a section not here leaves the mix's default
SECTIONS: dict[str, Section] = {
    "output": Section(OUTPUT), "mxfp4": Section(MXFP4), "token_embd": Section(TOKEN_EMBD),
    "iq_low attn_v": Section(IQ_LOW_ATTN_V, "attention_wv"),
    "iq_low attn_k": Section(IQ_LOW_ATTN_K),
    "iq_low ffn_down": Section(IQ_LOW_FFN_DOWN, "ffn_down"),
    "iq_low attn_output": Section(IQ_LOW_ATTN_OUTPUT),
    "attn_v": Section(ATTN_V, "attention_wv", after=ATTN_V_AFTER),
    "attn_k": Section(ATTN_K), "attn_q": Section(ATTN_Q),
    "ffn_down": Section(FFN_DOWN, "ffn_down", by_block=True),
    "attn_output": Section(ATTN_OUTPUT),
    "ffn_gate": Section(FFN_GATE_UP, "ffn_gate", by_block=True),
    "ffn_up": Section(FFN_GATE_UP, "ffn_up", by_block=True),
}
_ATTN_V_LIKE = ("attn_v", "attn_qkv", "attn_kv_b")


@dataclass
class State:
    """quantize_state_impl: the counters llama_tensor_get_type advances as it goes, and what
    it counts first (attn_v-like tensors; whether the output head is tied)."""

    hp: Hparams
    imatrix: bool
    n_attention_wv: int
    has_tied_embeddings: bool
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("attention_wv", "ffn_down", "ffn_gate", "ffn_up"), 0))

    @classmethod
    def of(cls, names: list[str], hp: Hparams, imatrix: bool) -> State:
        cats = [category(n) for n in names]
        return cls(hp, imatrix, sum(c in _ATTN_V_LIKE for c in cats), "output" not in cats)

    def section(self, name: str, ftype: str) -> str:
        """The chain a tensor reads, in llama.cpp's order of tests (attn_v-like tensors before
        its own attn_qkv branch, which is never reached)."""
        cat = category(name)
        if cat == "output" or (self.has_tied_embeddings and cat == "token_embd"):
            return "output"
        if ftype == "MXFP4_MOE":
            return "mxfp4"
        if cat == "token_embd":
            return "token_embd"
        return ("iq_low " if ftype in IQ_LOW else "") + ("attn_v" if cat in _ATTN_V_LIKE else cat)

    def at(self, s: Section, name: str, x: At) -> At:
        """x with i of n: the section's counter (or the block number of a model of experts)."""
        if s.counter is None:
            return x
        i = self.counters[s.counter]
        if s.by_block and self.hp.n_expert > 1:
            i = block_of(name)
        return replace(x, i=i, n=self.n_attention_wv if s.counter == "attention_wv" else
                       self.hp.n_layer)


def first(rules: tuple[Rule, ...], x: At) -> str:
    """The type of the first rule that holds; none: the type chosen so far."""
    return next((r.type(x) for r in rules if r.holds(x)), x.new)


def get_type(qs: State, new: str, name: str, shape: Shape, ftype: str) -> str:
    """llama_tensor_get_type_impl (llama-quant.cpp): the section's first rule that holds, then
    its after-rules in turn; the section's counter advances."""
    s = SECTIONS.get(qs.section(name, ftype))
    if s is None:
        return new
    x = qs.at(s, name, At(ftype, new, qs.hp, qs.imatrix, shape))
    x = replace(x, new=first(s.rules, x))
    for r in s.after:
        x = replace(x, new=first((r,), x))
    if s.counter is not None:
        qs.counters[s.counter] += 1
    return x.new
