"""Keras 3 models: a live keras.Model, or a .keras file read from its stored config alone.

Live models are read from their weights (every variable once, as count_params() counts them).
In the PyTorch convention the tensors PyTorch would keep instead are shown: BatchNormalization's
moving statistics become buffers (plus num_batches_tracked), and a recurrent layer with one bias
vector gets PyTorch's second one.

A .keras file is a zip archive; its config.json is read as JSON and each layer translated to the
nnsize layer it spells (no code in the archive is run, no weights are read), on Keras' own
shapes: channels-last unless a layer's data_format says otherwise.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import NnsizeError, SpecError, shown
from ..model import Report, Row, Tensor, sum_formula
from . import Format

ROLES = {"kernel": "weight", "recurrent_kernel": "weight", "depthwise_kernel": "weight",
         "pointwise_kernel": "weight", "bias": "bias", "gamma": "norm", "beta": "norm",
         "scale": "norm", "embeddings": "embedding", "moving_mean": "statistic",
         "moving_variance": "statistic"}
MAX_CONFIG_BYTES = 64 * 1024 * 1024


def _keras() -> Any:
    try:
        import keras
    except ImportError as e:
        raise NnsizeError("summarising a Keras model needs keras: pip install keras") from e
    return keras


def _pytorch_view(layer: Any, tensors: list[Tensor], keras: Any) -> list[Tensor]:
    """The tensors PyTorch keeps for the same layer, where its convention differs."""
    layers = keras.layers
    if isinstance(layer, layers.BatchNormalization):
        stats = [t for t in tensors if t.role == "statistic"]
        rest = [t for t in tensors if t.role != "statistic"]
        return rest + [Tensor(t.name, t.shape, "statistic", buffer=True) for t in stats] + \
            [Tensor("num_batches_tracked", (), "statistic", buffer=True)]
    if isinstance(layer, layers.Bidirectional):  # both directions as the layer it wraps
        layer = layer.forward_layer
    one_bias = isinstance(layer, (layers.LSTM, layers.SimpleRNN)) or (
        isinstance(layer, layers.GRU) and not layer.reset_after)
    if one_bias:
        return tensors + [Tensor("bias_hh (PyTorch's second bias)", t.shape, "bias",
                                 trainable=t.trainable) for t in tensors if t.name == "bias"]
    return tensors


def summarize(model: Any, convention: str = "keras") -> Report:
    """The report of a built keras.Model (or layer), one row per top-level layer."""
    keras = _keras()
    if convention not in ("keras", "pytorch"):
        raise NnsizeError(f"unknown convention {convention!r}: 'keras' or 'pytorch'")
    if not getattr(model, "built", True):
        raise NnsizeError("the Keras model is not built yet: give it an input shape first")
    layers = list(getattr(model, "layers", [model]))
    seen: dict[int, str] = {}
    rows = []
    for i, layer in enumerate(layers):
        tensors = []
        for w in layer.weights:
            name = w.name
            shared = seen.get(id(w), "")
            seen.setdefault(id(w), f"{layer.name}/{name}")
            tensors.append(Tensor(name, tuple(int(d) for d in w.shape),
                                  ROLES.get(name, "other"), trainable=bool(w.trainable),
                                  shared_with=shared))
        if convention == "pytorch":
            tensors = _pytorch_view(layer, tensors, keras)
        try:
            out = tuple(int(d) if d is not None else 0 for d in layer.output.shape[1:])
        except (AttributeError, ValueError, TypeError):
            out = ()
        rows.append(Row(name=str(i), label=layer.name, type=type(layer).__name__,
                        input_shape=(), output_shape=out, tensors=tuple(tensors), macs_each=0,
                        formula=sum_formula(tensors), index=i))
    return Report(getattr(model, "name", type(model).__name__), convention, (), tuple(rows))


# --- .keras files ---------------------------------------------------------------------------

# Keras config keys that are not constructor arguments nnsize needs.  data_format stays: the
# shapes are Keras' own (channels-last by default), as the layers read them.
DROP = {"name", "trainable", "dtype", "batch_input_shape", "batch_shape", "build_config",
        "input_shape"}


def load_keras_file(path: str, convention: str = "keras") -> Report:
    """Count a .keras archive from its config.json, translated to nnsize's layer spec."""
    import zipfile

    from ..files import open_regular
    from ..network import count_spec

    try:
        with open_regular(path) as f, zipfile.ZipFile(f) as z:
            info = z.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise SpecError(f"{path}: config.json of {info.file_size:,} bytes is too large")
            config = json.loads(z.read(info))
    except FileNotFoundError as e:
        raise SpecError(f"{path}: no such file") from e
    except KeyError as e:
        raise SpecError(f"{path}: not a Keras 3 archive (no config.json inside)") from e
    except (zipfile.BadZipFile, OSError) as e:
        raise SpecError(f"{path}: not a .keras archive ({e})") from e
    except (ValueError, RecursionError) as e:
        raise SpecError(f"{path}: config.json is not valid JSON ({e})") from e
    model: Any = config.get("config") if isinstance(config, dict) else None
    layers = model.get("layers") if isinstance(model, dict) else None
    if not isinstance(layers, list) or not all(
            isinstance(lc, dict) and isinstance(lc.get("class_name"), str) and
            isinstance(lc.get("config", {}), dict) and
            isinstance(lc.get("build_config") or {}, dict) for lc in layers):
        raise SpecError(f"{path}: config.json has no list of layers, each an object with a "
                        f"class_name and a config (only Sequential and linear functional "
                        f"models are read)")
    shape: Any = None
    spec_layers = []
    for lc in layers:
        cls, cfg = lc["class_name"], dict(lc.get("config", {}))
        if cls == "InputLayer":
            shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
            continue
        shape = shape or cfg.get("batch_shape") or cfg.get("batch_input_shape") or \
            (lc.get("build_config") or {}).get("input_shape")
        entry = {"type": cls, **{k: v for k, v in cfg.items() if k not in DROP}}
        if cfg.get("trainable") is False:
            entry["trainable"] = False
        spec_layers.append(entry)
    if not isinstance(shape, list) or len(shape) < 2 or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in shape[1:]):
        raise SpecError(f"{path}: the model's input shape is not fully known "
                        f"({shown(shape)})")
    name = model.get("name")
    spec = {"input_shape": list(shape[1:]), "layers": spec_layers,
            "name": name if isinstance(name, str) and name else path}
    try:
        return count_spec(spec, convention, path)
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from e


# this format's entry in the formats table (importers/__init__.py)
FORMAT = Format("keras", (".keras",), load_keras_file, convention="keras")
