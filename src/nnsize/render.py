"""The only place numbers become strings: text tables, JSON, Markdown, CSV."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .model import Report, Row, Shape

FORMATS = ("table", "json", "markdown", "csv")
BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
DECIMAL = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


# --- numbers ---------------------------------------------------------------------------------

def n(value: int) -> str:
    return f"{value:,}"


def bits(value: Any) -> str:
    """Bits per value: 16, or 4.5 for a format whose scales add a fraction of a bit."""
    return str(value) if isinstance(value, int) else f"{float(value):.4g}"


def unit_for(nbytes: int, binary: bool) -> int:
    """Index of the largest unit in which nbytes is at least 1."""
    base, units, i = (1024 if binary else 1000), (BINARY if binary else DECIMAL), 0
    while i + 1 < len(units) and nbytes >= base ** (i + 1):
        i += 1
    return i


def in_unit(nbytes: int, unit: int, binary: bool) -> str:
    """nbytes in a unit, exactly rounded: two decimals, three when three say it exactly.

    1,000,000 B -> '3.81 MiB' at fp32 x 4 ... 125,000 B -> '0.12 MiB' and '0.125 MB'.
    """
    units = BINARY if binary else DECIMAL
    if unit == 0:
        return f"{nbytes:,} B"
    size = (1024 if binary else 1000) ** unit
    if (nbytes * 100) % size and not (nbytes * 1000) % size:
        q = nbytes * 1000 // size
        return f"{q // 1000:,}.{q % 1000:03d} {units[unit]}"
    q = (2 * nbytes * 100 + size) // (2 * size)  # half up, in integers: exact at any size
    return f"{q // 100:,}.{q % 100:02d} {units[unit]}"


def human(nbytes: int, binary: bool) -> str:
    return in_unit(nbytes, unit_for(nbytes, binary), binary)


def shape(s: Shape) -> str:
    return "[" + ", ".join(f"{d:,}" for d in s) + "]"


# --- plain-text tables -----------------------------------------------------------------------

def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w)
                         for c, w, r in zip(cells, widths, right)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _tree_table(report: Report) -> tuple[list[str], list[list[str]], list[bool]]:
    """A module tree: each module's own parameters, and with everything below it."""
    headers = ["Module", "Type", "Output shape", "Params", "With children", "Trainable",
               "Buffers", "MACs", "With children"]
    rows = []
    for r in report.rows:
        params, macs = report.with_children(r)
        shared = [t.name for t in r.tensors if t.shared_with]
        label = "  " * r.depth + (r.label or "(root)")
        rows.append([label + (f" [shares {', '.join(shared)}]" if shared else ""), r.type,
                     shape(r.output_shape) if r.output_shape else "-", n(r.params), n(params),
                     n(r.trainable), n(r.buffers), n(r.macs), n(macs)])
    return headers, rows, [False, False, False, True, True, True, True, True, True]


def layer_table(report: Report) -> tuple[list[str], list[list[str]], list[bool]]:
    if report.is_tree:
        return _tree_table(report)
    # (header, cell, right-aligned, shown): columns with nothing to say are left out
    columns: list[tuple[str, Callable[[Row], str], bool, bool]] = [
        ("#", lambda r: r.name, True, any(r.name != r.label for r in report.rows)),
        ("Layer", lambda r: r.label, False, True),
        ("Type", lambda r: r.type, False, any(r.label != r.type for r in report.rows)),
        ("Output shape", lambda r: shape(r.output_shape), False,
         any(r.output_shape for r in report.rows)),
        ("Weights", lambda r: n(r.weights), True, True),
        ("Biases", lambda r: n(r.biases), True, True),
        ("Params", lambda r: n(r.params), True, True),
        ("Active", lambda r: n(r.active), True, report.active_params != report.total_params),
        ("MACs", lambda r: n(r.macs), True, _has_compute(report)),
        ("Formula", lambda r: r.formula_text, False, True),
    ]
    shown = [c for c in columns if c[3]]
    return ([c[0] for c in shown], [[c[1](r) for c in shown] for r in report.rows],
            [c[2] for c in shown])


def _has_compute(report: Report) -> bool:
    return bool(report.macs) or any(r.output_shape for r in report.rows)


def totals(report: Report) -> list[tuple[str, str]]:
    lines = [
        ("Trainable weights", n(report.weights)),
        ("Trainable biases", n(report.biases)),
        ("Other trainable parameters", n(report.other_trainable)),
        ("Total parameters", n(report.total_params)),
    ]
    if report.active_params != report.total_params:
        lines.append(("Active parameters", f"{n(report.active_params)} (used per token)"))
    lines += [
        ("Non-trainable parameters", n(report.non_trainable_params)),
        ("Buffers (not parameters)", n(report.buffers)),
    ]
    if _has_compute(report):
        lines.append(("Multiply-accumulates", f"{n(report.macs)} (= {n(2 * report.macs)} FLOPs, "
                      "forward, " + ("for the given input)" if report.is_tree
                                     else "one sample)")))
    return lines


def memory_rows(report: Report) -> list[list[str]]:
    from .precision import PARAMETER_TABLE

    # One unit for the whole table, the one that suits fp32 (the calculator's reference), so
    # the rows compare at a glance: 1M parameters read 3.81 MiB at fp32 and 0.12 MiB at 1 bit.
    top = report.memory["fp32"]
    ub, ud = unit_for(top, True), unit_for(top, False)
    return [[p.name, str(p.bits_per_value), n(report.memory[p.name]),
             in_unit(report.memory[p.name], ub, True), in_unit(report.memory[p.name], ud, False)]
            for p in PARAMETER_TABLE]


MEMORY_HEADERS = ["Precision", "Bits", "Bytes", "Binary (KiB/MiB/GiB)", "Decimal (kB/MB/GB)"]


def text(report: Report, explain: bool = False) -> str:
    inputs = f"input shape {shape(report.input_shape)}, " if report.input_shape else ""
    out = [f"{report.source}  ({inputs}convention: {report.convention})", ""]
    out += [table(*layer_table(report)), ""]
    width = max(len(k) for k, _ in totals(report))
    vwidth = max(len(v.split(" ")[0]) for _, v in totals(report))
    for k, v in totals(report):
        head, _, tail = v.partition(" ")
        out.append(f"{k.ljust(width)}  {head.rjust(vwidth)} {tail}".rstrip())
    if report.stored:
        out += ["", *stored_lines(report.stored)]
    out += ["", f"Parameter memory ({n(report.total_params)} parameters; "
                f"buffers not included)",
            table(MEMORY_HEADERS, memory_rows(report), [False, True, True, True, True])]
    if explain:
        out += ["", explanation(report)]
    return "\n".join(out)


STORED_HEADERS = ["Dtype", "Tensors", "Elements", "Bytes", "Binary"]


def stored_summary(stored: dict[str, Any]) -> str:
    """What a checkpoint file holds, in one sentence."""
    return (f"Stored in the file ({stored['format']}"
            + (f", {stored['shards']} shards" if "shards" in stored else "")
            + f"): {n(stored['tensors'])} tensors, {n(stored['elements'])} elements, "
            f"{n(stored['bytes'])} bytes = {human(stored['bytes'], True)} = "
            f"{human(stored['bytes'], False)}"
            + ("; quantized: parameters above are those of the unquantized model"
               if stored.get("quantized") else ""))


def stored_rows(stored: dict[str, Any]) -> list[list[str]]:
    """What a checkpoint file holds, per dtype: the rows under STORED_HEADERS."""
    return [[dtype, n(d["tensors"]), n(d["elements"]), n(d["bytes"]), human(d["bytes"], True)]
            for dtype, d in stored["dtypes"].items()]


def stored_lines(stored: dict[str, Any]) -> list[str]:
    """What a checkpoint file holds, per dtype."""
    return [stored_summary(stored), table(STORED_HEADERS, stored_rows(stored),
                                          [False, True, True, True, True])]


def explanation(report: Report) -> str:
    """The worked sums, layer by layer, the way a textbook would write them."""
    out = ["How these numbers come about", "============================"]
    for r in report.rows:
        args = ", ".join(f"{k}={v}" for k, v in r.args)
        if r.qualified or r.depth >= 0:  # named rows: a model family's groups, a module tree
            out.append(f"{r.label or r.name or r.type} ({r.type})")
        else:
            where = f"Layer {r.name}" if r.repeat == 1 else \
                f"Layers {r.name} ({n(r.repeat)} alike)"
            label = f"{r.label}: " if r.label != r.type else ""
            out.append(f"{where}  {label}{r.type}({args})")
        if r.input_shape or r.output_shape:
            out.append(f"  input {shape(r.input_shape)} -> output {shape(r.output_shape)}")
        for t in r.tensors:
            dims = " x ".join(t.dims) if t.dims and len(t.dims) == len(t.shape) else ""
            sizes = " x ".join(n(d) for d in t.shape) or "1 (a scalar)"
            copies = f"{n(t.copies)} x " if t.copies != 1 else ""
            kind = f"the same tensor as {t.shared_with}, counted there" if t.shared_with else \
                "buffer" if t.buffer else "parameter" if t.trainable else \
                "non-trainable parameter"
            value = f"{copies}{sizes} = {n(t.numel)}" if len(t.shape) > 1 or t.copies != 1 \
                else f"{sizes}"
            name = t.name.replace("{i}", f"{{{t.start}..{t.start + t.copies - 1}}}")
            out.append(f"  {name}: {dims + ' = ' if dims else ''}{value}   ({t.role}, {kind})")
        if r.tensors:
            terms = [n(t.numel) for t in r.tensors if not t.buffer and not t.shared_with]
            each = f"{' + '.join(terms)} = " if len(terms) > 1 else ""
            line = f"  parameters = {each}{n(r.params_each)}"
            if r.repeat != 1:
                line += f"; x {n(r.repeat)} layers = {n(r.params)}"
            out.append(line)
        else:
            out.append("  no parameters")
        if r.macs_each:
            out.append(f"  multiply-accumulates = {n(r.macs_each)}"
                       + (f" x {n(r.repeat)} = {n(r.macs)}" if r.repeat != 1 else ""))
    with_params = [r for r in report.rows if r.params]
    out.append("")
    out.append(f"Total parameters = {' + '.join(n(r.params) for r in with_params) or '0'} = "
               f"{n(report.total_params)}")
    for title, attr in (("Trainable weights", "weights"), ("Trainable biases", "biases")):
        values = [getattr(r, attr) for r in report.rows]
        parts = [n(v) for v in values if v]
        out.append(f"{title} = {' + '.join(parts) or '0'} = {n(sum(values))}")
    for p in ("fp32", "fp16", "int8"):
        bits = {"fp32": 32, "fp16": 16, "int8": 8}[p]
        b = report.memory[p]
        out.append(f"Memory at {p} = {n(report.total_params)} parameters x {bits} bits / 8 = "
                   f"{n(b)} bytes = {human(b, True)} = {human(b, False)}")
    return "\n".join(out)


# --- other formats ---------------------------------------------------------------------------

def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def esc(c: str) -> str:
        return c.replace("|", "\\|")
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return "\n".join(lines + ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows])


def markdown(report: Report) -> str:
    headers, rows, _ = layer_table(report)
    return "\n".join([
        f"### {report.source}", "",
        f"Input shape {shape(report.input_shape)}, convention: {report.convention}.", "",
        markdown_table(headers, rows), "",
        markdown_table(["Total", "Count"], [[k, v] for k, v in totals(report)]), "",
        markdown_table(MEMORY_HEADERS, memory_rows(report)), ""])


CSV_COLUMNS = ["name", "label", "type", "output_shape", "repeat", "weights", "biases",
               "other_trainable", "non_trainable", "params", "buffers", "macs", "formula"]


def csv_rows(report: Report) -> list[list[Any]]:
    """One list per row, in CSV_COLUMNS order: plain values, numbers left as ints."""
    return [[r.name, r.label, r.type, "x".join(map(str, r.output_shape)), r.repeat, r.weights,
             r.biases, r.other_trainable, r.non_trainable, r.params, r.buffers, r.macs,
             r.formula_text] for r in report.rows]


def csv_text(report: Report) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    w.writerows(csv_rows(report))
    w.writerow(["total", "", "", "x".join(map(str, report.output_shape)), "", report.weights,
                report.biases, report.other_trainable, report.non_trainable_params,
                report.total_params, report.buffers, report.macs, ""])
    return buf.getvalue().rstrip("\n")


def html(report: Report) -> str:
    """An HTML fragment for notebooks: the layer table, the totals and the memory table."""
    from html import escape

    def table_html(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
        head = "".join(f"<th>{escape(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>"
                       for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    headers, rows, _ = layer_table(report)
    return (f"<div class='nnsize-report'><p><b>{escape(report.source)}</b> "
            f"(convention: {escape(report.convention)})</p>"
            + table_html(headers, rows)
            + table_html(["Total", "Count"], [[k, v] for k, v in totals(report)])
            + table_html(MEMORY_HEADERS, memory_rows(report)) + "</div>")


def render(report: Report, fmt: str = "table", explain: bool = False) -> str:
    if fmt == "json":
        import json

        return json.dumps(report.to_dict(), indent=2)
    if fmt == "markdown":
        return markdown(report) + ("\n```\n" + explanation(report) + "\n```" if explain else "")
    if fmt == "csv":
        return csv_text(report)
    return text(report, explain)


# --- several networks side by side -----------------------------------------------------------

def summary(report: Report) -> dict[str, Any]:
    d = report.to_dict()
    d.pop("layers")
    d["layers"] = report.rows[-1].last_position + 1 if report.rows else 0
    return d


COMPARE: list[tuple[str, Callable[[Report], str]]] = [
    ("Network", lambda r: r.source),
    ("Layers", lambda r: n(r.rows[-1].last_position + 1)),
    ("Weights", lambda r: n(r.weights)),
    ("Biases", lambda r: n(r.biases)),
    ("Total params", lambda r: n(r.total_params)),
    ("Trainable", lambda r: n(r.trainable_params)),
    ("MACs", lambda r: n(r.macs)),
    ("fp32", lambda r: human(r.memory["fp32"], True)),
    ("fp16", lambda r: human(r.memory["fp16"], True)),
    ("int8", lambda r: human(r.memory["int8"], True)),
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
        w.writerow(keys + [f"memory_{k}" for k in reports[0].memory])
        for r in reports:
            s = summary(r)
            w.writerow([s[k] for k in keys] + list(r.memory.values()))
        return buf.getvalue().rstrip("\n")
    rows = [[f(r) for _, f in COMPARE] for r in reports]
    if fmt == "markdown":
        return markdown_table(headers, rows)
    return table(headers, rows, [False] + [True] * (len(headers) - 1))


def preset_table(presets: list[Any]) -> str:
    """The presets, one line each: name, kind, what it is, where its numbers come from."""
    rows = [[p.name, p.kind, p.description, p.source] for p in presets]
    return table(["Preset", "Kind", "Model", "Source"], rows, [False] * 4)


def diff_text(d: Any, limit: int = 20) -> str:
    """A comparison of two sources: what only one has, shapes that differ, totals."""
    def listing(title: str, items: list[str]) -> list[str]:
        if not items:
            return []
        more = f"  ... and {n(len(items) - limit)} more" if len(items) > limit else ""
        return [f"{title} ({n(len(items))}):", *(f"  {i}" for i in items[:limit]),
                *([more] if more else [])]

    out = [f"A: {d.a.source}  {n(d.a.total_params)} parameters",
           f"B: {d.b.source}  {n(d.b.total_params)} parameters", ""]
    out += listing("Only in A", d.only_a) + listing("Only in B", d.only_b)
    out += listing("Shapes differ (A vs B)", [f"{name}: {shape(x)} vs {shape(y)}"
                                               for name, x, y in d.mismatched])
    out += listing("Tied to another tensor in one, not stored in the other (the same model)",
                   d.tied_not_stored)
    delta = d.b.total_params - d.a.total_params
    out += ["", "Same tensors and shapes." if d.same else "The two differ.",
            f"Parameters: B - A = {delta:+,}"]
    return "\n".join(out)


# --- design tools: search, growth, initialization, sparsity ----------------------------------

def search_text(result: Any, bits: int | None = None) -> str:
    def memory(params: int) -> str:
        from .precision import Precision, storage_bytes

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


def search_json(result: Any) -> str:
    import json

    def one(c: Any) -> dict[str, Any]:
        return {"label": c.label, "sizes": c.sizes, "params": c.params}

    return json.dumps({"family": result.family, "space": result.space,
                       "fitting": result.fitting, "budget_params": result.budget,
                       "candidates": [one(c) for c in result.best],
                       "pareto": {"axis": result.pareto_axis,
                                  "candidates": [one(c) for c in result.pareto]}}, indent=2)


def growth_text(network: str, series: list[Any]) -> str:
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


def init_text(report: Report, scales: list[Any], nonlinearity: str) -> str:
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


def sparsity_text(report: Report, tensors: list[Any], value_bits: int, index_bits: int) -> str:
    from .sparsity import FORMATS

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


# --- the planner ---------------------------------------------------------------------------------

def plan_text(plan: Any, tool: str | None = None, as_tool: tuple[int, str] | None = None) -> str:
    rows = [[line.name, n(line.bytes), human(line.bytes, True), human(line.bytes, False),
             ("" if line.exact else "~ ") + line.how] for line in plan.lines]
    rows.append(["total (the sum of the lines)", n(plan.total), human(plan.total, True),
                 human(plan.total, False), ""])
    out = [plan.title, "", table(["", "Bytes", "Binary", "Decimal", "How (~ an estimate)"],
                                 rows, [False, True, True, True, False])]
    out += ["", *plan.notes] if plan.notes else []
    if as_tool:
        size, why = as_tool
        out += ["", f"Under {tool}'s assumptions: {n(size)} bytes = {human(size, True)}. {why}."]
    return "\n".join(out)


def fit_verdict(result: Any, gpu: Any) -> str:
    """One sentence: does the plan fit on the GPU, and what it needs."""
    verdict = "fits" if result.fits else "does not fit"
    return (f"On {gpu.name} ({n(gpu.bytes)} bytes = {human(gpu.bytes, True)}; usable "
            f"{human(result.usable, True)} after 1 GiB for the CUDA context and the "
            f"allocator): {verdict}, {human(result.plan.total, True)} needed.")


def fit_lines(result: Any) -> list[tuple[str, str]]:
    """The limits found by the fit, as the CLI and the page both show them."""
    lines = [("Largest batch at this context", _or(result.largest_batch, "none fits"))]
    if result.longest_context is not None:
        cap = result.positions
        lines.append(("Longest context at this batch", _or(result.longest_context, "none fits")
                      + (f" (all of its {n(cap)} learned positions)"
                         if cap and result.longest_context == cap else "")))
    lines.append(("Fewest such GPUs that hold it", _or(result.fewest_gpus, "more than 4,096")
                  + (" (sharded with FSDP / ZeRO-3)" if "training" in result.plan.title else
                     " (weights and cache split evenly, tensor parallel)")))
    return lines


def fit_text(result: Any, gpu: Any) -> str:
    out = [plan_text(result.plan), "", fit_verdict(result, gpu),
           *(f"{label}: {value}" for label, value in fit_lines(result)), "",
           "Precisions: " + ", ".join(f"{name} {human(b, True)} {'fits' if ok else 'no'}"
                                      for name, b, ok in result.precisions)]
    return "\n".join(out)


def _or(count: int, otherwise: str) -> str:
    return n(count) if count else otherwise


def compute_text(source: str, c: Any) -> str:
    return "\n".join([
        f"{source}: compute (1 multiply-accumulate = 2 FLOPs)",
        f"  per token, linear layers (active experts only): {n(c.linear_macs)} MACs",
        f"  prefill of {n(c.context)} tokens: {n(c.prefill_flops)} FLOPs, attention's QK^T and "
        f"AV included ({n(c.attention_macs_prefill)} MACs; causal: position t attends to t "
        f"keys, about half the full {n(c.context)} x {n(c.context)})",
        f"  decoding one token after {n(c.context)}: {n(c.decode_flops)} FLOPs",
        f"  training: {n(c.training_flops_per_token)} FLOPs per token (3 x the forward: "
        f"the backward computes gradients of inputs and of weights)"])
