from __future__ import annotations

import json
from pathlib import Path

import pytest

import nnsize
from nnsize.errors import SpecError

CNN = {"input_shape": [3, 32, 32],
       "layers": [{"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
                  {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2},
                  {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}
CNN_YAML = """\
input_shape: [3, 32, 32]
layers:
  - {type: Conv2d, out_channels: 16, kernel_size: 3, padding: 1}
  - type: ReLU
  - {type: MaxPool2d, kernel_size: 2}
  - type: Flatten
  - {type: Linear, out_features: 10}
"""


def test_json_and_yaml_files_give_the_same_count(tmp_path: Path) -> None:
    (tmp_path / "net.json").write_text(json.dumps(CNN))
    (tmp_path / "net.yaml").write_text(CNN_YAML)
    a = nnsize.count(tmp_path / "net.json")
    b = nnsize.count(str(tmp_path / "net.yaml"))
    assert a.total_params == b.total_params == nnsize.count(CNN).total_params == 41_418
    assert a.source.endswith("net.json")


@pytest.mark.parametrize("name, content, message", [
    ("bad.json", '{"input_shape": [3], "layers": [', "invalid JSON at line 1"),
    ("bad.yaml", "input_shape: [3\nlayers: -", "invalid YAML"),
    ("evil.yaml", "!!python/object/apply:os.system ['echo owned']", "invalid YAML"),
    ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("big.json", '{"input_shape": [' + "9" * 5000 + "]}", "invalid JSON"),
    ("binary.json", b"\xff\xfe\x00".decode("latin-1"), "invalid JSON|not UTF-8"),
])
def test_bad_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="latin-1")
    with pytest.raises(SpecError, match=message):
        nnsize.count(str(path))


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        nnsize.count(str(tmp_path / "nothere.json"))


def test_yaml_aliases_cannot_blow_up(tmp_path: Path) -> None:
    # a "billion laughs": nine groups of nine of the group before, eight levels deep
    lines = ["a0: &a0 {type: ReLU}"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} {{layers: [{refs}]}}")
    lines += ["input_shape: [3]", "layers: [*a8]"]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines))
    # 9^8 = 43,046,721 layers: refused while still a graph of 17 nodes, before anything
    # (the walker, an error message, the report's name) expands it
    with pytest.raises(SpecError, match="aliases expand it to more than 1,000,000 values"):
        nnsize.count(str(path))


def test_yaml_aliases_within_the_bound_are_read(tmp_path: Path) -> None:
    # one block used three times: 3 x (Linear + ReLU) after the input
    path = tmp_path / "blocks.yaml"
    path.write_text("block: &b {layers: [{type: Linear, out_features: 4}, {type: ReLU}]}\n"
                    "input_shape: [4]\nlayers: [*b, *b, *b]\n")
    data = __import__("nnsize.spec", fromlist=["load"]).load(str(path))
    # 3 x (4 x 4 + 4) = 60
    assert nnsize.count({"input_shape": data["input_shape"],
                         "layers": data["layers"]}).total_params == 60
