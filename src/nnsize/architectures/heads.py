"""Task heads on the native families: the classes transformers 5 builds around a base model.

    ...ForSequenceClassification   a decoder: score (labels x hidden, no bias); an encoder: its
                                   classifier (BERT after the pooler, RoBERTa a dense layer and
                                   out_proj, DistilBERT pre_classifier and classifier)
    ...ForTokenClassification      score or classifier (labels x hidden, biased), no pooler
    ...ForQuestionAnswering        qa_outputs: 2 x hidden on decoders, labels x hidden on BERT's
    ...ForMultipleChoice           a pooled encoder and classifier: 1 x hidden
    T5EncoderModel                 T5's shared embedding and encoder alone
    T5ForSequenceClassification    T5Model under 'transformer', classification_head.dense
                                   (hidden x hidden) and .out_proj (labels x hidden), biased
    T5ForTokenClassification       T5EncoderModel under 'transformer', classifier (labels x hidden)
    T5ForQuestionAnswering         T5Model at the top, qa_outputs: labels x hidden, biased
    GPT2DoubleHeadsModel           GPT-2's LM head and multiple_choice_head.summary (1 x hidden)

The base model sits under an attribute whose name varies by class (LlamaForSequenceClassification
keeps it in 'model', LlamaForQuestionAnswering in 'transformer'): the table below says which, for
each class transformers has (tests build every one and compare).  labels: the config's
num_labels, else the size of its id2label, else 2, as transformers' config class reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..model import Row, Tensor
from .assembly import Assembly, linear, norm
from .config import Config

SEQ, TOKEN, QA, MC = ("ForSequenceClassification", "ForTokenClassification",
                      "ForQuestionAnswering", "ForMultipleChoice")
LLAMA_LIKE = ("llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "gemma",
              "gemma2", "gemma3_text", "olmo", "olmo2", "starcoder2", "phi", "phi3",
              "deepseek_v2", "deepseek_v3")
GPT_LIKE = {"gpt2": "transformer", "gpt_neox": "gpt_neox", "gptj": "transformer",
            "opt": "model", "bloom": "transformer", "falcon": "transformer"}
ENCODERS = ("bert", "roberta", "distilbert")

# (family, class suffix) -> (attribute holding the base model, head kind)
HEADS: dict[tuple[str, str], tuple[str, str]] = {}
for _f in LLAMA_LIKE:
    HEADS[(_f, SEQ)] = ("model", "score")
for _f in ("llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "gemma",
           "gemma2", "starcoder2", "phi", "phi3", "deepseek_v3"):
    HEADS[(_f, TOKEN)] = ("model", "biased score")
for _f in ("llama", "qwen2", "qwen3", "qwen3_moe"):
    HEADS[(_f, QA)] = ("transformer", "qa")
for _f in ("mistral", "mixtral", "qwen2_moe"):
    HEADS[(_f, QA)] = ("model", "qa")
for _f, _p in GPT_LIKE.items():
    HEADS[(_f, SEQ)] = (_p, "score")
    HEADS[(_f, QA)] = (_p, "qa")
    if _f in ("gpt2", "gpt_neox", "bloom", "falcon"):
        HEADS[(_f, TOKEN)] = (_p, "classifier")
for _f in ENCODERS:
    HEADS[(_f, TOKEN)] = (_f, "classifier")
    HEADS[(_f, QA)] = (_f, "qa per label")
HEADS.update({("bert", SEQ): ("bert", "pooled classifier"),
              ("roberta", SEQ): ("roberta", "dense classifier"),
              ("distilbert", SEQ): ("distilbert", "pre-classifier"),
              ("bert", MC): ("bert", "pooled choice"),
              ("roberta", MC): ("roberta", "pooled choice"),
              ("distilbert", MC): ("distilbert", "pre-classifier choice"),
              ("t5", "EncoderModel"): ("", "encoder only"),
              ("t5", SEQ): ("transformer", "classification head"),
              ("t5", TOKEN): ("transformer", "encoder classifier"),
              ("t5", QA): ("", "qa per label"),
              ("gpt2", "DoubleHeadsModel"): ("transformer", "double heads")})
# The families issue 14 added: BERT-shaped encoders (base model attribute, and whether the
# sequence classifier sits on the pooler, as BERT's, or on a dense layer, as RoBERTa's)
ENCODERS_MORE = {"xlm-roberta": ("roberta", "dense classifier"),
                 "camembert": ("roberta", "dense classifier"),
                 "data2vec-text": ("data2vec_text", "dense classifier"),
                 "roberta-prelayernorm": ("roberta_prelayernorm", "dense classifier"),
                 "xlm-roberta-xl": ("roberta", "dense classifier"),
                 "mpnet": ("mpnet", "dense classifier"),
                 "electra": ("electra", "dense classifier"),
                 "ernie": ("ernie", "pooled classifier"),
                 "megatron-bert": ("bert", "pooled classifier"),
                 "albert": ("albert", "pooled classifier"),
                 "deberta-v2": ("deberta", "context pooler"),
                 "modernbert": ("model", "prediction head")}
for _f, (_p, _k) in ENCODERS_MORE.items():
    HEADS[(_f, SEQ)] = (_p, _k)
    HEADS[(_f, TOKEN)] = (_p, "prediction head" if _f == "modernbert" else "classifier")
    HEADS[(_f, QA)] = (_p, "prediction head" if _f == "modernbert" else "qa per label")
    HEADS[(_f, MC)] = (_p, {"electra": "summary choice", "deberta-v2": "context pooler choice",
                            "modernbert": "prediction head choice"}.get(_f, "pooled choice"))
IMAGE, CTC, AUDIO = "ForImageClassification", "ForCTC", "ForAudioClassification"
HEADS.update({("vit", IMAGE): ("vit", "classifier"),
              ("dinov2", IMAGE): ("dinov2", "class and mean classifier"),
              ("clip", IMAGE): ("", "vision classifier"),
              ("siglip", IMAGE): ("", "vision classifier"),
              ("wav2vec2", CTC): ("wav2vec2", "ctc"), ("hubert", CTC): ("hubert", "ctc"),
              ("wav2vec2", SEQ): ("wav2vec2", "projected classifier"),
              ("hubert", SEQ): ("hubert", "projected classifier"),
              ("whisper", AUDIO): ("", "encoder projected classifier"),
              ("bart", SEQ): ("model", "classification head"), ("bart", QA): ("model", "qa"),
              ("mbart", SEQ): ("model", "classification head"), ("mbart", QA): ("model", "qa")})
TEACHER = "ForImageClassificationWithTeacher"
HEADS.update({("deit", IMAGE): ("deit", "classifier"), ("deit", TEACHER): ("deit", "teacher"),
              ("beit", IMAGE): ("beit", "pooled classifier"),
              ("convnext", IMAGE): ("convnext", "classifier"),
              ("swin", IMAGE): ("swin", "classifier"),
              ("wav2vec2-bert", CTC): ("wav2vec2_bert", "ctc"),
              ("wav2vec2-bert", SEQ): ("wav2vec2_bert", "projected classifier")})
POOLED = ("pooled classifier", "pooled choice")
CLASS_SUFFIXES = (SEQ, TOKEN, QA, MC, "EncoderModel", "DoubleHeadsModel", IMAGE, CTC, AUDIO,
                  TEACHER)


def head_of(family: str, arch: str) -> tuple[str, str] | None:
    """(base model attribute, head kind) for a task-head class name, None if not one."""
    for suffix in CLASS_SUFFIXES:
        if arch.endswith(suffix):
            return HEADS.get((family, suffix))
    return None


def is_task_head(arch: str) -> bool:
    return arch.endswith(CLASS_SUFFIXES)


def labels(data: dict[str, Any], where: str) -> int:
    """num_labels as transformers' config class reads it."""
    from ..errors import SpecError

    value = data.get("num_labels")
    if value is None:
        id2label = data.get("id2label")
        value = len(id2label) if isinstance(id2label, dict) else 2
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 2**31:
        raise SpecError(f"{where}: num_labels must be a positive whole number, got {value!r}")
    return value


def _prefixed(row: Row, prefix: str) -> Row:
    tensors = tuple(replace(t.prefixed(prefix), shared_with=prefix + t.shared_with
                            if t.shared_with else "") for t in row.tensors)
    return replace(row, tensors=tensors)


def build_head(family: str, c: Config, base: Assembly, arch: str, n_labels: int,
               lm_head: Assembly | None) -> Assembly:
    """The class arch: base (the base model's rows) under its attribute, then its head."""
    found = head_of(family, arch)
    if found is None:
        from ..errors import SpecError

        raise SpecError(f"{arch}: not a task head nnsize builds for {family}")
    prefix, kind = found
    pooled = kind in POOLED
    rows = [r for r in base.rows
            if pooled or not any(t.name.startswith("pooler.") for t in r.tensors)]
    if kind in ("encoder only", "encoder classifier", "encoder projected classifier"):
        rows = [r for r in rows if not any(t.name.startswith("decoder.") for t in r.tensors)]
    if kind == "vision classifier":  # the vision tower alone, as CLIPVisionModel keeps it
        rows = [r for r in rows if all(t.name.startswith("vision_model.") for t in r.tensors)]
    if kind == "qa per label" and family == "distilbert" and n_labels != 2:
        from ..errors import SpecError

        raise SpecError(f"{arch}: num_labels must be 2 (a start and an end score), as "
                        f"transformers requires, got {n_labels}")
    a = Assembly(arch)
    a.decoder = base.decoder
    a.rows = [_prefixed(r, f"{prefix}.") if prefix else r for r in rows]
    h = _width(family, c)
    kinds: dict[str, Callable[[], list[Tensor]]] = {
        "score": lambda: linear("score", n_labels, h),
        "biased score": lambda: linear("score", n_labels, h, True),
        "classifier": lambda: linear("classifier", n_labels, h, True),
        "qa": lambda: linear("qa_outputs", 2, h, True),
        "qa per label": lambda: linear("qa_outputs", n_labels, h, True),
        "pooled classifier": lambda: linear("classifier", n_labels, h, True),
        "dense classifier": lambda: linear("classifier.dense", h, h, True) +
        linear("classifier.out_proj", n_labels, h, True),
        "pre-classifier": lambda: linear("pre_classifier", h, h, True) +
        linear("classifier", n_labels, h, True),
        "pooled choice": lambda: linear("classifier", 1, h, True),
        "pre-classifier choice": lambda: linear("pre_classifier", h, h, True) +
        linear("classifier", 1, h, True),
        "encoder only": lambda: [],
        "classification head": lambda: linear("classification_head.dense", h, h, True) +
        linear("classification_head.out_proj", n_labels, h, True),
        "encoder classifier": lambda: linear("classifier", n_labels, h, True),
        "double heads": lambda: _summary(c, h),
        **_more_kinds(c, h, n_labels),
    }
    head = kinds[kind]()
    if lm_head is not None:  # GPT2DoubleHeadsModel keeps the LM head as well
        a.rows += [r for r in lm_head.rows if r.type == "head"]
    a.add(f"{_suffix(arch)} head", "head", head)
    a.rows = [replace(r, index=i) for i, r in enumerate(a.rows)]
    return a


def _width(family: str, c: Config) -> int:
    """The width the head reads: the hidden size, or the vision tower's for CLIP and SigLIP."""
    if family == "opt":
        return c.int("word_embed_proj_dim", None) or c.int("hidden_size")
    if family in ("t5", "bart", "mbart", "whisper"):
        return c.int("d_model")
    if family in ("convnext", "swin"):
        from .vision_more import width

        return width(family, c)
    if family == "wav2vec2-bert":  # after an adapter, its output_hidden_size
        from .audio_more import width as audio_width

        return audio_width(c)
    if family in ("clip", "siglip"):
        from .vision import CLIP_VISION, SIGLIP_VISION, _tower_config

        tower = CLIP_VISION if family == "clip" else SIGLIP_VISION
        return _tower_config(c, "vision_config", f"{family}_vision_model", tower) \
            .int("hidden_size")
    return c.int("hidden_size")


def _more_kinds(c: Config, h: int, n: int) -> dict[str, Callable[[], list[Tensor]]]:
    """The heads of the families issue 14 added.

    context pooler (DeBERTa-v2): pooler.dense p x p (p: pooler_hidden_size, else hidden), then
    n x p; prediction head (ModernBERT): head.dense h x h and head.norm, then n x h; summary
    (ELECTRA): sequence_summary.summary h x h, then 1 x h; projected (wav2vec 2.0, HuBERT,
    Whisper's encoder): projector proj x h, n x proj, and one weight per layer and the
    embeddings (L + 1) with use_weighted_layer_sum (BART's classification head is T5's, above);
    DINOv2: n x 2h (the class token beside the mean of the patch tokens).
    """
    def pooler(labels: int) -> list[Tensor]:
        p = c.int("pooler_hidden_size", None) or h
        return linear("pooler.dense", p, p, True) + linear("classifier", labels, p, True)

    def prediction(labels: int) -> list[Tensor]:
        return linear("head.dense", h, h, c.bool("classifier_bias")) + \
            norm("head.norm", h, c.bool("norm_bias")) + linear("classifier", labels, h, True)

    def projected() -> list[Tensor]:
        if c.family == "wav2vec2-bert" and c.bool("add_adapter"):
            from ..errors import SpecError

            raise SpecError(f"{c.where}: add_adapter is true, which transformers' sequence "
                            f"classifier refuses (it reads the encoder without its adapter)")
        proj = c.int("classifier_proj_size")
        layers = c.int("encoder_layers" if c.family == "whisper" else "num_hidden_layers")
        weights = [Tensor("layer_weights", (layers + 1,), "other")] \
            if c.bool("use_weighted_layer_sum") else []
        return weights + linear("projector", proj, h, True) + linear("classifier", n, proj, True)

    return {
        "context pooler": lambda: pooler(n),
        "context pooler choice": lambda: pooler(1),
        "prediction head": lambda: prediction(n),
        "prediction head choice": lambda: prediction(1),
        "summary choice": lambda: linear("sequence_summary.summary", h, h, True) +
        linear("classifier", 1, h, True),
        "class and mean classifier": lambda: linear("classifier", n, 2 * h, True),
        "vision classifier": lambda: linear("classifier", n, h, True),
        "teacher": lambda: linear("cls_classifier", n, h, True) +
        linear("distillation_classifier", n, h, True),
        "ctc": lambda: linear("lm_head", c.int("vocab_size"), h, True),
        "projected classifier": projected,
        "encoder projected classifier": projected,
    }


def _suffix(arch: str) -> str:
    return next(s for s in CLASS_SUFFIXES if arch.endswith(s))


def _summary(c: Config, h: int) -> list[Tensor]:
    """GPT-2's sequence summary: a projection to one score (num_labels is set to 1)."""
    if not c.bool("summary_use_proj", True):
        return []
    return linear("multiple_choice_head.summary", 1 if c.bool("summary_proj_to_labels", True)
                  else h, h, True)
