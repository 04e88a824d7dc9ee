"""nnsize: exact sizes of neural networks.

    >>> import nnsize
    >>> nnsize.count("10-20-20-20-2").total_params
    1102
"""

from __future__ import annotations

from typing import Any

from .errors import NnsizeError, SpecError
from .model import Report, Row, Tensor

__version__ = "0.1.0"
__all__ = ["NnsizeError", "Report", "Row", "SpecError", "Tensor", "count", "mlp", "__version__"]


def count(source: Any, convention: str = "pytorch") -> Report:
    """Count a network: an MLP shorthand ('10-20x3-2'), a spec dict, or a .json/.yaml spec file.

    convention: 'pytorch' (default) or 'keras', where the frameworks differ (LSTM biases,
    BatchNorm statistics).  Raises NnsizeError (a ValueError) for anything that cannot be counted.
    """
    from . import shorthand, spec
    from .network import count_spec

    if isinstance(source, dict):
        return count_spec(source, convention)
    if hasattr(source, "__fspath__"):
        source = str(source)
    if not isinstance(source, str):
        raise SpecError(f"cannot count a {type(source).__name__}: give a shorthand, "
                        f"a spec dict or a spec file path")
    if spec.looks_like_file(source):
        return count_spec(spec.load(source), convention, source)
    return shorthand.count(source, convention)


def mlp(inputs: int, hidden_layers: int, neurons: int, outputs: int,
        convention: str = "pytorch") -> Report:
    """The original calculator: input neurons, hidden layers, neurons per hidden layer, outputs."""
    from . import shorthand

    return shorthand.count(shorthand.from_counts(inputs, hidden_layers, neurons, outputs),
                           convention)
