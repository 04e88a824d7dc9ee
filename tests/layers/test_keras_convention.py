"""The Keras convention against Keras 3 itself: count_params(), the trainable / non-trainable
split, and every weight's name and shape.  nnsize's shapes are channels-first; Keras' inputs
here are channels-last, so spatial layers move the channel axis to compare output shapes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnsize

keras = pytest.importorskip("keras")


def channels_last(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (*shape[1:], shape[0])


def compare(layer: dict[str, Any], x: tuple[int, ...], spatial: bool = False) -> nnsize.Report:
    """Build layer in Keras on input x (channels-first in nnsize's spec) and compare."""
    args = {k: v for k, v in layer.items() if k != "type"}
    keras_layer = getattr(keras.layers, layer["type"])(**args)
    model = keras.Sequential([keras.Input(channels_last(x) if spatial else x), keras_layer])
    report = nnsize.count({"input_shape": list(x), "layers": [layer]}, convention="keras")
    assert report.convention == "keras"
    assert report.total_params == model.count_params()
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    assert report.trainable_params == trainable
    assert report.non_trainable_params == model.count_params() - trainable
    ours = sorted((name, t.shape) for t in report.rows[0].tensors for name in t.names())
    theirs = sorted((w.name, tuple(w.shape)) for w in model.weights)
    assert ours == theirs
    out = tuple(keras_layer.compute_output_shape((None, *(channels_last(x) if spatial else x)))[1:])
    assert (channels_last(report.output_shape) if spatial else report.output_shape) == out
    return report


@settings(max_examples=15, deadline=None)
@given(units=st.integers(1, 8), features=st.integers(1, 8), bias=st.booleans())
def test_dense(units: int, features: int, bias: bool) -> None:
    compare({"type": "Dense", "units": units, "use_bias": bias}, (features,))


@st.composite
def conv(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[int, ...]]:
    n = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    transposed = n > 1 and draw(st.booleans())
    layer: dict[str, Any] = {
        "type": f"Conv{n}DTranspose" if transposed else f"Conv{n}D",
        "filters": groups * draw(st.integers(1, 3)),
        "kernel_size": draw(st.integers(1, 3)),
        "strides": draw(st.integers(1, 2)),
        "use_bias": draw(st.booleans()),
        "padding": "valid" if transposed else draw(st.sampled_from(["valid", "same"])),
    }
    if transposed:
        groups = 1
    else:
        layer["groups"] = groups
    x = (groups * draw(st.integers(1, 3)), *[draw(st.integers(3, 6)) for _ in range(n)])
    return layer, x


@settings(max_examples=30, deadline=None)
@given(case=conv())
def test_convolutions(case: tuple[dict[str, Any], tuple[int, ...]]) -> None:
    layer, x = case
    compare(layer, x, spatial=True)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 4), multiplier=st.integers(1, 3),
       k=st.integers(1, 3), bias=st.booleans(), padding=st.sampled_from(["valid", "same"]),
       strides=st.integers(1, 2))
def test_depthwise_convolutions(n: int, c: int, multiplier: int, k: int, bias: bool,
                                padding: str, strides: int) -> None:
    # Keras keeps the kernel as (*kernel, channels, multiplier): compare counts and shapes
    layer = {"type": f"DepthwiseConv{n}D", "kernel_size": k, "depth_multiplier": multiplier,
             "use_bias": bias, "padding": padding, "strides": strides}
    x = (c, *([6] * n))
    args = {key: v for key, v in layer.items() if key != "type"}
    keras_layer = getattr(keras.layers, layer["type"])(**args)
    model = keras.Sequential([keras.Input(channels_last(x)), keras_layer])
    report = nnsize.count({"input_shape": list(x), "layers": [layer]}, convention="keras")
    assert report.total_params == model.count_params()
    out = tuple(keras_layer.compute_output_shape((None, *channels_last(x)))[1:])
    assert channels_last(report.output_shape) == out


@pytest.mark.parametrize("kind", ["GlobalAveragePooling2D", "GlobalMaxPooling1D",
                                  "GlobalAveragePooling3D"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(kind: str, keepdims: bool) -> None:
    n = int(kind[-2])
    x = (5, *([4] * n))
    layer = {"type": kind, "keepdims": keepdims}
    keras_layer = getattr(keras.layers, kind)(keepdims=keepdims)
    report = nnsize.count({"input_shape": list(x), "layers": [layer, {
        "type": "Flatten"}, {"type": "Dense", "units": 3}]}, convention="keras")
    assert report.total_params == 5 * 3 + 3
    out = tuple(keras_layer.compute_output_shape((None, *channels_last(x)))[1:])
    assert channels_last(report.rows[0].output_shape) == out or report.rows[0].output_shape == out


@settings(max_examples=20, deadline=None)
@given(kind=st.sampled_from(["BatchNormalization", "LayerNormalization", "GroupNormalization",
                             "RMSNormalization"]),
       c=st.integers(1, 4), affine=st.booleans(), spatial=st.booleans())
def test_normalizations(kind: str, c: int, affine: bool, spatial: bool) -> None:
    layer: dict[str, Any] = {"type": kind}
    if kind == "GroupNormalization":
        layer["groups"] = 2
        c *= 2
    if kind != "RMSNormalization":
        layer.update(center=affine, scale=affine)
    if kind in ("LayerNormalization", "RMSNormalization"):
        # these normalize nnsize's last dimension, as torch's LayerNorm does: compare on
        # (sequence, features), the same in both layouts
        compare(layer, (3, c) if spatial else (c,))
    else:
        compare(layer, (c, 3, 3) if spatial else (c,), spatial=spatial)


def test_batch_normalization_worked_example() -> None:
    # gamma, beta: 2 x 64 trainable; moving mean and variance: 2 x 64 non-trainable = 256
    report = compare({"type": "BatchNormalization"}, (64,))
    assert (report.trainable_params, report.non_trainable_params) == (128, 128)


@settings(max_examples=10, deadline=None)
@given(vocab=st.integers(1, 50), dim=st.integers(1, 8), length=st.integers(1, 5))
def test_embedding(vocab: int, dim: int, length: int) -> None:
    compare({"type": "Embedding", "input_dim": vocab, "output_dim": dim}, (length,))


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(["SimpleRNN", "LSTM", "GRU"]), units=st.integers(1, 6),
       features=st.integers(1, 6), bias=st.booleans(), sequences=st.booleans(),
       reset_after=st.booleans())
def test_recurrent(kind: str, units: int, features: int, bias: bool, sequences: bool,
                   reset_after: bool) -> None:
    layer: dict[str, Any] = {"type": kind, "units": units, "use_bias": bias,
                             "return_sequences": sequences}
    if kind == "GRU":
        layer["reset_after"] = reset_after
    compare(layer, (4, features))


def test_lstm_worked_example() -> None:
    # 4 gates x 20 x (10 + 20) = 2,400 kernel weights + one bias vector of 4 x 20 = 2,480
    report = compare({"type": "LSTM", "units": 20}, (7, 10))
    assert report.total_params == 2480
