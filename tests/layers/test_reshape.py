from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from differential import check


@settings(max_examples=60, deadline=None)
@given(x=st.lists(st.integers(1, 4), min_size=1, max_size=4), start=st.integers(-5, 5),
       end=st.integers(-5, 5))
def test_flatten_matches_torch(x: list[int], start: int, end: int) -> None:
    rank = len(x) + 1  # with the batch
    s, e = start % rank if -rank <= start < rank else None, end % rank if -rank <= end < rank \
        else None
    # nnsize refuses to merge the batch into a sample; torch does it
    assume(not (s == 0 and e is not None and e > 0))
    check("Flatten", {"start_dim": start, "end_dim": end}, tuple(x))


@settings(max_examples=40, deadline=None)
@given(a=st.integers(1, 4), b=st.integers(1, 4), rest=st.lists(st.integers(1, 3), max_size=2),
       dim=st.integers(-3, 3), minus=st.booleans())
def test_unflatten_matches_torch(a: int, b: int, rest: list[int], dim: int,
                                 minus: bool) -> None:
    x = (a * b, *rest)
    assume(dim % (len(x) + 1) != 0)  # the batch dimension: nnsize refuses, torch splits it
    check("Unflatten", {"dim": dim, "unflattened_size": (a, -1 if minus else b)}, x)


def test_dropout_and_identity() -> None:
    for kind in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                 "FeatureAlphaDropout", "Identity"):
        x = {"Dropout1d": (3, 4), "Dropout3d": (2, 3, 4, 5)}.get(kind, (2, 3, 4))
        report = check(kind, {}, x)
        assert report is not None and report.total_params == 0
