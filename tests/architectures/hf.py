"""Building the same config with transformers on the meta device, to compare with nnsize."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
# what transformers raises for a config or a model it does not build: a config class's
# validation (a subclass of neither below), a bad value, a key its model reads and the config
# lacks (Llama4Config's pad_token_id), a missing or ill-typed argument; EXAONE 4's config class
# divides by its period, 0 without a sliding window
StrictDataclassError = pytest.importorskip("huggingface_hub.errors").StrictDataclassError
REFUSALS = (StrictDataclassError, ValueError, AttributeError, TypeError, KeyError,
            ZeroDivisionError)


def lm_class(model_type: str) -> str:
    """The language-model class transformers has for a model_type."""
    for names in ("MODEL_FOR_CAUSAL_LM_MAPPING_NAMES", "MODEL_FOR_MASKED_LM_MAPPING_NAMES",
                  "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES"):
        table = getattr(transformers.models.auto.modeling_auto, names)
        if model_type in table:
            return str(table[model_type])
    raise KeyError(model_type)


def _transformers_class(model_type: str, arch: Any) -> Any:
    """The class transformers has for the name in "architectures": a published file's remote-code
    name of a causal LM transformers now has under its own name (Phi-3.5-MoE's
    PhiMoEForCausalLM is transformers' PhimoeForCausalLM) is that model_type's causal-LM class."""
    if arch and not hasattr(transformers, arch) and arch.endswith("ForCausalLM"):
        return lm_class(model_type)
    if arch and not hasattr(transformers, arch) and "For" in arch:
        # Kimi-K2.5's KimiK25ForConditionalGeneration: transformers' Kimi_K25ForConditional-
        # Generation, the one class of its model_type in the auto tables with the same head
        auto = transformers.models.auto.modeling_auto
        head = arch[arch.find("For"):]
        names = {str(t[model_type]) for n in dir(auto) if n.endswith("_MAPPING_NAMES")
                 for t in [getattr(auto, n)] if isinstance(t, dict) and model_type in t
                 and str(t[model_type]).endswith(head)}
        if len(names) == 1:
            return names.pop()
    return arch


def build(config: dict[str, Any], base: bool = False) -> Any:
    """transformers' model for a config dict: the class in "architectures", else the base model
    (AutoModel)."""
    data = dict(config)
    model_type = data.pop("model_type")
    arch = _transformers_class(model_type, (data.pop("architectures", None) or [None])[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[model_type](**data)
        with torch.device("meta"):
            if arch and not base:
                return getattr(transformers, arch)(cfg)
            return transformers.AutoModel.from_config(cfg)


@dataclasses.dataclass(frozen=True)
class Built:
    """What compare reads of a model transformers built: its parameters' names (tied ones
    under each name) with their tied group's first name and shape, its buffers' names and its
    number of parameters (each tied one once)."""

    parameters: dict[str, tuple[str, tuple[int, ...]]]
    buffers: frozenset[str]
    total: int


_BUILT: dict[str, Built | Exception] = {}


def built(config: dict[str, Any], base: bool = False) -> Built:
    """build(config, base), read as compare reads it: each model is built once per session
    (the same config in several tests, or a test's config with transformers' defaults left
    out, builds the same model), and so is each failure to build one."""
    key = _key(config, base)
    if key not in _BUILT:
        try:
            model = build(config, base)
        except REFUSALS as e:  # raised again for each test that asks
            _BUILT[key] = e
        else:
            groups: dict[int, list[str]] = {}
            for name, p in model.named_parameters(remove_duplicate=False):
                groups.setdefault(id(p), []).append(name)
            canonical = {n: min(names) for names in groups.values() for n in names}
            _BUILT[key] = Built(
                {name: (canonical[name], tuple(p.shape))
                 for name, p in model.named_parameters(remove_duplicate=False)},
                frozenset(name for name, _ in model.named_buffers()),
                sum(p.numel() for p in model.parameters()))
    answer = _BUILT[key]
    if isinstance(answer, Exception):
        raise answer
    return answer


def _key(config: dict[str, Any], base: bool) -> str:
    """The model build(config, base) builds: its class and every attribute of its config
    (as to_json_string writes them), else the config as given."""
    import json

    data = dict(config)
    model_type = data.pop("model_type")
    arch = _transformers_class(model_type, (data.pop("architectures", None) or [None])[0])
    cls = "AutoModel" if base or not arch else arch
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text = transformers.CONFIG_MAPPING[model_type](**data).to_json_string(use_diff=False)
    except REFUSALS:  # build raises it again
        text = json.dumps(config, sort_keys=True, default=repr)
    return f"{model_type} {cls} {text}"


def compare(config: dict[str, Any], base: bool = False, fallback: bool = True) -> Any:
    """Assert that nnsize's count of config equals transformers', tensor by tensor (fallback
    False: nnsize's own count, never transformers' own)."""
    from nnsize.architectures import count_config

    model = built(config, base)
    report = count_config(config, base=base, fallback=fallback)
    # tied tensors: one parameter under several names; each name stands for its group
    canonical = {name: first for name, (first, _) in model.parameters.items()}
    ours = {canonical.get(name, name): t.shape for row in report.rows for t in row.tensors
            if not t.buffer and not t.shared_with for name in t.names()}
    theirs = dict(model.parameters.values())
    missing, extra = set(theirs) - set(ours), set(ours) - set(theirs)
    assert not missing and not extra, f"missing {sorted(missing)[:5]}, extra {sorted(extra)[:5]}"
    assert ours == theirs
    assert report.total_params == model.total
    buffers = {name for row in report.rows for t in row.tensors if t.buffer for name in t.names()}
    assert buffers <= model.buffers
    return report


def field_defaults(cls: Any) -> dict[str, Any]:
    """The default of each field of a transformers config class (a dataclass), by field name."""
    return {f.name: f.default for f in dataclasses.fields(cls)}


def assert_defaults_are_transformers_own(family: str) -> None:
    """Assert that each default nnsize fills in for family is its transformers config class's."""
    from nnsize.architectures import families

    theirs = field_defaults(transformers.CONFIG_MAPPING[family])
    for key, value in families()[family].defaults.items():
        assert theirs[key] == value, key


def random_configs_test(families: list[str],
                        config: Callable[[str], st.SearchStrategy[dict[str, Any]]],
                        max_examples: int) -> Callable[..., None]:
    """A test comparing nnsize with transformers on random configs of each family, drawn by
    config(family); assign it to a test_ name in the test module."""
    @pytest.mark.parametrize("family", families)
    @settings(max_examples=max_examples, deadline=None)
    @given(data=st.data())
    def test(family: str, data: st.DataObject) -> None:
        compare(data.draw(config(family)))

    return test


def assert_cache_is_planned(config: dict[str, Any], batch: int = 3, tokens: int = 13) -> None:
    """Assert that the planner's KV cache and state (fp32) equal the bytes transformers' cache
    holds after a forward pass of batch x tokens: attention layers' keys and values (and a
    sparse-attention indexer's keys: DynamicIndexedLayer), and the conv and recurrent states of
    the state-space and linear-attention layers."""
    import nnsize
    from nnsize.memory import kv_cache
    from nnsize.precision import find

    data = {k: v for k, v in config.items() if k not in ("model_type", "architectures")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[config["model_type"]](**data)
        model = transformers.AutoModelForCausalLM.from_config(cfg).eval()
        with torch.no_grad():
            cache = model(torch.randint(0, cfg.vocab_size, (batch, tokens)),
                          use_cache=True).past_key_values
    measured = 0
    for layer in cache.layers:
        for name in ("keys", "values", "indexer_keys", "conv_states", "recurrent_states"):
            held = getattr(layer, name, None)
            for t in (held.values() if isinstance(held, dict) else
                      held if isinstance(held, list) else [held]):
                measured += t.nbytes if isinstance(t, torch.Tensor) else 0
    predicted, _, _ = kv_cache(nnsize.count(config), batch, tokens, find("fp32"))
    assert predicted == measured
