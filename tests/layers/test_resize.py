from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from differential import check


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 3), sizes=st.lists(st.integers(1, 5), min_size=3, max_size=3),
       by_size=st.booleans(), scale=st.sampled_from([1, 2, 3, 1.5, 0.5]),
       mode=st.sampled_from(["nearest", "linear", "bilinear", "trilinear", "area"]))
def test_upsample_matches_torch(n: int, sizes: list[int], by_size: bool, scale: float,
                                mode: str) -> None:
    x = (2, *sizes[:n])
    args: dict[str, Any] = {"mode": mode}
    if by_size:
        args["size"] = tuple(sizes[:n][::-1])
    else:
        args["scale_factor"] = scale
    check("Upsample", args, x)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 3), kind=st.sampled_from(["ZeroPad", "ConstantPad", "ReflectionPad",
                                                  "ReplicationPad", "CircularPad"]),
       sizes=st.lists(st.integers(1, 4), min_size=3, max_size=3),
       pads=st.lists(st.integers(0, 3), min_size=6, max_size=6), single=st.booleans())
def test_padding_matches_torch(n: int, kind: str, sizes: list[int], pads: list[int],
                               single: bool) -> None:
    args: dict[str, Any] = {"padding": pads[0] if single else tuple(pads[:2 * n])}
    if kind == "ConstantPad":
        args["value"] = 0.5
    check(f"{kind}{n}d", args, (2, *sizes[:n]))


@settings(max_examples=30, deadline=None)
@given(c=st.integers(1, 3), r=st.integers(1, 3), h=st.integers(1, 3), w=st.integers(1, 3))
def test_pixel_shuffle_matches_torch(c: int, r: int, h: int, w: int) -> None:
    check("PixelShuffle", {"upscale_factor": r}, (c * r * r, h, w))
    check("PixelUnshuffle", {"downscale_factor": r}, (c, h * r, w * r))
