"""What the page tests wait for, shared by tests/web/test_page*.py (the page fixture is in
conftest.py).  Timeouts are generous: the test machine is shared."""

from __future__ import annotations

from typing import Any


def wait_for(page: Any, total: str) -> None:
    """Until the calculator's total reads total."""
    page.wait_for_function("(t) => document.getElementById('total-params').textContent === t",
                           arg=total, timeout=30_000)


def wait_text(page: Any, selector: str, text: str, timeout: int = 30_000) -> None:
    """Until the first element selector finds contains text."""
    page.wait_for_function("([s, t]) => (document.querySelector(s) || {}).textContent"
                           "?.includes(t)", arg=[selector, text], timeout=timeout)


def settled(page: Any) -> None:
    """Until no panel is loading."""
    page.wait_for_function("!document.querySelector('[aria-busy=true]')", timeout=30_000)
