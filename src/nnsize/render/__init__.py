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

Each is imported from its module (nnsize.render.report.text); render() below picks a count's
module by its format, so that a count's text does not load the JSON, comparison or planner
renderers, nor its JSON the text tables.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..model import Report

FORMATS = ("table", "json", "markdown", "csv")  # a count's: --format's choices


def render(report: Report, fmt: str = "table", explain: bool = False) -> str:
    """A count in one of FORMATS (explain: with the worked sums, in text and Markdown)."""
    if fmt == "json":
        import json

        from .json import report_dict

        return json.dumps(report_dict(report), indent=2)
    from .report import render as text_formats

    return text_formats(report, fmt, explain)
