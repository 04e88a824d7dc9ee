"""Models built from Hugging Face config.json files, family by family (model_type), and presets.

A new family is a builder registered once, with @register(model_type, defaults, base_class=...,
heads=...) in one of the modules listed in MODULES (registry.py says what a registration holds);
it returns an Assembly of rows named as transformers names the tensors.
"""

from __future__ import annotations

from ..errors import SpecError, shown, suggest
from ..lazy import load
from ..model import Report
from .config import Config
from .registry import FAMILIES, Family

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MODULES = ("decoder", "decoder_families", "gpt", "gpt_more", "encoder", "bert_like", "t5",
           "seq2seq", "whisper", "audio", "vision", "mamba", "jamba", "hybrid", "zamba",
           "lfm2", "nemotron_nas", "qwen3_next", "gemma3n", "gemma4", "multimodal", "qwen_vl",
           "vision_more", "audio_more", "vlm", "sam", "seamless", "esm", "mllama")
_loaded = False


def families() -> dict[str, Family]:
    """Every native family: all of MODULES imported."""
    global _loaded
    if not _loaded:
        for module in MODULES:
            load(f"{__name__}.{module}")
        _loaded = True
    return FAMILIES


def family_of(model_type: str) -> Family | None:
    """The family registered as model_type, importing MODULES in order only until one
    registers it (a Llama config loads the decoder modules, not the 28); None: no such family
    (then every module has been imported)."""
    for module in MODULES:
        if model_type in FAMILIES:
            break
        load(f"{__name__}.{module}")
    return FAMILIES.get(model_type)


MULTIMODAL_KEYS = ("text_config", "vision_config", "audio_config")


def base_class(model_type: str) -> str | None:
    """AutoModel's class for a native family, as its registration names it."""
    family = families().get(model_type)
    return family.base_class if family else None


def model_type_of(arch: str) -> str | None:
    """The native family whose class arch is, for a config without a model_type: the family
    that names the class itself (Gemma3ForCausalLM: gemma3_text), else the one whose class
    prefix (from its base class: Albert for AlbertModel) starts arch, the longest first."""
    named = [f.model_type for f in families().values() if arch in f.classes()]
    if len(named) == 1:
        return named[0]
    prefixes = {f.class_prefix: f.model_type for f in families().values() if f.class_prefix}
    for prefix in sorted(prefixes, key=len, reverse=True):
        if arch.startswith(prefix) and arch[len(prefix):len(prefix) + 1].isupper():
            return prefixes[prefix]
    return None


def _model_type(data: dict[str, Any], arch: str | None, where: str) -> str:
    model_type = data.get("model_type")
    if isinstance(model_type, str):
        if any(isinstance(data.get(k), dict) for k in MULTIMODAL_KEYS):
            return model_type  # gemma3 with a text_config is the multimodal model, not its text
        # the modules up to the family's own (a legacy name that is also a family's, gemma3
        # for gemma3_text, is registered as legacy in an earlier module: tests/test_tables.py)
        known = family_of(model_type) is not None
        loaded = FAMILIES if known else families()
        legacy = {old: f.model_type for f in loaded.values() for old in f.legacy_types}
        if known or model_type in legacy:
            return legacy.get(model_type, model_type)
        from .fallback import READ_AS  # a name transformers reads as a family nnsize lacks

        return READ_AS.get(model_type, model_type)
    derived = model_type_of(arch) if arch else None
    if derived:
        return derived
    told = f"and its class {arch} is no native family's" if arch else \
        "and no architecture class to tell it from"
    raise SpecError(f"{where}: missing 'model_type' (such as 'llama'), {told}; supported: "
                    f"{', '.join(sorted(families()))}")


def looks_like_config(data: Any) -> bool:
    """A Hugging Face config.json rather than a layer spec."""
    return isinstance(data, dict) and "layers" not in data and (
        "model_type" in data or "architectures" in data)


def count_config(data: Any, where: str = "config.json", base: bool = False,
                 fallback: bool = True) -> Report:
    """The report of the model this config builds (_count_config), with the model's own longest
    context (nnsize.limits) where the config names one."""
    report = _count_config(data, where, base, fallback)
    from ..limits import context_limit
    from ..records import replace

    limit = context_limit(data) if report.decoder is not None else None
    if limit:
        report = replace(report, stored={**report.stored,
                                         "context_limit": {"tokens": limit[0], "from": limit[1]}})
    if isinstance(data, dict):  # the family's default attention; a step traced (no decoder)
        report = replace(report, traceable=("config", data))
    return report


def _count_config(data: Any, where: str = "config.json", base: bool = False,
                  fallback: bool = True) -> Report:
    """The report of the model transformers would build from this config dict: the class named
    first in "architectures", or the base model (AutoModel) without one or with base=True.

    fallback: count what nnsize has no builder for by building it with transformers on the meta
    device (False: refuse it, as a server that must answer quickly does)."""
    if not isinstance(data, dict):
        raise SpecError(f"{where}: a config.json is a JSON object, got {type(data).__name__}")
    archs = data.get("architectures")
    arch = archs[0] if isinstance(archs, list) and archs and isinstance(archs[0], str) else None
    if arch == "RWForCausalLM":  # Falcon's first, remote-code class name
        arch = "FalconForCausalLM"
    model_type = _model_type(data, arch, where)
    family = family_of(model_type)
    multimodal = [k for k in MULTIMODAL_KEYS if isinstance(data.get(k), dict)]
    if family is None:
        named = data.get("model_type")
        read = shown(model_type) if named == model_type else \
            f"{shown(named)}, which transformers reads as {shown(model_type)},"
        why = (f"model_type {read} is a multimodal model "
               f"({', '.join(multimodal)}), which nnsize has no builder for" if multimodal else
               f"model_type {read} is not supported"
               f"{suggest(model_type, list(families())) if named == model_type else ''} by "
               f"nnsize's builders (they build "
               f"{len(families())} model types, listed in docs/models.md)")
        # a model_type transformers reads as another (fallback.READ_AS): built, and planned,
        # as that one
        return _fallback({**data, "model_type": model_type}, model_type, arch, where, base,
                         why, fallback)
    name = str(data.get("_name_or_path") or arch or model_type)
    config = Config(data, model_type, family.defaults, family.aliases, where)
    head = family.head(arch) if arch and not base else None
    if arch is None or arch == family.base_class:
        base = True  # no class named: the base model of the model_type, as AutoModel builds it
    elif head is not None:
        from .heads import WITH_LM_HEAD, build_head, labels

        lm = family.build(model_type, config, name, False) if head[1] in WITH_LM_HEAD else None
        return _built_from(family, build_head(
            model_type, config, family.build(model_type, config, name, True), arch,
            labels(config), lm).report())
    elif not base and not family.is_lm_class(arch):
        why = _not_built(family, arch)
        try:
            return _fallback(data, model_type, arch, where, base, why, fallback)
        except SpecError as e:  # transformers could not build it either: say what nnsize knows
            if why in str(e):
                raise
            raise SpecError(f"{e}; {why}") from e
    return _built_from(family, family.build(model_type, config, name, base).report())


def _built_from(family: Family, report: Report) -> Report:
    """The report, saying whose code its family follows where transformers has no class for it
    (Family.code: a count is then the publisher's model, not one transformers checks)."""
    if family.code is None:
        return report
    from ..records import replace

    return replace(report, stored={**report.stored, "built_from": family.code})


def _not_built(family: Family, arch: str) -> str:
    """Why arch is not counted natively under family, and what to do."""
    owner = model_type_of(arch)
    if owner and owner != family.model_type and owner in families():
        return (f"{arch} is a {owner} class, but the config says model_type "
                f"{shown(family.model_type)} (set model_type to {shown(owner)} to count it as "
                f"{owner}, or name a {family.model_type} class in 'architectures')")
    return (f"{arch} is not a class nnsize builds for {family.model_type} (it builds "
            f"{', '.join(family.classes()) or 'its language-model class'}; --base counts the "
            f"base model)")


def _fallback(data: dict[str, Any], model_type: str, arch: str | None, where: str, base: bool,
              why: str, allowed: bool) -> Report:
    from .fallback import count_with_transformers

    if not allowed:
        raise SpecError(f"{where}: {why}; here only those are counted (the command line and "
                        f"the library count others by building them with transformers)")
    def native(text: dict[str, Any], kind: str) -> Report | str | None:
        """nnsize's own count of a text_config (its base model), where it has its family; its
        refusal's message where it refuses it (a value it does not model names itself)."""
        if family_of(kind) is None:
            return None
        try:
            return _count_config(text, f"{where}: text_config", base=True, fallback=False)
        except SpecError as e:
            return str(e)

    return count_with_transformers(data, model_type, arch, where, base, why, native)
