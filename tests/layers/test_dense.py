from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import nnsize

from differential import check


def test_linear_worked_example() -> None:
    # Input -> Hidden 1 of the classic 10-20-20-20-2: (10 x 20) + 20 = 220
    report = check("Linear", {"in_features": 10, "out_features": 20}, (10,))
    assert report is not None and report.total_params == 220
    assert report.weights == 10 * 20 and report.biases == 20
    assert report.rows[0].formula_text == "(10 x 20) + 20 = 220"
    assert report.macs == 200


def test_linear_infers_in_features_and_acts_on_the_last_dimension() -> None:
    # (5, 7) -> Linear(3): weight 3 x 7 = 21, bias 3, applied at 5 positions: 5 x 21 = 105 MACs
    report = check("Linear", {"in_features": 7, "out_features": 3}, (5, 7), omit=("in_features",))
    assert report is not None
    assert report.total_params == 24 and report.macs == 105
    assert report.output_shape == (5, 3)


@settings(max_examples=40, deadline=None)
@given(prefix=st.lists(st.integers(1, 3), max_size=2), i=st.integers(1, 9),
       o=st.integers(1, 9), bias=st.booleans(), infer=st.booleans())
def test_linear_matches_torch(prefix: list[int], i: int, o: int, bias: bool, infer: bool) -> None:
    check("Linear", {"in_features": i, "out_features": o, "bias": bias}, (*prefix, i),
          omit=("in_features",) if infer else ())


@settings(max_examples=25, deadline=None)
@given(i=st.integers(1, 6), o=st.integers(1, 6), bias=st.booleans())
def test_bilinear_matches_torch(i: int, o: int, bias: bool) -> None:
    check("Bilinear", {"in1_features": i, "in2_features": i, "out_features": o, "bias": bias},
          (i,))


def test_bilinear_worked_example() -> None:
    # weight 4 x 3 x 3 = 36, bias 4: 40
    report = nnsize.count({"input_shape": [3], "layers": [{"type": "Bilinear", "out_features": 4}]})
    assert report.total_params == 4 * 3 * 3 + 4


def test_keras_dense_spelling() -> None:
    report = nnsize.count({"input_shape": [10], "layers": [{"type": "Dense", "units": 20,
                                                            "activation": "relu"}]})
    assert report.rows[0].type == "Linear" and report.total_params == 220
