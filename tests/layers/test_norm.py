from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnsize
from nnsize.errors import SpecError

from differential import check


@st.composite
def norm_case(draw: st.DrawFn) -> tuple[str, dict[str, Any], tuple[int, ...], tuple[str, ...]]:
    family = draw(st.sampled_from(["BatchNorm", "InstanceNorm", "LayerNorm", "GroupNorm",
                                   "RMSNorm", "LocalResponseNorm"]))
    c = draw(st.integers(1, 6))
    if family in ("BatchNorm", "InstanceNorm"):
        n = draw(st.integers(1, 3))
        spatial = draw(st.lists(st.integers(1, 4), min_size=n - 1, max_size=n - 1)) \
            if family == "BatchNorm" and n == 1 else \
            draw(st.lists(st.integers(2, 4), min_size=n, max_size=n))
        if family == "BatchNorm" and n == 1 and draw(st.booleans()):
            spatial = [draw(st.integers(2, 4))]
        x = (c, *spatial)
        args = {"num_features": c, "affine": draw(st.booleans()),
                "track_running_stats": draw(st.booleans()),
                "momentum": draw(st.sampled_from([0.1, None]))}
        return f"{family}{n}d", args, x, ("num_features",)
    x = (c, *draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    if family == "GroupNorm":
        groups = draw(st.integers(1, 3))
        x = (groups * c, *x[1:])
        return family, {"num_groups": groups, "num_channels": groups * c,
                        "affine": draw(st.booleans())}, x, ("num_channels",)
    if family == "LocalResponseNorm":
        return family, {"size": draw(st.integers(1, 4))}, x, ()
    k = draw(st.integers(1, len(x)))
    args = {"normalized_shape": list(x[len(x) - k:]),
            "elementwise_affine": draw(st.booleans())}
    if family == "LayerNorm":
        args["bias"] = draw(st.booleans())
    return family, args, x, ("normalized_shape",) if k == 1 else ()


@settings(max_examples=150, deadline=None)
@given(case=norm_case(), infer=st.booleans())
def test_norms_match_torch(case: tuple[str, dict[str, Any], tuple[int, ...], tuple[str, ...]],
                           infer: bool) -> None:
    kind, args, x, inferable = case
    check(kind, args, x, omit=inferable if infer else ())


def test_batchnorm_conventions() -> None:
    # PyTorch: weight + bias = 2 x 64 parameters; running_mean, running_var (64 each) and
    # num_batches_tracked (1) are buffers: 129.
    spec = {"input_shape": [64, 8, 8], "layers": [{"type": "BatchNorm2d"}]}
    torch_way = check("BatchNorm2d", {"num_features": 64}, (64, 8, 8))
    assert torch_way is not None
    assert (torch_way.total_params, torch_way.buffers) == (128, 129)
    # Keras: gamma, beta trainable; moving_mean, moving_variance non-trainable parameters.
    keras_way = nnsize.count(spec, convention="keras")
    assert (keras_way.trainable_params, keras_way.non_trainable_params) == (128, 128)
    assert keras_way.total_params == 256 and keras_way.buffers == 0
    assert keras_way.convention == "keras"


def test_groupnorm_must_divide() -> None:
    with pytest.raises(SpecError, match="num_channels=6 is not divisible by num_groups=4"):
        nnsize.count({"input_shape": [6, 4], "layers": [{"type": "GroupNorm", "num_groups": 4}]})
