from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import nnsize

from differential import check


@settings(max_examples=80, deadline=None)
@given(kind=st.sampled_from(["RNN", "LSTM", "GRU"]), i=st.integers(1, 5), h=st.integers(1, 5),
       layers=st.integers(1, 3), bias=st.booleans(), bidirectional=st.booleans(),
       proj=st.integers(0, 4), length=st.integers(1, 4), infer=st.booleans(),
       relu=st.booleans())
def test_recurrent_matches_torch(kind: str, i: int, h: int, layers: int, bias: bool,
                                 bidirectional: bool, proj: int, length: int, infer: bool,
                                 relu: bool) -> None:
    args = {"input_size": i, "hidden_size": h, "num_layers": layers, "bias": bias,
            "bidirectional": bidirectional}
    if kind == "LSTM" and proj < h:
        args["proj_size"] = proj
    if kind == "RNN" and relu:
        args["nonlinearity"] = "relu"
    check(kind, args, (length, i), omit=("input_size",) if infer else ())


def test_lstm_worked_example() -> None:
    # 4 gates x 20 hidden x (10 inputs + 20 hidden) = 2,400 weights;
    # PyTorch keeps two bias vectors of 4 x 20: 160.  2,560 in all.
    report = check("LSTM", {"input_size": 10, "hidden_size": 20}, (7, 10))
    assert report is not None
    assert (report.weights, report.biases, report.total_params) == (2400, 160, 2560)
    # Keras keeps one bias vector: 2,400 + 80 = 2,480.
    keras = nnsize.count({"input_shape": [7, 10], "layers": [{"type": "LSTM", "units": 20}]},
                         convention="keras")
    assert keras.total_params == 2480 and keras.output_shape == (20,)


def test_lstm_projection() -> None:
    # proj_size 5: weight_hh is 80 x 5, weight_hr 5 x 20, the output is 5 wide
    report = check("LSTM", {"input_size": 10, "hidden_size": 20, "proj_size": 5}, (3, 10))
    assert report is not None
    assert report.total_params == 80 * 10 + 80 * 5 + 80 + 80 + 5 * 20
    assert report.output_shape == (3, 5)


def test_gru_reset_after_only_in_keras() -> None:
    spec = {"input_shape": [4, 3], "layers": [{"type": "GRU", "units": 8, "reset_after": False}]}
    # one bias vector: 3 x 8 x (3 + 8) + 3 x 8 = 288
    assert nnsize.count(spec, convention="keras").total_params == 288
    # PyTorch's GRU keeps two whatever reset_after says: 288 + 24 = 312
    assert nnsize.count(spec).total_params == 312


def test_a_million_stacked_layers_are_two_entries() -> None:
    # layer 0: 4 x 8 x (3 + 8) + 2 x 32 = 416; layers 1..: 4 x 8 x (8 + 8) + 64 = 576 each
    spec = {"input_shape": [5, 3], "layers": [{"type": "LSTM", "hidden_size": 8,
                                               "num_layers": 10**15}]}
    report = nnsize.count(spec)
    assert report.total_params == 416 + (10**15 - 1) * 576
    (row,) = report.rows
    assert len(row.tensors) == 8  # weight_ih, weight_hh, bias_ih, bias_hh: layer 0 and the rest
    assert row.tensors[4].name == "weight_ih_l{i}" and row.tensors[4].copies == 10**15 - 1
    # MACs per step: 4 x 8 x (3 + 8) + (10^15 - 1) x 4 x 8 x (8 + 8), for 5 steps
    assert report.macs == 5 * (352 + (10**15 - 1) * 512)
    keras = nnsize.count(spec, convention="keras")
    names = [t.name for t in keras.rows[0].tensors]
    assert names[:3] == ["l0.kernel", "l0.recurrent_kernel", "l0.bias"]
    assert names[3] == "l{i}.kernel"
