"""What a count produces, one noun a module:

    tensor   a parameter or buffer (Tensor), shapes, a count as a sum of products (Formula)
    row      one layer, or a run of identical layers (Row), and what autograd saves (Saves)
    decoder  a language model's shape: its attention layers, decoder, encoder-decoder
    report   the count of one network (Report): its rows, totals and presenters
    contents what a file or a repo holds beside the count (Report.stored), typed for mypy
    blocks   the tensors of a linear map, a norm and an embedding table, in each framework's
             names (the layer kinds and the architectures both read them)
"""

from __future__ import annotations

from ..lazy import exports

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .decoder import AttentionLayer, Decoder, EncoderDecoder, Layers, StateMixer
    from .report import Report
    from .row import ONCE_AN_INPUT, Row, Saves
    from .tensor import ROLES, Formula, Shape, Tensor, Term, numel, sum_formula

__all__ = ["ONCE_AN_INPUT", "ROLES", "AttentionLayer", "Decoder", "EncoderDecoder", "Formula",
           "Layers", "Report", "Row", "Saves", "Shape", "StateMixer", "Tensor", "Term", "numel",
           "sum_formula"]

# each imported when first used: a count of an MLP needs no language model's records
__getattr__, __dir__ = exports(__name__, {
    **dict.fromkeys(("AttentionLayer", "Decoder", "EncoderDecoder", "Layers", "StateMixer"),
                   "decoder"),
    "Report": "report", "Row": "row", "Saves": "row", "ONCE_AN_INPUT": "row",
    **dict.fromkeys(("ROLES", "Formula", "Shape", "Tensor", "Term", "numel", "sum_formula"),
                    "tensor")})
