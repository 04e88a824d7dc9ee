"""The design tools' answers: growth (POST /api/growth), search, init, sparsity, and the
comparisons: diff and compare."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Integer, Real, Schema
from .count import Count

__all__ = ["Diff", "DiffSide", "GrowthAnswer", "Mismatch", "Pareto", "Scales", "Search",
           "SearchCandidate", "Series", "SparseTensor", "Summary"]


class Series(Schema):
    fixed: Integer = Field(description="the other size, held")
    sizes: list[Integer]
    params: list[Integer]
    exponent: float = Field(description="parameters ~ size^exponent between the last two "
                                        "points")


class GrowthAnswer(Schema):
    """POST /api/growth."""

    width: Series
    depth: Series


class Summary(Count):
    """`nnsize compare --json`: a list of counts, one a network."""

    layers: Integer = Field(description="the number of layers, instead of the rows")  # type: ignore[assignment]


class DiffSide(Schema):
    source: str
    total_params: Integer


class Mismatch(Schema):
    name: str
    a: list[Integer]
    b: list[Integer]


class Diff(Schema):
    """`nnsize diff --json` (exit 1 when they differ)."""

    a: DiffSide
    b: DiffSide
    same: bool
    only_a: list[str]
    only_b: list[str]
    mismatched: list[Mismatch] = Field(description="tensors of both, of other shapes")
    tied_not_stored: list[str] = Field(description="tied in one, absent from the other: the "
                                                   "same model")
    fused_experts: list[str] = Field(description="expert groups matched in fused form")
    gguf_names: Literal["A", "B"] | None = Field(description="that side renamed as GGUF names "
                                                             "tensors, against a GGUF file")


class SearchCandidate(Schema):
    label: str
    sizes: dict[str, Integer]
    params: Integer


class Pareto(Schema):
    axis: str = Field(description="the size along which the frontier runs; \"\": none")
    candidates: list[SearchCandidate]


class Search(Schema):
    """`nnsize search --json`."""

    family: str
    space: Integer = Field(description="the designs searched")
    fitting: Integer = Field(description="those within the budget")
    budget_params: Integer
    candidates: list[SearchCandidate] = Field(description="the largest that fit")
    pareto: Pareto


class Scales(Schema):
    """`nnsize init --json`: a list, one a weight."""

    name: str
    shape: list[Integer]
    fan_in: Integer
    fan_out: Integer
    xavier_uniform_bound: Real
    xavier_normal_std: Real
    kaiming_uniform_bound_fan_in: Real
    kaiming_normal_std_fan_in: Real
    kaiming_uniform_bound_fan_out: Real
    kaiming_normal_std_fan_out: Real
    lecun_normal_std: Real
    orthogonal_std: Real


class SparseTensor(Schema):
    """`nnsize sparsity --json`: a list, one a weight."""

    name: str
    shape: list[Integer]
    sparsity: Real
    nonzeros: Integer
    bytes: dict[str, Integer] = Field(description="per storage format (dense, coo, csr, csc, "
                                                  "bitmask, 2:4)")
    break_even: dict[str, Real] = Field(description="the sparsity past which each format "
                                                    "takes fewer bytes than dense")
