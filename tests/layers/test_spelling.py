"""Layer specs as people write them: the four examples of issue 12, with the frameworks' own
counts beside nnsize's, and a spec that mixes PyTorch's and Keras' shapes refused."""

from __future__ import annotations

from typing import Any

import pytest

import nnsize
from nnsize.errors import SpecError

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
layers = keras.layers

MNIST_CONVNET = {"input_shape": [28, 28, 1], "layers": [
    {"type": "Conv2D", "filters": 32, "kernel_size": [3, 3], "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": [2, 2]},
    {"type": "Conv2D", "filters": 64, "kernel_size": [3, 3], "activation": "relu"},
    {"type": "MaxPooling2D", "pool_size": [2, 2]},
    {"type": "Flatten"},
    {"type": "Dropout", "rate": 0.5},
    {"type": "Dense", "units": 10, "activation": "softmax"}]}


def test_layernorm_written_with_an_int() -> None:
    # nn.LayerNorm(48): weight 48 + bias 48 = 96; nn.RMSNorm(48): weight 48
    spec = {"input_shape": [10, 48], "layers": [
        {"type": "LayerNorm", "normalized_shape": 48},
        {"type": "RMSNorm", "normalized_shape": 48}]}
    model = torch.nn.Sequential(torch.nn.LayerNorm(48), torch.nn.RMSNorm(48))
    assert nnsize.count(spec).total_params == sum(p.numel() for p in model.parameters()) \
        == 48 + 48 + 48


def test_a_keras_conv_reads_channels_last() -> None:
    # Conv2D(7, 1, padding="same") on (10, 8, 4): kernel 1 x 1 x 4 x 7 + 7 = 35, output
    # (10, 8, 7) = 560 values; Dense(1): 560 + 1 = 561.  35 + 561 = 596 (read channels-first,
    # as nnsize used to, it was 10 channels of 8 x 4: 77 + 225 = 302)
    spec = {"input_shape": [10, 8, 4], "layers": [
        {"type": "Conv2D", "filters": 7, "kernel_size": 1, "padding": "same"},
        {"type": "Flatten"}, {"type": "Dense", "units": 1}]}
    model = keras.Sequential([keras.Input((10, 8, 4)), layers.Conv2D(7, 1, padding="same"),
                              layers.Flatten(), layers.Dense(1)])
    assert nnsize.count(spec, convention="keras").total_params == model.count_params() \
        == 35 + 561 == 596


def test_keras_simple_mnist_convnet() -> None:
    # https://keras.io/examples/vision/mnist_convnet/ : "Total params: 34,826".
    # Conv2D(32): 3 x 3 x 1 x 32 + 32 = 320; Conv2D(64): 3 x 3 x 32 x 64 + 64 = 18,496;
    # 28 -> 26 -> 13 -> 11 -> 5: Dense(10) on 5 x 5 x 64 = 1,600: 16,000 + 10 = 16,010
    model = keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)), layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dropout(0.5),
        layers.Dense(10, activation="softmax")])
    report = nnsize.count(MNIST_CONVNET, convention="keras")
    assert report.total_params == model.count_params() == 320 + 18_496 + 16_010 == 34_826
    assert [r.output_shape for r in report.rows] == [tuple(layer.output.shape[1:])
                                                     for layer in model.layers]
    # the shapes, and so the count, are the same in the PyTorch convention
    assert nnsize.count(MNIST_CONVNET).total_params == 34_826
    # rows are labelled as the spec spells them, typed as the kind counted
    assert (report.rows[0].label, report.rows[0].type) == ("Conv2D", "Conv2d")


@pytest.mark.parametrize("center, scale, kept", [(False, True, "gamma"), (True, False, "beta")])
def test_batchnorm_center_or_scale_alone(center: bool, scale: bool, kept: str) -> None:
    # 16 channels: gamma or beta 16, moving mean and variance 2 x 16: 48, of which 16 trainable
    spec = {"input_shape": [6, 6, 16], "layers": [
        {"type": "BatchNormalization", "center": center, "scale": scale}]}
    model = keras.Sequential([keras.Input((6, 6, 16)),
                              layers.BatchNormalization(center=center, scale=scale)])
    report = nnsize.count(spec, convention="keras")
    assert report.total_params == model.count_params() == 16 + 2 * 16 == 48
    assert report.trainable_params == 16
    assert [t.name for t in report.rows[0].tensors][0] == kept


def test_data_format_is_honoured() -> None:
    # channels_first: 3 channels of 12 x 12; kernel 3 x 3 x 3 x 8 + 8 = 224, output (8, 10, 10)
    spec = {"input_shape": [3, 12, 12], "layers": [
        {"type": "Conv2D", "filters": 8, "kernel_size": 3, "data_format": "channels_first"},
        {"type": "BatchNorm2d"}]}  # torch.nn's, channels-first too: no conflict
    report = nnsize.count(spec, convention="keras")
    assert report.rows[0].output_shape == (8, 10, 10)
    assert report.total_params == 224 + 4 * 8


@pytest.mark.parametrize("spec_layers", [
    [{"type": "Conv2D", "filters": 8, "kernel_size": 3}, {"type": "BatchNorm2d"}],
    [{"type": "Conv2d", "out_channels": 8, "kernel_size": 3},
     {"type": "MaxPooling2D", "pool_size": 2}],
    [{"type": "MaxPool2d", "kernel_size": 2}, {"type": "GlobalAveragePooling2D"}],
])
def test_a_spec_mixing_the_two_readings_is_refused(spec_layers: list[dict[str, Any]]) -> None:
    with pytest.raises(SpecError, match=r"layers\[1\] .*reads its input channel.*but layers\[0\]"):
        nnsize.count({"input_shape": [12, 12, 3], "layers": spec_layers})


def test_spellings_that_read_no_channel_axis_mix_freely() -> None:
    # Dense and Linear both read the last axis: (4 x 5 + 5) + (5 x 2 + 2) = 37
    report = nnsize.count({"input_shape": [4], "layers": [
        {"type": "Dense", "units": 5}, {"type": "Linear", "out_features": 2}]})
    assert report.total_params == 37


def test_activation_memory_of_a_channels_last_batchnorm() -> None:
    # BatchNormalization on (8, 8, 16) saves its input, 8 x 8 x 16 = 1,024 values, and a mean
    # and an invstd per channel: 2 x 16 = 32 fp32 values (not 2 x 8: the channels are last)
    report = nnsize.count({"input_shape": [8, 8, 16],
                           "layers": [{"type": "BatchNormalization"}]}, convention="keras")
    assert report.rows[0].saved == (1024, 32)
