"""Every source nnsize reads, to a Report: nnsize.count() picks the reader, nnsize.summary()
reads live models.  Re-exported by the package: nnsize.count(...), nnsize.summary(...)."""

from __future__ import annotations

from .errors import NnsizeError, SpecError
from .model import Report

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def count(source: Any, convention: str | None = None, **options: Any) -> Report:
    """Count a network from any source nnsize reads.

    source: an MLP shorthand ('10-20x3-2'), a spec dict, a .json/.yaml spec file, a Hugging Face
    config.json (or its dict; base=True counts the base model), a model on the Hugging Face
    Hub by name ('Qwen/Qwen3-30B-A3B', 'org/name@revision', 'org/name-GGUF:Q4_K_M'; a local
    path that exists wins; part='config' or 'checkpoint' for one side of it) or a model folder
    (save_pretrained's), a model file (importers.FORMATS), 'torch:package.module:factory' (a
    torch.nn.Module or a callable returning one),
    or a live torch / Keras model.  convention: 'pytorch' or 'keras', where the frameworks
    differ (LSTM biases, BatchNorm statistics); by default Keras' for Keras models and files,
    PyTorch's for everything else.  options go to summary() for models
    (input_size, input_data, depth, input_dtype).  Raises NnsizeError (a ValueError) for
    anything that cannot be counted.
    """
    if hasattr(source, "__fspath__"):
        source = str(source)
    if isinstance(source, (list, tuple, int, float, bytes)) or source is None:
        raise SpecError(f"cannot count a {type(source).__name__}: give a shorthand, a spec "
                        f"dict, a file path or a model")
    if not isinstance(source, (str, dict)):
        return summary(source, convention=convention, **options)
    for kind in READERS:  # the first kind whose recogniser knows the source reads it
        report = read(kind, source, convention, **options)
        if report is not None:
            return report
    raise AssertionError("the shorthand's recogniser knows any text")


def kind_of(source: Any) -> tuple[str, Any]:
    """The kind of source count() reads it as (READERS), and what its recogniser made of it."""
    for kind, (_, recognise, _) in READERS.items():
        found = recognise(source)
        if found is not None:
            return kind, found
    raise AssertionError("the shorthand's recogniser knows any text")


def read(kind: str, source: Any, convention: str | None = None,
         **options: Any) -> Report | None:
    """The count by the reader of this kind (READERS), None where the source is not of its kind."""
    takes_input, recognise, load = READERS[kind]
    found = recognise(source)
    if found is None:
        return None
    if not takes_input:
        _unsized(source, options)
    return load(found, source, convention, options)


# Each kind of source: a recogniser (the source -> what it found, None: not of this kind) and a
# loader (what it found, the source, the convention, the options -> the Report).  Each imports
# what it needs only for a source of its kind: a preset's count reads neither the spec reader
# nor the shorthand's.

def _torch(source: Any) -> str | None:
    """'torch:package.module:factory': a module, or a callable returning one."""
    return source[len("torch:"):] if isinstance(source, str) and \
        source.lower().startswith("torch:") else None


def _load_torch(target: str, source: Any, convention: str | None,
                options: dict[str, Any]) -> Report:
    from .importers.from_torch import import_object

    return summary(import_object(target), convention=convention, **options)


def _hub(source: Any) -> Any:
    """org/name (no such local path) or hf:name: a model on the Hugging Face Hub."""
    if not isinstance(source, str) or ("/" not in source and
                                       not source.lower().startswith("hf:")):
        return None
    from .hub.name import parse

    return parse(source)


def _load_hub(name: Any, source: Any, convention: str | None,
              options: dict[str, Any]) -> Report:
    from .hub import count as count_hub

    return count_hub(name, bool(options.get("base")), str(options.get("part", "both")))


def _folder(source: Any) -> str | None:
    """save_pretrained's folder: its config and checkpoint, read as a Hub repo is."""
    import os

    return source if isinstance(source, str) and os.path.isdir(source) else None


def _load_folder(path: str, source: Any, convention: str | None,
                 options: dict[str, Any]) -> Report:
    from .hub.repo import count_folder

    return count_folder(path, bool(options.get("base")), str(options.get("part", "both")))


def _preset(source: Any) -> Any:
    """A preset's name (they start with a letter, shorthands with a digit); not a path that
    exists, nor a name with a file's suffix."""
    if not isinstance(source, str) or not source[:1].isalpha():
        return None
    from .architectures.presets import find_preset

    return find_preset(source)


def _load_preset(preset: Any, source: Any, convention: str | None,
                 options: dict[str, Any]) -> Report:
    return preset.count(convention, **options)  # type: ignore[no-any-return]


def _file(source: Any) -> Any:
    """A model file, by its suffix (importers.FORMATS)."""
    if not isinstance(source, str) or "." not in source:  # every suffix has one
        return None
    from .importers import format_for

    return format_for(source)


def _load_file(fmt: Any, source: Any, convention: str | None,
               options: dict[str, Any]) -> Report:
    return fmt.load(source, convention)  # type: ignore[no-any-return]


def _spec_file(source: Any) -> str | None:
    """A .json / .yaml file (or any file that exists): a layer spec or a config.json."""
    if not isinstance(source, str):
        return None
    from . import spec

    return source if spec.looks_like_file(source) else None


def _load_spec_file(path: str, source: Any, convention: str | None,
                    options: dict[str, Any]) -> Report:
    from . import spec

    return _parsed(spec.load(path), convention, bool(options.get("base")), path)


def _object(source: Any) -> dict[str, Any] | None:
    """A layer spec or a config as a dict (parsed JSON)."""
    return source if isinstance(source, dict) else None


def _load_object(data: dict[str, Any], source: Any, convention: str | None,
                 options: dict[str, Any]) -> Report:
    return _parsed(data, convention, bool(options.get("base")))


def _parsed(data: Any, convention: str | None, base: bool, where: str | None = None) -> Report:
    """A config.json when it looks like one (base: the base model), else a layer spec."""
    from .architectures import count_config, looks_like_config
    from .network import count_spec

    if looks_like_config(data):
        return count_config(data, where or "config", base)
    if where is None:
        return count_spec(data, convention or "pytorch")
    return count_spec(data, convention or "pytorch", where)


def _shorthand(source: Any) -> str | None:
    """An MLP shorthand, '10-20x3-2': any text no other kind knows (refused by name when it is
    not one)."""
    return source if isinstance(source, str) else None


def _load_shorthand(text: str, source: Any, convention: str | None,
                    options: dict[str, Any]) -> Report:
    from . import shorthand

    return shorthand.count(text, convention or "pytorch")


# kind: (whether it takes an input size or data, its recogniser, its loader), in the order
# count() tries them.  A new kind of source is a recogniser, a loader and a line here.
READERS: dict[str, tuple[bool, Callable[[Any], Any],
                         Callable[[Any, Any, str | None, dict[str, Any]], Report]]] = {
    "object": (False, _object, _load_object),
    "torch": (True, _torch, _load_torch),
    "hub": (False, _hub, _load_hub),
    "folder": (False, _folder, _load_folder),
    "preset": (False, _preset, _load_preset),
    "file": (False, _file, _load_file),
    "spec": (False, _spec_file, _load_spec_file),
    "shorthand": (False, _shorthand, _load_shorthand),
}


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
