"""The Report's and Row's conveniences for Python users, supplied from above.

model.py holds plain records of numbers and imports neither analyses nor render; what a user
reaches from a Report (its memory per precision, its JSON, its text, HTML and DataFrame, a row's
formula) is attached here, each importing what it needs when first called.
"""

from __future__ import annotations

from typing import Any

from .model import Report, Row


def _memory(self: Report) -> dict[str, int]:
    """Bytes of the parameters at each precision of the parameter table."""
    from .precision import memory_table

    return memory_table(self.total_params)


def _report_dict(self: Report) -> dict[str, Any]:
    """The JSON the CLI prints with --json."""
    from .render.json import report_dict

    return report_dict(self)


def _str(self: Report) -> str:
    from .render.report import render

    return render(self, "table")


def _html(self: Report) -> str:
    from .render.report import html

    return html(self)


def _dataframe(self: Report) -> Any:
    """The rows as a pandas DataFrame (pandas must be installed)."""
    try:
        import pandas as pd
    except ImportError as e:
        from .errors import NnsizeError

        raise NnsizeError("to_dataframe() needs pandas: pip install pandas") from e
    from .render.report import CSV_COLUMNS, csv_rows

    return pd.DataFrame(csv_rows(self), columns=CSV_COLUMNS)


def _formula_text(self: Row) -> str:
    """'(10 x 20) + 20 = 220', or '3 x ((20 x 20) + 20) = 1,260' for a repeated layer."""
    from .render.formula import formula_text

    return formula_text(self)


def _row_dict(self: Row) -> dict[str, Any]:
    from .render.json import row_dict

    return row_dict(self)


def install() -> None:
    methods: dict[type, dict[str, Any]] = {
        Report: {"memory": property(_memory), "to_dict": _report_dict, "__str__": _str,
                 "_repr_html_": _html, "to_dataframe": _dataframe},
        Row: {"formula_text": property(_formula_text), "to_dict": _row_dict},
    }
    for cls, named in methods.items():
        for name, value in named.items():
            setattr(cls, name, value)
