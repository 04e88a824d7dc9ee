"""How parameters and memory grow with width and with depth, for an MLP.

With depth d >= 2 hidden layers of width w, parameters are in w + (d - 1) w^2 + w out + (d + out):
quadratic in width, linear in depth.  So "memory grows quadratically with network size" is true
of width and false of depth; the growth exponent is measured here from the counts themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import NnsizeError
from .search import Range, mlp_params
from .shorthand import parse


@dataclass(frozen=True)
class Series:
    axis: str  # "width" or "depth"
    fixed: int  # the other size, held
    sizes: list[int]
    params: list[int]

    @property
    def exponent(self) -> float:
        """Parameters ~ size^exponent between the last two points, where the leading term
        rules (at small sizes the linear terms still weigh in)."""
        if len(self.sizes) < 2 or self.sizes[-1] == self.sizes[-2]:
            return 0.0
        a, b = self.sizes[-2], self.sizes[-1]
        return math.log(self.params[-1] / self.params[-2]) / math.log(b / a)


def mlp_growth(network: str, widths: Range, depths: Range) -> tuple[int, int, Series, Series]:
    """Parameters of the network's MLP as its hidden width and its depth vary."""
    sizes = parse(network)
    hidden = sizes[1:-1]
    if not hidden or len({w for w, _ in hidden}) != 1:
        raise NnsizeError(f"{network!r}: growth needs hidden layers of one width, like "
                          f"10-20x3-2")
    inputs, outputs = sizes[0][0], sizes[-1][0]
    width, depth = hidden[0][0], sum(n for _, n in hidden)
    if len(widths) > 10_000 or len(depths) > 10_000:
        raise NnsizeError("at most 10,000 sizes along each axis; give a step")
    by_width = Series("width", depth, list(widths),
                      [mlp_params(inputs, depth, w, outputs) for w in widths])
    by_depth = Series("depth", width, list(depths),
                      [mlp_params(inputs, d, width, outputs) for d in depths])
    return inputs, outputs, by_width, by_depth


def plot(series: list[Series], title: str, path: str) -> None:
    """Parameters against width and against depth, log-log, to a .png or .svg file."""
    if not path.lower().endswith((".png", ".svg")):
        raise NnsizeError(f"--plot {path!r}: give a .png or .svg file name")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise NnsizeError("plots need matplotlib: pip install 'nnsize[plot]'") from e
    fig, axes = plt.subplots(1, len(series), figsize=(5 * len(series), 4))
    for ax, s in zip(axes if len(series) > 1 else [axes], series):
        ax.loglog(s.sizes, s.params, marker="o", markersize=3)
        other = "depth" if s.axis == "width" else "width"
        ax.set_title(f"vs {s.axis} ({other} {s.fixed}): ~ {s.axis}^{s.exponent:.2f}")
        ax.set_xlabel(s.axis)
        ax.set_ylabel("parameters")
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as e:
        raise NnsizeError(f"--plot {path!r}: cannot write it ({e.strerror or e})") from e
    finally:
        plt.close(fig)
