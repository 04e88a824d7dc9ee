"""The design tools' results as text and JSON: search, growth, initialization, sparsity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Report
from .numbers import human, n, shape
from .table import table

if TYPE_CHECKING:
    from ..growth import Series
    from ..initialization import Scales
    from ..search import Result
    from ..sparsity import SparseTensor


def search_text(result: Result, bits: int | None = None) -> str:
    def memory(params: int) -> str:
        from ..precision import Precision, storage_bytes

        return human(storage_bytes(params, Precision("", bits, "")), True) if bits else ""

    head = ["#", "Candidate", "Parameters", *(["Memory"] if bits else [])]
    rows = [[str(i + 1), c.label, n(c.params), *([memory(c.params)] if bits else [])]
            for i, c in enumerate(result.best)]
    out = [f"{n(result.fitting)} of {n(result.space)} {result.family} candidates fit the budget "
           f"of {n(result.budget)} parameters; the largest first:", "",
           table(head, rows, [True, False, True, True])]
    if result.pareto:
        axis = result.pareto_axis
        out += ["", f"Pareto front: the most parameters for each {axis} (none beats these with "
                    f"no more {axis}):",
                table([axis, "Candidate", "Parameters"],
                      [[str(c.sizes[axis]), c.label, n(c.params)] for c in result.pareto],
                      [True, False, True])]
    return "\n".join(out)


def growth_text(network: str, series: list[Series]) -> str:
    out = []
    for s in series:
        other = "depth" if s.axis == "width" else "width"
        rows = [[n(size), n(p), human(4 * p, True), f"{p / s.params[0]:.2f}x"]
                for size, p in zip(s.sizes, s.params)]
        out += [f"{network}: parameters against {s.axis} ({other} held at {s.fixed}); "
                f"at the largest sizes they grow as {s.axis}^{s.exponent:.2f}",
                table([s.axis.capitalize(), "Parameters", "fp32", "vs first"], rows,
                      [True, True, True, True]), ""]
    out.append("Width multiplies parameters quadratically (each hidden layer is width x width); "
               "depth only adds one more such layer each time: linear.")
    return "\n".join(out)


def init_text(report: Report, scales: list[Scales], nonlinearity: str) -> str:
    def f(x: float) -> str:
        return f"{x:.4g}"

    rows = [[s.name, shape(s.shape), n(s.fan_in), n(s.fan_out), f(s.xavier_uniform_bound),
             f(s.xavier_normal_std), f(s.kaiming_uniform_bound_fan_in),
             f(s.kaiming_normal_std_fan_in), f(s.kaiming_normal_std_fan_out),
             f(s.lecun_normal_std), f(s.orthogonal_std)] for s in scales]
    return "\n".join([
        f"{report.source}: initialization scales as torch.nn.init computes them "
        f"(gain for {nonlinearity})", "",
        table(["Weight", "Shape", "fan_in", "fan_out", "Xavier U bound", "Xavier N std",
               "He U bound", "He N std", "He N std (fan_out)", "LeCun std", "Orthogonal std"],
              rows, [False, False] + [True] * 9)])


def sparsity_text(report: Report, tensors: list[SparseTensor], value_bits: int,
                  index_bits: int) -> str:
    from ..sparsity import FORMATS

    rows, totals_ = [], dict.fromkeys(FORMATS, 0)
    for t in tensors:
        for fmt in FORMATS:
            totals_[fmt] += t.bytes[fmt]
        rows.append([t.name, shape(t.shape), f"{float(t.sparsity):.1%}", n(t.nonzeros),
                     *(n(t.bytes[f]) for f in FORMATS)])
    nnz = sum(t.nonzeros for t in tensors)
    rows.append(["total", "", "", n(nnz), *(n(totals_[f]) for f in FORMATS)])
    even = tensors[0].break_even if tensors else {}
    out = [f"{report.source}: weights at the given sparsity, {value_bits}-bit values, "
           f"{index_bits}-bit indices (bytes)", "",
           table(["Weight", "Shape", "Sparsity", "Non-zeros", "Dense", "COO", "CSR", "CSC",
                  "Bitmask", "2:4"], rows, [False, False, True, True, True, True, True, True,
                                             True, True])]
    if even:
        out += ["", f"Break-even sparsity for {tensors[0].name} {shape(tensors[0].shape)} "
                    f"(above it the format is smaller than dense): " +
                ", ".join(f"{k} {float(v):.1%}" for k, v in even.items()),
                "2:4 keeps exactly half of every four weights (50% sparse, whatever the "
                "sparsity asked)."]
    return "\n".join(out)
