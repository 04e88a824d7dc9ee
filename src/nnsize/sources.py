"""Every source nnsize reads, to a Report: nnsize.count() picks the reader, nnsize.summary()
reads live models.  Re-exported by the package: nnsize.count(...), nnsize.summary(...)."""

from __future__ import annotations

from .errors import NnsizeError, SpecError
from .model import Report

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def count(source: Any, convention: str | None = None, **options: Any) -> Report:
    """Count a network from any source nnsize reads.

    source: an MLP shorthand ('10-20x3-2'), a spec dict, a .json/.yaml spec file, a Hugging Face
    config.json (or its dict; base=True counts the base model), a model on the Hugging Face
    Hub by name ('Qwen/Qwen3-30B-A3B', 'org/name@revision', 'org/name-GGUF:Q4_K_M'; a local
    path that exists wins; part='config' or 'checkpoint' for one side of it) or a model folder
    (save_pretrained's), an .onnx or .keras file, 'torch:package.module:factory' (a
    torch.nn.Module or a callable returning one),
    or a live torch / Keras model.  convention: 'pytorch' or 'keras', where the frameworks
    differ (LSTM biases, BatchNorm statistics); by default Keras' for Keras models and files,
    PyTorch's for everything else.  options go to summary() for models
    (input_size, input_data, depth, input_dtype).  Raises NnsizeError (a ValueError) for
    anything that cannot be counted.
    """
    # each reader imported on its branch: a preset's count needs neither the spec reader nor
    # the shorthand's
    if isinstance(source, dict):
        _unsized(source, options)
        from .architectures import count_config, looks_like_config
        from .network import count_spec

        if looks_like_config(source):
            return count_config(source, "config", bool(options.get("base")))
        return count_spec(source, convention or "pytorch")
    if hasattr(source, "__fspath__"):
        source = str(source)
    if isinstance(source, (list, tuple, int, float, bytes)) or source is None:
        raise SpecError(f"cannot count a {type(source).__name__}: give a shorthand, a spec "
                        f"dict, a file path or a model")
    if not isinstance(source, str):
        return summary(source, convention=convention, **options)
    if source.lower().startswith("torch:"):
        from .importers.from_torch import import_object

        return summary(import_object(source[len("torch:"):]), convention=convention, **options)
    _unsized(source, options)
    if "/" in source or source.lower().startswith("hf:"):  # org/name, no such path; hf:name
        from .hub.name import parse as hub_name

        name = hub_name(source)
        if name is not None:
            from .hub import count as count_hub

            return count_hub(name, bool(options.get("base")), str(options.get("part", "both")))
    import os

    if os.path.isdir(source):  # save_pretrained's folder: config and checkpoint, as a repo
        from .hub.repo import count_folder

        return count_folder(source, bool(options.get("base")), str(options.get("part", "both")))
    if source[:1].isalpha():  # preset names start with a letter; shorthands with a digit
        from .architectures.presets import find_preset

        # None for a path that exists and a name with a file's suffix: read below
        preset = find_preset(source)
        if preset is not None:
            return preset.count(convention, **options)
    if "." in source:  # every file suffix has one; a shorthand rarely does
        from .importers import format_for

        fmt = format_for(source)
        if fmt is not None:
            return fmt.load(source, convention)
    from . import shorthand, spec

    if spec.looks_like_file(source):
        data = spec.load(source)
        from .architectures import count_config, looks_like_config
        from .network import count_spec

        if looks_like_config(data):
            return count_config(data, source, bool(options.get("base")))
        return count_spec(data, convention or "pytorch", source)
    return shorthand.count(source, convention or "pytorch")


def summary(model: Any, input_size: Any = None, input_data: Any = None,
            depth: int | None = None, input_dtype: Any = None,
            convention: str | None = None) -> Report:
    """A live model's report: torch.nn.Module (a module tree; shapes and compute when an input
    is given, from a forward pass that allocates nothing) or a Keras 3 model (its layers; Keras'
    convention unless convention='pytorch')."""
    import sys

    # Keras first: with its torch backend a Keras model is a torch.nn.Module too.
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(model, (keras.Model, keras.layers.Layer)):
        from .importers.from_keras import summarize as keras_summary

        return keras_summary(model, convention or "keras")
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        from .importers.from_torch import summarize

        return summarize(model, input_size, input_data, depth, input_dtype)
    raise NnsizeError(f"cannot summarise a {type(model).__name__}: nnsize reads torch.nn.Module "
                      f"and keras.Model objects")


def mlp(inputs: int, hidden_layers: int, neurons: int, outputs: int,
        convention: str = "pytorch") -> Report:
    """The original calculator: input neurons, hidden layers, neurons per hidden layer, outputs."""
    from . import shorthand

    return shorthand.count(shorthand.from_counts(inputs, hidden_layers, neurons, outputs),
                           convention)


def _unsized(source: Any, options: dict[str, Any]) -> None:
    """An input size or input data is for a torch model's forward pass: anything else counted
    at its own input shape would silently ignore it, so it is refused by name."""
    for key, flag in (("input_size", "--input-size"), ("input_data", "input data")):
        if options.get(key) is not None:
            what = "a config or spec" if isinstance(source, dict) else repr(source)
            raise NnsizeError(f"{flag} applies to torch models (a live module, or "
                              f"torch:package.module:factory), whose forward pass it runs; "
                              f"{what} is counted at its own input shape (a spec's "
                              f"input_shape, a preset's published one)")
