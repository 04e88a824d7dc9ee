"""ONNX models: initializers and their shapes, per node, without loading external data.

An initializer feeding a node is counted at its first use and marked shared at the others.
BatchNormalization's mean and variance are marked as buffers (statistics, not parameters), so a
model exported from PyTorch counts as PyTorch counted it.  Output shapes come from ONNX shape
inference; multiply-accumulates of Gemm, MatMul and Conv from those shapes where they are known.
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ..model import Report, Row, Shape, Tensor, numel, sum_formula
from . import Format

MAX_ONNX_BYTES = 2**31 - 1  # protobuf's limit on one message (big models keep data outside)
MAX_DIMS = 64
# nodes of the graph and its subgraphs, each a row: 100,000 take about 3 s of CPU to read,
# infer shapes for and show; a million took 41 s and 1.5 GB (a 35 MB file)
MAX_NODES = 100_000
MAX_DIM = 2**62


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as e:
        raise SpecError("reading .onnx files needs onnx: pip install onnx") from e
    return onnx


def _role(op: str, position: int) -> tuple[str, bool]:
    """(role, buffer) of an initializer by the op it feeds and its input position."""
    if op in ("Conv", "ConvTranspose", "Gemm", "MatMul", "LSTM", "GRU", "RNN"):
        return ("weight" if position in (1, 2) and op in ("LSTM", "GRU", "RNN")
                else "weight" if position == 1 else "bias" if position >= 2 else "other"), False
    if op == "BatchNormalization":
        return ("norm", False) if position in (1, 2) else ("statistic", True)
    if op in ("LayerNormalization", "InstanceNormalization", "GroupNormalization",
              "SimplifiedLayerNormalization", "RMSNormalization"):
        return "norm", False
    if op == "Gather" and position == 0:
        return "embedding", False
    return "other", False


def _dims(proto: Any, where: str) -> Shape:
    dims = tuple(int(d) for d in proto.dims)
    if len(dims) > MAX_DIMS or any(d < 0 or d > MAX_DIM for d in dims):
        raise SpecError(f"{where}: initializer {proto.name!r} has impossible dimensions "
                        f"{list(dims)[:8]}")
    return dims


def _check_nodes(nodes: int, path: str) -> None:
    if nodes > MAX_NODES:
        raise SpecError(f"{path}: the ONNX graph has more than {MAX_NODES:,} nodes, the most "
                        f"nnsize reads")


def _nodes(graph: Any) -> int:
    """Nodes of graph and of the subgraphs its nodes' attributes hold, stopping past
    MAX_NODES."""
    count, todo = 0, [graph]
    while todo and count <= MAX_NODES:
        g = todo.pop()
        count += len(g.node)
        for node in g.node:
            for a in node.attribute:
                if a.HasField("g"):
                    todo.append(a.g)
                todo.extend(a.graphs)
    return count


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = data[i]
        value |= (b & 0x7F) << shift
        i += 1
        if b < 0x80:
            return value, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(data: bytes, start: int, end: int) -> Any:
    """(field number, wire type, value start, value end) of a protobuf message's fields."""
    i = start
    while i < end:
        key, i = _varint(data, i)
        kind = key & 7
        if kind == 0:
            _, j = _varint(data, i)
        elif kind == 1:
            j = i + 8
        elif kind == 2:
            n, i = _varint(data, i)
            j = i + n
        elif kind == 5:
            j = i + 4
        else:
            raise ValueError(f"wire type {kind}")
        if j > end:
            raise ValueError("a field past the message's end")
        yield key >> 3, kind, i, j
        i = j


def _wire_nodes(data: bytes) -> int:
    """Nodes of the main graph and of every subgraph its nodes' attributes hold (ModelProto
    .graph = 7; GraphProto.node = 1; NodeProto.attribute = 5; AttributeProto.g = 6 and
    .graphs = 11), counted in the protobuf wire format, where each costs a few steps, and
    stopping past MAX_NODES; 0 for bytes that are not such a message (protobuf's parser then
    says why)."""
    try:
        graphs = [(a, b) for number, kind, a, b in _fields(data, 0, len(data))
                  if number == 7 and kind == 2]
        count = 0
        while graphs and count <= MAX_NODES:
            start, end = graphs.pop()
            for field, kind, a, b in _fields(data, start, end):
                if field != 1 or kind != 2:
                    continue
                count += 1
                if count > MAX_NODES:
                    return count
                for f, k, attr_start, attr_end in _fields(data, a, b):
                    if f == 5 and k == 2:
                        graphs.extend((ga, gb) for g, gk, ga, gb in
                                      _fields(data, attr_start, attr_end)
                                      if g in (6, 11) and gk == 2)
        return count
    except (ValueError, IndexError):
        return 0


def _value_shapes(model: Any, onnx: Any) -> dict[str, tuple[Any, ...]]:
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # a model shape inference cannot follow still has its initializers
        inferred = model
    shapes = {}
    g = inferred.graph
    for vi in [*g.input, *g.value_info, *g.output]:
        t = vi.type.tensor_type
        if t.HasField("shape"):
            shapes[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else
                                    (d.dim_param or "?") for d in t.shape.dim)
    return shapes


def _macs(node: Any, shapes: dict[str, tuple[Any, ...]], weights: dict[str, Shape]) -> int:
    out = shapes.get(node.output[0]) if node.output else None
    if not out or not all(isinstance(d, int) for d in out):
        return 0
    if node.op_type in ("Conv",) and len(node.input) > 1 and node.input[1] in weights:
        return numel(tuple(out)) * numel(weights[node.input[1]][1:])
    if node.op_type in ("Gemm", "MatMul"):
        a = shapes.get(node.input[0])
        if not a or not isinstance(a[-1], int):
            return 0
        transposed = any(at.name == "transA" and at.i for at in node.attribute)
        k = a[0] if transposed and len(a) == 2 else a[-1]
        return numel(tuple(out)) * int(k)
    return 0


def load_onnx(path: str, data: bytes | None = None) -> Report:
    """Count an .onnx file (or its bytes) node by node; external data is never opened."""
    onnx = _onnx()
    if data is None:
        from ..files import read_bounded

        data = read_bounded(path, MAX_ONNX_BYTES, "an ONNX model")
    _check_nodes(_wire_nodes(data), path)  # before protobuf builds a message for each
    try:
        model = onnx.load_from_string(data)
    except Exception as e:  # DecodeError and friends: not a valid ONNX protobuf
        raise SpecError(f"{path}: not a readable ONNX model ({type(e).__name__}: {e})") from e
    if not model.HasField("graph"):
        raise SpecError(f"{path}: not a readable ONNX model (no graph in it)")
    graph = model.graph
    _check_nodes(_nodes(graph), path)  # subgraphs too (If, Loop, Scan bodies)
    inits = {i.name: _dims(i, path) for i in graph.initializer}
    shapes = _value_shapes(model, onnx)
    used: dict[str, str] = {}
    rows = []
    for i, node in enumerate(graph.node):
        tensors = []
        for position, name in enumerate(node.input):
            if name not in inits:
                continue
            role, buffer = _role(node.op_type, position)
            tensors.append(Tensor(name, inits[name], role, trainable=not buffer, buffer=buffer,
                                  shared_with=used.get(name, "")))
            used.setdefault(name, node.name or f"node {i}")
        out = shapes.get(node.output[0], ()) if node.output else ()
        out_shape = tuple(d if isinstance(d, int) else 0 for d in out)
        rows.append(Row(name=str(i), label=node.name or node.op_type, type=node.op_type,
                        input_shape=(), output_shape=out_shape, tensors=tuple(tensors),
                        macs_each=_macs(node, shapes, inits), formula=sum_formula(tensors),
                        index=i, qualified=True))
    unused = [Tensor(n, s, "other") for n, s in inits.items() if n not in used]
    if unused:
        rows.append(Row(name=str(len(rows)), label="(initializers no node reads)", type="-",
                        input_shape=(), output_shape=(), tensors=tuple(unused), macs_each=0,
                        formula=sum_formula(unused), index=len(rows), qualified=True))
    first = next((vi for vi in graph.input if vi.name not in inits), None)
    x = tuple(d for d in shapes.get(first.name, ()) if isinstance(d, int)) if first else ()
    return Report(path, "onnx", x, tuple(rows))


# this format's entry in the formats table (importers/__init__.py)
FORMAT = Format("onnx", (".onnx",), load_onnx, from_bytes=True)
