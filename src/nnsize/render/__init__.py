"""The only place numbers become strings: text, JSON, Markdown, CSV, HTML.

    numbers   1,102; 3.81 MiB; [1, 3, 224, 224]
    table     aligned plain-text and Markdown tables
    formula   a count as a sum with the numbers in it
    report    a count: layer table, totals, memory table, worked sums (text, Markdown, CSV, HTML)
    compare   several counts side by side
    json      one JSON schema per result, for the CLI and the web API
    plan      the memory planner's results
    design    search, growth, initialization, sparsity
    diff      two sources of one model
    presets   the preset list
"""

from __future__ import annotations

from .compare import compare, summary
from .formula import formula, formula_text
from .numbers import human, in_unit, n, shape, unit_for
from .report import (
    CSV_COLUMNS,
    FORMATS,
    csv_rows,
    explanation,
    html,
    layer_table,
    markdown,
    memory_rows,
    render,
    text,
    totals,
)
from .table import markdown_table, table

__all__ = ["CSV_COLUMNS", "FORMATS", "compare", "csv_rows", "explanation", "formula",
           "formula_text", "html", "human", "in_unit", "layer_table", "markdown",
           "markdown_table", "memory_rows", "n", "render", "shape", "summary", "table", "text",
           "totals", "unit_for"]
