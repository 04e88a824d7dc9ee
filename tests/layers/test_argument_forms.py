"""Every form torch.nn's constructors take, against torch.nn: an int, a tuple or a list for
sizes, null where a default is null, strings where torch takes them, negative dims, and the
arguments that only steer the forward pass or where tensors live (batch_first, momentum, eps,
max_norm, device, dtype), accepted and, where they change no count, ignored."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnsize
from nnsize.errors import SpecError

from differential import check

Case = tuple[str, dict[str, Any], tuple[int, ...]]


def size(n: int, values: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    """An int, a tuple or a list of n of them (a spec read from JSON has lists)."""
    return st.one_of(values, st.tuples(*[values] * n), st.lists(values, min_size=n, max_size=n))


factory = st.fixed_dictionaries({}, optional={
    "device": st.sampled_from(["cpu", None]),
    "dtype": st.sampled_from(["float32", "float64", "torch.float64", None])})


@st.composite
def case(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(["LayerNorm", "RMSNorm", "Conv", "ConvTranspose", "BatchNorm",
                                 "Linear", "Embedding", "Recurrent", "MultiheadAttention",
                                 "Upsample", "Flatten", "Softmax", "GroupNorm", "Pool"]))
    extra = draw(factory)
    if kind in ("LayerNorm", "RMSNorm"):
        x = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
        k = draw(st.integers(1, len(x)))
        # nn.LayerNorm(48) as nearly everyone writes it, or a tuple, or a list
        shape = draw(st.sampled_from([x[-1], tuple(x[-k:]), list(x[-k:])])) if k == 1 else \
            draw(st.sampled_from([tuple(x[-k:]), list(x[-k:])]))
        args: dict[str, Any] = {"normalized_shape": shape,
                                "eps": draw(st.sampled_from([1e-5, 1e-6, None] if kind ==
                                                            "RMSNorm" else [1e-5, 1e-6])),
                                "elementwise_affine": draw(st.booleans())}
        return kind, {**args, **extra}, x
    if kind in ("Conv", "ConvTranspose"):
        n = draw(st.integers(1, 3))
        c = draw(st.integers(1, 3))
        args = {"in_channels": c, "out_channels": draw(st.integers(1, 3)),
                "kernel_size": draw(size(n, st.integers(1, 3))),
                "stride": draw(size(n, st.integers(1, 2))),
                "dilation": draw(size(n, st.integers(1, 2)))}
        if kind == "Conv":
            args["padding"] = draw(st.one_of(size(n, st.integers(0, 1)),
                                             st.sampled_from(["same", "valid"])))
            args["padding_mode"] = draw(st.sampled_from(["zeros", "reflect", "replicate",
                                                         "circular"]))
        else:
            args["padding"] = draw(size(n, st.integers(0, 1)))
            args["output_padding"] = draw(size(n, st.integers(0, 1)))
        x = (c, *[draw(st.integers(2, 6)) for _ in range(n)])
        return f"{kind}{n}d", {**args, **extra}, x
    if kind == "BatchNorm":
        c = draw(st.integers(1, 4))
        args = {"num_features": c, "eps": draw(st.sampled_from([1e-5, 1e-3])),
                "momentum": draw(st.sampled_from([0.1, None, 0.01])),
                "affine": draw(st.booleans()), "track_running_stats": draw(st.booleans())}
        return "BatchNorm2d", {**args, **extra}, (c, 3, 3)
    if kind == "GroupNorm":
        g = draw(st.integers(1, 3))
        return kind, {"num_groups": g, "num_channels": 2 * g, **extra}, (2 * g, 3)
    if kind == "Linear":
        x = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
        return kind, {"in_features": x[-1], "out_features": draw(st.integers(1, 4)),
                      "bias": draw(st.booleans()), **extra}, x
    if kind == "Embedding":
        vocab = draw(st.integers(2, 20))
        args = {"num_embeddings": vocab, "embedding_dim": draw(st.integers(1, 5)),
                "padding_idx": draw(st.one_of(st.none(), st.integers(-vocab, vocab - 1))),
                "max_norm": draw(st.sampled_from([None, 1.0])),
                "scale_grad_by_freq": draw(st.booleans())}
        extra.pop("dtype", None)  # an embedding takes indices, not values of a dtype
        return kind, {**args, **extra}, (draw(st.integers(1, 4)),)
    if kind == "Recurrent":
        features = draw(st.integers(1, 4))
        layers = draw(st.integers(1, 2))
        args = {"input_size": features, "hidden_size": draw(st.integers(1, 4)),
                "num_layers": layers, "batch_first": draw(st.booleans()),
                # torch warns of dropout on one layer, which it never applies
                "dropout": draw(st.sampled_from([0.0, 0.5] if layers > 1 else [0.0])),
                "bidirectional": draw(st.booleans())}
        return draw(st.sampled_from(["RNN", "LSTM", "GRU"])), {**args, **extra}, \
            (draw(st.integers(1, 3)), features)
    if kind == "MultiheadAttention":
        heads = draw(st.integers(1, 2))
        e = heads * draw(st.integers(1, 3))
        args = {"embed_dim": e, "num_heads": heads, "batch_first": draw(st.booleans()),
                "kdim": draw(st.sampled_from([None, 3])), "vdim": draw(st.sampled_from([None, e])),
                "dropout": 0.0}
        return kind, {**args, **extra}, (draw(st.integers(1, 3)), e)
    if kind == "Upsample":
        n = draw(st.integers(1, 3))
        x = (2, *[draw(st.integers(1, 4)) for _ in range(n)])
        if draw(st.booleans()):
            args = {"size": draw(size(n, st.integers(1, 5))), "scale_factor": None}
        else:
            args = {"scale_factor": draw(st.one_of(st.sampled_from([2, 1.5]),
                                                   st.tuples(*[st.sampled_from([1, 2, 3])] * n))),
                    "size": None}
        return kind, args, x
    if kind == "Flatten":
        x = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=4)))
        return kind, {"start_dim": draw(st.sampled_from([1, 2, -2])),
                      "end_dim": draw(st.sampled_from([-1, -2, len(x)]))}, x
    if kind == "Softmax":
        x = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
        return kind, {"dim": draw(st.integers(-len(x), len(x)))}, x
    n = draw(st.integers(1, 3))
    x = (2, *[draw(st.integers(3, 6)) for _ in range(n)])
    pool = draw(st.sampled_from(["MaxPool", "AvgPool", "AdaptiveAvgPool"]))
    if pool == "AdaptiveAvgPool":
        return f"{pool}{n}d", {"output_size": draw(st.one_of(
            st.integers(1, 3), st.lists(st.one_of(st.none(), st.integers(1, 3)),
                                        min_size=n, max_size=n)))}, x
    return f"{pool}{n}d", {"kernel_size": draw(size(n, st.integers(1, 3))),
                           "stride": draw(st.one_of(st.none(), size(n, st.integers(1, 2)))),
                           "padding": draw(size(n, st.integers(0, 1)))}, x


@settings(max_examples=250, deadline=None)
@given(c=case())
def test_every_argument_form_matches_torch(c: Case) -> None:
    check(*c)


def test_layernorm_with_an_int() -> None:
    # nn.LayerNorm(48): weight and bias of 48 each = 96
    report = check("LayerNorm", {"normalized_shape": 48}, (5, 48))
    assert report is not None and report.total_params == 48 + 48 == 96
    report = check("RMSNorm", {"normalized_shape": 48}, (5, 48))
    assert report is not None and report.total_params == 48


def test_dtype_is_recorded() -> None:
    # Linear(8, 4, dtype=torch.float16): (8 x 4) + 4 = 36 parameters, kept in float16
    report = nnsize.count({"input_shape": [8], "layers": [
        {"type": "Linear", "out_features": 4, "dtype": "torch.float16", "device": "cpu"}]})
    assert report.total_params == 36
    assert ("dtype", "float16") in report.rows[0].args


@pytest.mark.parametrize("layer, message", [
    ({"type": "ReLU", "dtype": "float16"}, "ReLU has no argument 'dtype'"),  # as torch refuses
    ({"type": "Linear", "out_features": 2, "dtype": "float17"}, "dtype: one of"),
])
def test_dtype_errors(layer: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        nnsize.count({"input_shape": [4], "layers": [layer]})
