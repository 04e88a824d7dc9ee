"""A budget check as text: one line per budget, ok or OVER."""

from __future__ import annotations

from ..model import Report


def check_text(report: Report, checks: list[tuple[str, int, int, bool]]) -> str:
    lines = []
    for what, used, limit, ok in checks:
        unit = " B" if what != "parameters" else ""
        lines.append(f"{'ok  ' if ok else 'OVER'} {what} {used:,}{unit} {'<=' if ok else '>'} "
                     f"{limit:,}{unit}")
    return f"{report.source}\n" + "\n".join(lines)
