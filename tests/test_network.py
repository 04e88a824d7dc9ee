from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import nnsize
from nnsize.errors import SpecError


def spec(*layers: dict[str, Any], x: list[int] | None = None) -> dict[str, Any]:
    return {"input_shape": x or [3, 32, 32], "layers": list(layers)}


def test_a_small_cnn_against_pytorch() -> None:
    report = nnsize.count(spec(
        {"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
        {"type": "BatchNorm2d"}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "Conv2d", "out_channels": 32, "kernel_size": 3, "stride": 2},
        {"type": "AdaptiveAvgPool2d", "output_size": 1}, {"type": "Flatten"},
        {"type": "Dropout", "p": 0.2}, {"type": "Linear", "out_features": 10}))
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, stride=2),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
                          nn.Linear(32, 10))
    assert {n: t.shape for n, t in report.named_tensors() if not t.buffer} == \
        {n: tuple(p.shape) for n, p in model.named_parameters()}
    assert {n: t.shape for n, t in report.named_tensors() if t.buffer} == \
        {n: tuple(b.shape) for n, b in model.named_buffers()}
    assert report.total_params == sum(p.numel() for p in model.parameters())
    assert tuple(model(torch.zeros(1, 3, 32, 32)).shape[1:]) == report.output_shape


def test_repeat_of_a_group_is_multiplied_and_named_as_torch_names_it() -> None:
    block = {"layers": [{"type": "Linear", "out_features": 8}, {"type": "ReLU"}], "repeat": 4}
    report = nnsize.count(spec(block, {"type": "Linear", "out_features": 2}, x=[5]))
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), *[m for _ in range(3) for m in
                                                        (nn.Linear(8, 8), nn.ReLU())],
                          nn.Linear(8, 2))
    assert {n: t.shape for n, t in report.named_tensors()} == \
        {n: tuple(p.shape) for n, p in model.named_parameters()}
    # 5 x 8 + 8 = 48, then 3 x (8 x 8 + 8) = 216, then 8 x 2 + 2 = 18
    assert report.total_params == 48 + 216 + 18


def test_nested_repeats() -> None:
    inner = {"layers": [{"type": "Linear", "out_features": 4}], "repeat": 3}
    report = nnsize.count(spec({"layers": [inner, {"type": "ReLU"}], "repeat": 5}, x=[4]))
    # 15 Linear(4, 4) layers of 20 parameters
    assert report.total_params == 15 * 20
    model = nn.Sequential(*[m for _ in range(5) for m in
                            (nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4), nn.ReLU())])
    assert {n: t.shape for n, t in report.named_tensors()} == \
        {n: tuple(p.shape) for n, p in model.named_parameters()}


def test_a_billion_repeats_of_a_block() -> None:
    report = nnsize.count(spec({"layers": [{"type": "Linear", "out_features": 64},
                                           {"type": "LayerNorm"}], "repeat": 10**9}, x=[64]))
    assert report.total_params == 10**9 * (64 * 64 + 64 + 2 * 64)
    assert len(report.rows) == 2


def test_frozen_layers_are_non_trainable() -> None:
    report = nnsize.count(spec({"type": "Linear", "out_features": 4, "trainable": False},
                               {"type": "Linear", "out_features": 2}, x=[3]))
    assert report.non_trainable_params == 3 * 4 + 4
    assert report.trainable_params == 4 * 2 + 2
    assert report.weights == 8 and report.biases == 2


def test_changing_shapes_repeat_until_they_settle() -> None:
    # stride-2 convolutions halve 32 -> 16 -> 8 -> 4 -> 2 -> 1: five of them fit, a sixth does not
    layer = {"type": "Conv2d", "out_channels": 3, "kernel_size": 1, "stride": 2}
    assert nnsize.count(spec({**layer, "repeat": 6})).output_shape == (3, 1, 1)
    with pytest.raises(SpecError, match=r"layers\[0\] \(Conv2d\)"):
        nnsize.count(spec({**layer, "kernel_size": 3, "repeat": 6}))


@pytest.mark.parametrize("bad, message", [
    ({"layers": []}, "no 'input_shape'"),
    ({"input_shape": [3], "layers": []}, "non-empty list"),
    ({"input_shape": [0], "layers": [{"type": "ReLU"}]}, "input_shape: expected"),
    ({"input_shape": [3], "layers": [{"type": "Lineer", "out_features": 2}]},
     "unknown layer type 'Lineer' \\(did you mean 'Linear'\\?\\)"),
    ({"input_shape": [3], "layers": [{"type": "Linear", "out_feature": 2}]},
     "layers\\[0\\] \\(Linear\\): Linear has no argument 'out_feature' "
     "\\(did you mean 'out_features'\\?\\)"),
    ({"input_shape": [3], "layers": [{"type": "Linear"}]}, "needs the argument 'out_features'"),
    ({"input_shape": [3], "layers": [{"type": "Linear", "out_features": 2.5}]},
     "out_features: expected a positive integer, got 2.5"),
    ({"input_shape": [3], "layers": [{"type": "ReLU"}, {"type": "Linear", "in_features": 4,
                                                         "out_features": 2}]},
     "layers\\[1\\] \\(Linear\\): in_features=4 does not fit the incoming shape \\[3\\]"),
    ({"input_shape": [3], "layers": [{"out_features": 2}]}, "needs a 'type'"),
    ({"input_shape": [3], "layers": [{"type": "ReLU", "repeat": 0}]}, "repeat: expected"),
    ({"input_shape": [3], "layers": "Linear"}, "non-empty list"),
    ({"input_shape": [3], "layers": [{"layers": [], "repeat": 2}]}, "non-empty list"),
    ([1, 2], "cannot count a list"),
    ({"input_shape": [3], "layers": [{"type": "Linear", "out_features": 2}], "extra": 1},
     "unknown top-level key 'extra'"),
])
def test_bad_specs_name_what_and_where(bad: Any, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        nnsize.count(bad)


def test_deep_nesting_is_refused_cleanly() -> None:
    entry: dict[str, Any] = {"type": "ReLU"}
    for _ in range(5000):
        entry = {"layers": [entry]}
    with pytest.raises(SpecError, match="too deeply"):
        nnsize.count({"input_shape": [3], "layers": [entry]})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**20) | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "layers", "repeat", "out_features", "kernel_size",
                         "in_features", "padding", "stride", "trainable", "num_heads",
                         "hidden_size", "name"]), inner, max_size=4),
    max_leaves=12)
layer_types = st.sampled_from(sorted(__import__("nnsize.layers", fromlist=["x"]).known_types()))


@settings(max_examples=300, deadline=None)
@given(x=st.lists(st.integers(-1, 6), max_size=4) | json_values,
       layers=st.lists(st.fixed_dictionaries({"type": layer_types},
                                             optional={"out_features": json_values,
                                                       "kernel_size": json_values,
                                                       "num_heads": json_values,
                                                       "hidden_size": json_values,
                                                       "repeat": json_values}), max_size=3)
       | json_values)
def test_any_json_gives_a_report_or_a_spec_error(x: Any, layers: Any) -> None:
    try:
        nnsize.count({"input_shape": x, "layers": layers})
    except SpecError:
        pass
