from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsize.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_default_network(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 0
    assert "10-20-20-20-2" in out and "Input -> Hidden 1" in out
    assert "(10 x 20) + 20 = 220" in out
    for line in ("Trainable weights           1,040", "Trainable biases               62",
                 "Total parameters            1,102"):
        assert line in out


def test_the_calculator_flags_match_the_shorthand(capsys: pytest.CaptureFixture[str]) -> None:
    a = run(capsys, "--inputs", "10", "--hidden-layers", "3", "--neurons", "20", "--outputs", "2")
    b = run(capsys, "10-20-20-20-2")
    assert a == b


def test_count_is_the_long_form(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "count", "784-512x4-10") == run(capsys, "784-512x4-10")


def test_json_output_is_the_documented_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "10-20-20-20-2", "--json")
    data = json.loads(out)
    for key in ("total_params", "trainable_params", "non_trainable_params", "weights", "biases",
                "buffers", "convention", "memory", "layers"):
        assert key in data
    assert data["total_params"] == 1102 and data["convention"] == "pytorch"
    assert set(data["memory"]) == {"fp64", "fp32", "bf16", "fp16", "fp8", "int8", "int4", "1bit"}
    assert data["memory"]["fp32"] == 1102 * 4
    layer = data["layers"][0]
    assert {"name", "type", "output_shape", "params", "tensors"} <= set(layer)
    assert layer["tensors"][0] == {"name": "weight", "shape": [20, 10], "role": "weight",
                                   "trainable": True, "buffer": False, "numel": 200}
    assert run(capsys, "10-20-20-20-2", "--format", "json")[1] == out


def test_memory_units_are_labelled(capsys: pytest.CaptureFixture[str]) -> None:
    # 999-1000: 999 x 1000 + 1000 = 1,000,000 parameters
    # fp32: 4,000,000 B = 3.81 MiB = 4.00 MB; 1-bit: 125,000 B = 0.12 MiB = 0.125 MB
    _, out, _ = run(capsys, "999-1000")
    assert "Total parameters            1,000,000" in out
    rows = [line.split() for line in out.splitlines()]
    assert ["fp32", "32", "4,000,000", "3.81", "MiB", "4.00", "MB"] in rows
    assert ["fp16", "16", "2,000,000", "1.91", "MiB", "2.00", "MB"] in rows
    assert ["int8", "8", "1,000,000", "0.95", "MiB", "1.00", "MB"] in rows
    assert ["1bit", "1", "125,000", "0.12", "MiB", "0.125", "MB"] in rows


def test_explain_shows_the_worked_sums(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "10-20-20-20-2", "--explain")
    assert "Total parameters = 220 + 420 + 420 + 42 = 1,102" in out
    assert "weight: out_features x in_features = 20 x 10 = 200" in out
    assert "Memory at fp32 = 1,102 parameters x 32 bits / 8 = 4,408 bytes" in out


def test_compare(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compare", "10-20-20-20-2", "64-128-64-10", "100-50-50-1",
                       "256-256-256-128-64-10")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2 + 4
    assert "1,102" in lines[2] and "17,226" in lines[3] and "7,651" in lines[4] \
        and "173,386" in lines[5]
    data = json.loads(run(capsys, "compare", "10-2", "10-20-2", "--json")[1])
    assert [d["total_params"] for d in data] == [22, 262]


@pytest.mark.parametrize("fmt", ["markdown", "csv"])
def test_other_formats(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = run(capsys, "10-20-20-20-2", "--format", fmt)
    assert code == 0 and "1102" in out.replace(",", "")


@pytest.mark.parametrize("argv", [
    ["10--20"], ["10-0-2"], ["-5-3"], ["10-abc"], ["10-20x-2"], ["10-20x0-2"], [""],
    ["nothere.json"], ["--format", "xml"], ["--inputs", "10"], ["--inputs", "ten"],
    ["compare"], ["10-2", "--convention", "tf"], ["--bogus"],
])
def test_bad_input_is_one_line_and_exit_code_2(capsys: pytest.CaptureFixture[str],
                                               argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("nnsize: error: ")
    assert "Traceback" not in err


def test_spec_errors_name_the_layer(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"input_shape": [3, 8, 8], "layers": [
        {"type": "Conv2d", "out_channels": 4, "kernel_size": 3},
        {"type": "Conv2d", "out_channels": 4, "kernel_size": 9}]}))
    code, _, err = run(capsys, str(path))
    assert code == 2
    assert "layers[1] (Conv2d): kernel_size 9" in err and "larger than the padded input" in err


def test_the_installed_command_and_python_m() -> None:
    for cmd in (["nnsize", "10-20-20-20-2", "--json"],
                [sys.executable, "-m", "nnsize", "10-20-20-20-2", "--json"]):
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        assert json.loads(done.stdout)["total_params"] == 1102
    bad = subprocess.run(["nnsize", "10--20"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_import_needs_no_heavy_framework() -> None:
    code = ("import sys, nnsize; nnsize.count('10-20-20-20-2'); "
            "import nnsize.cli; "
            "heavy = {'torch', 'keras', 'onnx', 'transformers', 'yaml', 'numpy'} & "
            "set(sys.modules); print(sorted(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_a_language_models_macs_and_layers_are_its_own(capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    # issue 21: macs / flops 0 and "Layers 6" for Llama 3.1 8B's 32 layers
    assert main(["llama-3.1-8b", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    # a token: every weight matrix but the embedding lookup, 8,030,261,248 - 128,256 x 4,096
    # embedding - 266,240 norm weights (65 x 4,096) = 7,504,658,432, plus attention to itself:
    # 32 layers x 32 heads x (128 + 128) = 262,144 -> 7,504,920,576
    assert d["macs"] == 7_504_920_576 and d["flops"] == 2 * d["macs"]
    assert d["macs_per"] == "token"
    assert main(["compare", "llama-3.1-8b", "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["layers"] == 32 and row["macs"] == 7_504_920_576


@pytest.mark.parametrize("argv", [
    ["resnet50", "--input-size", "1,3,512,512"],
    ["memory", "llama-3.1-8b", "--input-size", "1,128"],
])
def test_input_size_is_refused_where_no_forward_pass_reads_it(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # issue 21: resnet50 --input-size 1,3,512,512 once still counted at 224 x 224, silently
    assert main(argv) == 2
    assert "--input-size applies to torch models" in capsys.readouterr().err


def test_bare_int4_says_its_scales_are_not_counted(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["memory", "llama-3.2-1b", "--dtype", "int4"]) == 0
    assert "bare int4: group scales not counted" in capsys.readouterr().out


# A command's name, a dashed network and a preset-like name are told apart with str methods (a
# regex's compile would cost more than a count, at every start): each must say what its pattern
# says, for any string, ASCII or not.
_CHARS = "aZz09-._ é²-1xK"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=_CHARS, max_size=8))
def test_names_are_told_apart_as_their_patterns_say(word: str) -> None:
    import re

    from nnsize.architectures.presets import _shaped
    from nnsize.cli import _is_dashed_network, _is_name

    assert _is_name(word) == bool(re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", word))
    assert _is_dashed_network(word) == bool(re.match(r"-[0-9]+-", word))
    assert _shaped(word) == bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9._\-]*[A-Za-z0-9]", word))


def test_compute_takes_memorys_images_and_bounds(capsys: pytest.CaptureFixture[str]) -> None:
    # `compute` and `memory` agree on a cross-attention model's images: one by default (Llama
    # 3.2 Vision's 4 tiles x 1,601 vision tokens through 8 layers' k and v, 4,096 -> 8 x 128
    # each: 4 x 1,601 x 8 x 4,096 x 2 x 1,024 = 429,765,165,056 MACs once a sequence), and an
    # image count below -1 (the default) is refused by the same setup check
    import paths

    config = str(paths.DATA / "published_configs" / "ome--llama3_2_11b_vision.json")
    code, out, _ = run(capsys, "compute", config, "--json")
    assert code == 0
    assert json.loads(out)["image_macs"] == 4 * 1601 * 8 * 4096 * 2 * 1024 == 429_765_165_056
    code, out, _ = run(capsys, "compute", config, "--images", "0", "--json")
    assert json.loads(out)["image_macs"] == 0
    code, _, err = run(capsys, "compute", "llama-3.1-8b", "--images", "-2")
    assert code == 2 and "images must be 0 or more (-1: the default), got -2" in err
