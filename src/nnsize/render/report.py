"""A count as text, Markdown, CSV and HTML: the layer table, the totals, the memory table
and the worked sums."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..model import Report, Row
from .numbers import formula_text, human, in_unit, n, shape, unit_for
from .table import markdown_table, table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..model.contents import Contents


# --- plain-text tables -----------------------------------------------------------------------

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
        ("Formula", lambda r: formula_text(r), False, True),
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
    token = None
    if report.decoder is not None:  # a language model: its MACs a token
        from ..compute import token_macs

        token = token_macs(report)
    if token is not None:
        lines.append(("Multiply-accumulates", f"{n(token)} a token (= {n(2 * token)} FLOPs: "
                      f"every weight matrix it multiplies, active experts only; attention adds "
                      f"per token of context, see nnsize compute)"))
    elif _has_compute(report):
        lines.append(("Multiply-accumulates", f"{n(report.macs)} (= {n(2 * report.macs)} FLOPs, "
                      "forward, " + ("for the given input)" if report.is_tree
                                     else "one sample)")))
    return lines


def memory_rows(report: Report) -> list[list[str]]:
    from ..precision import PARAMETER_TABLE, memory_table

    memory = memory_table(report.total_params)
    # One unit for the whole table, the one that suits fp32 (the calculator's reference), so
    # the rows compare at a glance: 1M parameters read 3.81 MiB at fp32 and 0.12 MiB at 1 bit.
    top = memory["fp32"]
    ub, ud = unit_for(top, True), unit_for(top, False)
    return [[p.name, str(p.bits_per_value), n(memory[p.name]),
             in_unit(memory[p.name], ub, True), in_unit(memory[p.name], ud, False)]
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
    if lines := stored_lines(report.stored):
        out += ["", *lines]
    out += ["", f"Parameter memory ({n(report.total_params)} parameters; "
                f"buffers not included)",
            table(MEMORY_HEADERS, memory_rows(report), [False, True, True, True, True])]
    if explain:
        out += ["", explanation(report)]
    return "\n".join(out)


STORED_HEADERS = ["Dtype", "Tensors", "Elements", "Bytes", "Binary"]


def stored_summary(stored: Contents) -> str:
    """What a checkpoint file holds, in one sentence."""
    return (f"Stored in the file ({stored['format']}"
            + (f", {stored['shards']} shards" if "shards" in stored else "")
            + f"): {n(stored['tensors'])} tensors, {n(stored['elements'])} elements, "
            f"{n(stored['bytes'])} bytes = {human(stored['bytes'], True)} = "
            f"{human(stored['bytes'], False)}"
            + ("; quantized: parameters above are those of the unquantized model"
               if stored.get("quantized") else ""))


def stored_rows(stored: Contents) -> list[list[str]]:
    """What a checkpoint file holds, per dtype: the rows under STORED_HEADERS."""
    return [[dtype, n(d["tensors"]), n(d["elements"]), n(d["bytes"]), human(d["bytes"], True)]
            for dtype, d in stored["dtypes"].items()]


def stored_lines(stored: Contents) -> list[str]:
    """What a checkpoint file holds, per dtype; for a Hub model or a model folder, where it
    came from and how it differs from the config's count; how a model was counted, when
    transformers built it."""
    lines = []
    if "counted_with" in stored:
        lines.append(f"Counted by building {stored['counted_with']} on the meta device (no "
                     f"memory allocated), in {stored['build_ms']:,} ms")
    if "built_from" in stored:
        lines.append(f"Built as its publisher's code builds it (transformers has no class for "
                     f"it): {stored['built_from']}")
    if "planner_refused" in stored:
        lines.append(f"The memory planner, compute and speed refuse it: "
                     f"{stored['planner_refused']}")
    if "hub" in stored:
        from .hub import hub_lines

        lines += hub_lines(stored["hub"], stored)
    if "config_error" in stored:
        lines.append(f"The config could not be counted ({stored['config_error']}); the count "
                     f"above is what the checkpoint stores")
    if "checkpoint" in stored:
        lines.append(f"No checkpoint to compare with: the repo has {stored['checkpoint']}")
    if "format" in stored:
        lines += _file_lines(stored)
    if "differences" in stored:
        from .hub import difference_lines

        lines += difference_lines(stored["differences"])
    if "context_limit" in stored:
        limit = stored["context_limit"]
        lines.append(f"Longest context: {n(limit['tokens'])} tokens (the model's {limit['from']})")
    return lines


def _file_lines(stored: Contents) -> list[str]:
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
    from ..precision import memory_table

    for p in ("fp32", "fp16", "int8"):
        bits = {"fp32": 32, "fp16": 16, "int8": 8}[p]
        b = memory_table(report.total_params)[p]
        out.append(f"Memory at {p} = {n(report.total_params)} parameters x {bits} bits / 8 = "
                   f"{n(b)} bytes = {human(b, True)} = {human(b, False)}")
    return "\n".join(out)


# --- other formats ---------------------------------------------------------------------------

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


def csv_rows(report: Report) -> list[list[str | int]]:
    """One list per row, in CSV_COLUMNS order: plain values, numbers left as ints."""
    return [[r.name, r.label, r.type, "x".join(map(str, r.output_shape)), r.repeat, r.weights,
             r.biases, r.other_trainable, r.non_trainable, r.params, r.buffers, r.macs,
             formula_text(r)] for r in report.rows]


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
    """A count in one of the text formats (render.FORMATS: table, markdown, csv)."""
    if fmt == "markdown":
        return markdown(report) + ("\n```\n" + explanation(report) + "\n```" if explain else "")
    if fmt == "csv":
        return csv_text(report)
    return text(report, explain)
