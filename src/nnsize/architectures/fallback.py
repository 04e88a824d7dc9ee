"""Any architecture transformers knows, for a model_type nnsize has no builder for: the class is
built on the meta device (shapes only, no memory, no weights) and its tensors are listed.

    with torch.device("meta"): model = ModelClass(config)   (at bf16, as from_pretrained)
    named_parameters(remove_duplicate=False)   parameters; a tied one counted once
    persistent named_buffers                   buffers (what a checkpoint stores beside them)
    the gathered keep lists, the tensors       what transformers keeps in fp32 once it loads
    the code creates in float32                it at bf16 or fp16 (stored keeps_fp32)

Exact (it is the model transformers builds), but it needs transformers and torch (the
'transformers' extra), takes as long as building the model's modules does, and never runs a
repo's own code: a config whose model_type only a repo's code defines (trust_remote_code) is
refused.

Whatever a config asks for, whatever its keys are called (Swin V2's depths, Reformer's attn_layers,
num_labels...), the build runs in a child process (child.py) with at most BUILD_MEMORY bytes
of address space and BUILD_SECONDS of CPU (BUILD_WALL_SECONDS of wall time); past either, the
config is refused.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable
from typing import Any

from ..errors import SpecError
from ..model import ONCE_AN_INPUT, Report, Row, Tensor, sum_formula
from ..spec import special_floats

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..model.contents import Contents, KeepsFp32

INSTALL = "pip install 'nnsize[transformers]'"
# transformers builds one module per layer (and, in some families, per expert): past this many,
# the build would take minutes and gigabytes, so such a config is refused before it starts
MAX_REPEATS = 4096
# the child process that builds the model: torch and transformers take about 1 GiB of address
# space before the first module; a real model's modules on the meta device, seconds of CPU (the
# wall clock allows more: a busy machine shares its cores)
BUILD_MEMORY = 3 * 1024**3
BUILD_SECONDS = 10.0
BUILD_WALL_SECONDS = 60.0
# what every build imports, once in the warm parent the builds are forked from (child.py): the
# modules of torch and transformers that every model's module imports (seconds, a minute on a
# busy machine), not a model's own module (each family's, imported by its build)
WARM = ("torch", "transformers", "transformers.modeling_utils", "nnsize.architectures.fallback")
# the keys that count modules: num_hidden_layers, n_layer, decoder_layers, num_local_experts,
# n_routed_experts, num_blocks, num_experts_per_tok...; never a width (_size, _dim), however
# it is named (moe_shared_expert_intermediate_size, block_size)
_COUNT = re.compile(r"(?:^|_)(?:layers?|experts?|blocks?)(?:_per_[a-z]+)?$|"
                    r"^n(?:um)?_.*(?:layer|expert|block)")
_WIDTH = ("_size", "_dim")
_ANY_LAYER = re.compile(r"\.\d+\.")  # a layer's (or expert's) index inside a name
_LAYER = re.compile(r"^(?P<prefix>.*?\.)(?P<i>\d+)\.(?P<rest>.+)$")
# model_type names only a publisher's code defines that transformers reads as a family of its
# own: where such a config is the text_config of a checkpoint transformers builds, it reads it as
# its composite config's sub-config class, whatever its model_type says (create_subconfig looks
# a sub-config's model_type up only where the spec names no class of its own, so that released
# checkpoints with model types transformers lacks still load:
# https://github.com/huggingface/transformers/blob/v5.25.0/src/transformers/configuration_utils.py
# #L248-L256).  MiniMax-M3's checkpoint is minimax_m3_vl with a minimax_m3 text_config, which
# MiniMaxM3VLConfig reads as MiniMaxM3VLTextConfig, model_type minimax_m3_vl_text (its
# sub_configs_defaults, https://github.com/huggingface/transformers/blob/v5.25.0/src/
# transformers/models/minimax_m3_vl/configuration_minimax_m3_vl.py#L183-L188), whose causal LM is
# MiniMaxM3VLForCausalLM.  (A native family's such names are its legacy_types: kimi_k2.)
READ_AS = {"minimax_m3": "minimax_m3_vl_text"}


def available() -> bool:
    """Whether transformers and torch can be imported (without importing them)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("transformers", "torch"))


def count_with_transformers(data: dict[str, Any], model_type: str, arch: str | None,
                            where: str, base: bool, why: str,
                            native: Callable[[dict[str, Any], str], Report | str | None] | None
                            = None,
                            ) -> Report:
    """The report of the class transformers builds from data (arch, or its base model).

    why: what nnsize lacks, for the message when transformers is missing.  native: nnsize's own
    count of a text_config (its base model; None where nnsize has no family for it, its
    builder's message where it refuses it), for a model that generates text through one
    (_native_text_decoder)."""
    if not available():
        raise SpecError(f"{where}: {why}; nnsize counts such models by building them with "
                        f"transformers on the meta device, which needs transformers and torch: "
                        f"{INSTALL}")
    import transformers
    from transformers.models.auto import configuration_auto, modeling_auto

    CONFIG_MAPPING_NAMES = getattr(configuration_auto, "CONFIG_MAPPING_NAMES")  # noqa: B009,N806
    MODEL_MAPPING_NAMES = modeling_auto.MODEL_MAPPING_NAMES  # noqa: N806

    if model_type not in CONFIG_MAPPING_NAMES:
        code = data.get("auto_map")
        how = f" (its auto_map points at {sorted(code.values())[0]!r})" \
            if isinstance(code, dict) and code else ""
        raise SpecError(f"{where}: {why}, nor by transformers {transformers.__version__}: "
                        f"such a model needs trust_remote_code, its repo's own code{how}, and "
                        f"nnsize never runs it")
    _check_sizes(data, where)
    if arch and not base:
        cls = getattr(transformers, arch, None) or _same_head(model_type, arch)
        if cls is None:
            raise SpecError(f"{where}: transformers {transformers.__version__} has no class "
                            f"{arch!r} ({_no_class(model_type, data)})")
    else:
        name = MODEL_MAPPING_NAMES.get(model_type)
        if isinstance(name, (tuple, list)) and name:  # FunnelModel, FunnelBaseModel: as
            name = next((n for n in name if n == arch), name[0])  # AutoModel chooses
        cls = getattr(transformers, name, None) if isinstance(name, str) else None
        if cls is None:
            raise SpecError(f"{where}: transformers has no base model for model_type "
                            f"{model_type!r}; name a class in 'architectures'")
    transformers.CONFIG_MAPPING[model_type]  # imported here: the child shares what is imported
    from .. import child

    report: Report = child.run(_build, data, model_type, cls, where, memory=BUILD_MEMORY,
                               seconds=BUILD_SECONDS, wall=BUILD_WALL_SECONDS, warm=WARM,
                               what=f"{where}: building the model with transformers")
    return report if native is None else _native_text_decoder(report, data, native)


def _native_text_decoder(report: Report, data: dict[str, Any],
                         native_count: Callable[[dict[str, Any], str], Report | str | None]
                         ) -> Report:
    """report, planned from its language model where transformers built a model that generates
    text through one (its text_config) of a family nnsize builds (Qwen3-VL-30B-A3B's
    qwen3_vl_moe_text: experts and routing the planner reads only for nnsize's own families):
    the text_config counted by nnsize as its base model, which must hold exactly the
    language_model.* tensors transformers built, else report as it was."""
    text = data.get("text_config")
    if report.decoder is not None or not isinstance(text, dict) or \
            "language_model." not in "".join(t.name for r in report.rows for t in r.tensors):
        return report
    import transformers

    try:  # the text config's model_type as transformers reads it (Kimi-K2.5's kimi_k2 is
        with warnings.catch_warnings():  # deepseek_v3 to Kimi_K25Config)
            warnings.simplefilter("ignore")
            config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict(
                special_floats({k: v for k, v in data.items() if k != "auto_map"}))
        kind = config.get_text_config(decoder=True).model_type
    except Exception:  # noqa: BLE001 (built once already: the child's error stands)
        return report
    if not isinstance(kind, str):
        return report
    native = native_count({**{k: v for k, v in text.items() if k != "architectures"},
                           "model_type": kind}, kind)
    from ..records import replace

    if isinstance(native, str):  # nnsize's builder refused the language model: its reason,
        # which names the value, is why the plan cannot be made (not the fallback planner's)
        refused = report.stored.get("planner_refused")
        return report if refused is None else \
            replace(report, stored={**report.stored, "planner_refused": native})
    if native is None:
        return report
    built = sum(t.numel for r in report.rows for t in r.tensors
                if "language_model." in t.name and not t.buffer and not t.shared_with)
    if native.decoder is None or native.total_params != built:
        return report
    # the language model's rows become nnsize's own, their tensors under transformers' names
    # (model.language_model.*): the experts' rows say how many parameters a token uses
    first = next(t.name for r in report.rows for t in r.tensors if "language_model." in t.name)
    prefix = first[:first.index("language_model.") + len("language_model.")]
    rows: list[Row] = []
    for row in report.rows:
        inside = [t.name.startswith(prefix) for t in row.tensors]
        if any(inside) and not all(inside):
            return report
        if not any(inside):
            rows.append(_typed(row))
        elif not any(r.name.startswith(prefix) for r in rows):
            rows += [replace(r, name=prefix + r.name, qualified=True,
                             tensors=tuple(t.prefixed(prefix) for t in r.tensors))
                     for r in native.rows]
    stored = {k: v for k, v in report.stored.items() if k != "planner_refused"}
    stored["planned_as"] = f"its text_config, {kind}, as nnsize builds it"
    return replace(report, rows=tuple(rows), decoder=native.decoder, stored=stored)


def _no_class(model_type: str, data: dict[str, Any]) -> str:
    """Why transformers has no class of a name for model_type: where its model_type is a model
    whose language model is its text_config and the file has none (Step-3.7-Flash's keys as a
    step3p7 file's own, a config its config class does not read), that; else, that the class is
    a repo's own, or a newer transformers'."""
    import transformers
    from transformers.models.auto import modeling_auto

    config_class = transformers.CONFIG_MAPPING[model_type]
    text = getattr(config_class, "sub_configs", {}).get("text_config")
    if text is None or "text_config" in data:
        return "it needs trust_remote_code, or a newer transformers"
    names = sorted({name for table in dir(modeling_auto)
                    if table.startswith("MODEL_") and table.endswith("_MAPPING_NAMES")
                    for name in [getattr(modeling_auto, table).get(model_type)
                                 if isinstance(getattr(modeling_auto, table), dict) else None]
                    if isinstance(name, str)})
    return (f"its {model_type} is {' and '.join(names)}, a model whose language model is "
            f"its text_config ({text.__name__}), which this file lacks: "
            f"{config_class.__name__} does not read a language model's keys at its top level")


def _same_head(model_type: str, arch: str) -> Any:
    """transformers' class for model_type with arch's head, where a published file names its
    repo's own spelling of a class transformers has under its own name (Kimi-K2.5's
    KimiK25ForConditionalGeneration is transformers' Kimi_K25ForConditionalGeneration): the one
    class of model_type's in transformers' auto tables whose name ends as arch's does (from
    'For'), else None."""
    import transformers
    from transformers.models.auto import modeling_auto

    head = arch[arch.find("For"):] if "For" in arch else ""
    if not head:
        return None
    names = {name for table in dir(modeling_auto) if table.endswith("_MAPPING_NAMES")
             for name in [getattr(modeling_auto, table).get(model_type)
                          if isinstance(getattr(modeling_auto, table), dict) else None]
             if isinstance(name, str) and name.endswith(head)}
    return getattr(transformers, names.pop(), None) if len(names) == 1 else None


def _build(data: dict[str, Any], model_type: str, cls: Any, where: str) -> Report:
    """The model cls built from data and listed: count_with_transformers' work in the child."""
    import torch
    import transformers

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config = transformers.CONFIG_MAPPING[model_type].from_dict(
                special_floats({k: v for k, v in data.items() if k not in ("auto_map",)}))
            start = time.perf_counter()
            default = torch.get_default_dtype()
            torch.set_default_dtype(torch.bfloat16)  # as from_pretrained builds it at bf16:
            try:  # what the code creates in float32 stays float32 (_keeps_fp32)
                with torch.device("meta"):
                    model = cls(config)
            finally:
                torch.set_default_dtype(default)
            elapsed_ms = round((time.perf_counter() - start) * 1000)
    except Exception as e:  # transformers' own validation of the config: one line, not a trace
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise SpecError(f"{where}: transformers could not build {cls.__name__} from this config "
                        f"({type(e).__name__}: {first})") from e
    tensors = _tensors(model)
    source = str(data.get("_name_or_path") or cls.__name__)
    once = _once_an_input(model, config)
    rows = [_component(r, once) for r in _rows(tensors)]
    stored: Contents = {"counted_with": f"{cls.__name__} with transformers "
                                              f"{transformers.__version__}",
                              "build_ms": elapsed_ms}
    keeps = _keeps_fp32(model)
    if keeps is not None:
        stored["keeps_fp32"] = keeps
    decoder = None
    planned = _planned(model_type, cls.__name__, config, tensors)
    if planned is not None:
        from .fallback_decoder import decoder_of, expert_rows

        try:
            decoder = decoder_of(*planned)
        except SpecError as e:  # counted all the same; the planner says why it cannot plan
            stored["planner_refused"] = f"{where}: {e}"
        else:  # a mixture of experts' routed and shared experts in rows of their own
            rows = expert_rows(planned[0], [_typed(r) for r in rows])
    return Report(source, "pytorch", (), tuple(rows), stored=stored, decoder=decoder)


def _planned(model_type: str, cls_name: str, config: Any,
             tensors: list[Tensor]) -> tuple[Any, list[Tensor], Any] | None:
    """The config and tensors the planner reads, and the whole model's config where they are
    its language model's (else None), or None for a model it does not plan: a
    decoder-only language model's own, or, for a model that generates text from images (or
    audio) through a language model of its own (its text_config: Qwen3-VL, Gemma 4, Llama 3.2
    Vision), that language model's config and its tensors (language_model.*), whose keys and
    values are the cache the model keeps."""
    from transformers.models.auto import modeling_auto

    text = config.get_text_config(decoder=True) if hasattr(config, "get_text_config") \
        else config
    if text is config:
        return (config, tensors, None) if _is_causal_lm(model_type, cls_name, config) else None
    generates = any(model_type in getattr(modeling_auto, table, {}) for table in _GENERATES)
    if not generates or getattr(text, "is_encoder_decoder", False):
        return None
    return text, [t for t in tensors if "language_model." in t.name], config


# transformers' tables of the models that generate text (a language model inside)
_GENERATES = ("MODEL_FOR_CAUSAL_LM_MAPPING_NAMES", "MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES",
              "MODEL_FOR_MULTIMODAL_LM_MAPPING_NAMES", "MODEL_FOR_VISION_2_SEQ_MAPPING_NAMES")


def _is_causal_lm(model_type: str, cls_name: str, config: Any) -> bool:
    """A decoder-only language model: the planner's KV cache and compute apply to it."""
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_MAPPING_NAMES,
    )

    return model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and \
        not getattr(config, "is_encoder_decoder", False) and \
        (cls_name == MODEL_FOR_CAUSAL_LM_MAPPING_NAMES[model_type]
         or cls_name == MODEL_MAPPING_NAMES.get(model_type))


def _once_an_input(model: Any, config: Any) -> dict[str, str]:
    """The module prefixes of a model that generates text from images (or audio) that run once
    an image (or clip), not once a text token, and their component: "vision", "audio", or
    "multimodal" where the rule cannot tell which; {} for any other model.

    One rule, from what transformers says of the model: its language model is
    get_decoder() and its head get_output_embeddings() (PreTrainedModel's own lookups); every
    other top-level module of the base model is outside a text-only forward.  Those inside
    get_encoder(modality="image") are the vision tower ("vision"), inside
    get_encoder(modality="audio") the audio tower ("audio"); the rest (Llama 3.2 Vision's
    multi_modal_projector, Gemma 4's embed_vision) map an encoder's output into the language
    model: "vision" where the model has no audio tower, else "multimodal" (both run once an
    input; which tower feeds it is not something transformers says).
    transformers 5.25.0: src/transformers/modeling_utils.py, PreTrainedModel.get_encoder and
    get_decoder, EmbeddingAccessMixin.get_output_embeddings (PreTrainedModel inherits it)."""
    get_text = getattr(config, "get_text_config", None)
    if get_text is None or get_text(decoder=True) is config:
        return {}
    names = {id(m): n for n, m in model.named_modules()}
    decoder = names.get(id(model.get_decoder()))
    if not decoder:  # no language model of its own that transformers can point at
        return {}
    text = {decoder}
    head = model.get_output_embeddings()
    if head is not None and names.get(id(head)):
        text.add(names[id(head)])
    towers: dict[str, str] = {}
    for modality, component in (("image", "vision"), ("audio", "audio")):
        name = names.get(id(model.get_encoder(modality=modality)))
        if name and name not in text and id(model.get_encoder(modality=modality)) not in \
                (id(model), id(model.base_model)):
            towers[name] = component
    if "vision" not in towers.values():
        return {}
    rest = "multimodal" if "audio" in towers.values() else "vision"
    base = names.get(id(model.base_model), "")
    once = dict(towers)
    for child, module in model.base_model.named_children():
        name = f"{base}.{child}" if base else child
        if name not in text and name not in towers and \
                any(True for _ in module.parameters()):
            once[name] = rest
    return once


def _component(row: Row, once: dict[str, str]) -> Row:
    """row, of the component its module runs as (_once_an_input: "vision" for a vision tower
    and its projector, as nnsize's own builders type them), else as it was."""
    from ..records import replace

    for prefix, component in once.items():
        if row.tensors and all(t.name.startswith(prefix + ".") for t in row.tensors):
            return replace(row, type=component)
    return row


def _typed(row: Row) -> Row:
    """A decoder's rows as the planner reads them: a lookup table is an embedding (no
    multiplies), the language-model head a head; a row of an image or audio tower keeps its
    component (_component)."""
    from ..records import replace

    if row.type in ONCE_AN_INPUT:
        return row
    if row.name == "lm_head":
        return replace(row, type="head")
    if row.tensors and all(t.role == "embedding" and not t.buffer for t in row.tensors):
        return replace(row, type="embedding")
    return row


def _keeps_fp32(model: Any) -> KeepsFp32 | None:
    """What from_pretrained keeps in float32 of the model built at bf16 (None where nothing):
    the lists post_init gathered from the model and its children (_keep_in_fp32_modules_strict,
    kept at bf16 and fp16; _keep_in_fp32_modules, at fp16 only), which _get_dtype_plan makes its
    dtype plan, and the parameters and saved buffers the code created in float32, which the
    loader keeps so ("empty_param.dtype != _dtype"; transformers 5.25.0
    src/transformers/modeling_utils.py PreTrainedModel.post_init and _get_dtype_plan,
    src/transformers/core_model_loading.py).  Those created are named by patterns as the lists
    are (model.contents.kept_in_fp32): a layer's index as "*" where every layer's tensor of that
    name was created so, else the tensor's own name."""
    import torch

    from ..model.contents import kept_in_fp32

    strict = sorted(getattr(model, "_keep_in_fp32_modules_strict", None) or ())
    fp16 = sorted(set(getattr(model, "_keep_in_fp32_modules", None) or ()) - set(strict))
    saved = model.state_dict(keep_vars=True)
    created = {n for n, t in saved.items()
               if t.dtype == torch.float32 and not kept_in_fp32(strict, n)}
    patterns: list[str] = []
    for general in sorted({_ANY_LAYER.sub(".*.", n) for n in created}):
        same = sorted(n for n in created if _ANY_LAYER.sub(".*.", n) == general)
        for pattern in [general] if len(same) > 1 else same:
            if {n for n in saved if kept_in_fp32((pattern,), n)} <= created:
                patterns.append(pattern)
                break
        else:  # no layer index to generalize, or a layer of that name not created so
            patterns += [re.escape(n) for n in same]
    if not (strict or fp16 or patterns):
        return None
    return {"strict": strict, "fp16": fp16, "created": patterns}


def _check_sizes(data: Any, where: str, path: str = "") -> None:
    """Refuse counts of layers, experts or blocks past MAX_REPEATS, sub-configs included."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if isinstance(value, dict):
            _check_sizes(value, where, f"{path}{key}.")
        elif isinstance(value, int) and not isinstance(value, bool) and value > MAX_REPEATS \
                and _COUNT.search(key) and not key.endswith(_WIDTH):
            raise SpecError(f"{where}: {path}{key} = {value:,}: transformers would build that "
                            f"many modules one by one; nnsize builds at most {MAX_REPEATS:,} "
                            f"that way")


def _tensors(model: Any) -> list[Tensor]:
    from ..importers.tensors import _role

    out: list[Tensor] = []
    first: dict[int, str] = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        shared = first.setdefault(id(p), name)
        out.append(Tensor(name, tuple(p.shape), _role(name), bool(p.requires_grad),
                          shared_with=shared if shared != name else ""))
    persistent = set(model.state_dict(keep_vars=True))
    for name, b in model.named_buffers():
        if name in persistent:
            role = "statistic" if name.endswith(("running_mean", "running_var",
                                                 "num_batches_tracked")) else "other"
            out.append(Tensor(name, tuple(b.shape), role, buffer=True))
    return out


def _rows(tensors: list[Tensor]) -> list[Row]:
    """One row per module group (a layer, the embeddings...), runs of identical layers merged
    into one row whose tensor names hold {i}."""
    groups: list[tuple[str, int | None, list[Tensor]]] = []  # (prefix, layer index, tensors)
    for t in tensors:
        m = _LAYER.match(t.name)
        key = (m["prefix"], int(m["i"])) if m else (_top(t.name), None)
        if groups and groups[-1][:2] == key:
            groups[-1][2].append(t)
        else:
            groups.append((key[0], key[1], [t]))
    rows: list[Row] = []
    k = 0
    while k < len(groups):
        prefix, index, ts = groups[k]
        end = k + 1
        if index is not None and not any(t.shared_with for t in ts):  # tied: a row each
            sig = _signature(prefix, index, ts)
            while end < len(groups) and groups[end][0] == prefix and groups[end][1] == \
                    index + (end - k) and _signature(prefix, index + (end - k),
                                                     groups[end][2]) == sig:
                end += 1
        if index is not None and end - k > 1:
            named = [Tensor(f"{prefix}{{i}}." + t.name[len(f"{prefix}{index}."):], t.shape,
                            t.role, t.trainable, t.buffer, (), end - k, "", index) for t in ts]
            label = f"{prefix}{index}-{index + end - k - 1}"
        else:
            named = ts
            label = f"{prefix}{index}" if index is not None else prefix
        rows.append(Row(name=label, label=label, type="transformers", input_shape=(),
                        output_shape=(), tensors=tuple(named), macs_each=0,
                        formula=sum_formula(named), index=len(rows), qualified=True))
        k = end
    return rows


def _top(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:-1]) or name


def _signature(prefix: str, index: int, ts: list[Tensor]) -> tuple[object, ...]:
    cut = len(f"{prefix}{index}.")
    return tuple((t.name[cut:], t.shape, t.role, t.buffer, bool(t.shared_with)) for t in ts)
