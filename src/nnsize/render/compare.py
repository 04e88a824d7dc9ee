"""Several networks side by side, one row each."""

from __future__ import annotations

from collections.abc import Callable

from ..model import Report
from .numbers import human, n
from .table import markdown_table, table


def summary(report: Report) -> dict[str, object]:
    from .json import report_dict

    return report_dict(report, layers=False)


def _layers(report: Report) -> str:
    from ..compute import layer_count

    return n(layer_count(report))


def _macs(report: Report) -> str:
    """One forward pass of the input, or a language model's per token (as report_dict)."""
    from ..compute import token_macs

    token = token_macs(report)
    return n(report.macs) if token is None else n(token) + " a token"


def _memory(report: Report) -> dict[str, int]:
    from ..precision import memory_table

    return memory_table(report.total_params)


COMPARE: list[tuple[str, Callable[[Report], str]]] = [
    ("Network", lambda r: r.source),
    ("Layers", _layers),
    ("Weights", lambda r: n(r.weights)),
    ("Biases", lambda r: n(r.biases)),
    ("Total params", lambda r: n(r.total_params)),
    ("Trainable", lambda r: n(r.trainable_params)),
    ("MACs", _macs),
    ("fp32", lambda r: human(_memory(r)["fp32"], True)),
    ("fp16", lambda r: human(_memory(r)["fp16"], True)),
    ("int8", lambda r: human(_memory(r)["int8"], True)),
]


def compare(reports: list[Report], fmt: str = "table") -> str:
    import csv
    import io
    import json

    if fmt == "json":
        return json.dumps([summary(r) for r in reports], indent=2)
    headers = [h for h, _ in COMPARE]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        keys = ["source", "layers", "weights", "biases", "total_params", "trainable_params",
                "non_trainable_params", "buffers", "macs"]
        w.writerow(keys + [f"memory_{k}" for k in _memory(reports[0])])
        for r in reports:
            s = summary(r)
            w.writerow([s[k] for k in keys] + list(_memory(r).values()))
        return buf.getvalue().rstrip("\n")
    rows = [[f(r) for _, f in COMPARE] for r in reports]
    if fmt == "markdown":
        return markdown_table(headers, rows)
    return table(headers, rows, [False] + [True] * (len(headers) - 1))
