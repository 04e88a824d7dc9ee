"""Any architecture transformers knows, for a model_type nnsize has no builder for: the class is
built on the meta device (shapes only, no memory, no weights) and its tensors are listed.

    with torch.device("meta"): model = ModelClass(config)
    named_parameters(remove_duplicate=False)   parameters; a tied one counted once
    persistent named_buffers                   buffers (what a checkpoint stores beside them)

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
from typing import Any

from ..errors import SpecError
from ..model import Report, Row, Tensor, sum_formula
from ..spec import special_floats

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..model.contents import Contents

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
_LAYER = re.compile(r"^(?P<prefix>.*?\.)(?P<i>\d+)\.(?P<rest>.+)$")


def available() -> bool:
    """Whether transformers and torch can be imported (without importing them)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("transformers", "torch"))


def count_with_transformers(data: dict[str, Any], model_type: str, arch: str | None,
                            where: str, base: bool, why: str) -> Report:
    """The report of the class transformers builds from data (arch, or its base model).

    why: what nnsize lacks, for the message when transformers is missing."""
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
        cls = getattr(transformers, arch, None)
        if cls is None:
            raise SpecError(f"{where}: transformers {transformers.__version__} has no class "
                            f"{arch!r} (it needs trust_remote_code, or a newer transformers)")
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

    return child.run(_build, data, model_type, cls, where, memory=BUILD_MEMORY,
                     seconds=BUILD_SECONDS, wall=BUILD_WALL_SECONDS, warm=WARM,
                     what=f"{where}: building the model with transformers")


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
            with torch.device("meta"):
                model = cls(config)
            elapsed_ms = round((time.perf_counter() - start) * 1000)
    except Exception as e:  # transformers' own validation of the config: one line, not a trace
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise SpecError(f"{where}: transformers could not build {cls.__name__} from this config "
                        f"({type(e).__name__}: {first})") from e
    tensors = _tensors(model)
    source = str(data.get("_name_or_path") or cls.__name__)
    rows = _rows(tensors)
    stored: Contents = {"counted_with": f"{cls.__name__} with transformers "
                                              f"{transformers.__version__}",
                              "build_ms": elapsed_ms}
    decoder = None
    if _is_causal_lm(model_type, cls.__name__, config):
        from .fallback_decoder import decoder_of

        try:
            decoder = decoder_of(config, tensors)
        except SpecError as e:  # counted all the same; the planner says why it cannot plan
            stored["planner_refused"] = f"{where}: {e}"
        else:
            rows = [_typed(r) for r in rows]
    return Report(source, "pytorch", (), tuple(rows), stored=stored, decoder=decoder)


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


def _typed(row: Row) -> Row:
    """A decoder's rows as the planner reads them: a lookup table is an embedding (no
    multiplies), the language-model head a head."""
    from ..records import replace

    if row.name == "lm_head":
        return replace(row, type="head")
    if row.tensors and all(t.role == "embedding" and not t.buffer for t in row.tensors):
        return replace(row, type="embedding")
    return row


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
