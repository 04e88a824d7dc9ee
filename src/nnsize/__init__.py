"""nnsize: exact sizes of neural networks.

    >>> import nnsize
    >>> nnsize.count("10-20-20-20-2").total_params
    1102

The names below are imported when first used (PEP 562), so that `import nnsize.cli` or
`nnsize --version` pays only for what it runs.
"""

from __future__ import annotations

from .lazy import exports

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .errors import NnsizeError, SpecError
    from .model import Report, Row, Tensor
    from .sources import count, mlp, summary
    from .version import __version__

__all__ = ["NnsizeError", "Report", "Row", "SpecError", "Tensor", "count", "mlp", "summary",
           "__version__"]

# name: the module of this package that defines it
_WHERE = {"NnsizeError": "errors", "SpecError": "errors", "Report": "model", "Row": "model",
          "Tensor": "model", "count": "sources", "mlp": "sources", "summary": "sources",
          "__version__": "version"}


__getattr__, __dir__ = exports(__name__, _WHERE)
