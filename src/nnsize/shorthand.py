"""The calculator's shorthand for a multilayer perceptron: 10-20-20-20-2, 784-512x4-10.

Sizes are separated by '-': the input, the hidden layers, the output.  'WxN' stands for N hidden
layers of W neurons.  Every arrow between two sizes is one Linear layer with a bias.
"""

from __future__ import annotations

import re

from .errors import SpecError
from .model import Report
from .records import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_NUMBER = re.compile(r"[0-9][0-9_]*")
MAX_DIGITS = 100  # 10^100 neurons is already far past any network; longer is a typo


def _number(text: str, token: str, position: int, what: str) -> int:
    if not text:
        raise SpecError(f"token {position} {token!r}: {what} is missing")
    if not _NUMBER.fullmatch(text) or text.endswith("_") or "__" in text:
        raise SpecError(f"token {position} {token!r}: {what} {text!r} is not a whole number")
    if len(text.replace("_", "")) > MAX_DIGITS:
        raise SpecError(f"token {position}: {what} has more than {MAX_DIGITS} digits")
    value = int(text)
    if value < 1:
        raise SpecError(f"token {position} {token!r}: {what} must be at least 1")
    return value


def parse(text: str) -> list[tuple[int, int]]:
    """[(width, count), ...] from '784-512x4-10'; raises SpecError naming the bad token."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError("empty network: give sizes like 10-20-20-20-2 "
                        "(input, hidden layers, output)")
    tokens = text.strip().split("-")
    layers = []
    for position, token in enumerate(tokens, 1):
        token = token.strip()
        if not token:
            hint = " (sizes cannot be negative)" if position == 1 else ""
            raise SpecError(f"token {position}: empty size in {text!r}: sizes are whole numbers "
                            f"separated by single '-'{hint}")
        width, sep, count = token.partition("x")
        w = _number(width, token, position, "the layer width")
        n = _number(count, token, position, "the repeat count after 'x'") if sep else 1
        if sep and position in (1, len(tokens)):
            raise SpecError(f"token {position} {token!r}: only hidden layers repeat; the "
                            f"{'input' if position == 1 else 'output'} is one size")
        layers.append((w, n))
    if len(layers) < 2:
        raise SpecError(f"{text!r} has one size; a network needs at least an input and an "
                        f"output, as in 10-2")
    return layers


def to_spec(text: str) -> dict[str, Any]:
    """The layer spec of a shorthand: Linear layers, repeats kept as repeats."""
    sizes = parse(text)
    layers: list[dict[str, Any]] = []
    for width, count in sizes[1:]:
        layers.append({"type": "Linear", "out_features": width})
        if count > 1:
            layers.append({"type": "Linear", "out_features": width, "repeat": count - 1})
    return {"input_shape": [sizes[0][0]], "layers": layers, "name": text.strip()}


def _node(position: int, last: int) -> str:
    return "Input" if position == 0 else "Output" if position == last else f"Hidden {position:,}"


def count(text: str, convention: str = "pytorch") -> Report:
    """The report of a shorthand, its rows labelled 'Input -> Hidden 1' and so on."""
    from .network import count_spec

    report = count_spec(to_spec(text), convention, text.strip())
    last = report.rows[-1].last_position + 1
    rows = []
    for row in report.rows:
        a, b = row.index, row.last_position
        label = f"{_node(a, last)} -> {_node(a + 1, last)}"
        if b != a:
            label += ", ..." if b > a + 1 else ""
            label += f", {_node(b, last)} -> {_node(b + 1, last)}"
        rows.append(replace(row, label=label))
    return replace(report, rows=tuple(rows))


def from_counts(inputs: int, hidden_layers: int, neurons: int, outputs: int) -> str:
    """The original calculator's four inputs as a shorthand: 10, 3, 20, 2 -> '10-20x3-2'."""
    for name, value in (("inputs", inputs), ("neurons", neurons), ("outputs", outputs)):
        if value < 1:
            raise SpecError(f"{name} must be at least 1, got {value}")
    if hidden_layers < 0:
        raise SpecError(f"hidden layers must be 0 or more, got {hidden_layers}")
    # Spelled out, as the original calculator lists every layer, unless there are many.
    middle = [str(neurons)] * hidden_layers if hidden_layers <= 16 else \
        [f"{neurons}x{hidden_layers}"]
    return "-".join([str(inputs), *middle, str(outputs)])
