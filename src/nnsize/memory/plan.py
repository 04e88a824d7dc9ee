"""A plan: inference or training memory as lines of bytes, and their sum.

Every line is a count times bytes; its terms are the numbers of that arithmetic (render/ writes
them out).  What is exact and what is an estimate is said per line:

exact        weights (per tensor, at each format's exact bits; a GGUF mix tensor by tensor, as
             llama.cpp makes it), gradients, master weights, optimizer states, autocast's
             weight copies, the KV cache (an engine's whole blocks)
estimate     activations and the loss's backward (activations.py: measured on transformers);
             the inference workspace: one forward pass's transient tensors (engines.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import NnsizeError
from ..model import Report, numel
from ..precision import FLOATS, Precision, find
from .bits import to_bytes
from .setup import DEFAULT_CONTEXT, Setup
from .weights import KEEP

if TYPE_CHECKING:
    from ..model.contents import DtypeTally
    from .lines import Line, Note


@dataclass
class Plan:
    source: str
    setup: Setup
    precision: Precision
    mixed: bool = False  # training in 16 bits with fp32 master weights
    mode: str = ""  # training: fp32, bf16 / fp16 (pure), autocast; inference: the GGUF mix
    lines: list[Line] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.bytes for line in self.lines)


def plan(report: Report, s: Setup) -> Plan:
    from .lines import (
        CrossAttentionNote,
        ImagesNote,
        Line,
        ModelContextNote,
        Note,
        PastPositionsNote,
        TrainingSetupNote,
    )
    from .setup import resolve

    s = settle(report, resolve(s, str(report.stored.get("format", ""))))
    s.check()
    refused = report.stored.get("planner_refused")
    if refused:  # a language model transformers built, whose cache nnsize would have to guess
        raise NnsizeError(f"cannot plan it: {refused}")
    if s.train and cross_attends(report):
        raise NnsizeError("cannot plan its training: what the cross-attention layers (Llama 3.2 "
                          "Vision) save for backward, queries over the image's vision tokens, "
                          "is not modelled; nnsize plans its inference")
    text, images_asked = s.context, s.images >= 0
    s = replace(s, images=images_of(report, s))
    if s.images:
        from .compute import image_context

        s = replace(s, context=image_context(report, s.context, s.images))
        s.check()
    p = _train(report, s) if s.train else _infer(report, s)
    layout = s.layout()
    if layout is not None and (s.parallel or not s.train):  # one rank of a parallel layout
        from .sharded import rank_lines

        rows, terms = rank_lines(report, p.lines, s, layout)
        p.lines = [Line(size, t, exact) for size, t, exact in rows]
        p.notes = [note for note in p.notes if not isinstance(note.terms, TrainingSetupNote)]
        p.notes.append(Note(terms))
    if s.images and report.decoder is not None:
        p.notes.append(Note(ImagesNote(s.images, report.decoder.image_tokens, text, s.context)))
    p.notes = [Note(replace(n.terms, asked=images_asked))
               if isinstance(n.terms, CrossAttentionNote) else n for n in p.notes]
    limit, source = model_context(report)
    if s.context_from and s.context_from != "default":  # the default, shortened to the model's
        p.notes.append(Note(ModelContextNote(s.context, s.context_from, report.source,
                                             DEFAULT_CONTEXT)))
    if limit and s.context > limit:  # planned as asked, and said: the model stops at limit
        p.notes.append(Note(PastPositionsNote(limit, s.context, source)))
    return p


# why an engine with an allocation of its own does not plan a cross-attention model
CROSS_ENGINES = {
    # vLLM dropped its encoder-decoder runner, and Llama 3.2 Vision with it, after 0.10.2:
    # _PREVIOUSLY_SUPPORTED_MODELS["MllamaForConditionalGeneration"] = "0.10.2" in
    # vllm-project/vllm@0002bff0b6cb36a3c8a17364de3303664463c412:
    # vllm/model_executor/models/registry.py (https://github.com/vllm-project/vllm/pull/24907).
    # Before, its V0 runner cached only an image's own tiles, not max_num_tiles: the encoder
    # prompt of input_processor_for_mllama, tiles x ((image_size // 14)^2 + 1) tokens
    # (vllm-project/vllm@005ad95003ff57af6f921ac33a3507780ac756d2:
    # vllm/model_executor/models/mllama.py)
    "vllm": "vLLM serves no MllamaForConditionalGeneration after 0.10.2 (its registry lists "
            "it among the models it supported until then); ",
}


def cross_attends(report: Report) -> bool:
    """Whether the model's cross-attention layers read images (Llama 3.2 Vision)."""
    d = report.decoder
    return d is not None and any(layer.cross_tokens is not None for layer, _ in d.layers.counts())


def images_of(report: Report, s: Setup) -> int:
    """Images in each sequence: as asked, else (-1) one for a model whose cross-attention
    layers read an image (what it is for: its cache of the image is the plan's to show, and
    --images 0 plans text alone), none for the others (their image tokens join the context,
    which a plan asked for text alone would otherwise outgrow)."""
    if s.images >= 0:
        return s.images
    return 1 if cross_attends(report) else 0


def settle(report: Report, s: Setup) -> Setup:
    """The setup with its context: as asked, or where none was (0) DEFAULT_CONTEXT, at most
    the model's own longest context (model_context), and where it came from (context_from):
    BERT is planned at its 512 learned positions, not refused at 2,048."""
    if s.context:
        return s
    limit, source = model_context(report)
    if limit and limit < DEFAULT_CONTEXT:
        return replace(s, context=limit, context_from=source)
    return replace(s, context=DEFAULT_CONTEXT, context_from="default")


# the keys of a traced model's config that bound its tokens, as a training step reads them
# (traced._check_positions): an encoder's learned position table (BERT, RoBERTa, BART), GPT-2's,
# an encoder-decoder's decoder table (Whisper's 448 tokens)
TRACED_POSITIONS = ("max_position_embeddings", "n_positions", "max_target_positions")


def model_context(report: Report) -> tuple[int, str]:
    """The longest context the model reads and where that comes from: its learned position
    table, or its config's (or GGUF's) length as transformers and vLLM read it
    (nnsize.limits), or, for a model whose step is traced (an encoder, an encoder-decoder), the
    position tables its config names; (0, "") where none says."""
    d = report.decoder
    if d is not None and d.positions:
        return d.positions, "learned positions"
    limit = report.stored.get("context_limit")
    if d is not None and limit:
        return int(limit["tokens"]), str(limit["from"])
    source = report.traceable or ("",)
    if d is None and source[0] == "config" and isinstance(source[1], dict):
        data = source[1]
        if "vision_config" in data or "image_size" in data:
            return 0, ""  # an image model reads patches, not a context
        from ..limits import padded_positions, reads_n_positions

        bounds = [(v, k) for k in TRACED_POSITIONS
                  if isinstance(v := data.get(k), int) and not isinstance(v, bool) and v > 0
                  and (k != "n_positions" or reads_n_positions(data.get("model_type")))]
        if bounds:
            tokens, key = min(bounds)

            offset = padded_positions(data) if key == "max_position_embeddings" else 0
            if offset:
                return tokens - offset, (f"learned positions (max_position_embeddings {tokens:,} "
                                         f"less the {offset} before the first, pad_token_id + 1)")
            return tokens, f"learned positions ({key})"
    return 0, ""


def gguf_mix_name(dtype: str) -> str | None:
    """The llama.cpp file a --dtype names: every llama-quantize type name (Q8_0, Q4_0, Q6_K,
    Q4_K_M, IQ4_XS, TQ1_0..., in any case, or with gguf: before it) means the file
    llama-quantize writes with it, its tensor types chosen by llama.cpp's rules (gguf_mix).
    bf16 stays the planner's own bf16 (its default); a GGUF block format alone, without the
    mix, is asked as q8_0-block (precision.find)."""
    from .gguf_mix import FTYPES, find_ftype

    key = dtype.strip()
    if key.lower().startswith("gguf:"):
        return find_ftype(key[5:])
    upper = key.upper().replace("-", "_")
    return upper if upper in FTYPES and upper != "BF16" else None


# a stored dtype (safetensors', GGUF's names) -> the planner's float precision
STORED_FLOATS = {"F32": "fp32", "F16": "fp16", "BF16": "bf16", "F64": "fp64"}
# the families whose training step keeps what the activations estimate leaves out, by
# model_type: HY-V4's hyper-connections (HYV4HyperConnection: hc_mult residual streams, mixed
# in float32, in every layer; https://github.com/huggingface/transformers/blob/v5.25.0/src/
# transformers/models/hy_v4/modeling_hy_v4.py); inference is planned
# JetMoE's mixture of attention (models/jetmoe/modeling_jetmoe.py: JetMoeMoA's routed queries,
# its keys and values repeated top_k times before the attention) is not in it either
UNTRAINED = {"hy_v4": "its hyper-connections (hc_mult residual streams, mixed in float32)",
             "jetmoe": "its mixture of attention (each token's top-k experts' queries and "
                       "outputs, its keys and values repeated for them)"}


# the families planned only as transformers runs them (kv_cache.DYNAMIC_CACHE), by model_type:
# why no other engine is.  JetMoE: vLLM has no model of it (vllm-project/vllm's
# vllm/model_executor/models has no jetmoe.py; its requests for one,
# https://github.com/vllm-project/vllm/issues/3995 and /7771, were closed as stale),
# transformers marks it _can_compile_fullgraph = False (its top-k gating, modeling_jetmoe.py
# v5.25.0), and nnsize has not read how another engine would run its mixture of attention
TRANSFORMERS_ONLY = {
    "jetmoe": "JetMoE's mixture of attention (each token's top-k experts' queries over the keys "
              "and values they share) is planned as transformers' DynamicCache runs it "
              "(--engine transformers or transformers-eager); vLLM has no JetMoE model, "
              "transformers' static cache (transformers-compile) cannot compile its top-k "
              "gating, and nnsize has not read how another engine would run it",
}


def stored_dtypes(report: Report) -> dict[str, DtypeTally] | None:
    """A file's tensors per stored dtype (tensors, elements, bytes), where the report is of a
    file (GGUF, safetensors, ONNX, a torch checkpoint); None otherwise."""
    dtypes = report.stored.get("dtypes") if report.stored.get("format") else None
    return dtypes if isinstance(dtypes, dict) and dtypes else None


def _as_stored(dtypes: dict[str, DtypeTally]) -> Precision:
    """The float precision a file computes in: its float dtype holding the most bytes (bf16
    for a file of quantized blocks alone, as a dequantizing kernel computes)."""
    floats = [(d["bytes"], STORED_FLOATS[k]) for k, d in dtypes.items() if k in STORED_FLOATS]
    return find(max(floats)[1]) if floats else find("bf16")


def _infer(report: Report, s: Setup) -> Plan:
    from .fp32_modules import fp32_kept
    from .kv_cache import as_transformers, kv_cache, llama_cpp_streams, llama_cpp_swa_keys
    from .lines import (
        EncoderDecoderNote,
        EngineNote,
        FamilyEagerNote,
        GgufFileNote,
        GgufWeightsTerms,
        Line,
        LlamaCppSlotsNote,
        Note,
        NotPlannedNote,
        RepricedNote,
        StoredWeightsTerms,
        WorkspaceTerms,
    )
    from .quantization import published, quantization_config
    from .weights import weight_bytes

    dtypes = stored_dtypes(report) if not s.dtype else None
    # a config whose quantization_config says how its publisher stores it: those tensors
    checkpoint = published(report) if not s.dtype and dtypes is None else None
    if checkpoint:
        if tuple(s.keep) != KEEP:  # never a setting taken and silently dropped
            raise NnsizeError(f"keep does not apply to {report.source} as published: its "
                              f"quantization_config ({checkpoint.method}) says what is kept; "
                              f"ask a --dtype to choose what keep keeps at bf16")
        dtypes = checkpoint.dtypes()
    mix = gguf_mix_name(s.dtype) if s.dtype else None
    precision = find("bf16") if mix else _as_stored(dtypes) if dtypes else \
        find(s.dtype or "bf16")
    compute = precision if precision.name in FLOATS else find("bf16")
    e = s.serving()
    refuse_engine(report, e.name)
    if e.name == "transformers":
        refuse_sdpa(report, s.attention)
    family = family_eager(report, s, e.name)
    from .eager import UNPLANNED

    if family and family not in UNPLANNED:  # transformers runs it eager: its scores are held
        e = replace(e, flash_attention=False)
    # what transformers' loader keeps in float32 at this dtype (fp32_modules); other engines
    # load with their own code
    fp32 = fp32_kept(report, precision) if e.name == "transformers" and not mix else None
    if checkpoint and fp32:  # the published tensors as transformers holds them once loaded
        checkpoint = checkpoint.loaded(fp32)
        dtypes = checkpoint.dtypes()
    p = Plan(report.source, s, precision, mode=mix or (
        f"its published {checkpoint.method}" if checkpoint else
        "its stored dtypes" if dtypes else ""))
    p.notes.append(Note(EngineNote(e)))
    quantized = quantization_config(report) if s.dtype and stored_dtypes(report) is None \
        else None
    if quantized:  # re-priced as asked: said, never taken for the checkpoint as published
        p.notes.append(Note(RepricedNote(s.dtype, str(quantized[0].get("quant_method")))))
    if dtypes:  # the file's own bytes, dtype by dtype: what loading it takes
        p.lines.append(Line(sum(d["bytes"] for d in dtypes.values()), StoredWeightsTerms(
            tuple(sorted(((k, d["elements"], d["bytes"]) for k, d in dtypes.items()),
                         key=lambda x: -x[2])), how=checkpoint.how if checkpoint else "")))
    elif mix:
        from .gguf_mix import mix as gguf_mix

        if tuple(s.keep) != KEEP:  # never a setting taken and silently dropped
            raise NnsizeError(f"keep does not apply to the GGUF mix {mix}: llama.cpp chooses "
                              f"each tensor's type itself (a GGUF block format alone, such as "
                              f"{mix.lower()}-block, takes keep)")
        if report.decoder is None:
            raise NnsizeError(f"{mix} names the GGUF file llama-quantize writes of a language "
                              f"model counted from a config; for {mix} blocks on every weight "
                              f"of this network ask {mix.lower()}-block")
        m = gguf_mix(report, mix, s.imatrix)
        p.lines.append(Line(m.tensor_bytes, GgufWeightsTerms(
            mix, tuple(sorted((t, n, b) for t, (n, b) in m.by_type().items())))))
        p.notes.append(Note(GgufFileNote(m.padded_bytes() - m.tensor_bytes, len(m.tensors),
                                         *m.mmproj)))
    else:
        weights, terms = weight_bytes(report, precision, compute, s.keep, fp32=fp32)
        p.lines.append(Line(weights, terms))
    if report.decoder is not None:
        from .engines import paged, prefill_tokens, workspace_bytes

        kv = find(s.kv_dtype) if s.kv_dtype else \
            find("fp16") if e.kv_default == "f16" else compute
        context = paged(s.context, e.block_tokens)
        llama_cpp = e.name == "llama.cpp"
        if cross_attends(report) and not as_transformers(e.name):
            raise NnsizeError(f"cannot plan it under {e.name}: {CROSS_ENGINES.get(e.name, '')}"
                              f"nnsize plans the cache of its cross-attention layers (Llama 3.2 "
                              f"Vision) as transformers keeps it, not as {e.name} does")
        cache, kv_terms, notes = kv_cache(report, s.batch, context, kv, s.latent,
                                          as_transformers(e.name), llama_cpp, e.chunk or 0,
                                          s.kv_unified, s.images, e.name, compute, peak=True,
                                          swa_full=e.swa_full)
        if kv_terms is not None:
            p.lines.append(Line(cache, replace(kv_terms, block_tokens=e.block_tokens
                                               if context != s.context else 0)))
        p.notes += [Note(note) for note in notes]
        if llama_cpp and s.batch > 1:
            p.notes.append(Note(LlamaCppSlotsNote(s.batch, s.context, s.kv_unified)))
        d = report.decoder
        inter = max(d.intermediate, d.expert_intermediate * d.experts_per_token)
        act = 4 if compute.bits_per_value == 32 else 2
        # llama.cpp's graph reads one stream's cells as keys, its streams side by side
        streams, keys, sequences = llama_cpp_streams(s.batch, s.context, s.kv_unified) if \
            llama_cpp else (1, s.context, 1)
        # and the windowed layers' second mask, over a stream's SWA cells
        swa_keys = llama_cpp_swa_keys(report, keys, e.chunk or 0, sequences, e.swa_full) if \
            llama_cpp and e.chunk else 0
        # transformers' eager attention: the softmax's peak a score, and a mask a layer type
        score_bytes, sink, measured = 4, 0, True
        masks = kv_repeat = compressed = 0
        family_extra: tuple[tuple[str, tuple[int, ...]], ...] = ()
        mlp_extra: tuple[tuple[str, tuple[int, ...]], ...] = ()
        heads = max((layer.heads for layer, _ in d.layers.counts()), default=0)
        if e.name in ("transformers", "transformers-eager") and not e.flash_attention:
            from .eager import (
                attention_terms,
                compressed_keys,
                kv_repeat_values,
                score_peak,
            )

            score_bytes, sink, measured = score_peak(model_type(report), act,
                                                   compute.name == "fp16")
            masks = len({layer.window for layer, _ in d.layers.counts() if layer.heads})
            kv_repeat = kv_repeat_values(d.layers.counts(), heads)
            compressed = compressed_keys(d.layers.counts(), s.context)
            source = report.traceable or ("",)
            family_extra = attention_terms(
                model_type(report), source[1] if source[0] == "config" else {},
                prefill_tokens(e, s.batch, s.context), s.context, compressed, d.hidden, heads,
                act, sum(n for _, n in d.layers.counts()))
        if e.name in ("transformers", "transformers-eager"):  # its modeling code's, any attention
            from .eager import mlp_terms

            mlp_extra = mlp_terms(model_type(report), prefill_tokens(e, s.batch, s.context),
                                  d.experts_per_token, d.expert_intermediate, act, d.hidden)
        workspace, work = workspace_bytes(e, s.batch, s.context, d.hidden, inter, heads,
                                           d.vocab, act, keys, streams, swa_keys, score_bytes,
                                           sink, masks, kv_repeat, compressed, family_extra,
                                           mlp_extra)
        if e.name in ("transformers", "transformers-eager") and not e.flash_attention:
            work = replace(work, family=family, measured=measured)
        if family:
            from .eager import reason

            p.notes.append(Note(FamilyEagerNote(family, reason(family), score_bytes, act, sink,
                                                measured, UNPLANNED.get(family, ""))))
        p.lines.append(Line(workspace, work, False))
    elif report.encoder_decoder is not None:
        from .kv_cache import encoder_decoder_cache

        ed = report.encoder_decoder
        kv = find(s.kv_dtype) if s.kv_dtype else compute
        encoder = s.encoder_length or ed.encoder_length or s.context
        cache, ed_terms = encoder_decoder_cache(ed, s.batch, s.context, encoder, kv)
        p.lines.append(Line(cache, ed_terms))
        # the largest-layer workspace of a layer spec means nothing for a config's model (its
        # rows have no shapes); one forward pass's transient tensors are not estimated here
        p.notes.append(Note(EncoderDecoderNote(encoder, bool(ed.encoder_length),
                                               bool(s.encoder_length))))
    elif report.convention == "checkpoint":  # tensors without the architecture that runs them
        p.notes.append(Note(NotPlannedNote(str(report.stored.get("format", "")))))
    else:
        largest = max((numel(r.input_shape) + numel(r.output_shape) for r in report.rows),
                      default=0)
        p.lines.append(Line(to_bytes(s.batch * largest, compute.bits_per_value),
                            WorkspaceTerms(s.batch, largest, compute), False))
    return p


def _train(report: Report, s: Setup) -> Plan:
    from .activations import spec_activation_bytes
    from .lines import (
        AutocastTerms,
        BaseWeightsTerms,
        DecoderActivationsTerms,
        GradientsTerms,
        LayerDtypesNote,
        Line,
        LoraTerms,
        LossBackwardTerms,
        MasterWeightsTerms,
        Note,
        RepricedNote,
        TrainingSetupNote,
        UnreachedNote,
    )
    from .optimizers import optimizer_bytes, trainable_tensors, unreached_params
    from .weights import weight_bytes

    if report.decoder is not None and any(layer.compress_ratio for layer, _ in
                                          report.decoder.layers.counts()):
        raise NnsizeError(f"{report.source}: what training saves of its compressed attention "
                          f"(DeepSeek-V4's CSA and HCA: compressors, indexer, hyper-"
                          f"connections) is not modelled; nnsize plans its inference")
    if report.decoder is not None and report.decoder.varied:
        # activations.py's per-layer record has one MLP width and attention on every layer
        raise NnsizeError(f"{report.source}: what training saves of layers that differ "
                          f"({report.decoder.varied}) is not modelled: nnsize's activations "
                          f"are those of a layer with attention and one MLP width; nnsize plans "
                          f"its inference")
    if model_type(report) in UNTRAINED:
        raise NnsizeError(f"{report.source}: what training saves of "
                          f"{UNTRAINED[model_type(report)]} is not modelled; nnsize plans its "
                          f"inference")
    precision = find(s.dtype or "bf16")
    if precision.name not in FLOATS:
        raise NnsizeError(f"training keeps weights in a float format (fp32, bf16, fp16), not "
                          f"{precision.name}; for 4-bit base weights train QLoRA (LoRA over NF4 "
                          f"weights)")
    mode, master = s.training_mode, s.master_weights
    lora = bool(s.lora_rank or s.qlora)
    # autocast trains fp32 weights (LoRA: fp32 adapters over the 16-bit base, as PEFT does)
    param = find("fp32") if mode == "autocast" else precision
    state_bits = 32 if master or mode in ("autocast", "fp32") else precision.bits_per_value
    n = s.gpus if s.sharding != "none" else 1
    # (weights, gradients, optimizer states and master weights): over how many GPUs each
    shard = {"none": (1, 1, 1), "ddp": (1, 1, 1), "zero1": (1, 1, n), "zero2": (1, n, n),
             "zero3": (n, n, n), "fsdp": (n, n, n), "tp": (n, n, n)}[s.sharding]
    p = Plan(report.source, s, precision, master, mode)
    from .quantization import quantization_config

    quantized = quantization_config(report) if stored_dtypes(report) is None else None
    if quantized:  # trained at a float dtype, not its published form: said
        at = ("nf4-dq" if s.qlora else precision.name) if lora else param.name
        p.notes.append(Note(RepricedNote(at, str(quantized[0].get("quant_method")))))
    given = sorted({v for r in report.rows for k, v in r.args if k == "dtype"})
    if given:
        p.notes.append(Note(LayerDtypesNote(tuple(given))))
    if s.layout() is None:  # with a layout, sdpa means the framework's flash attention
        refuse_sdpa(report, s.attention)
    attention = training_attention(report, s.attention)
    p.notes.append(Note(TrainingSetupNote(
        mode, master, precision, attention, family_default=s.attention == "default",
        checkpointing=s.checkpointing,
        base=("nf4-dq" if s.qlora else precision.name) if lora else "")))
    if lora:
        rank = s.lora_rank or 16
        adapters = _lora(report, rank, s.lora_targets)
        # QLoRA: the QLoRA paper's NF4 with double quantization; PEFT's
        # prepare_model_for_kbit_training casts what stays unquantized to fp32
        base = find("nf4-dq") if s.qlora else precision
        weights, w = weight_bytes(report, base, find("fp32") if s.qlora else precision,
                                  s.keep, layer_dtypes=False, record=BaseWeightsTerms)
        p.lines.append(Line(weights // shard[0], w))
        lora_params = sum(numel(t.shape) for t, _ in adapters)
        p.lines.append(Line(to_bytes(lora_params, param.bits_per_value),
                            LoraTerms(lora_params, rank, param)))
        trainable, trainable_list = lora_params, adapters
    else:
        weights, w = weight_bytes(report, param, param, layer_dtypes=False)
        p.lines.append(Line(weights // shard[0], replace(w, gpus=shard[0])))
        trainable_list = trainable_tensors(report)  # the forward's: no grad, no state beyond
        trainable = sum(numel(t.shape) * copies for t, copies in trainable_list)
        if unreached := unreached_params(report):
            p.notes.append(Note(UnreachedNote(unreached)))
    p.lines.append(Line(to_bytes(trainable, param.bits_per_value) // shard[1],
                        GradientsTerms(trainable, param, shard[1])))
    if master:
        p.lines.append(Line(to_bytes(trainable, 32) // shard[2],
                            MasterWeightsTerms(trainable, shard[2])))
    optim, o = optimizer_bytes(report, s.optimizer, state_bits, trainable_list)
    p.lines.append(Line(optim // shard[2], replace(o, gpus=shard[2])))
    if mode == "autocast" and not lora:
        copies, (params, outside, one) = _autocast_copies(report, s.checkpointing)
        p.lines.append(Line(copies // shard[0],
                            AutocastTerms(params, outside, one, precision, shard[0])))
    elif mode == "autocast" and s.qlora:  # the fp32 head's bf16 copy, kept for its backward
        head = _head_weights(report)
        if head:
            p.lines.append(Line(2 * head // shard[0],
                                AutocastTerms(head, 0, 0, precision, shard[0])))
    tp = n if s.sharding == "tp" else 1
    state_space = report.decoder is not None and report.decoder.state_values > 0
    if state_space and report.traceable is not None:  # no formulas for its scans: traced
        _traced_lines(p, report, s, mode, tp, scan=True)
    elif report.decoder is not None:
        from .activations import DROPOUT_MASK, activations  # read now: a test may set it
        from .lines import DropoutMaskNote

        if lora and s.lora_dropout > 0:  # the masks' bytes, and what a CPU run keeps instead
            p.notes.append(Note(DropoutMaskNote(DROPOUT_MASK)))
        routed, shared = _moe_layout(report)
        act = activations(report.decoder, s.batch, s.context, mode, attention,
                          s.checkpointing, _experts(report), routed, shared, _extras(report),
                          _lora_readers(adapters, rank, s.lora_dropout > 0, s.qlora)
                          if lora else None)
        d = DecoderActivationsTerms(s.batch * s.context, len(report.decoder.layers), mode,
                                    attention, s.checkpointing, act.layer_inputs,
                                    report.decoder.vocab, tp)
        if s.checkpointing:
            p.lines.append(Line(act.peak // tp, d, False))
        else:
            p.lines.append(Line(act.saved // tp, d, False))
            p.lines.append(Line(act.logits_grad // tp, LossBackwardTerms(**vars(d)), False))
    elif report.traceable is not None:
        _traced_lines(p, report, s, mode, tp)
    else:
        act_precision = find("fp32") if mode == "fp32" else \
            find("fp16") if precision.name == "fp16" else find("bf16")
        total, a = spec_activation_bytes(report, s.batch, act_precision, s.checkpointing)
        p.lines.append(Line(total, a, False))
    return p


def _traced_lines(p: Plan, report: Report, s: Setup, mode: str, tp: int,
                  scan: bool = False) -> None:
    """Activations of a model nnsize has no per-layer formulas for (an encoder, an
    encoder-decoder, a vision or audio model, a torch module): one training step traced on fake
    tensors (traced.py).  Without checkpointing: what autograd keeps, and beside it what the
    backward holds at its peak beyond that; with checkpointing, the step's peak."""
    from .lines import Line, TracedBackwardTerms, TracedTerms
    from .traced import CODE_CHUNKS, trace_config, trace_module

    source = report.traceable or ("",)
    if s.lora_rank or s.qlora:  # the trace runs the model as built: every weight trained
        raise NnsizeError(f"{report.source}: its training activations are traced from a step of "
                          f"full fine-tuning; what LoRA's step keeps over a frozen base is not "
                          f"modelled for it (no per-layer formulas); plan it without LoRA")
    if source[0] == "config":
        ed = report.encoder_decoder
        encoder = s.encoder_length or (ed.encoder_length if ed else 0)
        asked = "" if s.attention == "default" else s.attention  # transformers' own choice
        mixer = report.decoder.mixer if report.decoder else None
        t = trace_config(source[1], s.batch, s.context, encoder, asked, mode,
                         s.checkpointing, scan, CODE_CHUNKS.get(mixer.kind, 0) if mixer else 0)
    else:
        t = trace_module(source[1], source[2], source[3], s.batch, mode, s.checkpointing)
    terms = TracedTerms(t.what, mode, t.attention, t.loss, s.checkpointing, t.saved, t.peak,
                        tuple(t.parts), s.batch, s.context, tp, t.carried)
    if s.checkpointing:
        p.lines.append(Line(t.peak // tp, terms, False))
    else:
        p.lines.append(Line(t.saved // tp, terms, False))
        p.lines.append(Line(max(t.peak - t.saved, 0) // tp, TracedBackwardTerms(**vars(terms)),
                            False))


def model_type(report: Report) -> str:
    """The config's model_type, where the report was counted from a config ("" otherwise)."""
    source = report.traceable or ("",)
    return str(source[1].get("model_type", "")) if source[0] == "config" else ""


def family_eager(report: Report, s: Setup, engine_name: str) -> str:
    """The model_type transformers runs with eager attention by default (eager.EAGER, the rule
    training_attention takes), where inference under the transformers engine asked none; ""
    otherwise.  Serving engines (vLLM, SGLang, llama.cpp) run kernels of their own."""
    if engine_name != "transformers" or s.attention != "default" or report.decoder is None:
        return ""
    kind = model_type(report)
    return kind if training_attention(report, "default") == "eager" else ""


def refuse_engine(report: Report, engine: str) -> None:
    """NnsizeError where the family is planned only as transformers runs it
    (TRANSFORMERS_ONLY) and engine is another."""
    from .kv_cache import DYNAMIC_CACHE

    only = TRANSFORMERS_ONLY.get(model_type(report))
    if only and report.decoder is not None and engine not in DYNAMIC_CACHE:
        raise NnsizeError(f"cannot plan it under {engine}: {only}")


def refuse_sdpa(report: Report, asked: str) -> None:
    """NnsizeError where sdpa is asked of a family whose model class sets _supports_sdpa =
    False (eager.EAGER, not BY_CONFIG): transformers refuses to build it so ("...does not
    support an attention implementation through torch.nn.functional.scaled_dot_product_
    attention yet"), and a plan at sdpa would be of a model nobody can run."""
    from .eager import BY_CONFIG, EAGER, reason

    kind = model_type(report)
    if asked == "sdpa" and report.decoder is not None and kind in EAGER and \
            kind not in BY_CONFIG:
        raise NnsizeError(f"attention sdpa: transformers does not run {kind} with sdpa (its "
                          f"model class sets _supports_sdpa = False: {reason(kind)}); it runs "
                          f"eager attention, the default (or ask a serving engine, which runs "
                          f"kernels of its own)")


def training_attention(report: Report, asked: str) -> str:
    """The attention a training step runs: as asked, or by default as transformers picks it for
    the family (eager.py: sdpa, or eager where the family cannot run SDPA).  A config traced
    on fake tensors runs whatever transformers picks itself ("default"); a torch module or a
    layer spec, what its own code runs ("")."""
    if asked != "default":
        return asked
    source = report.traceable or ("",)
    if source[0] == "config" and report.decoder is not None:
        from .eager import default_attention

        return default_attention(str(source[1].get("model_type", "")))
    if report.decoder is not None:
        return "sdpa"
    # a traced config runs what transformers picks; a torch module or a spec, its own code
    return "default" if source[0] == "config" else ""


def _extras(report: Report) -> Any:
    """Sandwich norms (4 a layer where a Llama has 2) and per-head q / k norms, from the rows;
    soft-capped logits, from the config (activations.Extras)."""
    from .activations import Extras

    layers = len(report.decoder.layers) if report.decoder else 0
    norms = sum(t.copies * row.repeat for row in report.rows for t in row.tensors
                if t.name.endswith("_layernorm.weight") and ".layers." in t.name)
    config: dict[str, Any] = report.traceable[1] if report.traceable and \
        report.traceable[0] == "config" else {}
    inner = config.get("text_config")
    text: dict[str, Any] = inner if isinstance(inner, dict) else config
    qk = any(t.name.endswith("self_attn.q_norm.weight") for row in report.rows
             for t in row.tensors)
    return Extras(post_norms=max(norms // layers - 2, 0) if layers else 0,
                  softcap=bool(text.get("attn_logit_softcapping")),
                  final_softcap=bool(text.get("final_logit_softcapping")), qk_norms=qk)


def _experts(report: Report) -> int:
    """Routed experts per MoE layer (the leading dimension of the fused expert tensors)."""
    return max((t.shape[0] for row in report.rows if row.type == "experts"
                for t in row.tensors if len(t.shape) == 3), default=0)


def _moe_layout(report: Report) -> tuple[int | None, int]:
    """(layers that route to experts, the shared experts' intermediate size), from the rows:
    the copies of the expert tensors, the first dimension of a shared expert's gate_proj."""
    routed = max((t.copies * row.repeat for row in report.rows if row.type == "experts"
                  for t in row.tensors), default=None)
    shared = max((t.shape[0] for row in report.rows if row.type == "shared experts"
                  for t in row.tensors if t.name.endswith("gate_proj.weight")), default=0)
    return routed, shared


def _autocast_copies(report: Report, checkpointing: bool
                     ) -> tuple[int, tuple[int, int, int]]:
    """torch.autocast's cached 16-bit copy of every weight a linear layer reads (the head too,
    tied or not; not the embedding lookup, not the grouped experts), for the whole step; with
    checkpointing a layer's copies are made again when it is recomputed, one layer at a time
    (measured), and only the head's stay."""
    from .activations import autocast_weight_copies
    from .optimizers import reached

    linear, in_layers = 0, 0
    for row in report.rows:
        if row.type == "embedding" or not reached(row):  # a row the forward never calls
            continue
        for t in row.tensors:
            if len(t.shape) == 2 and t.role in ("weight", "embedding") and not t.buffer:
                linear += numel(t.shape) * t.copies * row.repeat
                if t.copies > 1:
                    in_layers += numel(t.shape) * t.copies * row.repeat
    layers = len(report.decoder.layers) if report.decoder else 0
    if checkpointing and layers:
        one = in_layers // layers
        return autocast_weight_copies(linear - in_layers + one), \
            (linear - in_layers + one, linear - in_layers, one)
    return autocast_weight_copies(linear), (linear, 0, 0)


def _output_embedding(report: Report) -> set[str]:
    """The base names of the output embedding's module (lm_head): a head's weight shaped as an
    embedding table, the vocabulary by the hidden size."""
    tables = {t.shape for row in report.rows if row.type == "embedding" for t in row.tensors
              if len(t.shape) == 2}
    return {t.name.rsplit(".", 1)[0].rsplit(".", 1)[-1] for row in report.rows
            if row.type == "head" for t in row.tensors
            if len(t.shape) == 2 and t.shape in tables and t.name.endswith(".weight")}


# what each adapted module reads, by its base name (tests/memory/test_lora.py measures them)
_READS = {"attention_in": ("q_proj", "k_proj", "v_proj", "qkv_proj", "query_key_value", "Wqkv"),
          "attention_out": ("o_proj", "out_proj", "dense", "wo"),
          "mlp_in": ("gate_proj", "up_proj", "gate_up_proj", "w1", "w3", "fc1"),
          "mlp_out": ("down_proj", "w2", "fc2")}


def _head_weights(report: Report) -> int:
    """The output head's linear weight values (lm_head, tied or not)."""
    return sum(numel(t.shape) * t.copies * row.repeat for row in report.rows
               if row.type == "head" for t in row.tensors
               if len(t.shape) == 2 and t.role in ("weight", "embedding") and not t.buffer)


def _lora_readers(adapters: list[tuple[Any, int]], rank: int, dropout: bool = False,
                  fp32_base: bool = False) -> Any:
    """The adapters of one decoder layer by what they read (activations.Lora); dropout: PEFT's
    lora_dropout above 0; fp32_base: QLoRA's fp32 norms, embeddings and head."""
    from .activations import Lora

    names = {t.name.rsplit(".", 2)[-2] for t, _ in adapters
             if t.name.endswith(".lora_A") and ".layers." in t.name}
    counts = dict.fromkeys(_READS, 0)
    for name in names:
        role = next((r for r, known in _READS.items() if name in known), None)
        if role is None:
            raise NnsizeError(f"the activations of a LoRA adapter on {name} are not modelled; "
                              f"adapt {', '.join(sum(_READS.values(), ()))}")
        counts[role] += 1
    return Lora(rank, **counts, dropout=dropout, fp32_base=fp32_base)


def _lora(report: Report, rank: int, targets: tuple[str, ...]) -> list[tuple[Any, int]]:
    """LoRA factors A (r x in) and B (out x r) for every targeted linear weight.  all-linear as
    PEFT resolves it (_maybe_include_all_linear_layers, https://github.com/huggingface/peft/blob/
    831fd03e04033a49a2523b4012970e1499b7b5c6/src/peft/tuners/tuners_utils.py): every linear
    layer's base name, less the output embedding's (model.get_output_embeddings(): lm_head).
    Llama-3.1-8B at rank 16: 32 x 16 x (2 x 8,192 + 2 x 5,120 + 3 x 18,432) = 41,943,040."""
    from ..model import Tensor

    out = []
    head = _output_embedding(report) if targets == ("all-linear",) else set()
    if targets == ("all-linear",) and _experts(report):
        raise NnsizeError("all-linear on a mixture of experts: PEFT 0.21 also adapts the "
                          "fused experts' tensors (target_parameters, one adapter per expert), "
                          "which nnsize does not count; name the modules to adapt instead "
                          "(q_proj,k_proj,v_proj,o_proj)")
    for name, t in report.named_tensors():
        if t.buffer or t.shared_with or len(t.shape) != 2 or t.role != "weight":
            continue
        module = name.rsplit(".", 1)[0]
        base = module.rsplit(".", 1)[-1]
        if (targets == ("all-linear",) and base not in head) or base in targets:
            out_f, in_f = t.shape
            out.append((Tensor(f"{module}.lora_A", (rank, in_f), "weight"), 1))
            out.append((Tensor(f"{module}.lora_B", (out_f, rank), "weight"), 1))
    if not out:
        raise NnsizeError(f"no linear layer matches the LoRA targets {', '.join(targets)}")
    return out
