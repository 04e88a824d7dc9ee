from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from differential import check
from test_conv import per_dim


@st.composite
def pool_case(draw: st.DrawFn) -> tuple[str, dict[str, Any], tuple[int, ...]]:
    n = draw(st.integers(1, 3))
    family = draw(st.sampled_from(["MaxPool", "AvgPool", "LPPool", "AdaptiveAvgPool",
                                   "AdaptiveMaxPool"]))
    x = (draw(st.integers(1, 3)), *draw(st.lists(st.integers(1, 8), min_size=n, max_size=n)))
    k = per_dim(n, st.integers(1, 4))
    stride = st.one_of(st.none(), per_dim(n, st.integers(1, 3)))
    args: dict[str, Any]
    if family == "MaxPool":
        args = {"kernel_size": draw(k), "stride": draw(stride),
                "padding": draw(per_dim(n, st.integers(0, 2))),
                "dilation": draw(per_dim(n, st.integers(1, 2))), "ceil_mode": draw(st.booleans())}
    elif family == "AvgPool":
        args = {"kernel_size": draw(k), "stride": draw(stride),
                "padding": draw(per_dim(n, st.integers(0, 2))), "ceil_mode": draw(st.booleans()),
                "count_include_pad": draw(st.booleans())}
        if n > 1:
            args["divisor_override"] = draw(st.one_of(st.none(), st.integers(1, 4)))
    elif family == "LPPool":
        # torch's LPPool1d multiplies by kernel_size, so it only runs with an int there
        kernel = draw(st.integers(1, 4)) if n == 1 else draw(k)
        args = {"norm_type": draw(st.sampled_from([1, 2, 3.0])), "kernel_size": kernel,
                "stride": draw(stride), "ceil_mode": draw(st.booleans())}
    else:
        args = {"output_size": draw(st.one_of(
            st.integers(1, 4), st.tuples(*[st.one_of(st.none(), st.integers(1, 4))] * n)))}
    return f"{family}{n}d", args, x


@settings(max_examples=200, deadline=None)
@given(case=pool_case())
def test_pooling_matches_torch(case: tuple[str, dict[str, Any], tuple[int, ...]]) -> None:
    check(*case)


def test_maxpool_worked_example() -> None:
    # 16 x 32 x 32, kernel 2: floor((32 - 2) / 2) + 1 = 16 per side; no parameters
    report = check("MaxPool2d", {"kernel_size": 2}, (16, 32, 32))
    assert report is not None
    assert report.output_shape == (16, 16, 16) and report.total_params == 0


def test_ceil_mode_drops_a_window_that_starts_in_the_padding() -> None:
    # length 5, kernel 2, stride 2, ceil_mode: ceil(3 / 2) + 1 = 3 windows
    report = check("MaxPool1d", {"kernel_size": 2, "stride": 2, "ceil_mode": True}, (1, 5))
    assert report is not None and report.output_shape == (1, 3)
