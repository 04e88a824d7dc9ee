"""nnsize: exact sizes of neural networks.

    >>> import nnsize
    >>> nnsize.count("10-20-20-20-2").total_params
    1102
"""

from __future__ import annotations

from .errors import NnsizeError, SpecError
from .model import Report, Row, Tensor
from .sources import count, mlp, summary
from .version import __version__

__all__ = ["NnsizeError", "Report", "Row", "SpecError", "Tensor", "count", "mlp", "summary",
           "__version__"]
