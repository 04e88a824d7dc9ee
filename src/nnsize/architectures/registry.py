"""Architectures by model_type: one builder per family, registered once.

A family's registration says everything nnsize knows of it: its config class's defaults, older
key names (aliases) and model_type names (legacy_types), its builder, AutoModel's class
(base_class, 'LlamaModel'), and the task-head classes it counts (heads, by class-name suffix).
The class-name prefix ('Llama') comes from base_class, and with it the language-model class
(LlamaForCausalLM) and the family of a config without a model_type; a class of the family nnsize
has no head for is refused by name (or, where allowed, built by transformers: fallback.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..records import field, record
from .assembly import Assembly
from .config import Config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .traits import Traits

Builder = Callable[[str, Config, str, bool], Assembly]
# a task-head class: (the attribute holding the base model, the kind of head; heads.py)
Head = tuple[str, str]
# the task-head classes' suffixes (a family's heads=... names its own)
SEQ, TOKEN, QA, MC = ("ForSequenceClassification", "ForTokenClassification",
                      "ForQuestionAnswering", "ForMultipleChoice")
IMAGE, CTC, AUDIO = "ForImageClassification", "ForCTC", "ForAudioClassification"
PRETRAINING, NSP, CAUSAL = "ForPreTraining", "ForNextSentencePrediction", "ForCausalLM"
TEACHER = "ForImageClassificationWithTeacher"  # DeiT's, with a distillation classifier
# the language-model classes' suffixes (the builder's model with base=False)
LM_SUFFIXES = ("ForCausalLM", "LMHeadModel", "ForMaskedLM", "ForConditionalGeneration",
               "MTModel")


@record
class Family:
    model_type: str
    defaults: dict[str, Any]
    build: Builder
    aliases: dict[str, str]
    causal: bool  # a task head is an LM head on a decoder (vs. an encoder's)
    base_class: str | None = None  # AutoModel's class for the model_type ('LlamaModel')
    heads: Mapping[str, Head] = field(default_factory=dict)  # class suffix -> head
    prefix: str | None = None  # the classes' name prefix where base_class does not give it
    lm_class: str | None = None  # the LM class where prefix + an LM suffix does not name it
    legacy_types: tuple[str, ...] = ()  # model_type names older configs used ('RefinedWeb')
    # a Llama-shaped decoder's Traits (register_traits), which its builder reads: the tests
    # draw their random configs from them, wherever the family is registered
    traits: Traits | None = None
    # where transformers has no class for the model_type (a remote-code model such as
    # InternLM2): its publisher's modeling code, at a commit, which the builder follows; the
    # tests check such a family against that code's published checkpoints, not transformers
    code: str | None = None

    @property
    def class_prefix(self) -> str | None:
        """'Llama' for LlamaModel: the name every class of the family starts with."""
        if self.prefix is not None:
            return self.prefix
        if self.base_class and self.base_class.endswith("Model"):
            return self.base_class[:-len("Model")]
        return None

    def head(self, arch: str) -> Head | None:
        """The head of a task-head class (by its suffix, the longest first), None if none."""
        for suffix in sorted(self.heads, key=len, reverse=True):
            if arch.endswith(suffix):
                return self.heads[suffix]
        return None

    def is_lm_class(self, arch: str) -> bool:
        return arch == self.lm_class or arch.endswith(LM_SUFFIXES) and self.head(arch) is None

    def classes(self) -> list[str]:
        """The class names nnsize counts natively for this family (transformers' names)."""
        prefix = self.class_prefix
        names = [self.base_class] if self.base_class else []
        names += [self.lm_class] if self.lm_class else []
        return names + ([prefix + s for s in self.heads] if prefix else [])


FAMILIES: dict[str, Family] = {}


def register(model_type: str, defaults: dict[str, Any], causal: bool = True,
             aliases: dict[str, str] | None = None, base_class: str | None = None,
             heads: Mapping[str, Head] | None = None, prefix: str | None = None,
             lm_class: str | None = None, legacy_types: tuple[str, ...] = (),
             traits: Traits | None = None,
             code: str | None = None) -> Callable[[Builder], Builder]:
    """Register a family's builder (as a decorator), with all that nnsize knows of it."""
    def deco(fn: Builder) -> Builder:
        if model_type in FAMILIES:
            raise RuntimeError(f"model_type {model_type!r} registered twice")
        FAMILIES[model_type] = Family(model_type, defaults, fn, aliases or {}, causal,
                                      base_class, dict(heads or {}), prefix, lm_class,
                                      legacy_types, traits, code)
        return fn
    return deco
