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
    ...ForPreTraining              BERT's: the pooled base model, its masked-LM head and
                                   cls.seq_relationship (2 x hidden; ...ForNextSentencePrediction
                                   that alone); ALBERT's sop_classifier (labels x hidden);
                                   ELECTRA's discriminator (hidden x hidden, then 1 x hidden)
    ...ForCausalLM of BART-shaped  the decoder alone (model.decoder, its own embed_tokens) and
    encoder-decoders and Whisper   lm_head (proj_out), tied to the decoder's embed_tokens
    DeiTForImageClassification-   DeiT's cls_classifier and distillation_classifier, each
    WithTeacher                    labels x hidden, biased (TEACHER in registry.py)

The base model sits under an attribute whose name varies by class (LlamaForSequenceClassification
keeps it in 'model', LlamaForQuestionAnswering in 'transformer'): each family's registration says
which, for each class transformers has (heads=..., built with decoder_heads / encoder_heads here;
tests/architectures/test_classes.py walks transformers' auto mappings and compares every class).
labels: the config's num_labels, else the size of its id2label, else the family's config-class
default (BART's is 3), else 2, as transformers' config class reads them.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import SpecError
from ..model import Row, Tensor
from ..records import replace
from .assembly import Assembly, embedding, linear, norm
from .config import Config
from .registry import FAMILIES, MC, QA, SEQ, TOKEN, Head

# the kinds that keep the base model's pooler, and those that keep the LM class's head as well
POOLED = ("pooled classifier", "pooled choice", "pooled qa per label", "pretraining",
          "next sentence", "sentence order")
WITH_LM_HEAD = ("double heads", "pretraining", "sentence order")


def decoder_heads(*suffixes: str, qa: str | None = None, model: str = "model",
                  token: str = "biased score") -> dict[str, Head]:
    """The task heads of a decoder family, by suffix (SEQ, TOKEN, QA): a score on the base model
    under model (no bias), a token classifier (token: its kind), 2 qa_outputs under qa (else
    model)."""
    kinds = {SEQ: (model, "score"), TOKEN: (model, token), QA: (qa or model, "qa")}
    return {s: kinds[s] for s in suffixes}


def encoder_heads(model: str, seq: str, choice: str = "pooled choice",
                  token: str = "classifier", qa: str = "qa per label") -> dict[str, Head]:
    """The four task heads of an encoder family, the base model under model: seq, the sequence
    classifier's kind ('pooled classifier' on BERT's pooler, 'dense classifier' RoBERTa's)."""
    return {SEQ: (model, seq), TOKEN: (model, token), QA: (model, qa), MC: (model, choice)}


def head_of(family: str, arch: str) -> Head | None:
    """(base model attribute, head kind) for a task-head class name, None if not one."""
    return FAMILIES[family].head(arch) if family in FAMILIES else None


def labels(c: Config) -> int:
    """num_labels as transformers' config class reads it: the config's num_labels, else the size
    of its id2label, else the family's config-class default (BART's 3), else 2."""
    value = c.data.get("num_labels")
    if value is None:
        id2label = c.data.get("id2label")
        value = len(id2label) if isinstance(id2label, dict) else c.value("num_labels", 2)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 2**31:
        raise SpecError(f"{c.where}: num_labels must be a positive whole number, got {value!r}")
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
        raise SpecError(f"{arch}: not a task head nnsize builds for {family}")
    prefix, kind = found
    if kind == "decoder lm":
        return _decoder_lm(family, c, base, arch)
    pooled = kind in POOLED
    rows = [r for r in base.rows
            if pooled or not any(t.name.startswith("pooler.") for t in r.tensors)]
    if kind in ("encoder only", "encoder classifier", "encoder projected classifier"):
        rows = [r for r in rows if not any(t.name.startswith("decoder.") for t in r.tensors)]
    if kind == "vision classifier":  # the vision tower alone, as CLIPVisionModel keeps it
        rows = [r for r in rows if all(t.name.startswith("vision_model.") for t in r.tensors)]
    if kind == "qa per label" and family == "distilbert" and n_labels != 2:
        raise SpecError(f"{arch}: num_labels must be 2 (a start and an end score), as "
                        f"transformers requires, got {n_labels}")
    a = Assembly(arch)
    a.decoder = base.decoder
    a.rows = [_prefixed(r, f"{prefix}.") if prefix else r for r in rows]
    h = _width(family, c)
    kinds: dict[str, Callable[[], list[Tensor]]] = {
        "score": lambda: linear("score", n_labels, h),
        # transformers' generic token classifier reads this key with getattr(..., True)
        "biased score": lambda: linear("score", n_labels, h,
                                       c.bool("token_classification_bias", True)),
        "classifier": lambda: linear("classifier", n_labels, h, True),
        "qa": lambda: linear("qa_outputs", 2, h, True),
        "qa per label": lambda: linear("qa_outputs", n_labels, h, True),
        "pooled qa per label": lambda: linear("qa_outputs", n_labels, h, True),  # LayoutLM's
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
        "pretraining": lambda: linear("cls.seq_relationship", 2, h, True),
        "next sentence": lambda: linear("cls.seq_relationship", 2, h, True),
        "sentence order": lambda: linear("sop_classifier.classifier", n_labels, h, True),
        "discriminator": lambda: linear("discriminator_predictions.dense", h, h, True) +
        linear("discriminator_predictions.dense_prediction", 1, h, True),
        **_more_kinds(c, h, n_labels),
    }
    head = kinds[kind]()
    if lm_head is not None:  # GPT2DoubleHeadsModel, BertForPreTraining: the LM head too
        a.rows += [r for r in lm_head.rows if r.type == "head"]
    a.add(f"{_suffix(family, arch)} head", "head", head)
    a.rows = [replace(r, index=i) for i, r in enumerate(a.rows)]
    return a


def _width(family: str, c: Config) -> int:
    """The width the head reads: the hidden size, the last stage's for ConvNeXt and Swin, the
    adapter's output for Wav2Vec2-BERT, or the vision tower's for CLIP and SigLIP."""
    if family == "opt":
        return c.int("word_embed_proj_dim", None) or c.int("hidden_size")
    if family in ("convnext", "swin"):
        from .vision_more import width

        return width(family, c)
    if family == "wav2vec2-bert":  # after an adapter, its output_hidden_size
        from .audio_more import width as audio_width

        return audio_width(c)
    if "d_model" in c.data or "hidden_size" not in c.data and "d_model" in c.defaults:
        return c.int("d_model")  # T5, the BART-shaped families, Whisper, MPT
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


def _suffix(family: str, arch: str) -> str:
    return next(s for s in sorted(FAMILIES[family].heads, key=len, reverse=True)
                if arch.endswith(s))


def _decoder_lm(family: str, c: Config, base: Assembly, arch: str) -> Assembly:
    """The ...ForCausalLM class of an encoder-decoder: its decoder alone, under model.decoder,
    with embeddings of its own (Marian's decoder_vocab_size rows), and the LM head (Whisper's
    proj_out) tied to them as tie_word_embeddings says."""
    d, v = c.int("d_model"), c.int("vocab_size")
    a = Assembly(arch)
    source = "model.decoder.embed_tokens.weight"
    decoder = [_prefixed(r, "model.") for r in base.rows
               if all(t.name.startswith("decoder.") for t in r.tensors)]
    if not any(t.name == source for r in decoder for t in r.tensors):
        rows = c.int("decoder_vocab_size", None) or v if family == "marian" else v
        a.add("decoder embeddings", "embedding", embedding("model.decoder.embed_tokens", rows, d))
    a.rows += decoder
    name = "proj_out.weight" if family == "whisper" else "lm_head.weight"
    tied = c.bool("tie_word_embeddings")
    head = Tensor(name, (v, d), "embedding", shared_with=source) if tied else \
        Tensor(name, (v, d), "weight")
    a.add("head" + (" (tied to the embeddings)" if tied else ""), "head", [head])
    a.rows = [replace(r, index=i) for i, r in enumerate(a.rows)]
    return a


def _summary(c: Config, h: int) -> list[Tensor]:
    """GPT-2's sequence summary: a projection to one score (num_labels is set to 1)."""
    if not c.bool("summary_use_proj", True):
        return []
    return linear("multiple_choice_head.summary", 1 if c.bool("summary_proj_to_labels", True)
                  else h, h, True)
