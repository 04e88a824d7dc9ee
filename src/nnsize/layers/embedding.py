"""Lookup tables: Embedding and EmbeddingBag.  weight: num_embeddings x embedding_dim."""

from __future__ import annotations

from ..errors import SpecError
from ..model import Saves, Shape, Tensor
from ..model.blocks import embedding as table
from ..records import record
from . import KERAS, PYTORCH, Kind, Pos, alias, need_rank, register
from .registry import translate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@register
@record
class Embedding(Kind):
    """Indices of any shape -> that shape + (embedding_dim,).  A lookup: no MACs."""

    saves = Saves()  # the indices only

    num_embeddings: Pos
    embedding_dim: Pos
    padding_idx: int | None = None
    max_norm: float | None = None
    norm_type: float = 2.0
    scale_grad_by_freq: bool = False
    sparse: bool = False

    factory = True

    def __post_init__(self) -> None:
        if self.padding_idx is not None and not \
                -self.num_embeddings <= self.padding_idx < self.num_embeddings:
            raise SpecError(f"padding_idx={self.padding_idx} must be within num_embeddings="
                            f"{self.num_embeddings}")

    def output_shape(self, x: Shape) -> Shape:
        return (*x, self.embedding_dim)

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        return table(self.num_embeddings, self.embedding_dim, convention == KERAS)


@register
@record
class EmbeddingBag(Kind):
    """A bag of N indices -> one embedding_dim vector (sum, mean or max of the rows)."""

    num_embeddings: Pos
    embedding_dim: Pos
    max_norm: float | None = None
    norm_type: float = 2.0
    scale_grad_by_freq: bool = False
    mode: str = "mean"
    sparse: bool = False
    include_last_offset: bool = False
    padding_idx: int | None = None

    factory = True

    def __post_init__(self) -> None:
        if self.mode not in ("sum", "mean", "max"):
            raise SpecError(f"mode: one of 'sum', 'mean', 'max', got {self.mode!r}")

    def output_shape(self, x: Shape) -> Shape:
        need_rank(x, (1,), "(a bag of indices)")
        return (self.embedding_dim,)

    def tensors(self, convention: str = PYTORCH) -> list[Tensor]:
        return table(self.num_embeddings, self.embedding_dim)


@alias("Embedding", shared=True)
def _embedding(args: dict[str, Any], x: Shape) -> tuple[str, dict[str, Any]]:
    return "Embedding", translate("Embedding", args, {"input_dim": "num_embeddings",
                                                      "output_dim": "embedding_dim"})
