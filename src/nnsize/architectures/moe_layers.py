"""Which layers of a decoder are mixtures of experts, by the family's rule (Moe.layers), and
the layers where that answer may change."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import SpecError
from ..records import replace
from .config import Config
from .decoder_dims import Dims
from .traits import Moe, Traits


def is_sparse(m: Moe, c: Config, i: int, layers: int) -> bool:
    """Whether layer i's feed-forward block is the mixture of experts."""
    if m.layers == "sparse_step":
        n, step = c.int(m.experts, least=0), c.int("decoder_sparse_step")
        return i not in _mlp_only(c) and n > 0 and (i + 1) % step == 0
    if m.layers == "first_dense":  # GLM-4 MoE Lite's mlp_layer_types when left out
        return i >= 1
    if m.layers == "range":  # ERNIE 4.5: an end of -1 is the last layer
        start, end = c.int("moe_layer_start_index", least=0), _range_end(c, layers)
        return start <= i <= end and (i + 1) % c.int("moe_layer_interval") == 0
    if m.layers == "first_k_dense":
        return i >= c.int("first_k_dense_replace", least=0)
    if m.layers == "interleave":  # Llama 4: moe_layers, else every step-th layer
        listed = c.value("moe_layers", None)
        if listed is not None:
            return i in c.int_set("moe_layers")
        step = c.int("interleave_moe_layer_step", least=0)
        return step > 0 and i % step == step - 1
    if m.layers == "types":
        types = c.value("mlp_layer_types", None)
        if types is None:
            return is_sparse(replace(m, layers=m.types_else), c, i, layers)
        if not isinstance(types, list) or len(types) != layers or \
                not set(types) <= {"sparse", "dense"}:
            raise SpecError(f"{c.where}: mlp_layer_types must list 'sparse' or 'dense' for each "
                            f"of the {layers} layers, got {types!r}")
        return bool(types[i] == "sparse")
    return True


def _mlp_only(c: Config) -> frozenset[int]:
    """Qwen's dense layers among the sparse ones; null is none (Qwen3-VL-MoE's default)."""
    return frozenset() if c.value("mlp_only_layers", None) is None else \
        c.int_set("mlp_only_layers")


def _range_end(c: Config, layers: int) -> int:
    end = c.value("moe_layer_end_index")
    return layers - 1 if end == -1 else c.int("moe_layer_end_index", least=0)


def starts(t: Traits, c: Config, d: Dims) -> Iterator[int]:
    """The layers where is_sparse's answer may change from the layer before (Assembly.stack)."""
    yield 0
    m = t.moe
    if m is None:
        return
    rule = m.layers
    if rule == "types" and c.value("mlp_layer_types", None) is None:
        rule = m.types_else
    if rule == "sparse_step":
        for i in _mlp_only(c):
            yield from (i, i + 1)
        step = c.int("decoder_sparse_step")
        if step > 1:
            for i in range(step - 1, d.layers, step):
                yield from (i, i + 1)
    elif rule == "first_k_dense":
        yield c.int("first_k_dense_replace", least=0)
    elif rule == "first_dense":
        yield 1
    elif rule == "range":
        yield from (c.int("moe_layer_start_index", least=0), _range_end(c, d.layers) + 1)
        step = c.int("moe_layer_interval")
        if step > 1:
            for i in range(step - 1, d.layers, step):
                yield from (i, i + 1)
    elif rule == "types":  # a list as long as the model: every layer may differ
        yield from range(1, d.layers)
    elif rule == "interleave":
        listed = c.value("moe_layers", None)
        if listed is not None:
            for i in c.ints("moe_layers"):
                yield from (i, i + 1)
        else:
            step = c.int("interleave_moe_layer_step", least=0)
            if step > 1:
                for i in range(step - 1, d.layers, step):
                    yield from (i, i + 1)


def experts_per_token(m: Moe, c: Config) -> int:
    return c.int(m.top_k, None) or 1
