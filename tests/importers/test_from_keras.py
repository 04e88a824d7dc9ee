from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import nnsize

keras = pytest.importorskip("keras")
layers = keras.layers


def models() -> dict[str, Any]:
    def seq(shape: tuple[int, ...], *ls: Any) -> Any:
        return keras.Sequential([keras.Input(shape), *ls])

    return {
        "mlp": seq((10,), layers.Dense(20, activation="relu"), layers.Dense(20),
                   layers.Dense(20), layers.Dense(2)),
        "cnn": seq((28, 28, 1), layers.Conv2D(8, 3, activation="relu"),
                   layers.BatchNormalization(), layers.MaxPooling2D(), layers.Flatten(),
                   layers.Dropout(0.5), layers.Dense(10)),
        "conv_transpose": seq((8, 8, 4), layers.Conv2DTranspose(6, 3, strides=2),
                              layers.Flatten(),
                              layers.Dense(3)),
        "lstm": seq((7, 10), layers.LSTM(20, return_sequences=True), layers.LSTM(8),
                    layers.Dense(1)),
        "gru": seq((5, 4), layers.GRU(6, reset_after=False, return_sequences=True),
                   layers.GRU(6), layers.Dense(2)),
        "rnn_embedding": seq((12,), layers.Embedding(1000, 16), layers.SimpleRNN(8),
                             layers.Dense(4)),
        "norms": seq((16,), layers.LayerNormalization(), layers.Dense(16),
                     layers.GroupNormalization(groups=4), layers.RMSNormalization(),
                     layers.BatchNormalization()),
        "mobile": seq((16, 16, 3), layers.Conv2D(8, 3, padding="same"),
                      layers.DepthwiseConv2D(3, depth_multiplier=2),
                      layers.BatchNormalization(), layers.GlobalAveragePooling2D(),
                      layers.Dense(4)),
        "sequence_norms": seq((6, 16), layers.LayerNormalization(), layers.Dense(8),
                              layers.RMSNormalization()),
        # Keras' "Simple MNIST convnet" example: 34,826 parameters
        "mnist_convnet": seq((28, 28, 1), layers.Conv2D(32, (3, 3), activation="relu"),
                             layers.MaxPooling2D((2, 2)),
                             layers.Conv2D(64, (3, 3), activation="relu"),
                             layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dropout(0.5),
                             layers.Dense(10, activation="softmax")),
        "keras_shapes": seq((16, 16, 3), layers.SeparableConv2D(8, 3, padding="same"),
                            layers.Conv2DTranspose(4, 3, strides=2, padding="same"),
                            layers.UpSampling2D(), layers.ZeroPadding2D(((1, 0), (2, 1))),
                            layers.Cropping2D(1), layers.AveragePooling2D(2, padding="same"),
                            layers.MaxPooling2D(4, strides=3, padding="same"),
                            layers.BatchNormalization(center=False),
                            layers.Reshape((-1, 4)), layers.Permute((2, 1)),
                            layers.Bidirectional(layers.LSTM(3)), layers.RepeatVector(5),
                            layers.TimeDistributed(layers.Dense(2)),
                            layers.LayerNormalization(scale=False), layers.UnitNormalization(),
                            layers.Flatten(), layers.Dense(1)),
        "channels_first": seq((3, 12, 12), layers.Conv2D(8, 3, data_format="channels_first"),
                              layers.MaxPooling2D(data_format="channels_first"),
                              layers.BatchNormalization(axis=1),
                              layers.GlobalAveragePooling2D(data_format="channels_first"),
                              layers.Dense(2)),
    }


@pytest.mark.parametrize("name", sorted(models()))
def test_live_models_match_count_params(name: str) -> None:
    model = models()[name]
    report = nnsize.summary(model)
    assert report.convention == "keras"
    assert report.total_params == model.count_params()
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    assert report.trainable_params == trainable
    assert report.non_trainable_params == model.count_params() - trainable


@pytest.mark.parametrize("name", sorted(models()))
def test_keras_files_are_counted_from_their_config(name: str, tmp_path: Path) -> None:
    model = models()[name]
    path = tmp_path / f"{name}.keras"
    model.save(path)
    report = nnsize.count(str(path))
    assert report.convention == "keras"
    assert report.total_params == model.count_params()
    live = nnsize.summary(model, convention="pytorch")
    assert nnsize.count(str(path), convention="pytorch").total_params == live.total_params


def test_pytorch_convention_of_a_keras_model() -> None:
    model = keras.Sequential([keras.Input((7, 10)), layers.LSTM(20), layers.BatchNormalization()])
    keras_way = nnsize.summary(model)
    torch_way = nnsize.summary(model, convention="pytorch")
    # LSTM: PyTorch keeps a second bias vector of 4 x 20; BatchNorm's moving mean and variance
    # (2 x 20) become buffers, with num_batches_tracked.
    assert torch_way.total_params == keras_way.total_params + 80 - 40
    assert torch_way.buffers == 41


def test_a_frozen_keras_layer_is_non_trainable(tmp_path: Path) -> None:
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)])
    model.layers[0].trainable = False
    path = tmp_path / "frozen.keras"
    model.save(path)
    for report in (nnsize.summary(model), nnsize.count(str(path))):
        assert report.non_trainable_params == 15 and report.trainable_params == 8


def test_a_keras_file_with_a_batchnorm_over_a_sequence(tmp_path: Path) -> None:
    # Keras' shapes are channels-last: BatchNormalization normalizes the 16 features of each of
    # the 6 steps; gamma, beta, moving mean and variance: 4 x 16 = 64
    model = keras.Sequential([keras.Input((6, 16)), layers.BatchNormalization()])
    path = tmp_path / "seq.keras"
    model.save(path)
    assert nnsize.count(str(path)).total_params == model.count_params() == 64


def test_a_keras_file_runs_no_code(tmp_path: Path) -> None:
    # a Lambda layer carries Python code; nnsize refuses it instead of running it
    import json
    import zipfile

    path = tmp_path / "evil.keras"
    config = {"class_name": "Sequential", "config": {"name": "evil", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4]}},
        {"class_name": "Lambda", "config": {"function": "__import__('os').system('x')"}}]}}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(config))
    with pytest.raises(nnsize.NnsizeError, match="unknown layer type 'Lambda'"):
        nnsize.count(str(path))


@pytest.mark.parametrize("content, message", [
    (b"not a zip", "not a .keras archive"),
    (None, "no config.json"),
])
def test_broken_keras_files(tmp_path: Path, content: bytes | None, message: str) -> None:
    import zipfile

    path = tmp_path / "broken.keras"
    if content is None:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("other.txt", "x")
    else:
        path.write_bytes(content)
    with pytest.raises(nnsize.NnsizeError, match=message):
        nnsize.count(str(path))
