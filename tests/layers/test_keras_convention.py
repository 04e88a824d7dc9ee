"""The Keras spellings against Keras 3 itself: count_params(), the trainable / non-trainable
split, every weight's name and shape, and the output shape.  Shapes are Keras' own: a spec in
Keras spellings is read channels-last (or as data_format / axis say), as Keras reads it.

The strategies draw every form Keras' constructors take (an int or a tuple for sizes, 'same'
and 'valid', None, both data formats, negative axes), not only the forms nnsize first handled."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnsize
from nnsize.errors import NnsizeError, SpecError

keras = pytest.importorskip("keras")

Case = tuple[dict[str, Any], tuple[int, ...]]


def keras_layer(spec: dict[str, Any]) -> Any:
    """The Keras layer a spec spells (wrapped layers built too)."""
    args = {k: v for k, v in spec.items() if k != "type"}
    if "layer" in args:
        args["layer"] = keras_layer(args["layer"])
    return getattr(keras.layers, spec["type"])(**args)


def keras_model(spec: dict[str, Any], x: tuple[int, ...]) -> tuple[Any, Any]:
    layer = keras_layer(spec)
    inputs = keras.Input(x)
    # MultiHeadAttention takes (query, value): in a stack it attends over its own input
    out = layer(inputs, inputs) if spec["type"] == "MultiHeadAttention" else layer(inputs)
    return keras.Model(inputs, out), layer


def their_name(path: str, layer: Any) -> str:
    """A weight's path below its layer, written as nnsize writes it."""
    name = path.split(f"{layer.name}/", 1)[1] if f"{layer.name}/" in path else path
    if hasattr(layer, "layer") and not hasattr(layer, "forward_layer"):  # TimeDistributed
        name = name.split(f"{layer.layer.name}/", 1)[-1]
    name = re.sub(r"(^|/)[a-z_0-9]+_cell/", r"\1", name)  # a recurrent layer's cell
    # Bidirectional: forward_lstm/kernel -> forward.kernel
    return re.sub(r"^(forward|backward)_[a-z_0-9]+/", r"\1.", name)


def compare(spec: dict[str, Any], x: tuple[int, ...]) -> nnsize.Report | None:
    """Build spec in Keras on input x and in nnsize (Keras convention): both refuse it, or both
    count the same parameters, trainable split, weight names and shapes, and output shape."""
    try:
        model, layer = keras_model(spec, x)
        out = tuple(model.output_shape[1:])
        if any(d is not None and d < 1 for d in out):
            raise ValueError(f"empty output {out}")
    except (ValueError, TypeError, RuntimeError, IndexError, AttributeError) as keras_error:
        with pytest.raises(SpecError):
            report = nnsize.count({"input_shape": list(x), "layers": [spec]}, convention="keras")
            pytest.fail(f"Keras refused {spec} on {x} ({keras_error}), nnsize counted "
                        f"{report.total_params}")
        return None
    report = nnsize.count({"input_shape": list(x), "layers": [spec]}, convention="keras")
    assert report.convention == "keras"
    assert report.total_params == model.count_params(), f"{spec} on {x}"
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    assert report.trainable_params == trainable
    assert report.non_trainable_params == model.count_params() - trainable
    ours = sorted((name, t.shape) for t in report.rows[0].tensors for name in t.names())
    theirs = sorted((their_name(w.path, layer), tuple(w.shape)) for w in model.weights)
    assert ours == theirs, f"{spec} on {x}"
    assert report.output_shape == out, f"output shape of {spec} on {x}"
    return report


def size(n: int, values: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    """An int, or a tuple (or list) of n of them, as Keras accepts either."""
    return st.one_of(values, st.tuples(*[values] * n), st.lists(values, min_size=n, max_size=n))


data_format = st.sampled_from([None, "channels_last", "channels_first"])


def spatial_input(draw: st.DrawFn, n: int, c: int, fmt: str | None, low: int = 3,
                  high: int = 7) -> tuple[int, ...]:
    dims = tuple(draw(st.integers(low, high)) for _ in range(n))
    return (c, *dims) if fmt == "channels_first" else (*dims, c)


def with_format(spec: dict[str, Any], fmt: str | None) -> dict[str, Any]:
    return spec if fmt is None else {**spec, "data_format": fmt}


@settings(max_examples=15, deadline=None)
@given(units=st.integers(1, 8), x=st.lists(st.integers(1, 5), min_size=1, max_size=3),
       bias=st.booleans(), activation=st.sampled_from([None, "relu", "softmax"]))
def test_dense(units: int, x: list[int], bias: bool, activation: str | None) -> None:
    # Dense reads the last axis, whatever the rank
    compare({"type": "Dense", "units": units, "use_bias": bias, "activation": activation},
            tuple(x))


@st.composite
def conv(draw: st.DrawFn) -> Case:
    n = draw(st.integers(1, 3))
    transposed = draw(st.booleans())
    fmt = draw(data_format)
    groups = 1 if transposed else draw(st.integers(1, 2))
    strides = draw(size(n, st.integers(1, 2)))
    spec: dict[str, Any] = {
        "type": f"Conv{n}DTranspose" if transposed else f"Conv{n}D",
        "filters": groups * draw(st.integers(1, 3)),
        "kernel_size": draw(size(n, st.integers(1, 3))),
        "strides": strides,
        "use_bias": draw(st.booleans()),
        "padding": draw(st.sampled_from(["valid", "same", "SAME", "causal"])),
    }
    if draw(st.booleans()):  # Keras refuses dilation with strides > 1
        spec["dilation_rate"] = draw(size(n, st.integers(1, 2)))
    if groups > 1:
        spec["groups"] = groups
    if transposed and draw(st.booleans()):
        spec["output_padding"] = draw(st.one_of(st.none(), st.integers(0, 1)))
    return with_format(spec, fmt), spatial_input(draw, n, groups * draw(st.integers(1, 3)), fmt)


@settings(max_examples=60, deadline=None)
@given(case=conv())
def test_convolutions(case: Case) -> None:
    compare(*case)


@st.composite
def depthwise(draw: st.DrawFn) -> Case:
    n = draw(st.integers(1, 2))
    fmt = draw(data_format)
    separable = draw(st.booleans())
    spec: dict[str, Any] = {
        "type": f"SeparableConv{n}D" if separable else f"DepthwiseConv{n}D",
        "kernel_size": draw(size(n, st.integers(1, 3))),
        "depth_multiplier": draw(st.integers(1, 3)), "use_bias": draw(st.booleans()),
        "padding": draw(st.sampled_from(["valid", "same"])),
        "strides": draw(size(n, st.integers(1, 2)))}
    if separable:
        spec["filters"] = draw(st.integers(1, 4))
    return with_format(spec, fmt), spatial_input(draw, n, draw(st.integers(1, 4)), fmt)


@settings(max_examples=30, deadline=None)
@given(case=depthwise())
def test_depthwise_and_separable_convolutions(case: Case) -> None:
    compare(*case)


@st.composite
def pooling(draw: st.DrawFn) -> Case:
    n = draw(st.integers(1, 3))
    fmt = draw(data_format)
    kind = draw(st.sampled_from(["Max", "Average"]))
    spec: dict[str, Any] = {"type": f"{kind}Pooling{n}D",
                            "pool_size": draw(size(n, st.integers(1, 3))),
                            "padding": draw(st.sampled_from(["valid", "same"]))}
    if draw(st.booleans()):
        spec["strides"] = draw(st.one_of(st.none(), size(n, st.integers(1, 3))))
    return with_format(spec, fmt), spatial_input(draw, n, draw(st.integers(1, 3)), fmt, 1, 6)


@settings(max_examples=40, deadline=None)
@given(case=pooling())
def test_pooling(case: Case) -> None:
    compare(*case)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 3), kind=st.sampled_from(["Average", "Max"]), keepdims=st.booleans(),
       fmt=data_format, c=st.integers(1, 5))
def test_global_pooling(n: int, kind: str, keepdims: bool, fmt: str | None, c: int) -> None:
    compare(with_format({"type": f"Global{kind}Pooling{n}D", "keepdims": keepdims}, fmt),
            (c, *[3] * n) if fmt == "channels_first" else (*[3] * n, c))


def pairs(n: int, low: int, high: int) -> st.SearchStrategy[Any]:
    """Keras' padding / cropping forms: p, (p_1..p_n), ((before, after), ...)."""
    one = st.integers(low, high)
    forms = [one, st.tuples(*[one] * n),
             st.tuples(*[st.tuples(one, one)] * n)]
    return st.one_of(*forms)


@st.composite
def resizing(draw: st.DrawFn) -> Case:
    n = draw(st.integers(1, 3))
    fmt = draw(data_format) if n > 1 else None
    kind = draw(st.sampled_from(["UpSampling", "ZeroPadding", "Cropping"]))
    spec: dict[str, Any] = {"type": f"{kind}{n}D"}
    if kind == "UpSampling":
        spec["size"] = draw(st.integers(1, 3) if n == 1 else size(n, st.integers(1, 3)))
    elif kind == "ZeroPadding":
        spec["padding"] = draw(st.tuples(st.integers(0, 2), st.integers(0, 2)) if n == 1
                               else pairs(n, 0, 2))
    else:
        spec["cropping"] = draw(st.tuples(st.integers(0, 2), st.integers(0, 2)) if n == 1
                                else pairs(n, 0, 2))
    return with_format(spec, fmt), spatial_input(draw, n, draw(st.integers(1, 3)), fmt, 2, 6)


@settings(max_examples=40, deadline=None)
@given(case=resizing())
def test_upsampling_padding_cropping(case: Case) -> None:
    compare(*case)


@st.composite
def normalization(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(["BatchNormalization", "LayerNormalization",
                                 "GroupNormalization", "RMSNormalization",
                                 "UnitNormalization"]))
    x = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    spec: dict[str, Any] = {"type": kind}
    if kind in ("BatchNormalization", "LayerNormalization", "GroupNormalization"):
        spec.update(center=draw(st.booleans()), scale=draw(st.booleans()))
    rank = len(x)
    axis = st.sampled_from([-1, *range(1, rank + 1), *range(-rank, 0)])
    if kind == "LayerNormalization" and rank > 1 and draw(st.booleans()):
        spec["axis"] = [-2, -1] if draw(st.booleans()) else [rank - 1, rank]
    elif kind != "GroupNormalization" and draw(st.booleans()):
        spec["axis"] = draw(axis)
    if kind == "GroupNormalization":
        groups = draw(st.integers(1, 2))
        spec["groups"] = groups
        x = (*x[:-1], groups * x[-1])
    return spec, x


@settings(max_examples=50, deadline=None)
@given(case=normalization())
def test_normalizations(case: Case) -> None:
    compare(*case)


def test_batch_normalization_worked_example() -> None:
    # gamma, beta: 2 x 64 trainable; moving mean and variance: 2 x 64 non-trainable = 256
    report = compare({"type": "BatchNormalization"}, (64,))
    assert report is not None
    assert (report.trainable_params, report.non_trainable_params) == (128, 128)


def test_batch_normalization_center_or_scale_alone() -> None:
    # center=False: gamma alone, 16 trainable, and the statistics 2 x 16; Keras counts 48
    report = compare({"type": "BatchNormalization", "center": False}, (8, 8, 16))
    assert report is not None and report.total_params == 16 + 2 * 16 == 48
    # scale=False: beta alone, the same count with the other name
    report = compare({"type": "BatchNormalization", "scale": False}, (8, 8, 16))
    assert report is not None and report.total_params == 48


@settings(max_examples=10, deadline=None)
@given(vocab=st.integers(1, 50), dim=st.integers(1, 8), length=st.integers(1, 5))
def test_embedding(vocab: int, dim: int, length: int) -> None:
    compare({"type": "Embedding", "input_dim": vocab, "output_dim": dim}, (length,))


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(["SimpleRNN", "LSTM", "GRU"]), units=st.integers(1, 6),
       features=st.integers(1, 6), bias=st.booleans(), sequences=st.booleans(),
       reset_after=st.booleans(), wrap=st.sampled_from([None, "concat", "sum", "mul", "ave"]))
def test_recurrent(kind: str, units: int, features: int, bias: bool, sequences: bool,
                   reset_after: bool, wrap: str | None) -> None:
    layer: dict[str, Any] = {"type": kind, "units": units, "use_bias": bias,
                             "return_sequences": sequences}
    if kind == "GRU":
        layer["reset_after"] = reset_after
    if wrap is not None:
        layer = {"type": "Bidirectional", "layer": layer, "merge_mode": wrap}
    compare(layer, (4, features))


def test_lstm_worked_example() -> None:
    # 4 gates x 20 x (10 + 20) = 2,400 kernel weights + one bias vector of 4 x 20 = 2,480
    report = compare({"type": "LSTM", "units": 20}, (7, 10))
    assert report is not None and report.total_params == 2480


@settings(max_examples=20, deadline=None)
@given(heads=st.integers(1, 3), key_dim=st.integers(1, 4), value_dim=st.sampled_from([None, 3]),
       bias=st.booleans(), output=st.sampled_from([None, 5]), length=st.integers(1, 4),
       width=st.integers(1, 6))
def test_multi_head_attention(heads: int, key_dim: int, value_dim: int | None, bias: bool,
                              output: int | None, length: int, width: int) -> None:
    compare({"type": "MultiHeadAttention", "num_heads": heads, "key_dim": key_dim,
             "value_dim": value_dim, "use_bias": bias, "output_shape": output}, (length, width))


def test_multi_head_attention_worked_example() -> None:
    # query, key: 8 x 2 x 3 + 2 x 3 = 54 each; value: 8 x 2 x 4 + 2 x 4 = 72;
    # output: 2 x 4 x 6 + 6 = 54.  54 + 54 + 72 + 54 = 234
    report = compare({"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 3,
                      "value_dim": 4, "output_shape": 6}, (5, 8))
    assert report is not None and report.total_params == 234


@settings(max_examples=15, deadline=None)
@given(steps=st.integers(1, 4), inner=st.sampled_from(["Dense", "Conv1D"]),
       width=st.integers(2, 5))
def test_time_distributed(steps: int, inner: str, width: int) -> None:
    layer = {"type": "Dense", "units": 3} if inner == "Dense" else \
        {"type": "Conv1D", "filters": 2, "kernel_size": 2}
    compare({"type": "TimeDistributed", "layer": layer},
            (steps, width) if inner == "Dense" else (steps, width, 3))


@pytest.mark.parametrize("spec, x", [
    ({"type": "Reshape", "target_shape": [4, -1]}, (2, 6)),
    ({"type": "Reshape", "target_shape": [3, 4]}, (12,)),
    ({"type": "Reshape", "target_shape": [5, -1]}, (12,)),  # refused by both
    ({"type": "Permute", "dims": [2, 1]}, (3, 5)),
    ({"type": "Permute", "dims": [3, 1, 2]}, (2, 3, 4)),
    ({"type": "RepeatVector", "n": 4}, (6,)),
    ({"type": "Flatten"}, (3, 4, 5)),
    ({"type": "Dropout", "rate": 0.3}, (3, 4)),
])
def test_shape_layers(spec: dict[str, Any], x: tuple[int, ...]) -> None:
    compare(spec, x)


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_cropping1d_refuses_data_format_as_keras_does(data_format: str) -> None:
    keras = pytest.importorskip("keras")
    with pytest.raises((TypeError, ValueError)):  # Keras' Cropping1D takes no data_format
        keras.layers.Cropping1D(1, data_format=data_format)
    spec = {"input_shape": [8, 3], "layers": [{"type": "Cropping1D", "cropping": 1,
                                               "data_format": data_format}]}
    with pytest.raises(NnsizeError, match="no argument 'data_format'"):
        nnsize.count(spec, convention="keras")


@pytest.mark.parametrize("layer, shape", [
    ({"type": "BatchNormalization", "axis": 5}, [8, 3]),
    ({"type": "LayerNormalization", "axis": 7}, [6, 8]),
    ({"type": "Cropping1D", "cropping": 1, "data_format": "channels_last"}, [8, 3]),
])
def test_an_error_names_the_layer_once(layer: dict[str, Any], shape: list[int]) -> None:
    with pytest.raises(NnsizeError) as e:
        nnsize.count({"input_shape": shape, "layers": [layer]}, convention="keras")
    name = layer["type"]
    assert str(e.value).startswith(f"layers[0] ({name}): ")
    assert f"): {name}: " not in str(e.value), str(e.value)
