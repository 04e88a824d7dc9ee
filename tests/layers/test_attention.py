from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from differential import check


@settings(max_examples=60, deadline=None)
@given(heads=st.integers(1, 3), head_dim=st.integers(1, 4), length=st.integers(1, 4),
       bias=st.booleans(), bias_kv=st.booleans(), zero_attn=st.booleans(),
       kdim=st.one_of(st.none(), st.integers(1, 6)), vdim=st.one_of(st.none(), st.integers(1, 6)),
       infer=st.booleans())
def test_multihead_attention_matches_torch(heads: int, head_dim: int, length: int, bias: bool,
                                           bias_kv: bool, zero_attn: bool, kdim: int | None,
                                           vdim: int | None, infer: bool) -> None:
    e = heads * head_dim
    args: dict[str, Any] = {"embed_dim": e, "num_heads": heads, "bias": bias,
                            "add_bias_kv": bias_kv, "add_zero_attn": zero_attn,
                            "kdim": kdim, "vdim": vdim}
    check("MultiheadAttention", args, (length, e), omit=("embed_dim",) if infer else ())


def test_attention_counts_the_scores() -> None:
    # E = 8, L = 5: projections 4 x (5 x 8 x 8) = 1,280; QK^T and AV 2 x (5 x 5 x 8) = 400
    report = check("MultiheadAttention", {"embed_dim": 8, "num_heads": 2}, (5, 8))
    assert report is not None
    assert report.macs == 1280 + 400
    # 4 E^2 + 4 E = 288 parameters
    assert report.total_params == 4 * 64 + 4 * 8
