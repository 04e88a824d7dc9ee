from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnsize
from nnsize.errors import SpecError

from differential import check


def per_dim(n: int, values: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    """An int, or a tuple of n of them, as torch accepts either."""
    return st.one_of(values, st.tuples(*[values] * n))


@st.composite
def conv_case(draw: st.DrawFn, transposed: bool) -> tuple[str, dict[str, Any], tuple[int, ...]]:
    n = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 3))
    args: dict[str, Any] = {
        "in_channels": groups * draw(st.integers(1, 3)),
        "out_channels": groups * draw(st.integers(1, 3)),
        "kernel_size": draw(per_dim(n, st.integers(1, 4))),
        "stride": draw(per_dim(n, st.integers(1, 3))),
        "dilation": draw(per_dim(n, st.integers(1, 2))),
        "groups": groups, "bias": draw(st.booleans()),
    }
    if transposed:
        args["padding"] = draw(per_dim(n, st.integers(0, 2)))
        args["output_padding"] = draw(per_dim(n, st.integers(0, 2)))
    else:
        args["padding"] = draw(st.one_of(per_dim(n, st.integers(0, 2)),
                                         st.sampled_from(["same", "valid"])))
        args["padding_mode"] = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate",
                                                     "circular"]))
    x = (args["in_channels"], *draw(st.lists(st.integers(1, 7), min_size=n, max_size=n)))
    kind = f"ConvTranspose{n}d" if transposed else f"Conv{n}d"
    return kind, args, x


@settings(max_examples=150, deadline=None)
@given(case=conv_case(transposed=False), infer=st.booleans())
def test_conv_matches_torch(case: tuple[str, dict[str, Any], tuple[int, ...]],
                            infer: bool) -> None:
    kind, args, x = case
    check(kind, args, x, omit=("in_channels",) if infer else ())


@settings(max_examples=100, deadline=None)
@given(case=conv_case(transposed=True))
def test_conv_transpose_matches_torch(case: tuple[str, dict[str, Any], tuple[int, ...]]) -> None:
    check(*case)


def test_conv2d_worked_example() -> None:
    # 3 -> 16 channels, 3x3: weight 16 x 3 x 3 x 3 = 432, bias 16: 448 parameters.
    # Output 16 x 32 x 32 (padding 1), each output value 3 x 3 x 3 = 27 MACs:
    # 16 x 32 x 32 x 27 = 442,368 MACs.
    report = check("Conv2d", {"in_channels": 3, "out_channels": 16, "kernel_size": 3,
                              "padding": 1}, (3, 32, 32))
    assert report is not None
    assert report.total_params == 448
    assert report.rows[0].formula_text == "(16 x 3 x 3 x 3) + 16 = 448"
    assert report.macs == 442_368


def test_depthwise_conv() -> None:
    # groups = channels = 32: weight 32 x 1 x 3 x 3 = 288, bias 32: 320
    report = check("Conv2d", {"in_channels": 32, "out_channels": 32, "kernel_size": 3,
                              "groups": 32}, (32, 8, 8))
    assert report is not None and report.total_params == 320


def test_the_issue_example_spec() -> None:
    spec = {"input_shape": [3, 32, 32],
            "layers": [{"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
                       {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2},
                       {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}
    report = nnsize.count(spec)
    # conv 448 + linear (16 x 16 x 16 = 4,096 inputs) x 10 + 10 = 40,970
    assert report.total_params == 448 + 4096 * 10 + 10
    assert report.output_shape == (10,)


@pytest.mark.parametrize("layer, x, message", [
    ({"type": "Conv2d", "out_channels": 4, "kernel_size": 7}, [3, 5, 5], "larger than"),
    ({"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "groups": 2}, [3, 8, 8],
     "divisible by groups"),
    ({"type": "Conv2d", "in_channels": 4, "out_channels": 4, "kernel_size": 3}, [3, 8, 8],
     "in_channels=4 does not fit"),
    ({"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, [3, 8], "3 dimensions"),
    ({"type": "Conv2d", "out_channels": 4}, [3, 8, 8], "needs the argument 'kernel_size'"),
    ({"type": "Conv2d", "out_channels": 4, "kernal_size": 3}, [3, 8, 8], "'kernel_size'"),
    ({"type": "Conv2d", "out_channels": "4", "kernel_size": 3}, [3, 8, 8],
     "out_channels: expected a positive integer"),
])
def test_conv_errors_name_the_problem(layer: dict[str, Any], x: list[int], message: str) -> None:
    with pytest.raises(SpecError, match=message) as e:
        nnsize.count({"input_shape": x, "layers": [layer]})
    assert str(e.value).startswith("layers[0] (Conv2d): ")


def test_keras_conv_same_padding_with_strides() -> None:
    # Keras 'same' with stride 2 gives ceil(9 / 2) = 5; weights 8 x 3 x 3 x 3 + 8 = 224
    # (channels-last, as Keras reads it)
    report = nnsize.count({"input_shape": [9, 9, 3], "layers": [
        {"type": "Conv2D", "filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"}]})
    assert report.output_shape == (5, 5, 8) and report.total_params == 224
