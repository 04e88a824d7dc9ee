from __future__ import annotations

from pathlib import Path

import pytest

import nnsize

onnx = pytest.importorskip("onnx")
helper, TensorProto = onnx.helper, onnx.TensorProto


def mlp_model(hidden: int = 20) -> object:
    """10 -> hidden (Gemm) -> Relu -> 2 (MatMul + Add), built with onnx.helper."""
    import numpy as np

    inits = [
        onnx.numpy_helper.from_array(np.zeros((hidden, 10), np.float32), "w1"),
        onnx.numpy_helper.from_array(np.zeros((hidden,), np.float32), "b1"),
        onnx.numpy_helper.from_array(np.zeros((hidden, 2), np.float32), "w2"),
        onnx.numpy_helper.from_array(np.zeros((2,), np.float32), "b2"),
        onnx.numpy_helper.from_array(np.zeros((7,), np.float32), "unused"),
    ]
    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1", transB=1),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("MatMul", ["r", "w2"], ["m"], name="fc2"),
             helper.make_node("Add", ["m", "b2"], ["y"], name="bias2")]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1, 10])], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, [1, 2])], inits)
    return helper.make_model(graph)


def test_initializers_per_node(tmp_path: Path) -> None:
    path = tmp_path / "mlp.onnx"
    onnx.save(mlp_model(), path)
    report = nnsize.count(str(path))
    # fc1: 20 x 10 + 20 = 220; fc2: 20 x 2 = 40; bias2: 2; an unused initializer of 7
    assert [r.params for r in report.rows] == [220, 0, 40, 2, 7]
    assert report.total_params == 269
    assert report.rows[0].output_shape == (1, 20)
    # MACs: 1 x 20 x 10 + 1 x 2 x 20 = 240
    assert report.macs == 240


def test_external_data_is_never_read(tmp_path: Path) -> None:
    path = tmp_path / "big.onnx"
    onnx.save(mlp_model(hidden=4096), path, save_as_external_data=True,
              all_tensors_to_one_file=True, location="big.data", size_threshold=0)
    (tmp_path / "big.data").unlink()  # nothing to read: the count must not need it
    report = nnsize.count(str(path))
    assert report.total_params == 4096 * 10 + 4096 + 4096 * 2 + 2 + 7


def test_hostile_onnx_files(tmp_path: Path) -> None:
    model = mlp_model()
    model.graph.initializer[0].dims[0] = -5  # type: ignore[attr-defined]
    bad = tmp_path / "negative.onnx"
    onnx.save(model, bad)
    with pytest.raises(nnsize.NnsizeError, match="impossible dimensions"):
        nnsize.count(str(bad))
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x96\x01" * 100)
    with pytest.raises(nnsize.NnsizeError, match="not a readable ONNX model"):
        nnsize.count(str(garbage))


def test_exported_from_pytorch(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(10, 20), torch.nn.ReLU(),
                                torch.nn.Linear(20, 2))
    path = tmp_path / "exported.onnx"
    torch.onnx.export(model, (torch.randn(1, 10),), str(path), dynamo=False)
    assert nnsize.count(str(path)).total_params == 1 * (10 * 20 + 20) + 20 * 2 + 2


def test_the_cli_reads_onnx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from nnsize.cli import main

    path = tmp_path / "mlp.onnx"
    onnx.save(mlp_model(), path)
    assert main([str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total_params"] == 269
    assert main(["check", str(path), "--max-params", "200"]) == 1


def test_one_node_past_the_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    from hostile import many_nodes

    from nnsize.errors import SpecError
    from nnsize.importers.from_onnx import MAX_NODES

    path = tmp_path / "nodes.onnx"
    path.write_bytes(many_nodes(MAX_NODES + 1))  # 1.4 MB at the real limit
    with pytest.raises(SpecError, match="has more than 100,000 nodes, the most nnsize reads"):
        nnsize.count(str(path))


def test_nodes_in_subgraphs_count_toward_the_limit(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from nnsize.errors import SpecError
    from nnsize.importers import from_onnx

    # an If whose two branches hold 3 nodes each: 1 + 3 + 3 = 7 nodes, within 7, not 6
    def branch(name: str) -> object:
        return helper.make_graph(
            [helper.make_node("Relu", ["x"], [f"{name}{i}"]) for i in range(3)], name, [],
            [helper.make_tensor_value_info(f"{name}2", TensorProto.FLOAT, [1])])

    cond = helper.make_node("If", ["c"], ["y"], then_branch=branch("t"), else_branch=branch("e"))
    graph = helper.make_graph([cond], "g", [
        helper.make_tensor_value_info("c", TensorProto.BOOL, []),
        helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    path = tmp_path / "if.onnx"
    onnx.save(helper.make_model(graph), str(path))
    monkeypatch.setattr(from_onnx, "MAX_NODES", 7)
    assert len(nnsize.count(str(path)).rows) == 1
    monkeypatch.setattr(from_onnx, "MAX_NODES", 6)
    with pytest.raises(SpecError, match="more than 6 nodes"):
        nnsize.count(str(path))


def test_nodes_hidden_in_subgraphs_are_counted_before_parsing(monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """An If whose branch holds MAX_NODES nodes: refused from the wire format, so protobuf never
    builds a message for each (the count stops past the limit)."""
    from nnsize.importers import from_onnx

    def branch(name: str, n: int) -> object:
        return helper.make_graph(
            [helper.make_node("Relu", ["x"], [f"{name}{i}"]) for i in range(n)], name, [],
            [helper.make_tensor_value_info(f"{name}{n - 1}", TensorProto.FLOAT, [1])])

    cond = helper.make_node("If", ["c"], ["y"], then_branch=branch("t", from_onnx.MAX_NODES),
                            else_branch=branch("e", 2))
    graph = helper.make_graph([cond], "g", [
        helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    data = helper.make_model(graph).SerializeToString()
    # 1 If + MAX_NODES in the then branch: past the limit before the else branch is read
    assert from_onnx._wire_nodes(data) == from_onnx.MAX_NODES + 1

    def no_parse(data: bytes) -> None:
        raise AssertionError("parsed a model past the node limit")

    monkeypatch.setattr("onnx.load_from_string", no_parse)
    with pytest.raises(from_onnx.SpecError, match="more than 100,000 nodes"):
        from_onnx.load_onnx("hidden.onnx", data)
