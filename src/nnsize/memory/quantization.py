"""A config's quantization_config: the tensors its publisher's safetensors store, method by
method, so that a config (or a preset) is planned at its stored bytes, as a file is.

A published config.json that carries quantization_config describes a checkpoint whose weights
are not at its torch_dtype: DeepSeek-V3's Linear weights are fp8 e4m3 with an fp32 scale per
128 x 128 block, DeepSeek-V4-Flash's with a ue8m0 one and its experts fp4 (FP8_PUBLISHED),
gpt-oss's experts MXFP4, Kimi-K2.5's experts int4 (compressed-tensors' pack-quantized).  Each
method is one function registered here (a new method is one function in this file); it names
every tensor the checkpoint stores with its shape and safetensors dtype, from the rules
transformers' quantizer for that method applies, and the planner takes their tally per dtype
(plan.stored_dtypes' shape).  A quant_method not registered is refused by name: never planned
as if it were bf16.

gpt-oss-20b as published: 24 layers x 423,014,400 B of MXFP4 expert blocks and scales
+ 1,804,459,584 bf16 values x 2 B = 13,761,264,768 B, its index's total_size to the byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import NnsizeError, SpecError, shown
from ..model import Report, numel

if TYPE_CHECKING:
    from ..model.contents import DtypeTally
    from ..model.tensor import Shape
    from .fp32_modules import Fp32

# "TF" in a docstring here: https://github.com/huggingface/transformers/blob/v5.25.0/
# src/transformers/ (the pinned version, constraints.txt), read from its installed files
# bytes per value of a safetensors dtype
DTYPE_BYTES = {"F8_E4M3": 1, "F8_E8M0": 1, "U8": 1, "I8": 1, "BF16": 2, "F16": 2, "F32": 4,
               "I32": 4, "I64": 8}
# a config's torch_dtype -> the safetensors dtype the unquantized tensors are stored in
TORCH_DTYPES = {"bfloat16": "BF16", "float16": "F16", "float32": "F32"}
# buffers a model keeps in fp32 whatever its dtype: DeepseekV3TopkRouter's
# e_score_correction_bias is nn.Buffer(torch.zeros(n, dtype=torch.float32)), and
# _keep_in_fp32_modules_strict names it (TF models/deepseek_v3/modeling_deepseek_v3.py)
FP32_BUFFERS = ("e_score_correction_bias",)


@dataclass(frozen=True)
class Fp8Published:
    """What one model_type's published fp8 checkpoints store that its config does not say, one
    entry a model_type in FP8_PUBLISHED (a new publisher's layout is one entry there).

    form         (scale_fmt, expert_dtype) of the quantization_config the entry is for; plain
                 fp8, ("float", "fp8"), for any model, another form only where an entry names it
    scales       the safetensors dtype of a Linear's block scales
    fp4_experts  each expert's weights e2m1, two a byte (I8), a scale per 32 (at scales)
    block        the weight_block_size the files have, where the entry holds only for it
    not_linear   modules with a 2-D .weight that are no nn.Linear (routers): an entry that names
                 them plans a model transformers built, whose rows do not say which are Linear
    stored       a safetensors dtype -> the tensors (name suffixes) stored at it whatever
                 torch_dtype says
    rest         the dtype of what fp8 leaves unquantized where the config names no torch_dtype
    names        transformers' names -> the published files' (re.sub, in order)
    how          the plan's How column, where the entry says it whole"""

    source: str
    form: tuple[str, str] = ("float", "fp8")
    scales: str = "F32"
    fp4_experts: bool = False
    block: tuple[int, int] | None = None
    not_linear: tuple[str, ...] = ()
    stored: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rest: str | None = None
    names: tuple[tuple[str, str], ...] = ()
    how: str | None = None

    def name(self, transformers_name: str) -> str:
        for pattern, published_as in self.names:
            transformers_name = re.sub(pattern, published_as, transformers_name)
        return transformers_name

    def stored_as(self, pattern: str) -> str | None:
        """The dtype the entry names for a tensor; None where it names none."""
        return next((d for d, ends in self.stored.items() if pattern.endswith(ends)), None)


# MiniMax's minimax_m2 checkpoints: the routers' gate.weight F32 and the rest bf16, though
# MiniMax-M2.5's config names no torch_dtype.  Read from MiniMax-M2's files (the same
# architecture and shapes; M2.5 and M2.7 hold the same 96,103 tensors): a dump of its
# safetensors (source below), 251 BF16 tensors (embeddings, head, norms), 47,988 F32 (the
# 47,864 block scales, the 62 gates [256, 3,072] and 62 e_score_correction_bias), 47,864
# F8_E4M3, no MTP layer; and the bytes its headers name, 230,121,630,720 (hf-mem's reading of
# MiniMaxAI/MiniMax-M2: https://github.com/alvarobartt/hf-mem/blob/
# e9946791d7798498a1775bfc826f02a0958cbd3d/README.md#L49-L51), this plan's to the byte
# (tests/memory/test_quantization.py)
MINIMAX_M2 = Fp8Published(
    "https://github.com/whn09/neuronx-distributed-inference/blob/"
    "e205de97c70355e717bf45b7562aed460dc163d9/examples/minimax_m2_misc/"
    "model_precision_report.txt",
    stored={"F32": ("mlp.gate.weight",)}, rest="bfloat16")


@dataclass(frozen=True)
class Stored:
    """count tensors of one name pattern, shape and stored dtype ({i}: a layer, from start,
    {e}: an expert)."""

    name: str
    shape: Shape
    dtype: str
    count: int = 1
    start: int = 0

    @property
    def bytes(self) -> int:
        return self.count * numel(self.shape) * DTYPE_BYTES[self.dtype]


@dataclass(frozen=True)
class Checkpoint:
    """The tensors a quantized checkpoint stores, and what is stored, in words (the plan's How
    column)."""

    method: str
    how: str
    tensors: tuple[Stored, ...]

    def loaded(self, fp32: Fp32) -> Checkpoint:
        """The tensors as an engine holds them that keeps what fp32 names in float32: those
        stored at a float dtype cast to F32 (transformers casts a stored float tensor to its
        dtype plan's: BaseQuantizer.get_new_dtype); quantized ones are left as stored."""
        cast = tuple(replace(t, dtype="F32") if t.dtype in TORCH_DTYPES.values() and
                     fp32.matches(t.name) else t for t in self.tensors)
        if cast == self.tensors:
            return self
        return Checkpoint(self.method, f"{self.how}; {fp32.words()}", cast)

    def dtypes(self) -> dict[str, DtypeTally]:
        """Per stored dtype: tensors, elements, bytes (a file report's stored["dtypes"])."""
        out: dict[str, DtypeTally] = {}
        for t in self.tensors:
            d = out.setdefault(t.dtype, {"tensors": 0, "elements": 0, "bytes": 0})
            d["tensors"] += t.count
            d["elements"] += t.count * numel(t.shape)
            d["bytes"] += t.bytes
        return out


Method = Callable[[Report, dict[str, Any], str], Checkpoint]
METHODS: dict[str, Method] = {}


def register(name: str) -> Callable[[Method], Method]:
    def add(method: Method) -> Method:
        if name in METHODS:
            raise ValueError(f"quant_method {name!r} is registered twice")
        METHODS[name] = method
        return method

    return add


def quantization_config(report: Report) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(quantization_config, the config that holds it) of a report counted from a config: the
    config's own, or its text_config's (Kimi-K2.5); None without one."""
    source = report.traceable or ("",)
    if source[0] != "config" or not isinstance(source[1], dict):
        return None
    data: dict[str, Any] = source[1]
    for config in (data, data.get("text_config")):
        if not isinstance(config, dict) or config.get("quantization_config") is None:
            continue
        if not isinstance(config["quantization_config"], dict):  # not silently bf16
            raise SpecError(f"{report.source}: quantization_config is an object naming its "
                            f"quant_method, got {shown(config['quantization_config'])}")
        return config["quantization_config"], config
    return None


def published(report: Report) -> Checkpoint | None:
    """The checkpoint a config's quantization_config describes; None where it has none."""
    found = quantization_config(report)
    if found is None:
        return None
    q, config = found
    method = q.get("quant_method")
    where = f"{report.source}: quantization_config.quant_method"
    if method not in METHODS:
        raise NnsizeError(f"{where} {method!r} is not a method nnsize plans (it plans "
                          f"{', '.join(sorted(METHODS))}); the stored form is unknown, so it "
                          f"is not planned as if it were {config.get('torch_dtype', 'bf16')}: "
                          f"ask a --dtype to plan the model at that dtype")
    return METHODS[method](report, q, where)


# --- the tensors, one by one ------------------------------------------------------------------

def _stored_dtype(report: Report, default: str | None = None) -> str:
    """The safetensors dtype of what the method leaves unquantized: the config's torch_dtype
    (dtype in transformers 5), or where it names none the method's published default."""
    found = quantization_config(report)
    config = found[1] if found else {}
    name = config.get("torch_dtype") or config.get("dtype") or default
    if name not in TORCH_DTYPES:
        raise NnsizeError(f"{report.source}: a quantized config needs torch_dtype (one of "
                          f"{', '.join(TORCH_DTYPES)}) for the tensors its method leaves "
                          f"unquantized, got {name!r}")
    return TORCH_DTYPES[name]


def _skipped(module: str, patterns: list[str]) -> bool:
    """transformers' should_convert_module, negated: a pattern matches the module's name from
    its start up to a module boundary, as a regex ("model.layers.*.self_attn"), or as a suffix
    ("lm_head") (TF quantizers/quantizers_utils.py)."""
    boundary = r"(?:(?<=\.)|(?=\.|$))"
    return any(re.match(rf"(?:{p}){boundary}", module) or module.endswith(p) for p in patterns)


def _each(report: Report) -> list[tuple[str, Any, str, list[str]]]:
    """(row type, tensor, its name pattern, the names it stands for) for every tensor the
    checkpoint stores: not a tied copy (stored once), one name per layer it is repeated in."""
    out = []
    for row in report.rows:
        for t in row.tensors:
            if t.shared_with:
                continue
            names = [t.name.replace("{i}", str(t.start + i)) for i in range(t.copies)] \
                if "{i}" in t.name else [t.name] * t.copies
            out.append((row.type, t, t.name, names * row.repeat))
    return out


def _groups(names: list[str], quantized: Callable[[str], bool]) -> tuple[int, int]:
    """(names quantized, names kept)."""
    yes = sum(1 for n in names if quantized(n))
    return yes, len(names) - yes


def _module(name: str) -> str:
    return name.rsplit(".", 1)[0]


def _keep(kept: list[str], kind: str, t: Any) -> None:
    """What stays at torch_dtype, in words: the rows whose weights do, then norms, biases."""
    word = {"norm": "norms", "bias": "biases"}.get(t.role) if t.role in ("norm", "bias") else \
        kind if t.role in ("weight", "embedding") and not t.buffer else None
    if word and word not in kept:
        kept.append(word)
        kept.sort(key=lambda w: w in ("norms", "biases"))


def _words(kept: list[str]) -> str:
    return ", ".join(kept[:-1]) + " and " + kept[-1] if len(kept) > 1 else "".join(kept)


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _experts(pattern: str, shape: Shape, expert_i: int) -> list[tuple[str, tuple[int, int]]]:
    """(module name with {e}, (out, in)) of each expert's projections a fused experts tensor
    [E, out, in] stands for, as published checkpoints store them (experts.0.gate_proj): a
    fused gate_up [E, 2I, H] (or [E, H, 2I]) is each expert's gate and up, I x H apiece."""
    _, a, b = shape
    fused = pattern.endswith("gate_up_proj") and expert_i and 2 * expert_i in (a, b)
    parts = [(expert_i, b if a == 2 * expert_i else a)] * 2 if fused else [(a, b)]
    return [(f"{_module(pattern)}.{{e}}."
             f"{('gate_proj', 'up_proj')[i] if fused else pattern.rsplit('.', 1)[-1]}", part)
            for i, part in enumerate(parts)]


# DeepSeek-V4-Flash (https://huggingface.co/deepseek-ai/DeepSeek-V4-Flash), as transformers 5.25
# loads it (TF models/deepseek_v4/modeling_deepseek_v4.py, conversion_mapping.py "deepseek_v4",
# integrations/finegrained_fp8.py: FP8Linear, FP8GroupedLinear, FP8Experts with expert_dtype
# "fp4") and DeepSeek's own inference code reads it (inference/model.py of the release, read in
# https://github.com/Nicooo-Wang/DeepSeek-V4-Pro-code/blob/0ec3a03c2fc34f29b2e72696ceaed9ae7a373aeb/
# inference/model.py):
# - every nn.Linear of attention, the indexer's wq_b and the shared expert: F8_E4M3 weights and a
#   ue8m0 scale, F8_E8M0, per 128 x 128 block (its Linear: "float8_e8m0fnu" for an fp8 weight;
#   wo_a [8192, 4096] with a [64, 32] scale, https://github.com/anthony-chaudhary/fak/issues/12639)
# - each routed expert's w1, w2, w3: e2m1 values two a byte, I8 [out, in / 2], and an F8_E8M0
#   scale per 32 of a row, [out, in / 32]: "w1.weight: [2048, 2048], I8 (FP4 packed 2-per-byte),
#   w1.scale: [2048, 128], F8_E8M0" (https://github.com/NVIDIA-NeMo/Automodel/issues/2034, which
#   says DeepSeek-V4-Flash-Base differs: all fp8, F32 scales)
# - BF16, no scale: the compressors' and the indexer's wkv and wgate ("wkv and wgate in the
#   checkpoint is stored in bf16", DeepSeek's Compressor; transformers' _keep_in_fp32_modules,
#   "these projections ship in BF16 with no companion scale_inv") and the indexer's weights_proj
#   (dtype=torch.bfloat16 in DeepSeek's Indexer); the embeddings, the head ("lm_head in the
#   checkpoint is stored in bf16"), the norms ("rmsnorm in the checkpoint is stored in bf16"),
#   the routers' weights
# - F32: what DeepSeek's code creates in float32 and, unlike the norms and projections above,
#   says nothing of (the hyper-connections' fn, base and scale, attn_sink, the compressors' ape,
#   the router's bias; an inference from that code: at 2 B they would be 70.6 MB fewer); I64:
#   the hash layers' tid2eid (transformers' buffer is int64, and ds4's converter from the
#   published files "Handles I64→I32 conversion for tid2eid",
#   https://github.com/antirez/ds4/pull/474)
# An index of DeepSeek-V4-Flash-Base lists layers.2.attn.compressor.wkv.scale (https://github.com/
# NVIDIA/TensorRT-LLM/blob/ea47a6347029a7d1b5b45b6cb24f09eb2cbe1b73/tests/unittest/auto_deploy/
# singlegpu/models/fixtures/deepseek_v4_flash_base_safetensors_index_sample.json): that is the
# Base model's all-fp8 layout (its quantization_config has no expert_dtype), not this one.
# The names are the published files' (layers.2.attn.compressor.wkv.weight, .scale beside each
# quantized weight): transformers' names mapped back through its conversion_mapping.
# Not listed: the MTP layer (mtp.*), which the files store beside the model and transformers
# drops on load (_keys_to_ignore_on_load_unexpected): the plan is of the model it loads.
DEEPSEEK_V4 = Fp8Published(
    "https://huggingface.co/deepseek-ai/DeepSeek-V4-Flash",
    form=("ue8m0", "fp4"), scales="F8_E8M0", fp4_experts=True, block=(128, 128),
    not_linear=("mlp.gate",),
    stored={"F32": (".attn_hc.fn", ".attn_hc.base", ".attn_hc.scale", ".ffn_hc.fn",
                    ".ffn_hc.base", ".ffn_hc.scale", "hc_head.hc_fn", "hc_head.hc_base",
                    "hc_head.hc_scale", ".sinks", ".position_bias",
                    ".e_score_correction_bias"),
            "I64": (".tid2eid",)},
    names=((r"^model\.", ""), (r"^embed_tokens\.", "embed."), (r"^lm_head\.", "head."),
           (r"^hc_head\.hc_", "hc_head_"),
           (r"\.self_attn\.compressor\.indexer\.scorer\.weights_proj\.",
            ".attn.indexer.weights_proj."),
           (r"\.self_attn\.compressor\.indexer\.q_b_proj\.", ".attn.indexer.wq_b."),
           (r"\.self_attn\.compressor\.indexer\.", ".attn.indexer.compressor."),
           (r"\.self_attn\.", ".attn."), (r"\.mlp\.", ".ffn."),
           (r"\.input_layernorm\.", ".attn_norm."),
           (r"\.post_attention_layernorm\.", ".ffn_norm."),
           (r"\.(attn|ffn)_hc\.(fn|base|scale)$", r".hc_\1_\2"), (r"\.sinks$", ".attn_sink"),
           (r"\.compressor\.kv_norm\.", ".compressor.norm."),
           (r"\.position_bias$", ".ape"), (r"\.q_a_proj\.", ".wq_a."),
           (r"\.q_b_proj\.", ".wq_b."), (r"\.kv_proj\.", ".wkv."),
           (r"\.compressor\.gate_proj\.", ".compressor.wgate."),
           (r"\.o_a_proj\.", ".wo_a."), (r"\.o_b_proj\.", ".wo_b."),
           (r"\.q_a_norm\.", ".q_norm."), (r"\.e_score_correction_bias$", ".bias"),
           (r"\.gate_proj\.", ".w1."), (r"\.down_proj\.", ".w2."), (r"\.up_proj\.", ".w3."),
           (r"\.weight_scale_inv$", ".scale")),
    how="fp8 e4m3 blocks of 128x128 with ue8m0 (F8_E8M0) scales, the routed experts fp4 "
        "(e2m1, two a byte) with a ue8m0 scale per 32, as published; the compressors' and "
        "the indexer's projections, the embeddings, head, routers and norms bf16, the "
        "hyper-connections, sinks, position biases and router biases fp32")
FP8_PUBLISHED = {"minimax_m2": MINIMAX_M2, "deepseek_v4": DEEPSEEK_V4}
# the forms of fp8 nnsize plans, (scale_fmt, expert_dtype): DeepSeek-V3's (fp32 scales, fp8
# experts) for any model, another only where FP8_PUBLISHED names it for the model.  Refused: ue8m0
# scales with fp8 experts, whose scales checkpoints store three ways (DeepSeek-V4-Flash-Base's
# F32, per the issue above; F8_E8M0 as transformers' FP8Linear holds them; Inkling2's U8, TF
# quantizers/quantizer_finegrained_fp8.py), and fp32 scales with fp4 experts, which none
# publishes


@register("fp8")
def fp8(report: Report, q: dict[str, Any], where: str) -> Checkpoint:
    """FineGrainedFP8: every nn.Linear's weight fp8 e4m3 (TF integrations/finegrained_fp8.py:
    replace_with_fp8_linear, FP8Linear): out x in values, 1 B each, beside weight_scale_inv,
    fp32, cdiv(out, 128) x cdiv(in, 128) for weight_block_size [128, 128] (one scalar without
    blocks); the experts' projections (FP8Experts) likewise, each expert's gate, up and down
    its own blocks, as the published checkpoints store them (experts.0.gate_proj.weight).
    Not converted: the modules modules_to_not_convert names, or without that list the output
    embedding (get_keys_to_not_convert: lm_head), and the model's _keep_in_fp32_modules;
    embeddings, norms and the routers (a router is not an nn.Linear in transformers 5:
    DeepseekV3TopkRouter); biases.  Those are stored at torch_dtype, or as FP8_PUBLISHED says
    the model's publisher stores them (MiniMax's routers f32).  Another form (scale_fmt ue8m0,
    expert_dtype fp4) is planned where FP8_PUBLISHED names it for the model (DeepSeek-V4-Flash),
    else refused by name."""
    # expert_dtype: the quantization_config's, or the config's own beside it (DeepSeek-V4-
    # Flash's top-level "fp4", which DeepseekV4Config.__post_init__ folds into the
    # quantization_config: TF models/deepseek_v4/configuration_deepseek_v4.py), so that fp4
    # experts are never priced as fp8 whatever scale_fmt says
    found = quantization_config(report)
    config = found[1] if found else {}
    expert_dtype = q.get("expert_dtype", config.get("expert_dtype"))
    forms = {**q, "expert_dtype": expert_dtype}
    form = (forms.get("scale_fmt") or "float", expert_dtype or "fp8")
    entry = FP8_PUBLISHED.get(str(config.get("model_type")))
    if entry is not None and entry.form != form:
        entry = None
    refused = [(key, fine) for key, fine in (
        ("expert_dtype", ("fp8", None)), ("scale_fmt", ("float", None)),
        ("fmt", ("e4m3", "float8_e4m3fn", None)), ("activation_scheme", ("dynamic", None)))
        if forms.get(key) not in fine and not (entry and key in ("expert_dtype", "scale_fmt"))]
    if refused:  # another stored form (fp4 experts, ue8m0 scales) for a model nnsize has none
        elsewhere = [m for m, e in FP8_PUBLISHED.items() if e.form == form]
        raise NnsizeError(
            f"{where} fp8 with " + " and ".join(f"{key} {forms.get(key)!r}" for key, _ in refused)
            + " stores tensors nnsize does not plan (it plans " +
            ", ".join(f"{key} {fine[0]!r}" for key, fine in refused) +
            "".join(f"; that form only as model_type {m!r} publishes it" for m in elsewhere)
            + ")")
    block = q.get("weight_block_size")
    if block is not None and not (isinstance(block, list) and len(block) == 2 and
                                  all(isinstance(b, int) and b > 0 for b in block)):
        raise NnsizeError(f"{where} fp8: weight_block_size must be two whole numbers, got "
                          f"{block!r}")
    counted = bool(report.stored.get("counted_with"))
    if counted and not (entry and entry.not_linear):  # rows without kinds: a router may be a Linear
        raise NnsizeError(f"{where} fp8: {report.source} is counted by building it with "
                          f"transformers, whose rows do not say which modules are nn.Linear "
                          f"(those fp8 converts); ask a --dtype to plan it at that dtype")
    if entry is not None and entry.block and block != list(entry.block):
        raise NnsizeError(f"{where} fp8: {config.get('model_type')}'s published layout has "
                          f"blocks of {entry.block[0]} x {entry.block[1]}, not {block!r}")
    listed = q.get("modules_to_not_convert")
    skip: list[str] = listed if isinstance(listed, list) else ["lm_head"]
    keeps = report.stored.get("keeps_fp32")
    if keeps:  # transformers adds the model's _keep_in_fp32_modules (HfQuantizer.
        skip = skip + list(keeps["fp16"])  # get_modules_to_not_convert)
    rest = _stored_dtype(report, entry.rest if entry else None)
    expert_i = report.decoder.expert_intermediate if report.decoder else 0
    published = entry or Fp8Published("")
    out: list[Stored] = []
    kept: list[str] = []  # what stays at torch_dtype, and what the entry names (by dtype), in words
    named: dict[str, list[str]] = {}

    def scales(out_f: int, in_f: int) -> Shape:
        return (_cdiv(out_f, block[0]), _cdiv(in_f, block[1])) if block else ()

    for kind, t, pattern, names in _each(report):
        linear = len(t.shape) == 2 and t.role == "weight" and not t.buffer and \
            kind not in ("embedding", "router") and pattern.endswith(".weight") and \
            not _module(pattern).endswith(published.not_linear)
        experts = len(t.shape) == 3 and t.role == "weight" and not t.buffer and \
            (kind == "experts" or (entry is not None and _module(pattern).endswith(".experts")))
        n, k = _groups(names, lambda name: not _skipped(_module(name), skip)) \
            if linear or experts else (0, len(names))
        if k:
            said = published.stored_as(pattern)
            out.append(Stored(published.name(pattern), t.shape, said or (
                "F32" if t.buffer and pattern.endswith(FP32_BUFFERS) else rest), k, t.start))
            _keep(named.setdefault(said, []) if said else kept, kind, t)
        if not n:
            continue
        if linear:
            out.append(Stored(published.name(pattern), t.shape, "F8_E4M3", n, t.start))
            out.append(Stored(published.name(f"{_module(pattern)}.weight_scale_inv"),
                              scales(*t.shape), published.scales, n, t.start))
            continue
        if block and block[0] != block[1]:
            raise NnsizeError(f"{where} fp8: the experts' blocks are planned square, not "
                              f"{block[0]} x {block[1]}")
        e = t.shape[0]
        for part, (out_f, in_f) in _experts(pattern, t.shape, expert_i):
            if published.fp4_experts:
                if in_f % 32:
                    raise NnsizeError(f"{where} fp8: {pattern} reads {in_f} values, not a "
                                      f"whole number of fp4 blocks of 32")
                out.append(Stored(published.name(f"{part}.weight"), (out_f, in_f // 2), "I8",
                                  n * e, t.start))
                out.append(Stored(published.name(f"{part}.weight_scale_inv"),
                                  (out_f, in_f // 32), published.scales, n * e, t.start))
                continue
            out.append(Stored(published.name(f"{part}.weight"), (out_f, in_f), "F8_E4M3",
                              n * e, t.start))
            out.append(Stored(published.name(f"{part}.weight_scale_inv"), scales(out_f, in_f),
                              published.scales, n * e, t.start))
    if published.how:
        return Checkpoint("fp8", published.how, tuple(out))
    blocks = f"blocks of {block[0]}x{block[1]}" if block else "one scale a tensor"
    also = "".join(f", {_words(words)} {dtype.lower()}" for dtype, words in named.items())
    if published.rest and not (config.get("torch_dtype") or config.get("dtype")):  # never unsaid
        also += (f" (the config names no torch_dtype: as {config.get('model_type')}'s "
                 f"published files store them)")
    return Checkpoint("fp8", f"fp8 e4m3 {blocks} with fp32 scales, as published; "
                             f"{_words(kept)} {rest.lower()}{also}", tuple(out))


@register("mxfp4")
def mxfp4(report: Report, q: dict[str, Any], where: str) -> Checkpoint:
    """MXFP4: gpt-oss's experts only (TF integrations/mxfp4.py: replace_with_mxfp4_linear
    converts each GptOssMLP's experts unless modules_to_not_convert names {mlp}.experts;
    Mxfp4GptOssExperts).  Each projection [E, in, out] is stored transposed as 4-bit values
    two a byte in blocks of 32, {proj}_blocks U8 [E, out, in / 32, 16], with one U8 scale a
    block, {proj}_scales [E, out, in / 32]; its bias and every other tensor at torch_dtype."""
    source = report.traceable or ("", {})
    model_type = source[1].get("model_type") if isinstance(source[1], dict) else None
    if model_type != "gpt_oss":
        raise NnsizeError(f"{where} mxfp4 is transformers' format for gpt-oss's experts; "
                          f"nnsize does not plan it for model_type {model_type!r}")
    listed = q.get("modules_to_not_convert")
    skip: list[str] = listed if isinstance(listed, list) else ["lm_head"]
    # gpt-oss's config names no torch_dtype; its checkpoints store the rest bf16 (at 2 B a
    # value gpt-oss-20b comes to its index's total_size within 0.03%: tests/memory/
    # test_quantization.py; at 4 B it would be 3.6 GB over)
    rest = _stored_dtype(report, "bfloat16")
    out: list[Stored] = []
    kept: list[str] = []
    for kind, t, pattern, names in _each(report):
        experts = len(t.shape) == 3 and t.role == "weight" and kind == "experts"
        n, k = _groups(names, lambda name: not _skipped(_module(name), skip)) if experts \
            else (0, len(names))
        if k:
            out.append(Stored(pattern, t.shape, rest, k))
            _keep(kept, kind, t)
        if n:
            e, in_f, out_f = t.shape
            if in_f % 32:
                raise NnsizeError(f"{where} mxfp4: {pattern} reads {in_f} values, not a "
                                  f"whole number of blocks of 32")
            out.append(Stored(f"{pattern}_blocks", (e, out_f, in_f // 32, 16), "U8", n))
            out.append(Stored(f"{pattern}_scales", (e, out_f, in_f // 32), "U8", n))
    return Checkpoint("mxfp4", f"MXFP4 experts (4-bit values in blocks of 32, a U8 scale "
                               f"each), as published; {_words(kept)} {rest.lower()}",
                      tuple(out))


# compressed-tensors ("CT" below: https://github.com/vllm-project/compressed-tensors at 0.12.2,
# 2dd1b627950b4a068f2c1af19bc6f31b7fbb3316, src/compressed_tensors/, the release Kimi-K2-Thinking
# was published under; its int4 rules are unchanged in 0.20.0, the pinned release)
# the keys a config group's weights may carry, and the values nnsize plans for each
CT_WEIGHTS = {"num_bits": (4, 8, 2), "type": ("int",), "symmetric": (True,),
              "strategy": ("group", "channel", "tensor"), "dynamic": (False,),
              "actorder": (None,), "block_structure": (None,), "zp_dtype": (None,),
              "observer": None, "observer_kwargs": None, "group_size": None,
              "scale_dtype": None}
CT_TORCH = {f"torch.{k}": v for k, v in TORCH_DTYPES.items()}
# model types whose router transformers builds as no nn.Linear, so that "Linear" does not target
# it (TF models/*/modeling_*.py: DeepseekV3TopkRouter, Qwen3MoeTopKRouter, Qwen2MoeTopKRouter,
# MixtralTopKRouter, Glm4MoeTopkRouter, GptOssTopKRouter, each an nn.Module; kimi_k2 is read as
# deepseek_v3); another's router (Llama4Router is an nn.Linear) is planned only where ignore
# names it
CT_ROUTERS = ("deepseek_v3", "kimi_k2", "qwen3_moe", "qwen2_moe", "mixtral", "glm4_moe",
              "gpt_oss")


def _ct_refuse(where: str, what: str, value: Any, plans: str) -> NnsizeError:
    return NnsizeError(f"{where} compressed-tensors with {what} {value!r} stores tensors nnsize "
                       f"does not plan (it plans {plans})")


def _ct_group(q: dict[str, Any], name: str, group: Any, rest: str,
              where: str) -> tuple[int, str, int | None, str]:
    """(num_bits, strategy, group_size, scale dtype) of one config group nnsize plans."""
    if not isinstance(group, dict):
        raise _ct_refuse(where, f"config_groups.{name}", group, "an object")
    fmt = group.get("format", q.get("format"))
    if fmt != "pack-quantized":  # float-quantized fp8, nvfp4/mxfp4-pack-quantized, sparse...
        raise _ct_refuse(where, f"config_groups.{name} format", fmt, "'pack-quantized'")
    if group.get("targets") != ["Linear"]:
        raise _ct_refuse(where, f"config_groups.{name}.targets", group.get("targets"),
                         "['Linear']")
    for key in ("input_activations", "output_activations"):  # W4A16: weights only
        if group.get(key) is not None:
            raise _ct_refuse(where, f"config_groups.{name}.{key}", group[key], "None")
    w = group.get("weights")
    if not isinstance(w, dict):
        raise _ct_refuse(where, f"config_groups.{name}.weights", w, "an object")
    for key, value in w.items():
        fine = CT_WEIGHTS.get(key, ())
        if fine is not None and value not in fine:
            raise _ct_refuse(where, f"config_groups.{name}.weights.{key}", value,
                             f"{key} in {fine!r}" if fine else f"no {key}")
    for key in ("num_bits", "strategy"):
        if key not in w:
            raise _ct_refuse(where, f"config_groups.{name}.weights without", key,
                             f"a {key}")
    size = w.get("group_size")
    if (w["strategy"] == "group") != (isinstance(size, int) and size > 0):
        raise _ct_refuse(where, f"config_groups.{name}.weights.group_size", size,
                         "a whole number for strategy 'group' and none for another")
    # the scales are made at the weight's own dtype (CT quantization/lifecycle/initialize.py:
    # scale_dtype = observed_dtype; Kimi-K2-Thinking's are bf16: "the original scale is BF16",
    # https://github.com/ggml-org/llama.cpp/pull/17083); a scale_dtype naming another is not the
    # pack format's
    scale = w.get("scale_dtype")
    if scale is not None and CT_TORCH.get(scale) != rest:
        raise _ct_refuse(where, f"config_groups.{name}.weights.scale_dtype", scale,
                         f"the model's own dtype, {rest}")
    return w["num_bits"], w["strategy"], size if w["strategy"] == "group" else None, rest


def _ct_ignored(name: str, ignore: list[str], used: set[str]) -> bool:
    """CT utils/match.py match_name: an ignore entry is the module's whole name, or after
    "re:" a regex matched at the start of it (re.match); used gathers the entries that
    match."""
    try:
        hits = {i for i in ignore if (re.match(i[3:], name) if i.startswith("re:") else
                                      i == name)}
    except re.error as e:
        raise NnsizeError(f"compressed-tensors: an ignore entry is no regex: {e}") from e
    used |= hits
    return bool(hits)


@register("compressed-tensors")
def compressed_tensors(report: Report, q: dict[str, Any], where: str) -> Checkpoint:
    """compressed-tensors' pack-quantized format (Kimi-K2-Thinking, Kimi-K2.5: int4 experts,
    group 32, symmetric): every nn.Linear a config group targets ("Linear") and ignore does
    not name is stored as weight_packed, I32 [out, in x bits / 32] (CT compressors/
    quantized_compressors/pack_quantized.py: pack_to_int32, eight 4-bit values a word),
    weight_scale at the model's dtype, [out, in / group_size] for strategy group, [out, 1]
    for channel, [1] for tensor (CT quantization/lifecycle/initialize.py), and weight_shape
    [2], I32 in Kimi's checkpoints, I64 as compressed-tensors writes it; no zero point, the
    scheme being symmetric.  An experts tensor stands for each expert's own Linears
    (experts.0.gate_proj), as the checkpoint stores them.  Not targeted: what is no nn.Linear
    (embeddings, norms, routers: DeepseekV3TopkRouter), what ignore names, and where the
    config sits in a text_config, the model's other towers, which it does not describe (vLLM
    builds Kimi-K2.5's vision tower and projector with no quant_config and loads their
    weights as they are: https://github.com/vllm-project/vllm/blob/
    009dff45c7165c77235e08edb3c8ebbd853dee06/vllm/model_executor/models/kimi_k25.py).
    Anything else the config describes (another format, activations, a sparsity or transform
    config, a KV cache scheme, several groups) is refused by name."""
    found = quantization_config(report)
    config = found[1] if found else {}
    rest = _stored_dtype(report)
    status = q.get("quantization_status")
    if status != "compressed":  # "frozen": a fake-quantized checkpoint, stored at its dtype
        raise _ct_refuse(where, "quantization_status", status, "'compressed'")
    # weight_shape's dtype is its writer's: compressed-tensors itself stores
    # torch.tensor(weight.shape), int64 (CT pack_quantized.py compress_weight; a config it
    # writes names its "version"), Moonshot's Kimi checkpoints, whose config names none, I32
    # (the Hub lists Kimi-K2.6's tensor types as "F32 · I32 · BF16", no I64:
    # https://news.barelyhuman.xyz/item/47837411)
    shape_dtype = "I64" if q.get("version") else "I32"
    for key in ("kv_cache_scheme", "sparsity_config", "transform_config",
                "moe_sparsity_config"):
        if q.get(key):
            raise _ct_refuse(where, key, q[key], f"no {key}")
    groups = q.get("config_groups")
    if not isinstance(groups, dict) or len(groups) != 1:
        # two groups split the Linears between two schemes by their targets
        raise _ct_refuse(where, "config_groups", groups, "one config group")
    name, group = next(iter(groups.items()))
    bits, strategy, size, scale_dtype = _ct_group(q, name, group, rest, where)
    ignore = q.get("ignore") or []
    if not (isinstance(ignore, list) and all(isinstance(i, str) for i in ignore)):
        raise _ct_refuse(where, "ignore", ignore, "a list of module names")
    used: set[str] = set()
    expert_i = report.decoder.expert_intermediate if report.decoder else 0
    text_only = config is not (report.traceable or ("", None))[1]
    out: list[Stored] = []
    kept: list[str] = []

    def packed(pattern: str, out_f: int, in_f: int, count: int) -> None:
        if strategy == "group" and size and in_f % size:
            raise NnsizeError(f"{where} compressed-tensors: {pattern} reads {in_f} values, "
                              f"not a whole number of groups of {size}")
        scales: Shape = (out_f, in_f // size) if size else (out_f, 1) \
            if strategy == "channel" else (1,)
        out.append(Stored(f"{pattern}.weight_packed", (out_f, _cdiv(in_f * bits, 32)), "I32",
                          count))
        out.append(Stored(f"{pattern}.weight_scale", scales, scale_dtype, count))
        out.append(Stored(f"{pattern}.weight_shape", (2,), shape_dtype, count))

    for kind, t, pattern, names in _each(report):
        targeted = t.role == "weight" and not t.buffer and pattern.endswith(
            ".weight" if len(t.shape) == 2 else "_proj") and not (text_only and kind == "vision")
        linear = targeted and len(t.shape) == 2 and kind not in ("embedding", "router")
        experts = targeted and len(t.shape) == 3 and kind == "experts"
        if targeted and kind == "router" and len(t.shape) == 2 and \
                config.get("model_type") not in CT_ROUTERS and \
                not all(_ct_ignored(_module(m), ignore, used) for m in names):
            raise NnsizeError(f"{where} compressed-tensors: whether {pattern}'s module is an "
                              f"nn.Linear the config targets is not known for model_type "
                              f"{config.get('model_type')!r} (nnsize knows it for "
                              f"{', '.join(CT_ROUTERS)}), and ignore does not name it")
        if linear:
            n, k = _groups(names, lambda m: not _ct_ignored(_module(m), ignore, used))
        elif experts:
            # each expert's own Linears, by their own names
            tails = [p[len(_module(pattern)):].replace("{e}", str(e))
                     for p, _ in _experts(pattern, t.shape, expert_i) for e in range(t.shape[0])]
            skipped = {_ct_ignored(_module(m) + tail, ignore, used) for m in names
                       for tail in tails}
            if len(skipped) > 1:
                raise NnsizeError(f"{where} compressed-tensors: ignore names some of "
                                  f"{pattern}'s experts, which nnsize does not plan apart")
            n, k = (0, len(names)) if skipped == {True} else (len(names), 0)
        else:
            n, k = 0, len(names)
            for m in names:  # no Linear, but a module ignore may name
                _ct_ignored(_module(m), ignore, used)
        if k:
            dtype = "F32" if t.buffer and pattern.endswith(FP32_BUFFERS) else rest
            out.append(Stored(pattern, t.shape, dtype, k))
            _keep(kept, kind, t)
        if n and linear:
            packed(_module(pattern), t.shape[0], t.shape[1], n)
        elif n:
            for part, (out_f, in_f) in _experts(pattern, t.shape, expert_i):
                packed(part, out_f, in_f, n * t.shape[0])
    for row in report.rows:  # a tied head is stored once, as the embedding, but is a module
        for t in row.tensors:
            if t.shared_with:
                _ct_ignored(_module(t.name), ignore, used)
    if set(ignore) - used:
        # names nnsize does not have are not the checkpoint's: the modules they keep are unknown
        raise NnsizeError(f"{where} compressed-tensors: ignore entries "
                          f"{sorted(set(ignore) - used)} name no module of {report.source} as "
                          f"nnsize names them, so what they keep unquantized is not known")
    scheme = f"groups of {size}" if size else f"one scale a {strategy}".replace(
        "channel", "row")
    return Checkpoint("compressed-tensors",
                      f"int{bits} pack-quantized ({scheme}, {scale_dtype.lower()} scales), as "
                      f"published; {_words(kept)} {rest.lower()}", tuple(out))
